// Run programs inside a container and capture what they print: create a busybox container in
// a temporary lxcpath, start it, run `uname -a`, `ls /` and a command that fails, print each
// one's standard output, standard error and exit status, then destroy everything.
//
//     swift run capture-output            (as root, after scripts/bootstrap.sh)

import Foundation
import LXC

func show(_ command: [String], in container: Container) async throws {
    print("$ \(command.joined(separator: " "))")
    // output(of:) collects standard output and standard error separately, byte for byte.
    let result = try await container.output(of: command)
    print("  exit status: \(result.status)")
    print("  stdout (\(result.standardOutput.count) bytes):")
    for line in result.standardOutputString.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        print("    \(line)")
    }
    print("  stderr (\(result.standardError.count) bytes):")
    for line in result.standardErrorString.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        print("    \(line)")
    }
}

func run() async throws {
    // A private lxcpath under /tmp: nothing touches /var/lib/lxc, and it is removed at the end.
    let lxcpath = FileManager.default.temporaryDirectory
        .appendingPathComponent("swift-lxc-capture-output-\(getpid())").path
    try FileManager.default.createDirectory(atPath: lxcpath, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: lxcpath) }

    let container = try Container(name: "capture", lxcpath: lxcpath)
    print("==> create \(container) from the busybox template")
    try await container.create(template: "busybox", options: .quiet)
    // Runs last-in first-out: stop and destroy the container even when a step below throws.
    defer {
        if container.state != .stopped { try? container.stop() }
        if container.isDefined { try? container.destroy() }
    }
    // No network device (the default configuration asks for a bridge that may not exist),
    // no AppArmor profile.
    try container.setConfigItem("lxc.net.0.type", to: "empty")
    try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
    try await container.saveConfig()

    print("==> start")
    try await container.start()

    try await show(["uname", "-a"], in: container)
    try await show(["ls", "/"], in: container)
    // A program that fails is not an error: its exit status says so, its stderr says why.
    try await show(["ls", "/no-such-directory"], in: container)
    // A program that does not exist inside is an error that names it.
    do {
        _ = try await container.output(of: ["no-such-program"])
    } catch let error as LXCError {
        print("$ no-such-program")
        print("  thrown: \(error.kind): \(error.message)")
    }

    print("==> stop and destroy")
    try await container.stop()
    try await container.destroy()
    print("done")
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("capture-output: \(error)\n".utf8))
    exit(1)
}
