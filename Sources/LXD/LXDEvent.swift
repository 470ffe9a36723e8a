/// One event of LXD's event feed, as ``LXDClient/events(_:)`` delivers it.
///
/// ```swift
/// for try await event in try await lxd.events([.lifecycle]) {
///     print(event.timestamp, event.action ?? "", event.source ?? "")  // … instance-started /1.0/instances/web
/// }
/// ```
public struct LXDEvent: Sendable, Hashable {
    /// The kind of event.
    public var type: LXDEventType
    /// When it happened, as LXD writes it (RFC 3339 with nanoseconds, `2026-12-07T14:21:58.291336967Z`).
    public var timestamp: String
    /// The cluster member it happened on (`none` on a standalone daemon, as LXD says).
    public var location: String?
    /// The project it belongs to, when LXD names one.
    public var project: String?
    /// For a lifecycle event, what happened: `instance-created`, `instance-started`,
    /// `instance-stopped`, `instance-deleted`, `instance-snapshot-created`, …
    public var action: String?
    /// For a lifecycle event, the API path of what it happened to: `/1.0/instances/NAME`.
    public var source: String?
    /// For a logging event, the message.
    public var message: String?
}

/// An event as it comes off the websocket.
struct EventBody: Decodable {
    struct Metadata: Decodable {
        var action: String?
        var source: String?
        var message: String?
    }
    var type: String
    var timestamp: String?
    var location: String?
    var project: String?
    var metadata: Metadata?

    var event: LXDEvent {
        LXDEvent(type: LXDEventType(rawValue: type), timestamp: timestamp ?? "", location: location,
                 project: project.flatMap { $0.isEmpty ? nil : $0 }, action: metadata?.action,
                 source: metadata?.source, message: metadata?.message)
    }
}
