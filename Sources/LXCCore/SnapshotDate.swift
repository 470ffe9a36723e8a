import Glibc

/// The creation time of a snapshot, taken from liblxc's timestamp text.
///
/// liblxc writes the time with `strftime("%Y:%m:%d %H:%M:%S")` from `localtime_r`: the
/// host's local wall-clock time, with no time zone. The calendar fields here are exactly
/// that text. ``secondsSinceEpoch`` reads them in this process's local time zone (the `TZ`
/// environment variable, else `/etc/localtime`) with `mktime`, which is right when the
/// snapshot was made on a host with the same zone; around a change from summer time the
/// hour that repeats is ambiguous.
public struct SnapshotDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, e.g. 2026.
    public var year: Int
    /// The month, 1 to 12.
    public var month: Int
    /// The day of the month, 1 to 31.
    public var day: Int
    /// The hour, 0 to 23.
    public var hour: Int
    /// The minute, 0 to 59.
    public var minute: Int
    /// The second, 0 to 60 (60 for a leap second).
    public var second: Int
    /// Seconds since 1970-01-01 00:00:00 UTC, reading the fields as local time (see the
    /// type's discussion); nil when `mktime` cannot represent the time.
    public var secondsSinceEpoch: Int64?

    /// Parses liblxc's timestamp text, `"YYYY:MM:DD HH:MM:SS"`; nil for anything else
    /// (white space around it is ignored).
    public init?(liblxcTimestamp text: String) {
        let bytes = Array(text.trimmingBlanks().utf8)
        guard bytes.count == 19,
              let (year, month, day, hour, minute, second) = SnapshotDate.fields(
                  in: bytes, dateSeparator: UInt8(ascii: ":"), middle: [UInt8(ascii: " ")])
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.secondsSinceEpoch = SnapshotDate.localSecondsSinceEpoch(year, month, day, hour, minute, second)
    }

    /// The six fields of `YYYY-MM-DD?HH:MM:SS` in the first 19 bytes, with `dateSeparator`
    /// between the date's fields and one of `middle` between date and time, each field in its
    /// range (a leap second allowed); nil otherwise.
    package static func fields(in bytes: [UInt8], dateSeparator: UInt8, middle: Set<UInt8>)
        -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)? {
        guard bytes.count >= 19 else { return nil }
        for index in 0..<19 {
            let byte = bytes[index]
            switch index {
            case 4, 7: if byte != dateSeparator { return nil }
            case 10: if !middle.contains(byte) { return nil }
            case 13, 16: if byte != UInt8(ascii: ":") { return nil }
            default: if byte < UInt8(ascii: "0") || byte > UInt8(ascii: "9") { return nil }
            }
        }
        let year = number(in: bytes, at: 0, length: 4), month = number(in: bytes, at: 5, length: 2)
        let day = number(in: bytes, at: 8, length: 2), hour = number(in: bytes, at: 11, length: 2)
        let minute = number(in: bytes, at: 14, length: 2), second = number(in: bytes, at: 17, length: 2)
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return (year, month, day, hour, minute, second)
    }

    /// The decimal number of `length` ASCII digits at `start` (checked by the caller).
    package static func number(in bytes: [UInt8], at start: Int, length: Int) -> Int {
        bytes[start..<start + length].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// The days in a month of the Gregorian calendar.
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The fields as C's broken-down time (`struct tm`), for `mktime` and `timegm`.
    package static func brokenDownTime(_ year: Int, _ month: Int, _ day: Int,
                                       _ hour: Int, _ minute: Int, _ second: Int) -> tm {
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        return fields
    }

    package static func localSecondsSinceEpoch(_ year: Int, _ month: Int, _ day: Int,
                                       _ hour: Int, _ minute: Int, _ second: Int) -> Int64? {
        var fields = brokenDownTime(year, month, day, hour, minute, second)
        fields.tm_isdst = -1
        errno = 0
        let seconds = mktime(&fields)
        if seconds == -1 && errno != 0 { return nil }
        return Int64(seconds)
    }

    /// The liblxc text, `"YYYY:MM:DD HH:MM:SS"`.
    public var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var year = String(self.year)
        while year.count < 4 { year = "0" + year }
        return "\(year):\(two(month)):\(two(day)) \(two(hour)):\(two(minute)):\(two(second))"
    }

    /// The time in ISO 8601 form, `"2026-12-07T09:08:44+01:00"`: the calendar fields with
    /// the offset from UTC that ``secondsSinceEpoch`` implies (`Z` for UTC); without an
    /// offset, as local time, when `mktime` could not place the fields.
    public var iso8601: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var year = String(self.year)
        while year.count < 4 { year = "0" + year }
        let local = "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))"
        guard let seconds = secondsSinceEpoch else { return local }
        // The fields read as UTC, minus the instant they stand for, is the zone's offset.
        let asUTC = SnapshotDate.daysSinceEpoch(year: self.year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
        let offset = asUTC - seconds
        guard abs(offset) < 86_400 else { return local }
        if offset == 0 { return local + "Z" }
        let minutes = Int(abs(offset) / 60)
        return local + (offset < 0 ? "-" : "+") + two(minutes / 60) + ":" + two(minutes % 60)
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
    /// `days_from_civil`).
    package static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Orders by the calendar fields.
    public static func < (lhs: SnapshotDate, rhs: SnapshotDate) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute, lhs.second)
            < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute, rhs.second)
    }
}
