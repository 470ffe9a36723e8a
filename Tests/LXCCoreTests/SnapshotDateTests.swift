import LXCCore
import Testing
import Foundation

@Suite("Snapshot dates")
struct SnapshotDateTests {
    @Test func liblxcTimestampIsTakenApart() throws {
        let date = try #require(SnapshotDate(liblxcTimestamp: "2026:11:23 09:05:07"))
        #expect(date.year == 2026)
        #expect(date.month == 11)
        #expect(date.day == 23)
        #expect(date.hour == 9)
        #expect(date.minute == 5)
        #expect(date.second == 7)
        #expect(date.description == "2026:11:23 09:05:07")
    }

    @Test func secondsSinceEpochReadTheFieldsAsLocalTime() throws {
        let date = try #require(SnapshotDate(liblxcTimestamp: "2024:02:29 23:59:58"))
        var components = DateComponents()
        (components.year, components.month, components.day) = (2024, 2, 29)
        (components.hour, components.minute, components.second) = (23, 59, 58)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let expected = try #require(calendar.date(from: components))
        #expect(date.secondsSinceEpoch == Int64(expected.timeIntervalSince1970))
    }

    @Test func surroundingWhiteSpaceIsIgnored() {
        #expect(SnapshotDate(liblxcTimestamp: "2026:01:02 03:04:05\n")?.description == "2026:01:02 03:04:05")
        #expect(SnapshotDate(liblxcTimestamp: "  2026:01:02 03:04:05 ")?.second == 5)
    }

    @Test(arguments: [
        "", "2026-11-23 09:05:07", "2026:11:23T09:05:07", "2026:11:23 09:05", "2026:11:23 09:05:07:01",
        "2026:13:01 00:00:00", "2026:00:01 00:00:00", "2026:02:29 00:00:00", "2100:02:29 00:00:00",
        "2026:04:31 00:00:00", "2026:01:01 24:00:00", "2026:01:01 00:60:00", "2026:01:01 00:00:61",
        "2026:1:01 00:00:00", "+026:01:01 00:00:00", "２026:01:01 00:00:00",
    ])
    func malformedTimestampsAreRejected(text: String) {
        #expect(SnapshotDate(liblxcTimestamp: text) == nil)
    }

    @Test func leapDaysAndLeapSecondsAreAccepted() {
        #expect(SnapshotDate(liblxcTimestamp: "2000:02:29 12:00:00") != nil)
        #expect(SnapshotDate(liblxcTimestamp: "2024:02:29 12:00:00") != nil)
        #expect(SnapshotDate(liblxcTimestamp: "2016:12:31 23:59:60") != nil)
    }

    @Test func datesOrderByTheirFields() throws {
        let earlier = try #require(SnapshotDate(liblxcTimestamp: "2026:11:23 09:05:07"))
        let later = try #require(SnapshotDate(liblxcTimestamp: "2026:11:23 10:00:00"))
        #expect(earlier < later)
        #expect(!(later < earlier))
    }
}
