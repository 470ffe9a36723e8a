import Foundation
import LXC
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
