import Foundation
import LXC
import Testing

@Suite("Clones and backing stores of real busybox containers", .integration, .timeLimit(.minutes(3)))
struct CloneTests {
    @Test func directoryCloneIsIndependentAndStarts() throws {
        try Sandbox.withBlocking { sandbox in
            let original = try sandbox.busybox()
            try original.writeRootfsFile("/marker", "from the original")
            let clone = try original.clone(as: sandbox.uniqueName("copy"))
            #expect(clone.isDefined)
            #expect(clone.backingStore == .directory)
            #expect(clone.readRootfsFile("/marker") == "from the original")

            try clone.writeRootfsFile("/only-in-clone", "x")
            #expect(original.readRootfsFile("/only-in-clone") == nil)
            try original.writeRootfsFile("/only-in-original", "y")
            #expect(clone.readRootfsFile("/only-in-original") == nil)

            // Usable at once: the configuration is loaded and the clone starts.
            let rootfs = try #require(try clone.configItem("lxc.rootfs.path"))
            #expect(rootfs.contains(clone.name) && !rootfs.contains(original.name))
            try clone.start()
            #expect(clone.state == .running)
            #expect(clone.readFileInside("/only-in-clone") == "x")
            #expect(original.state == .stopped)
            try clone.stop()
        }
    }

    @Test func overlaySnapshotCloneStartsAndSeesTheBasesFiles() throws {
        try Sandbox.withBlocking { sandbox in
            let overlayMissing = BackingStore.overlay.unavailableReason(in: sandbox.lxcpath)
            try #require(overlayMissing == nil, "overlay: \(overlayMissing ?? "")")
            let base = try sandbox.busybox()
            try base.writeRootfsFile("/marker", "from the base")
            let clone = try base.clone(as: sandbox.uniqueName("ovl"), options: .snapshot, backingStore: .overlay)
            #expect(clone.backingStore == .overlay)

            try clone.start()
            #expect(clone.state == .running)
            #expect(clone.readFileInside("/marker") == "from the base")
            #expect(FileManager.default.fileExists(atPath: "/proc/\(clone.initPID ?? 0)/root/bin/busybox"))
            try clone.stop()

            // The base is pinned by its overlay clone.
            let pinned = #expect(throws: LXCError.self) { try base.destroy() }
            #expect(pinned?.kind == .wrongState)
            #expect(pinned?.message.contains(clone.name) == true)
            #expect(base.isDefined)
            try clone.destroy()
            try base.destroy()
        }
    }

    @Test func snapshotOptionWithoutABackingStoreMakesAnOverlayOfADirectory() throws {
        try Sandbox.withBlocking { sandbox in
            try #require(BackingStore.overlay.isAvailable(in: sandbox.lxcpath))
            let base = try sandbox.busybox()
            let clone = try base.clone(as: sandbox.uniqueName("snap"), options: [.snapshot])
            #expect(clone.backingStore == .overlay)
            // With maybeSnapshot and keepBackingStoreType, a directory is copied instead.
            let copy = try base.clone(as: sandbox.uniqueName("copy"), options: [.maybeSnapshot, .keepBackingStoreType])
            #expect(copy.backingStore == .directory)
        }
    }

    @Test(.enabled(if: BackingStore.loop.isAvailable(),
                   Comment(rawValue: "skipped: this host has no loop backing store: \(BackingStore.loop.unavailableReason() ?? "")")),
          .privilegedOnly("a loop-backed container needs a loop device, mkfs and a mount of its ext4 image on the host, which need root"))
    func loopBackedCloneAndCreateStart() throws {
        try Sandbox.withBlocking { sandbox in
            let base = try sandbox.busybox()
            try base.writeRootfsFile("/marker", "from the base")
            let clone = try base.clone(as: sandbox.uniqueName("loop"), backingStore: .loop, size: 64 << 20)
            #expect(clone.backingStore == .loop)
            let image = "\(sandbox.lxcpath)/\(clone.name)/rootdev"
            #expect(FileManager.default.fileExists(atPath: image))
            let size = try FileManager.default.attributesOfItem(atPath: image)[.size] as? UInt64
            // liblxc makes the image one byte longer than asked.
            #expect((64 << 20)...(64 << 20) + 4096 ~= size ?? 0)
            try clone.start()
            #expect(clone.readFileInside("/marker") == "from the base")
            try clone.stop()

            let created = try sandbox.container()
            try created.create(template: "busybox", backingStore: .loop,
                               specs: BackingStoreSpecs(filesystemType: "ext4", size: 48 << 20), options: .quiet)
            #expect(created.backingStore == .loop)
            let createdSize = try FileManager.default.attributesOfItem(atPath: "\(sandbox.lxcpath)/\(created.name)/rootdev")[.size] as? UInt64
            #expect((48 << 20)...(48 << 20) + 4096 ~= createdSize ?? 0)
        }
    }

