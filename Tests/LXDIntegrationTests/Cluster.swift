import ContainerProtocolChecks
import Foundation
import LXCCore
import LXD
import Testing

/// A 3-member LXD cluster for one suite (`scripts/lxd.sh cluster-start`): members n1, n2 and
/// n3, each an LXD daemon in a mount and a network namespace of its own, joined through a
/// bridge in a further namespace, with the busybox image imported. The tests reach each
/// member over its unix socket (DIR/nX/unix.socket) from the host; the members forward to
/// one another inside the namespaces. Stopped (by PID), its namespaces and directory
/// removed, when the suite ends.
struct LXDCluster: Sendable {
    /// The cluster of the suite that is running.
    @TaskLocal static var current: LXDCluster?

    static let memberNames = ["n1", "n2", "n3"]

    let directory: String
    /// A client per member, over that member's unix socket.
    let members: [String: LXDClient]

    /// The client of member `name` (n1, n2 or n3).
    func client(for name: String) throws -> LXDClient {
        guard let client = members[name] else {
            throw LXDIntegration.Unavailable(reason: "the cluster has no member \(name)")
        }
        return client
    }

    static func start() throws -> LXDCluster {
        if let missing = LXDIntegration.missing { throw LXDIntegration.Unavailable(reason: missing) }
        let directory = "/tmp/swift-lxd-test-cluster-\(getpid())-\(UInt32.random(in: 0...0xFFFFFF))"
        do {
            try LXDIntegration.script(["cluster-start", directory])
        } catch {
            // What was made before the failure: daemons, namespaces, the directory.
            _ = try? LXDIntegration.script(["cluster-stop", directory])
            throw error
        }
        var members: [String: LXDClient] = [:]
        for name in memberNames {
            members[name] = LXDClient(socketPath: "\(directory)/\(name)/unix.socket")
        }
        return LXDCluster(directory: directory, members: members)
    }

    func stop() throws {
        try LXDIntegration.script(["cluster-stop", directory])
    }

    /// The suite's cluster, or a failure when the test does not run inside the cluster trait.
    static func required() throws -> LXDCluster {
        guard let current else { throw LXDIntegration.Unavailable(reason: "no cluster: the suite lacks the .lxdCluster trait") }
        return current
    }

    /// Runs `body` with an instance made through member `via` from the busybox image with
    /// `options` (started when `started`), and deletes the instance afterwards, also when
    /// `body` throws.
    func withInstance(_ stem: String, via member: String = "n1", options: LXDCreateOptions = LXDCreateOptions(),
                      started: Bool = true, _ body: (LXDInstance) async throws -> Void) async throws {
        let instance = try client(for: member).instance(LXDDaemon.uniqueName(stem))
        try await instance.create(from: .image("busybox"), options: options)
        do {
            if started { try await instance.start() }
            try await body(instance)
        } catch {
            await LXDDaemon.remove(instance)
            throw error
        }
        await LXDDaemon.remove(instance)
    }

    /// Runs LXD's own client against member `member` (`LXD_DIR=DIR/member lxc ARGUMENTS`),
    /// throwing its output when it fails.
    @discardableResult
    func lxc(_ member: String, _ arguments: [String]) throws -> String {
        let (status, output) = ScriptRunner.run(["/usr/bin/env", "LXD_DIR=\(directory)/\(member)", "/usr/bin/lxc"] + arguments)
        guard status == 0 else {
            throw LXDIntegration.ScriptFailed(arguments: ["lxc"] + arguments, status: status, output: output)
        }
        return output
    }
}

/// Starts the suite's own 3-member cluster once, before its first test, and stops it after
/// the last (also when a test fails).
struct LXDClusterTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try LXDCluster.start()
        do {
            try await LXDCluster.$current.withValue(cluster) { try await function() }
        } catch {
            try? cluster.stop()
            throw error
        }
        try cluster.stop()
    }
}

extension Trait where Self == LXDClusterTrait {
    /// The suite runs against a 3-member LXD cluster of its own (see ``LXDCluster``).
    static var lxdCluster: Self { LXDClusterTrait() }
}
