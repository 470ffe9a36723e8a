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
