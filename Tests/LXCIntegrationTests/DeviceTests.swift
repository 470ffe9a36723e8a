import Foundation
import LXC
import Testing

@Suite("Device nodes and mounts of real containers", .integration, .timeLimit(.minutes(3)))
struct DeviceTests {
    /// Runs `command` with the container's busybox shell inside its mount namespace and its
    /// devices cgroup (v1), the way a process of the container would: the attach API is not
    /// used here.
    static func runInside(_ container: Container, _ command: String) throws -> HostTools.Result {
        let pid = try #require(container.initPID)
        var script = ""
        if let devices = HostTools.v1Cgroup(of: pid, controller: "devices") {
            script += "echo $$ > '\(devices)/cgroup.procs' || exit 99; "
        }
        script += "exec nsenter -t \(pid) -m -- /bin/sh -c '\(command)'"
        return try HostTools.run(["sh", "-c", script])
    }

    @Test(.privilegedOnly("an unprivileged container may not make device nodes (mknod needs CAP_MKNOD on the host) and has no devices cgroup of its own to allow them in"))
    func devNullAddedAtANewPathIsUsableInside() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let pid = try #require(container.initPID)
            let node = "/proc/\(pid)/root/dev/swlx-null"

            try container.addDeviceNode("/dev/null", at: "/dev/swlx-null")
            var info = stat()
            try #require(stat(node, &info) == 0, "the node exists in the container")
            #expect(info.st_mode & S_IFMT == S_IFCHR)
            var host = stat()
            _ = stat("/dev/null", &host)
            #expect(info.st_rdev == host.st_rdev, "the node is the host's /dev/null (1:3)")
            let used = try Self.runInside(container, "echo hello > /dev/swlx-null && echo written")
            #expect(used.status == 0 && used.output.contains("written"), "\(used.output)")

