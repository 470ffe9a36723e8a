import Foundation
import LXC
import Testing

@Suite("Init pidfd, devpts and seccomp notify descriptors of real containers", .integration, .timeLimit(.minutes(3)))
struct DescriptorTests {
    /// The `Pid:` line of a pidfd's fdinfo: the pid it refers to.
    static func pidOfPidfd(_ fd: Int32) -> String? {
        let info = (try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").first { $0.hasPrefix("Pid:") }.map {
            String($0.dropFirst(4).trimmingCharacters(in: .whitespaces))
        }
    }

    @Test func initPidfdRefersToInit() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let stopped = #expect(throws: LXCError.self) { try container.initPIDFileDescriptor() }
            #expect(stopped?.kind == .wrongState)

            try container.start()
            let pid = try #require(container.initPID)
            let fd = try container.initPIDFileDescriptor()
            defer { close(fd) }
            #expect(Self.pidOfPidfd(fd) == String(pid))
        }
    }

    @Test func devptsDescriptorIsTheContainersDevpts() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let pid = try #require(container.initPID)
            let fd = try container.devptsFileDescriptor()
            defer { close(fd) }
            // The same file system as the container's /dev/pts, and not the host's.
            var received = stat()
            var inside = stat()
            var host = stat()
            try #require(fstat(fd, &received) == 0)
            try #require(stat("/proc/\(pid)/root/dev/pts", &inside) == 0)
            _ = stat("/dev/pts", &host)
            #expect(received.st_dev == inside.st_dev)
            #expect(received.st_dev != host.st_dev)
        }
    }

    @Test func seccompNotifyDescriptorNeedsANotifyPolicy() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let error = #expect(throws: LXCError.self) { try container.seccompNotifyFileDescriptor() }
            #expect(error?.kind == .failed || error?.kind == .unsupported)
            #expect(error?.message.contains("seccomp") == true, "\(String(describing: error))")
            #expect(try container.localSeccompNotifyFileDescriptor() == nil, "a daemonized container's notifier is in its monitor")
        }
    }

    @Test func seccompNotifyDescriptorOfAContainerWithANotifyPolicy() throws {
        try Sandbox.withBlocking { sandbox in
            try #require(LXC.hasAPIExtension("seccomp_notify"), "this liblxc has no seccomp notify")
            let container = try sandbox.busybox()
            let policy = "\(sandbox.lxcpath)/notify.seccomp"
            try "2\ndenylist\n[all]\nmknodat notify\n".write(toFile: policy, atomically: true, encoding: .utf8)
            try container.setConfigItem("lxc.seccomp.profile", to: policy)
            try container.saveConfig()
            try container.start()
            let fd = try container.seccompNotifyFileDescriptor()
            defer { close(fd) }
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
            #expect(link.contains("seccomp"), "\(link)")
        }
    }
}
