import CLXC
import Glibc

// What an ordinary user needs before liblxc can run containers for it, checked from the
// host's files, so that a failed start or create can say which piece is missing instead of
// quoting liblxc's "Failed to pin rootfs" or "newuidmap failed":
// - newuidmap and newgidmap (Debian: uidmap), which write the id maps of a user namespace;
// - subordinate ids in /etc/subuid and /etc/subgid, and an id map inside them;
// - /dev/ptmx open to everyone, for the container's console, and /proc/net/unix readable,
//   where liblxc looks for running containers;
// - a cgroup of the user's own in every hierarchy, with the calling process in it (without
//   one liblxc still starts the container, but leaves it without cgroups of its own, so that
//   freezing and resource limits fail).

enum UnprivilegedSetup {
    /// Everything missing for the caller, in words; empty for root.
    ///
    /// - Parameter maps: the container's id maps, or nil to read those of liblxc's default
    ///   configuration (`lxc.default_config`, `~/.config/lxc/default.conf` for a user).
    ///
    /// Root needs none of it for a privileged container. For a container with id maps,
    /// liblxc has `newuidmap` write them when it is installed, and `newuidmap` allows root,
    /// too, only the ids `/etc/subuid` and `/etc/subgid` give it: that much is checked for
    /// root as well.
    static func problems(maps: [IDMap]? = nil, includingCgroups: Bool = true) -> [String] {
        let isRoot = geteuid() == 0
        let hasShadowTools = isExecutableOnPath("newuidmap") && isExecutableOnPath("newgidmap")
        if isRoot && (maps?.isEmpty ?? true || !hasShadowTools) { return [] }
        var problems: [String] = []
        if !hasShadowTools {
            problems.append("newuidmap and newgidmap are not installed (Debian and Ubuntu: apt-get install uidmap)")
        }
        let user = SubordinateIDRange.currentUser()?.0 ?? String(geteuid())
        var ranges: [IDMap.Kind: [SubordinateIDRange]] = [:]
        for kind in [IDMap.Kind.user, .group] {
            ranges[kind] = SubordinateIDRange.ranges(kind)
            if ranges[kind]?.isEmpty ?? true { problems.append(noSubordinateIDs(kind, user: user)) }
        }
        let configured = maps ?? defaultConfigMaps()
        for kind in [IDMap.Kind.user, .group] {
            let ofKind = configured.filter { $0.kind == kind }
            if !ofKind.contains(where: \.mapsRoot) {
                if !isRoot { problems.append(noIDMap(kind, in: maps == nil ? defaultConfigPath : nil)) }
                continue
            }
            guard let owned = ranges[kind], !owned.isEmpty else { continue }
            let ownID = kind == .user ? UInt32(geteuid()) : UInt32(getegid())
            for map in ofKind where !(map.hostID == ownID && map.count == 1) && !owned.contains(where: map.isCovered) {
                problems.append("the id map \(quoted(map.configValue)) is outside \(user)'s subordinate \(kind) ids "
                    + "in \(kind.subordinateFile) (\(owned.map(\.description).joined(separator: ", ")))")
            }
        }
        if !isRoot && access("/dev/ptmx", R_OK | W_OK) != 0 {
            problems.append("user \(user) may not open /dev/ptmx, so liblxc cannot give the container a console "
                + "(\"Failed to allocate console\"); it is normally crw-rw-rw- (root: chmod 0666 /dev/ptmx)")
        }
        if !isRoot && access("/proc/net/unix", R_OK) != 0 {
            problems.append("user \(user) may not read /proc/net/unix, where liblxc finds running containers' command "
                + "sockets; it is normally -r--r--r-- root (root: chown root:root /proc/net/unix; chmod 0444 /proc/net/unix)")
        }
        if includingCgroups, !isRoot, let cgroups = undelegatedCgroups(), !cgroups.isEmpty {
            problems.append(notDelegated(cgroups, user: user))
        }
        return problems
    }

    static func noSubordinateIDs(_ kind: IDMap.Kind, user: String) -> String {
        let option = kind == .user ? "--add-subuids" : "--add-subgids"
        return "user \(user) has no subordinate \(kind) ids in \(kind.subordinateFile) "
            + "(root gives them with: usermod \(option) 100000-165535 \(user))"
    }

    static func noIDMap(_ kind: IDMap.Kind, in file: String?) -> String {
        let example = "lxc.idmap = \(kind.letter) 0 100000 65536"
        if let file {
            return "liblxc's default configuration \(quoted(file)) maps no \(kind) ids: an unprivileged container's root "
                + "must be mapped to the user's subordinate ids (add \(quoted(example)), with the range from \(kind.subordinateFile))"
        }
        return "the container's configuration maps no \(kind) ids: an unprivileged container's root must be mapped "
            + "to the user's subordinate ids (lxc.idmap, such as \(quoted(example)); see setIDMaps(_:))"
    }

    static func notDelegated(_ cgroups: [String], user: String) -> String {
        "the process is in cgroups that user \(user) does not own (\(cgroups.joined(separator: ", "))): "
            + "an unprivileged user needs a cgroup of its own in every hierarchy, made by root and owned by the user, "
            + "with the calling process moved into it"
    }

    /// The directories of the caller's cgroups that it may not write, or nil when they
    /// cannot be found.
    static func undelegatedCgroups() -> [String]? {
        guard let mounts = CallerCgroups.MountTable.current() else { return nil }
        let memberships = CallerCgroups.current()
        if memberships.isEmpty { return nil }
        return memberships.compactMap { membership in
            guard let directory = CallerCgroups.directory(of: membership, in: mounts) else { return nil }
            let writable = access(directory, W_OK) == 0 && access(directory + "/cgroup.procs", W_OK) == 0
            return writable ? nil : directory
        }
    }

    /// liblxc's default configuration file for the caller.
    static var defaultConfigPath: String? {
        lxc_get_global_config_item("lxc.default_config").map { String(cString: $0) }
    }

    /// The `lxc.idmap` lines of liblxc's default configuration (its includes are not followed).
    static func defaultConfigMaps() -> [IDMap] {
        guard let path = defaultConfigPath, let text = readWholeFile(path) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let equals = line.firstIndex(of: "=") else { return nil }
            let key = line[..<equals].trimmingBlanks()
            guard key == "lxc.idmap" else { return nil }
            return try? IDMap(configValue: String(line[line.index(after: equals)...].trimmingBlanks()))
        }
    }

    static func isExecutableOnPath(_ program: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return (path.split(separator: ":") + ["/usr/bin", "/bin"]).contains { access("\($0)/\(program)", X_OK) == 0 }
    }

    /// The directory liblxc could not reach, from its "Could not access X. Please grant it x
    /// access" line: an unprivileged container's root may not pass through a directory on
    /// the way to its root filesystem.
    static func unreachableDirectory(in log: [String]) -> String? {
        for line in log {
            guard let start = line.firstRange(of: "Could not access "),
                  let end = line[start.upperBound...].firstRange(of: ". Please grant it x access")
            else { continue }
            return String(line[start.upperBound..<end.lowerBound])
        }
        return nil
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}
