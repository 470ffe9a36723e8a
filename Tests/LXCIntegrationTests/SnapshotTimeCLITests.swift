import Foundation
import LXC
import Testing

@Suite("lxcctl prints snapshot times in ISO 8601", .integration, .timeLimit(.minutes(3)))
struct SnapshotTimeCLITests {
    @Test func snapshotListGivesISO8601Times() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            _ = try await container.snapshot()
            let snapshot = try #require(try await container.snapshots().first)
            let date = try #require(snapshot.date)

            let listed = try await LXCCtlRunner.result(of: ["--lxcpath", sandbox.lxcpath, "snapshot", "list",
                                                            container.name, "--format", "json"])
            #expect(listed.status == 0, "\(listed.standardError)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
            let timestamp = try #require(rows.first?["timestamp"] as? String)
            #expect(timestamp == date.iso8601)
            // "2026-12-07T09:08:44Z" or with "+01:00": what ISO8601DateFormatter reads, at the
            // instant the library computed.
            let parsed = try #require(ISO8601DateFormatter().date(from: timestamp), "\(timestamp)")
            #expect(Int64(parsed.timeIntervalSince1970) == date.secondsSinceEpoch)
            #expect(abs(parsed.timeIntervalSinceNow) < 3600, "the snapshot was taken just now")
        }
    }
}
