import Glibc

extension SnapshotDate {
    /// A date in RFC 3339's form (`2026-12-07T14:21:58.291336967Z`, as LXD writes its
    /// `created_at`), kept in UTC; fractions of a second are dropped. Nil when `text` is not
    /// such a date.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20,
              let parsed = SnapshotDate.fields(in: bytes, dateSeparator: UInt8(ascii: "-"),
                                               middle: [UInt8(ascii: "T"), UInt8(ascii: "t")])
        else { return nil }
        var (year, month, day, hour, minute, second) = parsed
        func field(_ start: Int, _ length: Int) -> Int { SnapshotDate.number(in: bytes, at: start, length: length) }
        // The fraction, then the zone: Z or ±HH:MM.
        var index = 19
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  bytes[(index + 1)...].enumerated().allSatisfy({ $0.offset == 2 || ($0.element >= 48 && $0.element <= 57) })
            else { return nil }
            offsetSeconds = (field(index + 1, 2) * 60 + field(index + 4, 2)) * 60
            if bytes[index] == UInt8(ascii: "-") { offsetSeconds = -offsetSeconds }
        default:
            return nil
        }
        var fields = SnapshotDate.brokenDownTime(year, month, day, hour, minute, second)
        let utc = Int64(timegm(&fields)) - Int64(offsetSeconds)
        if offsetSeconds != 0 {
            // Kept in UTC.
            var time = time_t(utc)
            var broken = tm()
            guard gmtime_r(&time, &broken) != nil else { return nil }
            year = Int(broken.tm_year) + 1900
            month = Int(broken.tm_mon) + 1
            day = Int(broken.tm_mday)
            hour = Int(broken.tm_hour)
            minute = Int(broken.tm_min)
            second = Int(broken.tm_sec)
        }
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.secondsSinceEpoch = utc
    }
}
