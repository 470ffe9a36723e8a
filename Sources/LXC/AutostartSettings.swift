/// How a container takes part in an automatic start: its `lxc.start.auto`, `lxc.start.order`,
/// `lxc.start.delay` and `lxc.group` configuration items.
///
/// liblxc itself only stores these items; `lxc-autostart` (and ``Container/autostart(groups:includingDisabled:in:)``)
/// act on them: containers with `lxc.start.auto = 1` are started group by group, in ascending
/// `lxc.start.order` within a group, waiting `lxc.start.delay` seconds after each one.
public struct AutostartSettings: Sendable, Hashable {
    /// Whether the container is started automatically (`lxc.start.auto = 1`).
    public var isEnabled: Bool
    /// Its place in the start sequence (`lxc.start.order`): a lower value starts earlier; 0 when unset.
    public var order: Int
    /// How long to wait after starting it before starting the next container (`lxc.start.delay`, whole seconds).
    public var delay: Duration
    /// The groups it belongs to (`lxc.group`, which may be set several times); empty for the
    /// "NULL group" that `lxc-autostart` processes by default.
    public var groups: [String]

    /// Settings with the given values.
    public init(isEnabled: Bool = false, order: Int = 0, delay: Duration = .zero, groups: [String] = []) {
        self.isEnabled = isEnabled
        self.order = order
        self.delay = delay
        self.groups = groups
    }
}
