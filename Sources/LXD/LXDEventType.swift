/// A kind of event on LXD's event feed (`GET /1.0/events?type=…`).
public struct LXDEventType: Hashable, Sendable, CustomStringConvertible {
    /// LXD's name of the kind (`lifecycle`, `operation`, `logging`).
    public let rawValue: String

    /// The kind named `rawValue` as LXD names it.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Instances, images, snapshots, … made, started, stopped, deleted (`instance-started`, …).
    public static let lifecycle = LXDEventType(rawValue: "lifecycle")
    /// Background operations created, updated, ended.
    public static let operation = LXDEventType(rawValue: "operation")
    /// The daemon's log messages.
    public static let logging = LXDEventType(rawValue: "logging")

    /// LXD's name of the kind, as in `lifecycle`.
    public var description: String { rawValue }
}
