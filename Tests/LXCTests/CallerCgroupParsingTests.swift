import Glibc
@testable import LXC
import Testing

@Suite("Finding the caller's cgroups")
struct CallerCgroupParsingTests {
    let mountinfo = """
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    42 31 0:39 /sub /mnt/odd\\040dir rw,relatime - cgroup cgroup rw,pids
    """

    @Test func parsesProcSelfCgroup() {
        let memberships = CallerCgroups.parseProcCgroup("""
        4:memory:/process_api/31a5
        2:cpu,cpuacct:/
        1:name=systemd:/user.slice
        0::/lxc.monitor.web
        """)
        #expect(memberships == [
            CgroupMembership(controllers: "memory", path: "/process_api/31a5"),
            CgroupMembership(controllers: "cpu,cpuacct", path: "/"),
            CgroupMembership(controllers: "name=systemd", path: "/user.slice"),
            CgroupMembership(controllers: "", path: "/lxc.monitor.web"),
        ])
    }

    @Test func mapsMembershipsToDirectories() {
        let mounts = CallerCgroups.mountPoints(mountinfo: mountinfo)
        func directory(_ controllers: String, _ path: String) -> String? {
            CallerCgroups.directory(of: CgroupMembership(controllers: controllers, path: path), in: mounts)
        }
        #expect(directory("memory", "/process_api/31a5") == "/sys/fs/cgroup/memory/process_api/31a5")
        #expect(directory("cpuacct,cpu", "/") == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(directory("name=systemd", "/user.slice") == "/sys/fs/cgroup/systemd/user.slice")
        #expect(directory("", "/lxc.monitor.web") == "/sys/fs/cgroup/unified/lxc.monitor.web")
        // A mount of a subtree, at a path with a blank in it.
        #expect(directory("pids", "/sub/x") == "/mnt/odd dir/x")
        #expect(directory("pids", "/elsewhere") == nil)
        #expect(directory("blkio", "/") == nil)
    }

    @Test func parentPIDsAreReadPastCommandNamesWithBlanksAndParentheses() {
        #expect(CallerCgroups.parentPID(stat: "4242 (lxc-busybox) S 17381 4242 17381 0 -1") == 17381)
        #expect(CallerCgroups.parentPID(stat: "77 (a) b (c) R 12 77 77 0") == 12)
        #expect(CallerCgroups.parentPID(stat: "garbage") == nil)
    }

    @Test func thisProcessDescendsFromItsParentAndNotFromItsChild() {
        #expect(CallerCgroups.descends(from: getppid(), getpid()))
        #expect(!CallerCgroups.descends(from: getpid(), getppid()))
    }
}

extension CallerCgroupParsingTests {
    /// The restore after a start looks for strays only when some thread of the process has a
    /// child: a child forked by another thread, still running, must count.
    @Test func aChildOfAnotherThreadIsSeen() throws {
        struct Shared: Sendable { var child: pid_t = 0; var spawned = false; var done = false }
        let shared = Locked(Shared())
        let started = DetachedThread.start {
            var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
            var pid: pid_t = 0
            let result = posix_spawn(&pid, "/bin/sleep", nil, nil, &argv, environ)
            argv.forEach { free($0) }
            shared.withLock { $0.child = result == 0 ? pid : -1; $0.spawned = true }
            // Stay alive, so that the child's parent is this thread and not the test's.
            while !shared.withLock({ $0.done }) { usleep(10_000) }
        }
        try #require(started)
        defer { shared.withLock { $0.done = true } }
        for _ in 0..<500 where !shared.withLock({ $0.spawned }) { usleep(10_000) }
        let child = shared.withLock { $0.child }
        try #require(child > 0, "could not spawn /bin/sleep")
        defer {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
        }
        #expect(CallerCgroups.hasChildren() == true)
    }
}
