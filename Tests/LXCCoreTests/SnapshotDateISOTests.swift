import LXCCore
import Testing

@Suite("Snapshot dates in ISO 8601, and CPU quotas")
struct SnapshotDateISOTests {
    /// 2026-12-07 09:08:44 UTC.
    static let utcSeconds: Int64 = 1_796_634_524

    func date(secondsSinceEpoch: Int64?) throws -> SnapshotDate {
        var date = try #require(SnapshotDate(liblxcTimestamp: "2026:12:07 09:08:44"))
        date.secondsSinceEpoch = secondsSinceEpoch
        return date
    }

    @Test func theOffsetComesFromTheInstantTheFieldsStandFor() throws {
        #expect(try date(secondsSinceEpoch: Self.utcSeconds).iso8601 == "2026-12-07T09:08:44Z")
        #expect(try date(secondsSinceEpoch: Self.utcSeconds - 3600).iso8601 == "2026-12-07T09:08:44+01:00")
        #expect(try date(secondsSinceEpoch: Self.utcSeconds + 5 * 3600 + 1800).iso8601 == "2026-12-07T09:08:44-05:30")
        #expect(try date(secondsSinceEpoch: nil).iso8601 == "2026-12-07T09:08:44")
    }

    @Test func aDateReadInThisProcessesZoneHasAnOffset() throws {
        let date = try #require(SnapshotDate(liblxcTimestamp: "2024:02:29 23:59:58"))
        let text = date.iso8601
        #expect(text.hasPrefix("2024-02-29T23:59:58"))
        #expect(text.count == 20 || text.count == 25, "Z or ±hh:mm: \(text)")
    }

    @Test func cpuQuotasAreFractionsOfCPUs() {
        #expect(CPUQuota.cpus(1.5).quota == .microseconds(150_000))
        #expect(CPUQuota.cpus(1.5).period == .milliseconds(100))
        #expect(CPUQuota.cpus(0.5, period: .milliseconds(20)).quota == .microseconds(10_000))
        #expect(CPUQuota.cpus(2).cpus == 2)
        #expect(CPUQuota.unlimited.cpus == nil)
        #expect(CPUQuota.cpus(1.5).description == "1.5 CPUs (150000 µs per 100000 µs)")
        #expect(CPUQuota.cpus(1).description == "1 CPU (100000 µs per 100000 µs)")
        #expect(CPUQuota.unlimited.description == "unlimited")
        #expect(CPUQuota.cpus(-1).quota == .zero)
    }
}

@Suite("Resource limits in words")
struct ResourceLimitsDescriptionTests {
    @Test func limitsReadAsWords() {
        #expect(ResourceLimits().description == "no limits")
        #expect(ResourceLimits(memory: .limited(.mebibytes(64)), cpuQuota: .cpus(1.5), processes: .unlimited).description
                    == "memory 64 MiB, CPU quota 1.5 CPUs (150000 µs per 100000 µs), processes unlimited")
        #expect(ResourceLimits(cpuWeight: .weight(100)).description == "CPU weight 100 (1024 shares)")
    }
}
