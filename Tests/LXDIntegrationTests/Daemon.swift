import ContainerProtocolChecks
import Foundation
import LXCCore
import LXD
import Testing

/// Whether the LXD tests can run here, and why not.
///
/// They start a standalone LXD daemon of their own (`scripts/lxd.sh start` in a directory
/// under /tmp), which needs root and Debian's `lxd` (`bash scripts/lxd.sh install`). Without
/// LXD they are skipped with the reason, unless `LXC_REQUIRE_INTEGRATION=1` makes that a
/// failure. As an ordinary user they are always skipped, with the reason: LXD's daemon runs
/// as root, and an ordinary user reaches it only through membership of its group, which the
/// unprivileged test user is not given (the root run covers the backend).
enum LXDIntegration {
    static let required = ProcessInfo.processInfo.environment["LXC_REQUIRE_INTEGRATION"] == "1"

    static let notRoot: String? = geteuid() == 0 ? nil
        : "the LXD tests start their own LXD daemon, which runs as root; as an ordinary user they do not run"

    static let missing: String? = {
        if let notRoot { return notRoot }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/lxd")
            || !FileManager.default.isExecutableFile(atPath: "/usr/bin/lxc") {
            return "LXD is not installed (as root: bash scripts/lxd.sh install)"
        }
        return nil
    }()

    /// Runs when LXD can run here, or when it is required (except as an ordinary user).
    static var enabled: Bool { missing == nil || (required && notRoot == nil) }

    static var skipReason: Comment {
        Comment(rawValue: "skipped: \(missing ?? "")"
            + (notRoot == nil ? " (set LXC_REQUIRE_INTEGRATION=1 to make this a failure)" : ""))
    }

    /// The repository's root, found from this file's path.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Runs `bash scripts/lxd.sh ARGUMENTS` (see ``ScriptRunner``), throwing its output when
    /// it fails.
    @discardableResult
    static func script(_ arguments: [String]) throws -> String {
        let (status, output) = ScriptRunner.run(["/bin/bash", repositoryRoot + "/scripts/lxd.sh"] + arguments)
        guard status == 0 else { throw ScriptFailed(arguments: arguments, status: status, output: output) }
        return output
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        var arguments: [String]
        var status: Int32
        var output: String
        var description: String { "scripts/lxd.sh \(arguments.joined(separator: " ")) exited with \(status): \(output)" }
    }

    struct Unavailable: Error, CustomStringConvertible {
        var reason: String
        var description: String { "LXD tests required (LXC_REQUIRE_INTEGRATION=1) but cannot run: \(reason)" }
    }
}

/// A standalone LXD daemon for one suite: started in a directory of its own under /tmp with
/// the busybox image imported, stopped (by its PID) and removed when the suite ends.
struct LXDDaemon: Sendable {
    /// The daemon of the suite that is running.
    @TaskLocal static var current: LXDDaemon?

    let directory: String
    let client: LXDClient

    static func start() throws -> LXDDaemon {
        if let missing = LXDIntegration.missing { throw LXDIntegration.Unavailable(reason: missing) }
        let directory = "/tmp/swift-lxd-test-\(getpid())-\(UInt32.random(in: 0...0xFFFFFF))"
        do {
            try LXDIntegration.script(["start", directory])
            try LXDIntegration.script(["image", directory])
        } catch {
            _ = try? LXDIntegration.script(["stop", directory])
            throw error
        }
        return LXDDaemon(directory: directory, client: LXDClient(socketPath: directory + "/unix.socket"))
    }

    func stop() throws {
        try LXDIntegration.script(["stop", directory])
    }

    /// The suite's daemon, or a failure when the test does not run inside the daemon trait.
    static func required() throws -> LXDDaemon {
        guard let current else { throw LXDIntegration.Unavailable(reason: "no daemon: the suite lacks the .lxdDaemon trait") }
        return current
    }

    /// A fresh instance name.
    static func uniqueName(_ stem: String) -> String {
        "\(stem)-\(String(UInt32.random(in: 0...0xFFFFFF), radix: 16))"
    }

    /// Runs `body` with an instance made from the busybox image (started when `started`),
    /// and deletes the instance afterwards, also when `body` throws.
    func withInstance(_ stem: String, started: Bool = true,
                      _ body: (LXDInstance) async throws -> Void) async throws {
        let instance = client.instance(LXDDaemon.uniqueName(stem))
        try await instance.create(from: .image("busybox"))
        do {
            if started { try await instance.start() }
            try await body(instance)
        } catch {
            await Self.remove(instance)
            throw error
        }
        await Self.remove(instance)
    }

    static func remove(_ instance: LXDInstance) async {
        if (try? await instance.state) != .stopped { try? await instance.stop() }
        try? await instance.destroy(includingSnapshots: true)
    }
}

/// Starts the suite's own LXD daemon once, before its first test, and stops it after the last.
struct LXDDaemonTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let daemon = try LXDDaemon.start()
        do {
            try await LXDDaemon.$current.withValue(daemon) { try await function() }
        } catch {
            try? daemon.stop()
            throw error
        }
        try daemon.stop()
    }
}

extension Trait where Self == LXDDaemonTrait {
    /// The suite runs against a standalone LXD daemon of its own (see ``LXDDaemon``).
    static var lxdDaemon: Self { LXDDaemonTrait() }
}

extension Trait where Self == ConditionTrait {
    /// Enables a suite when LXD can run here (see ``LXDIntegration``).
    static var lxd: Self { .enabled(if: LXDIntegration.enabled, LXDIntegration.skipReason) }
}
