import Glibc

/// Options for ``Container/create(template:backingStore:specs:options:arguments:)-vs3``.
public struct CreateOptions: OptionSet, Sendable, Hashable {
    /// The `LXC_CREATE_*` bits liblxc's `c->create` takes as its `flags`.
    public let rawValue: Int32

    /// Makes options from liblxc's `LXC_CREATE_*` flags.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Runs the template with standard input from `/dev/zero` and its output sent to
    /// `/dev/null`. liblxc's `LXC_CREATE_QUIET`.
    public static let quiet = CreateOptions(rawValue: 1 << 0)
}
