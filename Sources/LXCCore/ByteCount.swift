/// A number of bytes.
///
/// ```swift
/// try container.setMemoryLimit(.limited(.mebibytes(256)))
/// print(try container.memoryUsage())        // "12.3 MiB"
/// ```
public struct ByteCount: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The count.
    public var bytes: UInt64

    /// `bytes` bytes.
    public init(_ bytes: UInt64) { self.bytes = bytes }

    /// A byte count written as a number: `let limit: ByteCount = 4096`.
    public init(integerLiteral value: UInt64) { self.bytes = value }

    /// `count` bytes.
    public static func bytes(_ count: UInt64) -> ByteCount { ByteCount(count) }
    /// `count` KiB (1024 bytes each).
    public static func kibibytes(_ count: UInt64) -> ByteCount { ByteCount(count << 10) }
    /// `count` MiB (1024 KiB each).
    public static func mebibytes(_ count: UInt64) -> ByteCount { ByteCount(count << 20) }
    /// `count` GiB (1024 MiB each).
    public static func gibibytes(_ count: UInt64) -> ByteCount { ByteCount(count << 30) }

    /// Orders byte counts by their number of bytes.
    public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool { lhs.bytes < rhs.bytes }

    /// The count in the largest binary unit that keeps it at least 1 ("880 KiB", "1.5 GiB").
    public var description: String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var unit = 0
        var scaled = Double(bytes)
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        let tenths = Int((scaled * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10) \(units[unit])" : "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
