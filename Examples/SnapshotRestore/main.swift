// Snapshots: write a file in a container, snapshot the container, change the file, then
// restore the snapshot as a new container and read the old file back from it.
//
//     swift run snapshot-restore          (as root, after scripts/bootstrap.sh)

import Foundation
import LXC

/// Starts the container, runs a shell command in it, prints what it printed, stops it.
func inside(_ container: Container, _ script: String) async throws {
    try await container.start()
    let result = try await container.output(of: ["sh", "-c", script])
    print("    [\(container.name)] $ \(script)")
    if !result.standardOutput.isEmpty { print("    \(result.standardOutputString)", terminator: "") }
    if !result.status.isSuccess {
        throw LXCError(operation: "example", container: container.name,
                       message: "\(script) \(result.status): \(result.standardErrorString)")
    }
    try await container.stop()
}

func configure(_ container: Container) throws {
    try container.setConfigItem("lxc.net.0.type", to: "empty")
    try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
    try container.saveConfig()
}

func run() async throws {
    let lxcpath = FileManager.default.temporaryDirectory
        .appendingPathComponent("swift-lxc-snapshot-restore-\(getpid())").path
    try FileManager.default.createDirectory(atPath: lxcpath, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: lxcpath) }

    let container = try Container(name: "notes", lxcpath: lxcpath)
    print("==> create \(container) from the busybox template")
    try await container.create(template: "busybox", options: .quiet)
    defer {
        if container.state != .stopped { try? container.stop() }
        // The container has a snapshot: liblxc destroys it only together with its snapshots.
        if container.isDefined { try? container.destroy(includingSnapshots: true) }
    }
    try configure(container)

    print("==> write version 1 of /root/notes.txt")
    try await inside(container, "mkdir -p /root && echo 'version 1' > /root/notes.txt && cat /root/notes.txt")

    // liblxc snapshots only stopped containers; a directory-backed container's snapshot is a copy.
    print("==> snapshot")
    let snapshot = try await container.snapshot(comment: "notes at version 1")
    for listed in try await container.snapshots() {
        print("    \(listed)")
    }

    print("==> change the file to version 2")
    try await inside(container, "echo 'version 2' > /root/notes.txt && cat /root/notes.txt")

    // The snapshot becomes a new container; the original and its snapshot are not changed.
    print("==> restore \(snapshot) as a new container, notes-v1")
    let restored = try await container.restoreSnapshot(snapshot, as: "notes-v1")
    defer {
        if restored.state != .stopped { try? restored.stop() }
        if restored.isDefined { try? restored.destroy() }
    }
    print("==> the file in each container")
    try await inside(restored, "cat /root/notes.txt")
    try await inside(container, "cat /root/notes.txt")

    print("==> destroy both")
    try await restored.destroy()
    try await container.destroy(includingSnapshots: true)
    print("done")
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("snapshot-restore: \(error)\n".utf8))
    exit(1)
}
