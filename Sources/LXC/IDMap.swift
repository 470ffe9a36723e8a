import Glibc

/// One range of a container's user or group ids mapped onto host ids: a line
/// `lxc.idmap = u 0 100000 65536` of its configuration.
///
/// An unprivileged container runs in a user namespace: its root (id 0 inside) is an
/// ordinary, unprivileged id on the host, taken from the calling user's subordinate ids
/// (``SubordinateIDRange``, from `/etc/subuid` and `/etc/subgid`).
///
/// ```swift
/// let maps = try IDMap.rootMappings()          // u 0 100000 65536, g 0 100000 65536
/// try container.setIDMaps(maps)
/// try container.saveConfig()
/// ```
public struct IDMap: Hashable, Sendable, CustomStringConvertible {
    /// Whether a map is for user ids or group ids.
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        /// User ids (`u` in `lxc.idmap`, ranges from `/etc/subuid`).
        case user
        /// Group ids (`g` in `lxc.idmap`, ranges from `/etc/subgid`).
        case group

        /// `u` or `g`, as `lxc.idmap` spells it.
        public var letter: String { self == .user ? "u" : "g" }

        /// "user" or "group".
        public var description: String { self == .user ? "user" : "group" }

        /// The file that holds a user's subordinate ids of this kind.
        public var subordinateFile: String { self == .user ? "/etc/subuid" : "/etc/subgid" }
    }

    /// User or group ids.
    public var kind: Kind
    /// The first id inside the container.
    public var containerID: UInt32
    /// The host id that `containerID` is.
    public var hostID: UInt32
    /// How many consecutive ids are mapped.
    public var count: UInt32

    /// A map of `count` ids from `containerID` inside the container to `hostID` on the host.
    ///
    /// - Throws: ``LXCError/Kind/invalidArgument`` for a count of zero, or a range that runs
    ///   past the largest id (4294967295) inside the container or on the host.
    public init(_ kind: Kind, containerID: UInt32 = 0, hostID: UInt32, count: UInt32) throws {
        self.kind = kind
        self.containerID = containerID
        self.hostID = hostID
        self.count = count
        if let problem = problem {
            throw LXCError.invalid("IDMap", nil, "the id map \(quoted(configValue)) \(problem)")
        }
    }

    /// Parses a value of `lxc.idmap`: `"u 0 100000 65536"`.
    ///
    /// - Throws: ``LXCError/Kind/invalidArgument`` when `configValue` is not a kind (`u` or
    ///   `g`) followed by three numbers, or names an impossible range.
    public init(configValue: String) throws {
        let fields = configValue.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 4, let kind = fields[0] == "u" ? Kind.user : fields[0] == "g" ? Kind.group : nil,
              let containerID = UInt32(fields[1]), let hostID = UInt32(fields[2]), let count = UInt32(fields[3])
        else {
            throw LXCError.invalid("IDMap", nil,
                                   "\(quoted(configValue)) is not an id map (\"u|g CONTAINER-ID HOST-ID COUNT\", such as \"u 0 100000 65536\")")
        }
        try self.init(kind, containerID: containerID, hostID: hostID, count: count)
    }

    /// The map as a value of `lxc.idmap`: `"u 0 100000 65536"`.
    public var configValue: String { "\(kind.letter) \(containerID) \(hostID) \(count)" }

    /// `u 0 100000 65536`.
    public var description: String { configValue }

    /// Whether the map gives the container a root: it maps container id 0.
    public var mapsRoot: Bool { containerID == 0 }

    /// Whether `hostID ..< hostID + count` lies inside `range`.
    public func isCovered(by range: SubordinateIDRange) -> Bool {
        UInt64(hostID) >= UInt64(range.start) && UInt64(hostID) + UInt64(count) <= UInt64(range.start) + UInt64(range.count)
    }

    var problem: String? {
        if count == 0 { return "maps no ids (its count is 0)" }
        if UInt64(containerID) + UInt64(count) > UInt64(UInt32.max) + 1 { return "runs past the largest container id" }
        if UInt64(hostID) + UInt64(count) > UInt64(UInt32.max) + 1 { return "runs past the largest host id" }
        return nil
    }
}

extension IDMap {
    /// The maps that make an unprivileged container's root the first `count` ids of the
    /// caller's (or `user`'s) first subordinate uid and gid ranges: `u 0 100000 65536` and
    /// `g 0 100000 65536` for the first user `useradd` made.
    ///
    /// - Parameters:
    ///   - user: the user whose ranges to use; the caller when nil.
    ///   - count: how many ids to map; the whole range when nil.
    /// - Throws: ``LXCError/Kind/permissionDenied`` when the user has no subordinate uids or
    ///   gids (the message says which file and how root adds them);
    ///   ``LXCError/Kind/invalidArgument`` when `count` is larger than a range.
    public static func rootMappings(for user: String? = nil, count: UInt32? = nil) throws -> [IDMap] {
        let name = user ?? SubordinateIDRange.currentUser()?.0 ?? String(geteuid())
        return try [Kind.user, .group].map { kind in
            guard let range = SubordinateIDRange.ranges(kind, for: user).first else {
                throw LXCError(operation: Operation.rootMappings.name, message: UnprivilegedSetup.noSubordinateIDs(kind, user: name),
                               code: EPERM, kind: .permissionDenied)
            }
            if let count, count > range.count {
                throw LXCError.invalid("rootMappings", nil,
                                       "\(name)'s subordinate \(kind) ids \(range) are fewer than \(count)")
            }
            return try IDMap(kind, containerID: 0, hostID: range.start, count: count ?? range.count)
        }
    }
}
