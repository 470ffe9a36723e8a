import Foundation
import LXC
import Testing

/// A start that fails leaves none of the container's cgroups behind.
@Suite("A failed start removes the cgroups it made", .integration, .timeLimit(.minutes(5)))
struct FailedStartCgroupTests {
    /// The `lxc.payload.<name>…` and `lxc.monitor.<name>…` cgroups of `name`, in every
    /// hierarchy, still there after giving liblxc's monitors a few seconds to remove them.
    static func leftCgroups(of name: String) -> [String] {
        Cgroups.eventuallyGone(named: "lxc.payload.\(name)") + Cgroups.eventuallyGone(named: "lxc.monitor.\(name)")
    }

    @Test func concurrentFailedStartsOfSeveralKindsLeaveNoCgroups() async throws {
        try await Sandbox.with { sandbox in
            // Two containers per way to fail, made one after another.
            let kinds = ["missing rootfs", "missing init", "failing start-host hook", "mount of a missing directory"]
            var containers: [(kind: String, container: Container)] = []
            for kind in kinds + kinds {
                let container = try await sandbox.busybox()
                switch kind {
                case "missing rootfs":
                    try container.setConfigItem("lxc.rootfs.path", to: "dir:\(sandbox.lxcpath)/no-such-rootfs")
                case "missing init":
                    try container.setConfigItem("lxc.init.cmd", to: "/no-such-init")
                case "failing start-host hook":
                    try container.setConfigItem("lxc.hook.start-host", to: "/bin/false")
                default:
                    try container.setConfigItem("lxc.mount.entry", to: "\(sandbox.lxcpath)/no-such-directory mnt none bind 0 0")
                }
                try await container.saveConfig()
                containers.append((kind, container))
            }
            for (_, container) in containers {
                #expect(Self.leftCgroups(of: container.name).isEmpty)
            }

            let failures = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for (_, container) in containers {
                    group.addTask {
                        var failures = 0
                        for _ in 0..<3 {
                            do {
                                try await container.start()
                                try? await container.stop()
                            } catch is LXCError {
                                failures += 1
                            }
                        }
                        return (container.name, failures)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for (kind, container) in containers {
                #expect(failures[container.name] == 3, "\(kind): \(failures[container.name] ?? 0) of 3 starts failed")
                #expect(container.state == .stopped, "\(kind)")
                let left = Self.leftCgroups(of: container.name)
                #expect(left.isEmpty, "\(kind): \(left.count) cgroups left: \(left)")
            }
        }
    }

    /// Concurrent runs in running containers, stopped afterwards, leave no cgroups either.
    @Test func concurrentRunsLeaveNoCgroupsAfterStop() async throws {
        try await Sandbox.with { sandbox in
            var containers: [Container] = []
            for _ in 0..<3 { containers.append(try await sandbox.busybox()) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for container in containers {
                    group.addTask {
                        try await container.start()
                        try await withThrowingTaskGroup(of: Void.self) { runs in
                            for _ in 0..<4 {
                                runs.addTask {
                                    for _ in 0..<5 { _ = try await container.output(of: ["/bin/true"]) }
                                }
                            }
                            try await runs.waitForAll()
                        }
                        try await container.stop()
                    }
                }
                try await group.waitForAll()
            }
            for container in containers {
                let left = Self.leftCgroups(of: container.name)
                #expect(left.isEmpty, "\(left.count) cgroups left: \(left)")
            }
        }
    }
}