    @Test func keepNameKeepsTheHostName() throws {
        try Sandbox.withBlocking { sandbox in
            let original = try sandbox.busybox()
            #expect(try original.configItem("lxc.uts.name") == original.name)
            // liblxc rewrites /etc/hostname in a clone's root filesystem when there is one.
            try original.writeRootfsFile("/etc/hostname", original.name)

            let kept = try original.clone(as: sandbox.uniqueName("kept"), options: .keepName)
            #expect(try kept.configItem("lxc.uts.name") == original.name)
            #expect(kept.readRootfsFile("/etc/hostname") == original.name)
            try kept.start()
            #expect(try kept.runningConfigItem("lxc.uts.name") == original.name)
            try kept.stop()

            let renamed = try original.clone(as: sandbox.uniqueName("renamed"))
            #expect(try renamed.configItem("lxc.uts.name") == renamed.name)
            #expect(renamed.readRootfsFile("/etc/hostname") == renamed.name)
            try renamed.start()
            #expect(try renamed.runningConfigItem("lxc.uts.name") == renamed.name)
            try renamed.stop()
        }
    }

    @Test func keepMACAddressKeepsTheInterfacesAddresses() throws {
        try Sandbox.withBlocking { sandbox in
            let original = try sandbox.busybox()
            // A second interface with a fixed address (never started: no link is needed).
            try original.setConfigItem("lxc.net.1.type", to: "veth")
            try original.setConfigItem("lxc.net.1.hwaddr", to: "00:16:3e:12:34:56")
            try original.saveConfig()

            let kept = try original.clone(as: sandbox.uniqueName("mac"), options: .keepMACAddress)
            #expect(try kept.configItem("lxc.net.1.hwaddr") == "00:16:3e:12:34:56")
            let fresh = try original.clone(as: sandbox.uniqueName("newmac"))
            let address = try #require(try fresh.configItem("lxc.net.1.hwaddr"))
            #expect(address != "00:16:3e:12:34:56")
            #expect(address.hasPrefix("00:16:3e:"))
        }
    }

    @Test func cloneOntoAnExistingNameFailsAndLeavesBothIntact() throws {
        try Sandbox.withBlocking { sandbox in
            let first = try sandbox.busybox()
            let second = try sandbox.busybox()
            try first.writeRootfsFile("/marker", "first")
            try second.writeRootfsFile("/marker", "second")
            let secondConfig = try String(contentsOfFile: "\(sandbox.lxcpath)/\(second.name)/config", encoding: .utf8)

            let error = #expect(throws: LXCError.self) { _ = try first.clone(as: second.name) }
            #expect(error?.kind == .alreadyExists)
            #expect(error?.message.contains(second.name) == true)

            #expect(first.isDefined && second.isDefined)
            #expect(first.readRootfsFile("/marker") == "first")
            #expect(second.readRootfsFile("/marker") == "second")
            #expect(try String(contentsOfFile: "\(sandbox.lxcpath)/\(second.name)/config", encoding: .utf8) == secondConfig)
            try second.start()
            try second.stop()

            // The same name in the same lxcpath is refused before anything happens.
            let same = #expect(throws: LXCError.self) { _ = try first.clone(as: first.name) }
            #expect(same?.kind == .invalidArgument)
        }
    }

    @Test func cloneIntoAnotherLXCPathKeepsTheName() throws {
        try Sandbox.withBlocking { sandbox in
            try Sandbox.withBlocking { other in
                let original = try sandbox.busybox()
                let clone = try original.clone(as: original.name, in: other.lxcpath)
                #expect(clone.lxcpath == other.lxcpath)
                #expect(clone.isDefined && original.isDefined)
                try clone.start()
                try clone.stop()
            }
        }
    }

    @Test func runningOriginalIsRefusedAndBadInputChangesNothing() throws {
        try Sandbox.withBlocking { sandbox in
            let original = try sandbox.busybox()
            try original.start()
            let running = #expect(throws: LXCError.self) { _ = try original.clone(as: sandbox.uniqueName("c")) }
            #expect(running?.kind == .wrongState)
            // With .allowRunning, liblxc copies the running container's root filesystem.
            let live = try original.clone(as: sandbox.uniqueName("live"), options: .allowRunning)
            #expect(live.isDefined)
            #expect(original.state == .running)
            try original.stop()
            try live.destroy()

            for bad in ["", "a/b", "..", "x\ny"] {
                let error = #expect(throws: LXCError.self) { _ = try original.clone(as: bad) }
                #expect(error?.kind == .invalidArgument)
            }
            #expect(throws: LXCError.self) { _ = try original.clone(as: sandbox.uniqueName("c"), in: "relative/path") }
            #expect(throws: LXCError.self) { _ = try original.clone(as: sandbox.uniqueName("c"), size: 0) }
            #expect(try Container.names(in: sandbox.lxcpath) == [original.name])

            let undefined = try sandbox.container()
            let missing = #expect(throws: LXCError.self) { _ = try undefined.clone(as: sandbox.uniqueName("c")) }
            #expect(missing?.kind == .notFound)
        }
    }

