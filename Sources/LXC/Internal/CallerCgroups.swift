import Glibc

// A daemonized `start()` moves the calling process into the new `lxc.monitor.<name>` cgroup of
// every hierarchy and leaves it there. A long-lived program then sits in the monitor cgroup
// of the last container it started, liblxc can never remove those cgroups, and each later
// start probes past one more `lxc.monitor.<name>-N`. So around each start the library notes
// the cgroups the process is in and writes the process back into them afterwards.

/// The cgroups a process is in, one per hierarchy, with the directory of each.
struct CgroupMembership: Equatable, Sendable {
    /// The controllers of the hierarchy as `/proc/self/cgroup` names them ("cpu,cpuacct",
    /// "name=systemd"); empty for the cgroup2 hierarchy.
    var controllers: String
    /// The cgroup's path inside its hierarchy ("/lxc.monitor.web").
    var path: String
}

enum CallerCgroups {
    /// The process's memberships, from `/proc/self/cgroup`.
    static func current() -> [CgroupMembership] {
        guard let text = readWholeFile("/proc/self/cgroup") else { return [] }
        return parseProcCgroup(text)
    }

    /// Parses `/proc/PID/cgroup` ("ID:controllers:path" per line).
    static func parseProcCgroup(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            return CgroupMembership(controllers: String(fields[1]), path: String(fields[2]))
        }
    }

    /// Where each hierarchy is mounted, keyed by its controllers as `/proc/self/cgroup` names
    /// them ("" for cgroup2), with the root of the mount inside the hierarchy.
    static func mountPoints(mountinfo: String) -> [String: (mountPoint: String, root: String)] {
        var result: [String: (mountPoint: String, root: String)] = [:]
        for line in mountinfo.split(separator: "\n") {
            guard let separator = line.firstRange(of: " - ") else { continue }
            let before = line[..<separator.lowerBound].split(separator: " ")
            let after = line[separator.upperBound...].split(separator: " ")
            guard before.count >= 5, after.count >= 3 else { continue }
            let root = unescapeMountField(before[3])
            let mountPoint = unescapeMountField(before[4])
            switch after[0] {
            case "cgroup2":
                if result[""] == nil { result[""] = (mountPoint, root) }
            case "cgroup":
                let options = after[2].split(separator: ",")
                let names = options.filter { $0 != "rw" && $0 != "ro" && !$0.hasPrefix("release_agent")
                    && $0 != "clone_children" && $0 != "noprefix" && $0 != "xattr" && !$0.hasPrefix("cpuset_v2") }
                let key = names.sorted().joined(separator: ",")
                if result[key] == nil { result[key] = (mountPoint, root) }
            default:
                continue
            }
        }
        return result
    }

    /// mountinfo escapes blanks and backslashes as octal (`\040`).
    static func unescapeMountField(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The directory of a membership's cgroup, or nil when its hierarchy is not mounted here.
    static func directory(of membership: CgroupMembership,
                          in mounts: [String: (mountPoint: String, root: String)]) -> String? {
        let key = membership.controllers.split(separator: ",").sorted().joined(separator: ",")
        guard let mount = mounts[key] else { return nil }
        var relative = membership.path
        if mount.root != "/" {
            guard relative.hasPrefix(mount.root) else { return nil }
            relative = String(relative.dropFirst(mount.root.count))
        }
        if !relative.hasPrefix("/") { relative = "/" + relative }
        return mount.mountPoint + (relative == "/" ? "" : relative)
    }

    /// Moves the process back into `home` wherever it is somewhere else now, and returns the
    /// directories of the cgroups it was moved out of.
    ///
    /// Measured on cgroup v1 with ten hierarchies, this runs after every start, so it avoids
    /// what cost most there: parsing mountinfo again (cached while its text is unchanged)
    /// and reading each monitor cgroup's member list when this process has no child that
    /// could have been born in it.
    @discardableResult
    static func restore(_ home: [CgroupMembership]) -> [String] {
        let now = current()
        guard now != home else { return [] }
        guard let mountinfo = readWholeFile("/proc/self/mountinfo") else { return [] }
        let mounts = MountTable.mounts(mountinfo: mountinfo)
        let pid = String(getpid())
        var moves: [(from: String, to: String)] = []
        for membership in home where !now.contains(membership) {
            guard let directory = directory(of: membership, in: mounts) else { continue }
            writeToExistingFile(directory + "/cgroup.procs", pid)
            let key = membership.controllers
            if let away = now.first(where: { $0.controllers == key }), let awayDirectory = self.directory(of: away, in: mounts) {
                moves.append((awayDirectory, directory))
            }
        }
        // Only a process forked by this one while it was away can be in those cgroups because
        // of it; with no child at all (the common case) there is nothing to look for.
        if hasChildren() != false {
            var descent: [pid_t: Bool] = [:]
            for move in moves { moveDescendants(from: move.from, to: move.to, known: &descent) }
        }
        return moves.map(\.from)
    }

    /// Whether any thread of this process has a living child, from
    /// `/proc/self/task/TID/children`; nil when the kernel does not provide those files.
    static func hasChildren() -> Bool? {
        guard let tasks = opendir("/proc/self/task") else { return nil }
        defer { closedir(tasks) }
        var sawTask = false
        while let entry = readdir(tasks) {
            let tid = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard tid.first?.isNumber == true else { continue }
            guard let children = readWholeFile("/proc/self/task/\(tid)/children") else {
                // A thread that ended meanwhile has no file; a kernel without them has none.
                if access("/proc/self/task/\(tid)", F_OK) != 0 { continue }
                return nil
            }
            sawTask = true
            if children.contains(where: \.isNumber) { return true }
        }
        return sawTask ? false : nil
    }

    /// Moves the processes this process forked while it was in `source` (a monitor cgroup:
    /// another thread's fork during the start) to `destination`. Born in the monitor cgroup,
    /// they would keep the monitor from removing it when they outlive the container. Two
    /// passes, for a child that forked again meanwhile; a process that may not be moved (a
    /// setuid helper) stays. `known` remembers which processes descend from this one, for
    /// the next hierarchy.
    static func moveDescendants(from source: String, to destination: String, known: inout [pid_t: Bool]) {
        let me = getpid()
        for _ in 0..<2 {
            guard let text = readWholeFile(source + "/cgroup.procs") else { return }
            let strays = text.split(separator: "\n").compactMap { pid_t($0) }.filter { pid in
                if pid == me { return false }
                if let descends = known[pid] { return descends }
                let descends = descends(from: me, pid)
                known[pid] = descends
                return descends
            }
            if strays.isEmpty { return }
            for stray in strays { writeToExistingFile(destination + "/cgroup.procs", String(stray)) }
        }
    }

    /// The parsed cgroup mounts of the last mountinfo text seen: parsing it took longer than
    /// reading it, and it rarely changes.
    enum MountTable {
        typealias Mounts = [String: (mountPoint: String, root: String)]
        private struct Cached: Sendable {
            var text: String
            var mounts: Mounts
        }
        private static let cache = Locked<Cached?>(nil)

        static func mounts(mountinfo: String) -> Mounts {
            if let cached = cache.withLock({ $0 }), cached.text == mountinfo { return cached.mounts }
            let mounts = CallerCgroups.mountPoints(mountinfo: mountinfo)
            cache.withLock { $0 = Cached(text: mountinfo, mounts: mounts) }
            return mounts
        }
    }

    /// Whether `pid`'s chain of parents leads to `ancestor`.
    static func descends(from ancestor: pid_t, _ pid: pid_t) -> Bool {
        var current = pid
        for _ in 0..<32 {
            guard let stat = readWholeFile("/proc/\(current)/stat"), let parent = parentPID(stat: stat) else { return false }
            if parent == ancestor { return true }
            if parent <= 1 { return false }
            current = parent
        }
        return false
    }

    /// The parent pid in the text of `/proc/PID/stat` ("pid (comm) state ppid …"; comm may
    /// hold blanks and parentheses, so the fields count from the last ")").
    static func parentPID(stat: String) -> pid_t? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count >= 2 ? pid_t(fields[1]) : nil
    }

    /// Removes the monitor cgroups a failed start left: liblxc's aborting monitor tries to
    /// remove them while the caller is still inside, and fails. `rmdir` removes only an empty
    /// cgroup, so a monitor that is still alive keeps its own; it gets a short while to exit.
    static func removeAbandonedMonitorCgroups(_ directories: [String]) {
        var remaining = directories.filter { directory in
            directory.split(separator: "/").last?.hasPrefix("lxc.monitor.") ?? false
        }
        for attempt in 0..<20 where !remaining.isEmpty {
            if attempt > 0 { usleep(50_000) }
            remaining = remaining.filter { rmdir($0) != 0 && errno != ENOENT }
        }
        // An aborting monitor can outlive a second under load: keep trying, off the caller's
        // thread, for half a minute.
        if !remaining.isEmpty { LaterRemoval.start(remaining) }
    }

    /// Removes directories in the background, retrying every 200 ms for 30 s.
    private enum LaterRemoval {
        static func start(_ directories: [String]) {
            _ = DetachedThread.start {
                var remaining = directories
                for _ in 0..<150 where !remaining.isEmpty {
                    usleep(200_000)
                    remaining = remaining.filter { rmdir($0) != 0 && errno != ENOENT }
                }
            }
        }
    }

    /// Starts in flight, and the memberships the process had before the first of them.
    struct StartsInFlight: Sendable {
        var count = 0
        var home: [CgroupMembership] = []
    }

    private static let starts = Locked<StartsInFlight>(StartsInFlight())

    /// Runs a start and puts the process back into the cgroups it was in before; after a
    /// failed start, also removes the monitor cgroups liblxc could not.
    ///
    /// Concurrent starts share the memberships noted by the first, since a later one would
    /// otherwise note the monitor cgroup an earlier one had just moved the process into.
    static func preservingMembership(_ start: () -> Bool) -> Bool {
        let (started, left) = ForkGate.asStart { () -> (Bool, [String]) in
            let home = starts.withLock { state -> [CgroupMembership] in
                if state.count == 0 { state.home = current() }
                state.count += 1
                return state.home
            }
            defer { starts.withLock { $0.count -= 1 } }
            let started = start()
            return (started, restore(home))
        }
        if !started { removeAbandonedMonitorCgroups(left) }
        return started
    }
}