            try container.removeDeviceNode("/dev/null", at: "/dev/swlx-null")
            #expect(stat(node, &info) != 0, "the node is gone")
        }
    }

    @Test func badDevicesAndPathsAreRefused() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let stopped = #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/null", at: "/dev/x") }
            #expect(stopped?.kind == .wrongState)

            try container.start()
            let notDevice = #expect(throws: LXCError.self) { try container.addDeviceNode("/etc/passwd") }
            #expect(notDevice?.kind == .notFound)
            let missing = #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/swlx-no-such") }
            #expect(missing?.kind == .notFound)
            for bad in ["dev/null", "/dev/../etc/x", "/dev/a\nb", ""] {
                let error = #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/null", at: bad) }
                #expect(error?.kind == .invalidArgument, "\(bad)")
            }
        }
    }

    @Test(.privilegedOnly("it makes a shared mount point on the host (mount --bind, --make-shared), which needs root"))
    func hostDirectoryIsMountedIntoARunningContainerAndUnmounted() throws {
        guard LXC.hasAPIExtension("mount_injection_file") else {
            // Then mount must say so.
            try Sandbox.withBlocking { sandbox in
                let container = try sandbox.busybox()
                try container.start()
                let error = #expect(throws: LXCError.self) { try container.mount("/tmp", at: "/mnt", flags: .bind) }
                #expect(error?.kind == .unsupported)
                #expect(error?.message.contains("mount_injection_file") == true)
            }
            return
        }
        try Sandbox.withBlocking { sandbox in
            let source = "\(sandbox.lxcpath)/mount-source"
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try "from the host\n".write(toFile: "\(source)/hello", atomically: true, encoding: .utf8)

            let container = try sandbox.busybox()
            let shared = "\(sandbox.lxcpath)/shmounts-\(container.name)"
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            // liblxc needs the host side to be a shared mount (it is on systemd hosts, where /
            // is shared), so that what it mounts there propagates into the container.
            try HostTools.require(["mount", "--bind", shared, shared])
            defer { _ = try? HostTools.run(["umount", "-l", shared]) }
            try HostTools.require(["mount", "--make-shared", shared])
            try container.setConfigItem("lxc.mount.auto", to: "shmounts:\(shared):/dev/.lxc-mounts")
            try container.saveConfig()
            try container.start()
            let pid = try #require(container.initPID)

            try container.mount(source, at: "/mnt/swlx", flags: .bind)
            let seen = try? String(contentsOfFile: "/proc/\(pid)/root/mnt/swlx/hello", encoding: .utf8)
            #expect(seen == "from the host\n")

            try container.unmount("/mnt/swlx")
            #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/root/mnt/swlx/hello"))
        }
    }

    @Test func mountWithoutASharedMountPointSaysWhatIsMissing() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let error = #expect(throws: LXCError.self) { try container.mount("/tmp", at: "/mnt/x", flags: .bind) }
            if LXC.hasAPIExtension("mount_injection_file") {
                #expect(error?.kind == .wrongState)
                #expect(error?.message.contains("shmounts") == true, "\(String(describing: error))")
            } else {
                #expect(error?.kind == .unsupported)
            }
            let relative = #expect(throws: LXCError.self) { try container.unmount("mnt/x") }
            #expect(relative?.kind == .invalidArgument)
        }
    }

    // MARK: only device nodes are replaced or removed

    static let chrootReason = "device nodes are made and looked at from a process chrooted into the container (CAP_SYS_CHROOT, CAP_MKNOD on the host)"

    @Test(.privilegedOnly(chrootReason))
    func aRegularFileAtTheDestinationIsNeitherReplacedNorRemoved() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let root = "/proc/\(try #require(container.initPID))/root"
            let file = "/dev/swlx-file"
            try "precious\n".write(toFile: root + file, atomically: false, encoding: .utf8)

            let added = #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/null", at: file) }
            #expect(added?.kind == .alreadyExists, "\(String(describing: added))")
            #expect(added?.message.contains("regular file") == true, "\(String(describing: added))")
            let removed = #expect(throws: LXCError.self) { try container.removeDeviceNode("/dev/null", at: file) }
            #expect(removed?.kind == .invalidArgument, "\(String(describing: removed))")
            #expect(try String(contentsOfFile: root + file, encoding: .utf8) == "precious\n")

            // At the source's own path, where liblxc's add_device_node does the work: the
            // container's /dev/full made a regular file.
            unlink(root + "/dev/full")
            try "also precious\n".write(toFile: root + "/dev/full", atomically: false, encoding: .utf8)
            let addedThere = #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/full") }
            #expect(addedThere?.kind == .alreadyExists, "\(String(describing: addedThere))")
            let removedThere = #expect(throws: LXCError.self) { try container.removeDeviceNode("/dev/full") }
            #expect(removedThere?.kind == .invalidArgument, "\(String(describing: removedThere))")
            #expect(try String(contentsOfFile: root + "/dev/full", encoding: .utf8) == "also precious\n")
        }
    }

    @Test(.privilegedOnly(chrootReason))
    func aDirectoryAtTheDestinationIsNeitherReplacedNorRemoved() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let root = "/proc/\(try #require(container.initPID))/root"
            let directory = "/dev/swlx-directory"
            #expect(mkdir(root + directory, 0o755) == 0)

            let added = #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/null", at: directory) }
            #expect(added?.kind == .alreadyExists, "\(String(describing: added))")
            let removed = #expect(throws: LXCError.self) { try container.removeDeviceNode("/dev/null", at: directory) }
            #expect(removed?.kind == .invalidArgument, "\(String(describing: removed))")
            var info = stat()
            #expect(lstat(root + directory, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR, "the directory is still there")
        }
    }

    @Test(.privilegedOnly(chrootReason))
    func aSymbolicLinkAtTheDestinationIsNeitherReplacedNorRemovedNorFollowedOut() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let root = "/proc/\(try #require(container.initPID))/root"
            // A link to a file of the host (by its host path) and one to the container's own.
            let hostFile = "\(sandbox.lxcpath)/host-file"
            try "host\n".write(toFile: hostFile, atomically: false, encoding: .utf8)
            #expect(symlink(hostFile, root + "/dev/swlx-host-link") == 0)
            #expect(symlink("/etc/passwd", root + "/dev/swlx-link") == 0)
            let passwd = try LXCCtlRunner.bytes(of: root + "/etc/passwd")

            for link in ["/dev/swlx-host-link", "/dev/swlx-link"] {
                let added = #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/null", at: link) }
                #expect(added?.kind == .alreadyExists, "\(link): \(String(describing: added))")
                #expect(added?.message.contains("symbolic link") == true, "\(link): \(String(describing: added))")
                let removed = #expect(throws: LXCError.self) { try container.removeDeviceNode("/dev/null", at: link) }
                #expect(removed?.kind == .invalidArgument, "\(link): \(String(describing: removed))")
                var info = stat()
                #expect(lstat(root + link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK, "\(link) is still a link")
            }
            #expect(try String(contentsOfFile: hostFile, encoding: .utf8) == "host\n")
            #expect(try LXCCtlRunner.bytes(of: root + "/etc/passwd") == passwd)

            // A link to a host directory in the middle of the path resolves inside the
            // container, where that directory does not exist: nothing appears on the host.
            #expect(symlink(sandbox.lxcpath, root + "/dev/swlx-host-directory") == 0)
            #expect(throws: LXCError.self) { try container.addDeviceNode("/dev/null", at: "/dev/swlx-host-directory/node") }
            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/node"))
        }
    }

    @Test(.privilegedOnly(chrootReason))
    func aDeviceNodeAtTheDestinationIsReplaced() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let root = "/proc/\(try #require(container.initPID))/root"
            try container.addDeviceNode("/dev/null", at: "/dev/swlx-node")
            try container.addDeviceNode("/dev/zero", at: "/dev/swlx-node")
            var node = stat(), zero = stat()
            #expect(stat(root + "/dev/swlx-node", &node) == 0 && stat("/dev/zero", &zero) == 0)
            #expect(node.st_mode & S_IFMT == S_IFCHR && node.st_rdev == zero.st_rdev)
            try container.removeDeviceNode("/dev/zero", at: "/dev/swlx-node")
            #expect(lstat(root + "/dev/swlx-node", &node) != 0)
        }
    }
}