    static let absentStores = [BackingStore.btrfs, .zfs, .lvm, .rbd].filter { !$0.isAvailable(in: "/tmp") }

    @Test(arguments: absentStores)
    func backingStoresThisHostLacksAreRefusedWithTheReason(store: BackingStore) throws {
        try Sandbox.withBlocking { sandbox in
            let reason = try #require(store.unavailableReason(in: sandbox.lxcpath))
            let original = try sandbox.busybox()
            let target = sandbox.uniqueName("c")
            let cloneError = #expect(throws: LXCError.self) { _ = try original.clone(as: target, backingStore: store) }
            #expect(cloneError?.kind == .unsupported)
            #expect(cloneError?.message.contains(store.liblxcName) == true)
            #expect(cloneError?.message.contains(reason) == true)

            let created = try sandbox.container()
            let createError = #expect(throws: LXCError.self) {
                try created.create(template: "busybox", backingStore: store, options: .quiet)
            }
            #expect(createError?.kind == .unsupported)
            #expect(createError?.message.contains(reason) == true)
            #expect(!created.isDefined)
            #expect(try Container.names(in: sandbox.lxcpath) == [original.name])
        }
    }

    @Test func bestAvailableFallsBackToWhatTheHostHas() throws {
        try Sandbox.withBlocking { sandbox in
            let original = try sandbox.busybox()
            let clone = try original.clone(as: sandbox.uniqueName("best"), backingStore: .bestAvailable)
            let expected = [BackingStore.btrfs, .zfs, .lvm, .directory].first { $0.isAvailable(in: sandbox.lxcpath) }
            #expect(clone.backingStore == expected)

            let created = try sandbox.container()
            try created.create(template: "busybox", backingStore: .bestAvailable, options: .quiet)
            #expect(created.isDefined)
        }
    }

    @Test func createWithADirectorySpecPutsTheRootfsThere() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let rootfs = "\(sandbox.lxcpath)/elsewhere-\(container.name)"
            try container.create(template: "busybox", specs: BackingStoreSpecs(directory: rootfs), options: .quiet)
            #expect(FileManager.default.fileExists(atPath: "\(rootfs)/bin/busybox"))
            #expect(try container.configItem("lxc.rootfs.path")?.hasSuffix(rootfs) == true)

            let bad = try sandbox.container()
            let error = #expect(throws: LXCError.self) {
                try bad.create(template: "busybox", specs: BackingStoreSpecs(directory: "relative"), options: .quiet)
            }
            #expect(error?.kind == .invalidArgument)
            let injected = #expect(throws: LXCError.self) {
                try bad.create(template: "busybox", specs: BackingStoreSpecs(directory: "/tmp/x\nlxc.init.cmd = /bin/evil"))
            }
            #expect(injected?.kind == .invalidArgument)
            #expect(!bad.isDefined)
        }
    }

    @Test func cloneHooksReceiveTheHookArguments() throws {
        try Sandbox.withBlocking { sandbox in
            let original = try sandbox.busybox()
            let output = "\(sandbox.lxcpath)/hook-output"
            let hook = "\(sandbox.lxcpath)/clone-hook.sh"
            try "#!/bin/sh\necho \"$@\" > \(output)\n".write(toFile: hook, atomically: true, encoding: .utf8)
            chmod(hook, 0o755)
            try original.setConfigItem("lxc.hook.clone", to: hook)
            try original.saveConfig()

            _ = try original.clone(as: sandbox.uniqueName("hooked"), hookArguments: ["first", "second argument"])
            let written = try String(contentsOfFile: output, encoding: .utf8)
            #expect(written.hasSuffix("first second argument\n"), "hook saw: \(written)")
        }
    }

    @Test func asyncClone() async throws {
        try await Sandbox.with { sandbox in
            let original: Container = try await sandbox.busybox()
            let clone = try await original.clone(as: sandbox.uniqueName("async"), options: .keepMACAddress)
            #expect(clone.isDefined)
            try await clone.start()
            try await clone.stop()
        }
    }
}
