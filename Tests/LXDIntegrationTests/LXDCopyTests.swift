import ContainerProtocolChecks
import Foundation
import LXCCore
import LXD
import Testing

@Suite("Renames, copies and runtime state of LXD instances", .lxd, .lxdDaemon, .serialized, .timeLimit(.minutes(5)))
struct LXDCopyTests {
    @Test func aRenameKeepsTheFilesAndTheOldNameIsGone() async throws {
        let daemon = try LXDDaemon.required()
        let renamed = daemon.client.instance(LXDDaemon.uniqueName("renamed"))
        try await daemon.removing([renamed]) {
            try await daemon.withInstance("rename", started: true) { instance in
                try await instance.write(marker("before the rename"), to: "/root/marker", mode: 0o644, owner: .root)

                let running = await #expect(throws: LXCError.self) { try await instance.rename(to: renamed.name) }
                #expect(running?.kind == .wrongState)
                #expect(running?.message.contains("running") == true)
                #expect(try await !renamed.isDefined)

                try await instance.stop()
                _ = try await instance.snapshot(comment: nil)
                let result = try await instance.rename(to: renamed.name)
                #expect(result.name == renamed.name)
                #expect(try await !instance.isDefined)
                #expect(try await renamed.isDefined)
                #expect(try await !daemon.client.instanceNames().contains(instance.name))
                #expect(try await renamed.contents(of: "/root/marker") == marker("before the rename"))
                #expect(try await renamed.snapshots().map(\.name) == ["snap0"])

                // A name that is taken is refused with LXD's words.
                try await daemon.withInstance("taken", started: false) { (taken: LXDInstance) async throws in
                    let clash = await #expect(throws: LXCError.self) { try await renamed.rename(to: taken.name) }
                    #expect(clash?.kind == .alreadyExists)
                    #expect(try await renamed.isDefined)
                }
                let missing = await #expect(throws: LXCError.self) { try await instance.rename(to: LXDDaemon.uniqueName("x")) }
                #expect(missing?.kind == .notFound)
            }
        }
    }

