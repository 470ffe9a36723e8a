import Foundation
import LXC
import Testing

/// Files into and out of real busybox containers, running and stopped, with modes, owners
/// and id maps, and symbolic links planted inside that must never reach the host's files.
@Suite("Files in and out of real busybox containers", .integration, .timeLimit(.minutes(3)))
struct FileTransferTests {
    /// Why these tests run as root only.
    static let needsRoot = "files a container's root owns belong to its mapped host ids, which an ordinary user may not give (no CAP_CHOWN on the host)"

    /// A fresh host directory for one test, removed at the end.
    func withHostDirectory<R>(_ body: (String) throws -> R) throws -> R {
        let path = NSTemporaryDirectory() + "swift-lxc-files-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    /// Mode (permission bits), uid and gid of a host path, not following a link.
    func status(_ path: String) -> (mode: UInt32, uid: UInt32, gid: UInt32)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (UInt32(info.st_mode & 0o7777), info.st_uid, info.st_gid)
    }

    /// Where a path inside the container is on the host: the running init's root, or the
    /// directory-backed root filesystem.
    func hostPath(_ container: Container, _ path: String) -> String {
        if let pid = container.initPID { return "/proc/\(pid)/root\(path)" }
        return container.rootfsDirectory + path
    }

    @Test(.privilegedOnly(needsRoot), arguments: [false, true])
    func bytesModeAndOwnerRoundTrip(running: Bool) throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            if running { try container.start() }
            defer { if running { try? container.stop() } }
            let bytes = Array("line one\nline two\n".utf8) + [0, 255, 1]
            try container.write(bytes, to: "/tmp/greeting", mode: 0o640, owner: FileOwner(userID: 1000, groupID: 1001))
            #expect(try container.contents(of: "/tmp/greeting") == bytes)
            let written = try #require(status(hostPath(container, "/tmp/greeting")))
            #expect(written.mode == 0o640 && written.uid == 1000 && written.gid == 1001, "\(written)")
            if running {
                let seen = try container.output(of: ["ls", "-ln", "/tmp/greeting"]).standardOutputString
                #expect(seen.hasPrefix("-rw-r-----") && seen.contains(" 1000 ") && seen.contains(" 1001 "), "\(seen)")
            }

            // Written again: replaced, with the new mode and owner.
            try container.write(Array("short".utf8), to: "/tmp/greeting", mode: 0o600)
            #expect(try container.contents(of: "/tmp/greeting") == Array("short".utf8))
            #expect(status(hostPath(container, "/tmp/greeting")).map { $0.mode == 0o600 && $0.uid == 0 } == true)

