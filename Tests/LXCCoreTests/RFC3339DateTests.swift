import LXCCore
import Testing

@Suite("Snapshot dates in RFC 3339's form (LXD's created_at)")
struct RFC3339DateTests {
    @Test func lxdsTimestampIsTakenApartInUTC() throws {
        let date = try #require(SnapshotDate(rfc3339: "2026-12-07T14:21:58.291336967Z"))
        #expect([date.year, date.month, date.day, date.hour, date.minute, date.second] == [2026, 12, 7, 14, 21, 58])
        #expect(date.secondsSinceEpoch == 1_796_653_318)
        #expect(date.description == "2026:12:07 14:21:58")
    }

    @Test func anOffsetIsConvertedToUTC() throws {
        let date = try #require(SnapshotDate(rfc3339: "2026-01-01T01:30:00+02:00"))
        #expect([date.year, date.month, date.day, date.hour, date.minute] == [2025, 12, 31, 23, 30])
        #expect(date.secondsSinceEpoch == SnapshotDate(rfc3339: "2025-12-31T23:30:00Z")?.secondsSinceEpoch)
    }

    @Test(arguments: ["", "2026-12-07 14:21:58Z", "2026-13-07T14:21:58Z", "2026-02-30T00:00:00Z",
                      "2026-12-07T14:21:58", "2026-12-07T14:21:58.12", "2026-12-07T14:21:58+0200",
                      "2026-12-07T14:21:58Zjunk"])
    func malformedTextIsNotADate(_ text: String) {
        #expect(SnapshotDate(rfc3339: text) == nil)
    }
}