    @Test func aCopyHasTheFilesAndSnapshotsAndIsIndependent() async throws {
        let daemon = try LXDDaemon.required()
        let withSnapshots = daemon.client.instance(LXDDaemon.uniqueName("copy"))
        let withoutSnapshots = daemon.client.instance(LXDDaemon.uniqueName("copy-bare"))
        try await daemon.removing([withSnapshots, withoutSnapshots]) {
            try await daemon.withInstance("original", started: true) { original in
                try await original.write(marker("original"), to: "/root/marker", mode: 0o644, owner: .root)
                try await original.setConfigItem("user.note", to: "copied")
                _ = try await original.snapshot(comment: "kept")

                // The original runs: LXD copies its files as they are (a non-live copy).
                try await original.copy(to: withSnapshots.name)
                try await original.copy(to: withoutSnapshots.name, includingSnapshots: false)
                #expect(try await original.state == .running)

                for copy in [withSnapshots, withoutSnapshots] {
                    #expect(try await copy.state == .stopped)
                    #expect(try await copy.contents(of: "/root/marker") == marker("original"))
                    #expect(try await copy.configItem("user.note") == "copied")
                    // The original's identity is not copied.
                    #expect(try await copy.configItem("volatile.uuid") != original.configItem("volatile.uuid"))
                }
                #expect(try await withSnapshots.snapshots().map(\.name) == ["snap0"])
                #expect(try await withSnapshots.snapshots().map(\.comment) == ["kept"])
                #expect(try await withoutSnapshots.snapshots().isEmpty)

                // Independent: a change in one is not in the other.
                try await withSnapshots.write(marker("changed in the copy"), to: "/root/marker", mode: 0o644, owner: .root)
                try await original.write(marker("changed in the original"), to: "/root/marker", mode: 0o644, owner: .root)
                #expect(try await original.contents(of: "/root/marker") == marker("changed in the original"))
                #expect(try await withSnapshots.contents(of: "/root/marker") == marker("changed in the copy"))
                #expect(try await withoutSnapshots.contents(of: "/root/marker") == marker("original"))

                // The copy runs on its own.
                try await withSnapshots.start()
                #expect(try await withSnapshots.output(of: ["cat", "/root/marker"]).standardOutputString
                        == "changed in the copy\n")
                #expect(try await withSnapshots.output(of: ["hostname"]).standardOutputString == withSnapshots.name + "\n")

                // A copy onto a name that exists is refused and leaves that instance alone.
                let clash = await #expect(throws: LXCError.self) { try await original.copy(to: withoutSnapshots.name) }
                #expect(clash?.kind == .alreadyExists)
                #expect(clash?.message.contains("already exists") == true)
                #expect(try await withoutSnapshots.contents(of: "/root/marker") == marker("original"))

                let missing = daemon.client.instance(LXDDaemon.uniqueName("missing"))
                let notFound = await #expect(throws: LXCError.self) { try await missing.copy(to: LXDDaemon.uniqueName("x")) }
                #expect(notFound?.kind == .notFound)
            }
        }
    }

    @Test func aSnapshotCopyHasTheSnapshotsContentNotLaterChanges() async throws {
        let daemon = try LXDDaemon.required()
        let fromSnapshot = daemon.client.instance(LXDDaemon.uniqueName("from-snap"))
        try await daemon.removing([fromSnapshot]) {
            try await daemon.withInstance("snapped", started: false) { instance in
                try await instance.write(marker("at the snapshot"), to: "/root/marker", mode: 0o644, owner: .root)
                try await instance.setConfigItem("user.note", to: "at the snapshot")
                let snapshot = try await instance.snapshot(comment: "for a copy")
                try await instance.write(marker("later"), to: "/root/marker", mode: 0o644, owner: .root)
                try await instance.setConfigItem("user.note", to: "later")

                let copy = try await instance.copy(snapshot: snapshot, to: fromSnapshot.name)
                #expect(copy.name == fromSnapshot.name)
                #expect(try await fromSnapshot.contents(of: "/root/marker") == marker("at the snapshot"))
                #expect(try await fromSnapshot.configItem("user.note") == "at the snapshot")
                #expect(try await fromSnapshot.configItem("user.swift-lxc.comment") == nil)
                #expect(try await fromSnapshot.snapshots().isEmpty)
                #expect(try await instance.contents(of: "/root/marker") == marker("later"))
                try await fromSnapshot.start()
                #expect(try await fromSnapshot.state == .running)

                let missing = await #expect(throws: LXCError.self) {
                    try await instance.copy(snapshot: "no-such-snapshot", to: LXDDaemon.uniqueName("x"))
                }
                #expect(missing?.kind == .notFound)
            }
        }
    }

    @Test func theStateHasTheLoopbacksCountersAndAddresses() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("state", started: true) { instance in
            let before = try await instance.runtimeState()
            #expect(before.state == .running)
            #expect(before.pid != nil)
            #expect((before.processes ?? 0) >= 1)
            #expect((before.memoryUsage ?? 0) > ByteCount(0))
            #expect(before.cpuUsage.map { $0.total > .zero } == true)
            let loBefore = try #require(before.network["lo"])
            #expect(loBefore.type == "loopback")

            // The busybox image's init leaves lo down; inside the instance's own network
            // namespace it is brought up and pinged.
            #expect(try await instance.run(["ip", "link", "set", "lo", "up"]) == .exited(0))
            let ping = try await instance.output(of: ["ping", "-c", "3", "127.0.0.1"])
            #expect(ping.status == .exited(0))

            let after = try await instance.runtimeState()
            let lo = try #require(after.network["lo"])
            #expect(lo.isUp)
            // Three requests and three replies, each received once on lo.
            #expect(lo.statistics.receivedPackets >= loBefore.statistics.receivedPackets + 6)
            #expect(lo.statistics.transmittedPackets >= loBefore.statistics.transmittedPackets + 6)
            #expect(lo.statistics.receivedBytes > loBefore.statistics.receivedBytes)
            #expect(lo.statistics.interface == "lo")
            let ipv4 = lo.addresses.first { $0.address == "127.0.0.1" }
            #expect(ipv4?.family == .ipv4)
            #expect(ipv4?.prefixLength == 8)
            #expect(ipv4?.description == "127.0.0.1/8")
            #expect(lo.addresses.contains { $0.family == .ipv6 && $0.address == "::1" })

            try await instance.stop()
            let stopped = try await instance.runtimeState()
            #expect(stopped.state == .stopped)
            #expect(stopped.pid == nil)
            #expect(stopped.network.isEmpty)
            #expect(stopped.cpuUsage == nil)
        }
    }
}

/// A marker file's contents: the text and a newline.
func marker(_ text: String) -> [UInt8] {
    Array((text + "\n").utf8)
}

extension LXDDaemon {
    /// Runs `body`, then deletes `instances` (stopping them first), also when `body` throws.
    func removing(_ instances: [LXDInstance], _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            for instance in instances { await Self.remove(instance) }
            throw error
        }
        for instance in instances { await Self.remove(instance) }
    }
}
