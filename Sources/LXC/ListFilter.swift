import Glibc

/// Which containers ``Container/list(_:in:)`` and ``Container/names(_:in:)`` return.
public enum ListFilter: Sendable, Hashable, CaseIterable {
    /// Containers with a configuration file in the lxcpath (`list_defined_containers`).
    case defined
    /// Containers that are running (`list_active_containers`).
    case active
    /// Both (`list_all_containers`).
    case all
}
