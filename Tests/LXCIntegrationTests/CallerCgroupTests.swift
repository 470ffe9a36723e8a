import Foundation
@testable import LXC
import Testing

/// liblxc's daemonized start moves the calling process into the container's
/// `lxc.monitor.<name>` cgroup; the library moves it back, so that nothing is left behind.
@Suite("Starting leaves the caller's cgroups alone", .integration, .timeLimit(.minutes(3)))
struct CallerCgroupTests {
    @Test func repeatedStartsLeaveNoMonitorCgroupBehind() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let monitor = "lxc.monitor.\(container.name)"
            for _ in 0..<5 {
                try container.start()
                let monitors = Cgroups.named(monitor)
                #expect(!monitors.isEmpty, "liblxc should have made \(monitor)")
                for cgroup in monitors {
                    #expect(!Cgroups.pids(in: cgroup).contains(getpid()), "this process was left in \(cgroup)")
                }
                try container.stop()
            }
            // liblxc removes the monitor cgroup when the monitor exits, which it can do only
            // once the caller has left it. Give the monitor a moment to finish.
            let left = Cgroups.eventuallyGone(named: monitor)
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }
}

extension CallerCgroupTests {
    @Test func aFailedStartLeavesNoMonitorCgroupBehind() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.setConfigItem("lxc.rootfs.path", to: "dir:\(sandbox.lxcpath)/missing-rootfs")
            #expect(throws: LXCError.self) { try container.start() }
            let left = Cgroups.eventuallyGone(named: "lxc.monitor.\(container.name)")
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }
}

extension CallerCgroupTests {
    /// Another thread may fork while a start has this process in the monitor cgroups; the
    /// child is born there and would keep the monitor from removing them. The library moves
    /// such children home with the process (it looks for them only when the process has a
    /// child). Here the window is made by hand, in the library's own start bracket: the test
    /// joins the running container's monitor cgroups as liblxc's start does and spawns a child.
    @Test func aChildBornInTheMonitorCgroupIsMovedHomeToo() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let monitor = "lxc.monitor.\(container.name)"
            let monitors = Cgroups.named(monitor)
            try #require(!monitors.isEmpty, "liblxc should have made \(monitor)")
            let home = CallerCgroups.current()

            var child: pid_t = 0
            let spawned = CallerCgroups.preservingMembership {
                for cgroup in monitors { _ = writeToExistingFile(cgroup + "/cgroup.procs", String(getpid())) }
                var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
                defer { argv.forEach { free($0) } }
                return posix_spawn(&child, "/bin/sleep", nil, nil, &argv, environ) == 0
            }
            try #require(spawned && child > 0, "could not spawn /bin/sleep")
            defer {
                kill(child, SIGKILL)
                var status: Int32 = 0
                waitpid(child, &status, 0)
            }

            #expect(CallerCgroups.current() == home)
            let childCgroups = CallerCgroups.parseProcCgroup(readWholeFile("/proc/\(child)/cgroup") ?? "")
            #expect(childCgroups == home, "the child stayed in \(childCgroups.filter { !home.contains($0) })")
            for cgroup in monitors {
                let members = Cgroups.pids(in: cgroup)
                #expect(!members.contains(getpid()) && !members.contains(child), "\(cgroup) holds \(members)")
            }
            try container.stop()
            let left = Cgroups.eventuallyGone(named: monitor)
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }
}

extension CallerCgroupTests {
    /// The mount table behind every restore is read again after a mount or an unmount (the
    /// kernel marks the descriptor the library keeps on mountinfo), and the mounts it then
    /// returns are the new ones.
    @Test(.privilegedOnly("mounting a tmpfs needs root"))
    func theMountTableIsReadAgainAfterAMountAndAnUnmount() throws {
        try Sandbox.withBlocking { sandbox in
            let directory = sandbox.lxcpath + "/mountpoint"
            try #require(mkdir(directory, 0o700) == 0)
            try #require(CallerCgroups.MountTable.current() != nil, "mountinfo could not be read")

            // Other tests of this process may mount meanwhile, which only adds reads: what
            // must hold is that a mount of ours is never missed.
            let beforeMount = CallerCgroups.MountTable.reads
            try #require(mount("tmpfs", directory, "tmpfs", 0, "size=64k") == 0,
                         "mount tmpfs: \(String(cString: strerror(errno)))")
            var mounted = true
            defer { if mounted { umount(directory) } }
            #expect(CallerCgroups.MountTable.current() != nil)
            #expect(CallerCgroups.MountTable.reads > beforeMount, "a mount was not noticed")

            let beforeUnmount = CallerCgroups.MountTable.reads
            try #require(umount(directory) == 0)
            mounted = false
            #expect(CallerCgroups.MountTable.current() != nil)
            #expect(CallerCgroups.MountTable.reads > beforeUnmount, "an unmount was not noticed")
        }
    }

    /// Without a change of mounts the table is not read again (the point of keeping it). A
    /// mount made by a concurrent test in between is possible, so two quiet calls in a row
    /// need to be seen only once in a few tries.
    @Test func theMountTableIsNotReadAgainWithoutAChange() throws {
        try #require(CallerCgroups.MountTable.current() != nil, "mountinfo could not be read")
        var quiet = false
        for _ in 0..<5 where !quiet {
            let before = CallerCgroups.MountTable.reads
            _ = CallerCgroups.MountTable.current()
            quiet = CallerCgroups.MountTable.reads == before
        }
        #expect(quiet, "mountinfo was read again on every call")
    }
}
