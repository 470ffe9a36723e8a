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
    /// directories of the cgroups it was moved out of when `reportingAway` (a failed start
    /// removes them), or when it has a child (see below); otherwise an empty list.
    ///
    /// Measured on cgroup v1 with ten hierarchies, this runs after every start, so it avoids
    /// what cost most there: reading and parsing mountinfo again (``MountTable`` does so only
    /// after the kernel reported a change of mounts), working out the `cgroup.procs` files of
    /// `home` again (kept with the mount table), and reading each monitor cgroup's member list
    /// when this process has no child that could have been born in it.
    @discardableResult
    static func restore(_ home: [CgroupMembership], reportingAway: Bool = true) -> [String] {
        let now = current()
        guard now != home else { return [] }
        guard let (mounts, homeFiles) = MountTable.procsFiles(of: home) else { return [] }
        let pid = String(getpid())
        var moved: [(away: CgroupMembership, homeDirectory: String)] = []
        for (membership, procsFile) in zip(home, homeFiles) where !now.contains(membership) {
            guard let procsFile else { continue }
            writeToExistingFile(procsFile, pid)
            if let away = now.first(where: { $0.controllers == membership.controllers }) {
                moved.append((away, String(procsFile.dropLast("/cgroup.procs".count))))
            }
        }
        // Only a process forked by this one while it was away can be in those cgroups because
        // of it; with no child at all (the common case) there is nothing to look for.
        let children = hasChildren() != false
        guard children || reportingAway else { return [] }
        let moves = moved.compactMap { move in
            directory(of: move.away, in: mounts).map { (from: $0, to: move.homeDirectory) }
        }
        if children {
            var descent: [pid_t: Bool] = [:]
            for move in moves { moveDescendants(from: move.from, to: move.to, known: &descent) }
        }
        return moves.map(\.from)
    }

    /// Whether any thread of this process has a child (running, or ended and not yet reaped);
    /// nil when the kernel cannot tell.
    ///
    /// One `waitid(P_ALL, …, WNOHANG | WNOWAIT)`, which reaps nothing: it fails with `ECHILD`
    /// only when there is no child at all. Without `__WNOTHREAD` it looks at the children of
    /// every thread of the process, and `__WALL` counts children whatever signal they report
    /// their end with.
    static func hasChildren() -> Bool? {
        var info = siginfo_t()
        let result = retryingOnInterrupt { waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) }
        if result == 0 { return true }
        return errno == ECHILD ? false : nil
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

    /// The cgroup mounts of this process's mount namespace, read and parsed again only when
    /// they may have changed.
    ///
    /// Reading `/proc/self/mountinfo` cost as much as the cgroup writes of a restore. The file
    /// can be polled instead: a mount or unmount in the namespace marks a descriptor open on
    /// it with `POLLPRI` (proc(5)), until the next poll. So one descriptor stays open (close
    /// on exec), each use polls it without waiting, and the file is read again only after a
    /// change, after a failed poll, or when the process is in another mount namespace than
    /// when it was read (compared by the inode of `/proc/self/ns/mnt`).
    ///
    /// What it buys (2026-12-07, this code against a build that read mountinfo at every
    /// restore and parsed it over bytes, 134 thousand instructions with the read;
    /// `lxc-bench --rounds 3 --only lifecycle_rejoining --no-standalone`, four runs each,
    /// alternating, on a loaded machine): single lifecycles at 0.98-1.04 of the C floor with
    /// it, 1.00-1.13 (median 1.10) without, in runs whose C-against-C noise was 0.89-1.04
    /// (one 1.12). More than the parse alone explains: a read right after a start may wait
    /// behind the new container's mount work. Parsed as Characters, as it still is here, a
    /// 20-line table costs 2 million instructions (callgrind), paid only after a change.
    enum MountTable {
        typealias Mounts = [String: (mountPoint: String, root: String)]
        private struct Watch: @unchecked Sendable {
            // @unchecked: the tuple dictionary is a plain value; it is only used under the lock.
            var fd: Int32 = -1
            var namespace: ino_t = 0
            var mounts: Mounts = [:]
            var reads = 0
            /// The last memberships asked for by `procsFiles(of:)`, with their files.
            var procsFiles: (memberships: [CgroupMembership], files: [String?])?
        }
        private static let watch = Locked<Watch>(Watch())

        /// The cgroup mounts now, keyed as ``CallerCgroups/mountPoints(mountinfo:)`` keys them;
        /// nil when mountinfo cannot be read.
        static func current() -> Mounts? {
            watch.withLock { refreshed(&$0) ? $0.mounts : nil }
        }

        /// The mounts now, and the `cgroup.procs` file of each of `memberships` (nil for one
        /// whose hierarchy is not mounted here). The files of the last memberships asked for
        /// are kept until the mounts change: a restore asks for the same home every time.
        static func procsFiles(of memberships: [CgroupMembership]) -> (mounts: Mounts, files: [String?])? {
            watch.withLock { watch in
                guard refreshed(&watch) else { return nil }
                if let kept = watch.procsFiles, kept.memberships == memberships { return (watch.mounts, kept.files) }
                let files = memberships.map { membership in
                    CallerCgroups.directory(of: membership, in: watch.mounts).map { $0 + "/cgroup.procs" }
                }
                watch.procsFiles = (memberships, files)
                return (watch.mounts, files)
            }
        }

        /// Brings `watch` up to date with the mounts; false when mountinfo cannot be read.
        private static func refreshed(_ watch: inout Watch) -> Bool {
            let namespace = mountNamespace()
            if watch.fd >= 0, namespace != 0, namespace == watch.namespace, !changed(watch.fd) {
                return true
            }
            if watch.fd >= 0 { close(watch.fd) }
            watch.procsFiles = nil
            watch.fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
            guard watch.fd >= 0, let text = readToEnd(fd: watch.fd, from: nil) else {
                if watch.fd >= 0 { close(watch.fd) }
                watch.fd = -1
                return false
            }
            watch.namespace = namespace
            watch.mounts = CallerCgroups.mountPoints(mountinfo: text)
            watch.reads += 1
            return true
        }

        /// How many times mountinfo has been read so far (for tests).
        static var reads: Int { watch.withLock { $0.reads } }

        /// Whether the kernel marked `fd` since the last poll, or the poll failed.
        private static func changed(_ fd: Int32) -> Bool {
            var entry = pollfd(fd: fd, events: Int16(POLLPRI), revents: 0)
            return retryingOnInterrupt { poll(&entry, 1, 0) } != 0
        }

        /// The inode of this process's mount namespace, or 0 when it cannot be found.
        private static func mountNamespace() -> ino_t {
            var info = stat()
            return stat("/proc/self/ns/mnt", &info) == 0 ? info.st_ino : 0
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
    /// failed start, also removes the monitor cgroups liblxc could not, unless
    /// `removingAbandonedMonitors` is false (a start that removes its container's cgroups by
    /// name, ``ContainerCgroups``: the process may have been moved into another container's
    /// monitor cgroup since).
    ///
    /// Concurrent starts share the memberships noted by the first, since a later one would
    /// otherwise note the monitor cgroup an earlier one had just moved the process into.
    static func preservingMembership(removingAbandonedMonitors: Bool = true, _ start: () -> Bool) -> Bool {
        let (started, left) = ForkGate.asStart { () -> (Bool, [String]) in
            let home = starts.withLock { state -> [CgroupMembership] in
                if state.count == 0 { state.home = current() }
                state.count += 1
                return state.home
            }
            defer { starts.withLock { $0.count -= 1 } }
            let started = start()
            return (started, restore(home, reportingAway: !started))
        }
        if !started && removingAbandonedMonitors { removeAbandonedMonitorCgroups(left) }
        return started
    }

    /// The directories below which liblxc makes a container's cgroups: the mount point of
    /// each hierarchy (a privileged container's, by default), and the cgroups the process is
    /// in (an unprivileged user's delegated ones).
    static func containerCgroupBases() -> [String] {
        guard let mounts = MountTable.current() else { return [] }
        var bases = mounts.values.map(\.mountPoint)
        bases += current().compactMap { directory(of: $0, in: mounts) }
        var seen = Set<String>()
        return bases.filter { seen.insert($0).inserted }
    }
}

/// The cgroups liblxc makes for one container (`lxc.monitor.<name>`, `lxc.payload.<name>`),
/// noted before a start so that what a failed start left can be removed after it.
///
/// liblxc's monitor removes both when the start fails, but not a cgroup that a process is still
/// in: the calling process, which a daemonized start moves into the monitor cgroup until the
/// library moves it back. With starts of other containers running at the same moment, the
/// process may have been moved on into their monitor cgroups meanwhile, so a failed start
/// finds its own cgroups by name.
struct ContainerCgroups: Sendable {
    let name: String
    /// Where liblxc makes them (``CallerCgroups/containerCgroupBases()``).
    let bases: [String]
    /// The bases in which a cgroup of the container existed before the start, with the
    /// container's cgroups there.
    let before: [String: Set<String>]

    /// Notes the container's cgroups before a start: two `access` calls per base when there
    /// are none (as usual), a listing of the base otherwise.
    static func note(_ name: String) -> ContainerCgroups {
        let bases = CallerCgroups.containerCgroupBases()
        var before: [String: Set<String>] = [:]
        for base in bases where fileExists(base + "/lxc.monitor." + name) || fileExists(base + "/lxc.payload." + name) {
            before[base] = Set(entries(of: name, in: base))
        }
        return ContainerCgroups(name: name, bases: bases, before: before)
    }

    /// The container's cgroups that the start may have made and that are there now.
    ///
    /// Where neither name was taken before, liblxc took the plain names (it appends `-N` only
    /// to a taken name; a second start of the same container fails at its command socket
    /// before it makes cgroups), so only those are looked at; elsewhere, the container's
    /// cgroups that are new.
    func made() -> [String] {
        bases.flatMap { base -> [String] in
            if let existing = before[base] {
                return entries(in: base).filter { !existing.contains($0) }
            }
            return ["lxc.monitor.", "lxc.payload."].map { base + "/" + $0 + name }.filter(fileExists)
        }
    }

    /// Removes the empty cgroups that `made()` finds, deepest first, after a failed start.
    ///
    /// `monitorState` tells whether a monitor of the container is alive: while it is aborting
    /// or stopping (the failed start's own monitor, cleaning up), the removal waits; when a
    /// monitor is starting or running (another start of the container, from this process or
    /// another, succeeded meanwhile), the cgroups may be its own, and the removal stops. A
    /// cgroup that still holds a process is never removed (`rmdir` refuses it). The caller
    /// waits up to a second; what is left then is retried in the background for half a minute.
    func removeAbandoned(monitorState: @escaping @Sendable () -> ContainerState) {
        var remaining = made()
        for attempt in 0..<20 where !remaining.isEmpty {
            if attempt > 0 { usleep(50_000) }
            guard let next = Self.removalPass(remaining, monitorState: monitorState) else { return }
            remaining = next
        }
        if !remaining.isEmpty {
            let left = remaining
            _ = DetachedThread.start {
                var remaining = left
                for _ in 0..<150 where !remaining.isEmpty {
                    usleep(200_000)
                    guard let next = Self.removalPass(remaining, monitorState: monitorState) else { return }
                    remaining = next
                }
            }
        }
    }

    /// One attempt: the cgroups still there, or nil when a monitor of the container runs.
    private static func removalPass(_ cgroups: [String], monitorState: () -> ContainerState) -> [String]? {
        switch monitorState() {
        case .stopped, .incomplete: return cgroups.filter { !removeTree($0) }
        case .aborting, .stopping: return cgroups
        default: return nil
        }
    }

    /// Removes an empty cgroup and its empty descendants, deepest first; true when it is gone.
    static func removeTree(_ path: String) -> Bool {
        for child in subdirectories(of: path) { _ = removeTree(path + "/" + child) }
        return rmdir(path) == 0 || errno == ENOENT
    }

    private static func subdirectories(of path: String) -> [String] {
        directoryEntries(path, onlyDirectories: true)
    }

    private func entries(in base: String) -> [String] { Self.entries(of: name, in: base) }

    /// The paths of the container's cgroups directly below `base`.
    private static func entries(of name: String, in base: String) -> [String] {
        subdirectories(of: base).filter { CgroupParsing.isContainerCgroup($0, of: name) }.map { base + "/" + $0 }
    }
}
