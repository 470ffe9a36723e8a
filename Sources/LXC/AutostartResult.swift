/// What an automatic start or stop did with one container.
public struct AutostartResult: Sendable, Hashable {
    /// The container's name.
    public var name: String
    /// Its autostart settings, as read when the sequence was planned.
    public var settings: AutostartSettings
    /// Whether the action was taken: false for a container already in the wanted state.
    public var acted: Bool
    /// Why the action failed, when it did; the sequence goes on with the next container, as
    /// `lxc-autostart` does.
    public var error: LXCError?

    /// A result with the given values.
    public init(name: String, settings: AutostartSettings, acted: Bool, error: LXCError? = nil) {
        self.name = name
        self.settings = settings
        self.acted = acted
        self.error = error
    }
}
