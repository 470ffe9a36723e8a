/// The state of a container, as liblxc reports it.
///
/// liblxc speaks of states as upper-case strings (`"RUNNING"`); this enum is parsed from
/// them in one place, ``init(liblxcName:)``, and turned back by ``liblxcName``. A string
/// that a later liblxc may add arrives as ``other(_:)`` rather than being lost.
public enum ContainerState: Sendable, Hashable, CustomStringConvertible {
    /// Not running. liblxc's `STOPPED`.
    case stopped
    /// Being started. liblxc's `STARTING`.
    case starting
    /// Running. liblxc's `RUNNING`.
    case running
    /// Being stopped. liblxc's `STOPPING`.
    case stopping
    /// A start that failed and is being torn down. liblxc's `ABORTING`.
    case aborting
    /// Being frozen. liblxc's `FREEZING`.
    case freezing
    /// Frozen: its processes are suspended. liblxc's `FROZEN`.
    case frozen
    /// Just unfrozen. liblxc's `THAWED`.
    case thawed
    /// Not a liblxc state: an operation of this library on the container's directory
    /// (create, clone, rename, snapshot restore, destroy) did not finish, because its
    /// process was killed or it is still under way in another thread or process. liblxc's
    /// own marker of an unfinished create, the file `partial` in the container's directory,
    /// reads as this state too. Such a container is not started;
    /// `Container.repairIncomplete(in:)` finishes or undoes what was interrupted.
    case incomplete
    /// A state name this version of swift-lxc does not know.
    case other(String)

    /// The states in the order of liblxc's `lxc_state_t`.
    public static let known: [ContainerState] = [
        .stopped, .starting, .running, .stopping, .aborting, .freezing, .frozen, .thawed,
    ]

    /// Parses liblxc's name of a state ("RUNNING"); matching ignores case, so that the
    /// CLI can accept "running" as well.
    public init(liblxcName name: String) {
        // liblxc's names are upper case already: only another spelling is folded.
        self = Self.named(name) ?? Self.named(name.uppercased()) ?? .other(name)
    }

    private static func named(_ name: String) -> ContainerState? {
        switch name {
        case "STOPPED": .stopped
        case "STARTING": .starting
        case "RUNNING": .running
        case "STOPPING": .stopping
        case "ABORTING": .aborting
        case "FREEZING": .freezing
        case "FROZEN": .frozen
        case "THAWED": .thawed
        default: nil
        }
    }

    /// liblxc's name of the state, as `c->state` returns it and `c->wait` takes it.
    public var liblxcName: String {
        switch self {
        case .stopped: "STOPPED"
        case .starting: "STARTING"
        case .running: "RUNNING"
        case .stopping: "STOPPING"
        case .aborting: "ABORTING"
        case .freezing: "FREEZING"
        case .frozen: "FROZEN"
        case .thawed: "THAWED"
        case .incomplete: "INCOMPLETE"
        case .other(let name): name
        }
    }

    /// liblxc's name of the state.
    public var description: String { liblxcName }
}
