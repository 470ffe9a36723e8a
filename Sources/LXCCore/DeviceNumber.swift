/// A block device number (`major:minor`).
public struct DeviceNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The device's major number (its driver).
    public var major: UInt32
    /// The device's minor number (which device of that driver).
    public var minor: UInt32

    /// A device number from its major and minor parts.
    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    package init?(_ text: Substring) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]) else { return nil }
        self.init(major: major, minor: minor)
    }

    /// Orders device numbers by major, then minor number.
    public static func < (lhs: DeviceNumber, rhs: DeviceNumber) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// `major:minor`.
    public var description: String { "\(major):\(minor)" }
}
