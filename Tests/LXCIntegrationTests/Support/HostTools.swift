import Foundation
import LXC
import Testing

/// Host-side helpers for the resource, network, device and console tests: running host
/// commands, and looking into a running container from the host (its init's /proc entries),
/// since these tests do not use the attach API.
enum HostTools {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs a host command with standard output and error captured together.
    @discardableResult
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs a host command and fails the test when it fails.
    static func require(_ arguments: [String]) throws {
        let result = try run(arguments)
        if result.status != 0 {
            throw HostCommandFailed(command: arguments, status: result.status, output: result.output)
        }
    }

    /// A network device name of at most 15 bytes that no other test uses.
    static func uniqueLinkName(_ stem: String) -> String {
        stem + String(UInt32.random(in: 0...0xFFFFF), radix: 16)
    }

    /// Whether the host has a network device called `name`.
    static func hostHasLink(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: "/sys/class/net/\(name)")
    }

    /// The cgroup directory of `pid` in the v1 hierarchy of `controller`.
    static func v1Cgroup(of pid: pid_t, controller: String) -> String? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[1].split(separator: ",").contains(Substring(controller)) else { continue }
            return "/sys/fs/cgroup/\(fields[1])\(fields[2])"
        }
        return nil
    }

    /// Polls `condition` every 100 ms for up to `seconds`; returns whether it became true.
    static func eventually(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    /// Removes the busybox template's `udhcpc` line from the container's `rcS`: it would
    /// wipe static addresses.
    static func removeDHCPClient(from container: Container, in sandbox: Sandbox) throws {
        let path = "\(sandbox.lxcpath)/\(container.name)/rootfs/etc/init.d/rcS"
        let script = try String(contentsOfFile: path, encoding: .utf8)
        let kept = script.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("udhcpc") }
        try kept.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

struct HostCommandFailed: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var output: String
    var description: String { "\(command.joined(separator: " ")) exited with \(status): \(output)" }
}