            try withHostDirectory { host in
                try container.write(bytes, to: "/tmp/tool", mode: 0o4755)
                try container.pull("/tmp/tool", to: host)
                #expect(FileManager.default.contents(atPath: host + "/tool").map(Array.init) == bytes)
                // Set-user-id is dropped on the way out; the copy belongs to the caller.
                let pulled = try #require(status(host + "/tool"))
                #expect(pulled.mode == 0o755 && pulled.uid == geteuid(), "\(pulled)")

                #expect(FileManager.default.createFile(atPath: host + "/in.sh", contents: Data("echo hi\n".utf8),
                                               attributes: [.posixPermissions: 0o750]))
                try container.push(host + "/in.sh", to: "/tmp")
                #expect(try container.contents(of: "/tmp/in.sh") == Array("echo hi\n".utf8))
                #expect(status(hostPath(container, "/tmp/in.sh")).map { $0.mode == 0o750 && $0.uid == 0 } == true)
                if running {
                    #expect(try container.output(of: ["sh", "/tmp/in.sh"]).standardOutputString == "hi\n")
                }
            }
        }
    }

    @Test(.privilegedOnly(needsRoot), arguments: [false, true])
    func aTreeGoesInAndComesBackOut(running: Bool) throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            if running { try container.start() }
            defer { if running { try? container.stop() } }
            try withHostDirectory { host in
                let tree = host + "/job"
                try FileManager.default.createDirectory(atPath: tree + "/sub/deeper", withIntermediateDirectories: true)
                #expect(FileManager.default.createFile(atPath: tree + "/a.txt", contents: Data("a".utf8), attributes: [.posixPermissions: 0o644]))
                #expect(FileManager.default.createFile(atPath: tree + "/sub/b.txt", contents: Data("b".utf8), attributes: [.posixPermissions: 0o600]))
                #expect(FileManager.default.createFile(atPath: tree + "/sub/deeper/c", contents: Data(), attributes: [.posixPermissions: 0o755]))
                try FileManager.default.createSymbolicLink(atPath: tree + "/link", withDestinationPath: "a.txt")
                chmod(tree + "/sub", 0o750)

                try container.push(tree, to: "/tmp", owner: FileOwner(userID: 7, groupID: 8))
                #expect(try container.contents(of: "/tmp/job/sub/b.txt") == Array("b".utf8))
                #expect(try container.contents(of: "/tmp/job/link") == Array("a".utf8))
                let sub = try #require(status(hostPath(container, "/tmp/job/sub")))
                #expect(sub.mode == 0o750 && sub.uid == 7 && sub.gid == 8, "\(sub)")
                #expect(status(hostPath(container, "/tmp/job/sub/b.txt")).map { $0.mode == 0o600 && $0.uid == 7 } == true)
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: hostPath(container, "/tmp/job/link")) == "a.txt")
                if running {
                    let listed = try container.output(of: ["find", "/tmp/job"]).standardOutputString
                    #expect(listed.contains("/tmp/job/sub/deeper/c"), "\(listed)")
                }

                // Pushed again into an existing tree: merged, files replaced.
                #expect(FileManager.default.createFile(atPath: tree + "/a.txt", contents: Data("A2".utf8)))
                try container.push(tree, to: "/tmp")
                #expect(try container.contents(of: "/tmp/job/a.txt") == Array("A2".utf8))

                try container.pull("/tmp/job", to: host + "/back")
                #expect(FileManager.default.contents(atPath: host + "/back/sub/b.txt") == Data("b".utf8))
                #expect(FileManager.default.contents(atPath: host + "/back/a.txt") == Data("A2".utf8))
                #expect(FileManager.default.fileExists(atPath: host + "/back/sub/deeper/c"))
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host + "/back/link") == "a.txt")
                #expect(status(host + "/back/sub").map { $0.mode == 0o750 && $0.uid == geteuid() } == true)
            }
        }
    }

    @Test(.privilegedOnly(needsRoot), arguments: [false, true])
    func symbolicLinksInsideNeverReachTheHostsFiles(running: Bool) throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let rootfs = container.rootfsDirectory
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/etc/passwd-link", withDestinationPath: "/etc")
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/tmp/up", withDestinationPath: "../../../../../../..")
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/tmp/up-etc", withDestinationPath: "../../../../../../../etc")
            if running { try container.start() }
            defer { if running { try? container.stop() } }
            let probe = "swift-lxc-probe-" + UUID().uuidString.prefix(8)
            let hostEtc = try FileManager.default.contentsOfDirectory(atPath: "/etc")
            let hostPasswd = FileManager.default.contents(atPath: "/etc/passwd")
            defer {
                // Only if the library were wrong: never leave a probe in the host's /etc.
                try? FileManager.default.removeItem(atPath: "/etc/\(probe)")
                try? FileManager.default.removeItem(atPath: "/\(probe)")
            }

            // The link to /etc is the container's /etc.
            try container.write(Array("inside".utf8), to: "/etc/passwd-link/\(probe)")
            try container.write(Array("inside".utf8), to: "/tmp/up-etc/\(probe)-2")
            #expect(FileManager.default.contents(atPath: rootfs + "/etc/\(probe)") == Data("inside".utf8))
            #expect(FileManager.default.contents(atPath: rootfs + "/etc/\(probe)-2") == Data("inside".utf8))
            let containerPasswd = try #require(FileManager.default.contents(atPath: rootfs + "/etc/passwd")).map { $0 }
            #expect(containerPasswd != hostPasswd.map(Array.init))
            #expect(try container.contents(of: "/etc/passwd-link/passwd") == containerPasswd)
            #expect(try container.contents(of: "/tmp/up-etc/passwd") == containerPasswd)
            #expect(try container.contents(of: "/tmp/up/../../etc/passwd") == containerPasswd)

            // What would go through them to a host path throws instead.
            let directory = #expect(throws: LXCError.self) { try container.write(Array("x".utf8), to: "/etc/passwd-link") }
            #expect(directory?.kind == .invalidArgument, "\(String(describing: directory))")
            let above = #expect(throws: LXCError.self) { try container.write(Array("x".utf8), to: "/../../etc/\(probe)") }
            #expect(above?.kind == .invalidArgument, "\(String(describing: above))")
            #expect(above?.message.contains("above the container's root") == true)
            let relative = #expect(throws: LXCError.self) { try container.contents(of: "etc/passwd") }
            #expect(relative?.kind == .invalidArgument)

            try withHostDirectory { host in
                // A tree pushed through "../../.." lands at the container's root.
                try FileManager.default.createDirectory(atPath: host + "/\(probe)", withIntermediateDirectories: false)
                #expect(FileManager.default.createFile(atPath: host + "/\(probe)/f", contents: Data("f".utf8)))
                try container.push(host + "/\(probe)", to: "/tmp/up")
                #expect(FileManager.default.contents(atPath: rootfs + "/\(probe)/f") == Data("f".utf8))

                // A link planted where a pushed file goes is replaced, not followed.
                try container.push(host + "/\(probe)", to: "/tmp")
                try FileManager.default.removeItem(atPath: rootfs + "/tmp/\(probe)/f")
                try FileManager.default.createSymbolicLink(atPath: rootfs + "/tmp/\(probe)/f", withDestinationPath: "/etc/\(probe)-3")
                try container.push(host + "/\(probe)", to: "/tmp")
                #expect(!FileManager.default.fileExists(atPath: rootfs + "/etc/\(probe)-3"))
                #expect(status(rootfs + "/tmp/\(probe)/f").map { $0.mode & 0o7777 != 0 } == true)
                #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/tmp/\(probe)/f")) == nil)

                // Pulled through the link: the container's /etc, links copied as links.
                try container.pull("/tmp/up-etc", to: host + "/etc-copy")
                #expect(FileManager.default.contents(atPath: host + "/etc-copy/passwd").map(Array.init) == containerPasswd)
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host + "/etc-copy/passwd-link") == "/etc")
            }

            #expect(try FileManager.default.contentsOfDirectory(atPath: "/etc") == hostEtc)
            #expect(FileManager.default.contents(atPath: "/etc/passwd") == hostPasswd)
            #expect(!FileManager.default.fileExists(atPath: "/\(probe)"))
        }
    }

    @Test(.privilegedOnly(needsRoot)) func ownersAreShiftedThroughTheContainersIDMaps() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let maps = [try IDMap(.user, hostID: 200_000, count: 65536), try IDMap(.group, hostID: 300_000, count: 65536)]
            try container.setIDMaps(maps)
            try container.create(template: "busybox", options: .quiet)
            #expect(status(container.rootfsDirectory + "/etc/passwd").map { $0.uid == 200_000 && $0.gid == 300_000 } == true)

            try container.write(Array("x".utf8), to: "/tmp/root-owned")
            #expect(status(container.rootfsDirectory + "/tmp/root-owned").map { $0.uid == 200_000 && $0.gid == 300_000 } == true)
            try container.write(Array("x".utf8), to: "/tmp/user-owned", owner: FileOwner(userID: 1000, groupID: 1001))
            #expect(status(container.rootfsDirectory + "/tmp/user-owned").map { $0.uid == 201_000 && $0.gid == 301_001 } == true)

            let unmapped = #expect(throws: LXCError.self) {
                try container.write(Array("x".utf8), to: "/tmp/nobody", owner: FileOwner(userID: 70_000, groupID: 0))
            }
            #expect(unmapped?.kind == .invalidArgument)
            #expect(unmapped?.message.contains("do not map user id 70000") == true, "\(String(describing: unmapped))")

            try withHostDirectory { host in
                try FileManager.default.createDirectory(atPath: host + "/tree/sub", withIntermediateDirectories: true)
                #expect(FileManager.default.createFile(atPath: host + "/tree/sub/f", contents: Data("f".utf8)))
                try container.push(host + "/tree", to: "/tmp")
                for path in ["/tmp/tree", "/tmp/tree/sub", "/tmp/tree/sub/f"] {
                    #expect(status(container.rootfsDirectory + path).map { $0.uid == 200_000 && $0.gid == 300_000 } == true, "\(path)")
                }
            }
        }
    }

    @Test(.privilegedOnly(needsRoot)) func aStoppedOverlayCloneIsWrittenInItsUpperLayer() throws {
        try Sandbox.withBlocking { sandbox in
            try #require(BackingStore.overlay.isAvailable(in: sandbox.lxcpath))
            let base = try sandbox.busybox()
            try base.writeRootfsFile("/marker", "from the base")
            try FileManager.default.createSymbolicLink(atPath: base.rootfsDirectory + "/linkdir", withDestinationPath: "/etc/udhcpc")
            let clone = try base.clone(as: sandbox.uniqueName("ovl"), options: .snapshot, backingStore: .overlay)
            #expect(try clone.contents(of: "/marker") == Array("from the base".utf8))

            // A link of the lower layer on the way is not followed across the layers, and
            // no directory is made in its place.
            let acrossLayers = #expect(throws: LXCError.self) { try clone.write(Array("x".utf8), to: "/linkdir/x") }
            #expect(acrossLayers?.kind == .notFound, "\(String(describing: acrossLayers))")
            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(clone.name)/delta0/linkdir"))

            try clone.write(Array("clone".utf8), to: "/marker")
            try clone.write(Array("deep".utf8), to: "/etc/udhcpc/new-file")
            #expect(try clone.contents(of: "/marker") == Array("clone".utf8))
            #expect(base.readRootfsFile("/marker") == "from the base")
            #expect(!FileManager.default.fileExists(atPath: base.rootfsDirectory + "/etc/udhcpc/new-file"))

            try withHostDirectory { host in
                try clone.pull("/etc/udhcpc", to: host)
                #expect(FileManager.default.contents(atPath: host + "/udhcpc/new-file") == Data("deep".utf8))
                #expect(FileManager.default.fileExists(atPath: host + "/udhcpc/default.script"))
            }

            try clone.start()
            defer { try? clone.stop() }
            #expect(clone.readFileInside("/etc/udhcpc/new-file") == "deep")
            #expect(clone.readFileInside("/marker") == "clone")
        }
    }

    @Test(.privilegedOnly(needsRoot)) func missingPathsAndUnmountedStoresSaySo() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let missing = #expect(throws: LXCError.self) { try container.contents(of: "/no/such/file") }
            #expect(missing?.kind == .notFound)
            let noParent = #expect(throws: LXCError.self) { try container.write([1], to: "/no/such/file") }
            #expect(noParent?.kind == .notFound)
            let noHost = #expect(throws: LXCError.self) { try container.push("/nonexistent-\(UUID().uuidString)", to: "/tmp") }
            #expect(noHost?.kind == .notFound)
            let directory = #expect(throws: LXCError.self) { try container.contents(of: "/etc") }
            #expect(directory?.kind == .invalidArgument)

            let lvm = try sandbox.containerWithSavedConfig([("lxc.rootfs.path", "lvm:/dev/swift-lxc-none/rootfs")])
            let unsupported = #expect(throws: LXCError.self) { try lvm.contents(of: "/etc/hostname") }
            #expect(unsupported?.kind == .unsupported, "\(String(describing: unsupported))")
            #expect(unsupported?.message.contains("start it") == true)

            let undefined = try sandbox.container()
            let notDefined = #expect(throws: LXCError.self) { try undefined.contents(of: "/etc/hostname") }
            #expect(notDefined?.kind == .notFound)
        }
    }

    @Test(.privilegedOnly(needsRoot)) func asyncFormsWork() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            try await container.write(Array("async".utf8), to: "/tmp/async")
            #expect(try await container.contents(of: "/tmp/async") == Array("async".utf8))
        }
    }
}
