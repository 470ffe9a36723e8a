/// How ``LXDInstance/create(from:options:)`` makes an instance: its profiles, its own
/// configuration, whether it is ephemeral, and the cluster member it is placed on.
///
/// ```swift
/// try await lxd.instance("worker").create(
///     from: .image("busybox"),
///     options: LXDCreateOptions(config: ["limits.memory": "256MiB"], target: "n2"))
/// ```
public struct LXDCreateOptions: Sendable, Hashable {
    /// The profiles applied to the instance, in order; nil gives it the daemon's `default`
    /// profile (as LXD does when none are named), an empty list none at all (then the
    /// instance has no root disk unless a profile or device gives one).
    public var profiles: [String]?
    /// The instance's own configuration keys (LXD's names: `limits.memory`, `user.*`, …).
    public var config: [String: String]
    /// Whether LXD deletes the instance when it stops.
    public var ephemeral: Bool
    /// The cluster member the instance is made on; nil lets the cluster choose (the member
    /// with the fewest instances). A standalone daemon has no members: leave it nil there
    /// (LXD refuses a target with `Target only allowed when clustered`).
    public var target: String?

    /// Options with every value given; the defaults are those of ``LXDInstance/create(from:)``.
    public init(profiles: [String]? = nil, config: [String: String] = [:], ephemeral: Bool = false,
                target: String? = nil) {
        self.profiles = profiles
        self.config = config
        self.ephemeral = ephemeral
        self.target = target
    }
}
