/// How macvlan interfaces on one host device reach each other (`lxc.net.N.macvlan.mode`).
public enum MacvlanMode: String, Sendable, Hashable, CaseIterable {
    /// Each interface talks only to the outside network, not to the others (`private`).
    case `private`
    /// Traffic between interfaces goes out to the switch and back (`vepa`).
    case vepa
    /// Interfaces on the same parent reach each other directly (`bridge`).
    case bridge
    /// One interface may forward traffic for the parent (`passthru`).
    case passthrough = "passthru"
}
