import FoundationEssentials
import LXCCore
import NIOHTTP1

/// The writable part of an instance as read at one moment, with the ETag LXD gave it, so
/// that writing it back fails when someone changed the instance in between.
///
/// ```swift
/// var configuration = try await web.configuration()
/// configuration.config["limits.cpu"] = "2"
/// try await web.update(configuration)   // fails with .wrongState if web changed meanwhile
/// ```
public struct LXDInstanceConfiguration: Sendable, Hashable {
    /// The instance's own configuration keys (not those of its profiles).
    public var config: [String: String]
    /// The instance's own devices, each a dictionary of its settings.
    public var devices: [String: [String: String]]
    /// The profiles applied to the instance, in order.
    public var profiles: [String]
    /// Whether the instance is deleted when it stops.
    public var ephemeral: Bool
    /// The instance's description.
    public var description: String
    /// The instance's architecture (`x86_64`, …).
    public var architecture: String
    /// The ETag of the instance when this was read; ``LXDInstance/update(_:)`` sends it as
    /// `If-Match`.
    public var etag: String?
}
