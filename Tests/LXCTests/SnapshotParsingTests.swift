import Foundation
import Testing
@testable import LXC

@Suite("Snapshot timestamps, names and storage options")
struct SnapshotParsingTests {
    @Test func snapshotWithoutATimestampHasNoDate() {
        let snapshot = Snapshot(name: "snap0", timestamp: "", commentPath: nil, comment: nil, lxcpath: "/x/c/snaps")
        #expect(snapshot.date == nil)
        #expect(snapshot.number == 0)
    }

    @Test(arguments: [("snap0", 0), ("snap1", 1), ("snap10", 10), ("snap123456789", 123456789)] as [(String, Int)])
    func liblxcSnapshotNamesHaveNumbers(name: String, number: Int) {
        #expect(Snapshot.number(of: name) == number)
    }

    @Test(arguments: ["snap", "snap01", "snap-1", "snap+1", "Snap1", "snapshot1", "snap1a", "mine", "snap1234567890"])
    func otherNamesHaveNone(name: String) {
        #expect(Snapshot.number(of: name) == nil)
    }

    @Test func snapshotsAreListedInNumberOrderNotTextOrder() {
        func make(_ name: String) -> Snapshot {
            Snapshot(name: name, timestamp: "", commentPath: nil, comment: nil, lxcpath: "/x")
        }
        let names = ["snap10", "extra", "snap2", "snap0", "another", "snap1"]
        let sorted = names.map(make).sorted(by: Snapshot.listOrder).map(\.name)
        #expect(sorted == ["snap0", "snap1", "snap2", "snap10", "another", "extra"])
    }

    @Test func overlayDependentsAreReadAsPairsOfLines() throws {
        let directory = NSTemporaryDirectory() + "swift-lxc-deps-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/base", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(Container.overlayDependents(name: "base", lxcpath: directory).isEmpty)
        try "/var/lib/lxc\nclone1\n/srv/lxc\nclone2\n".write(toFile: directory + "/base/lxc_snapshots", atomically: true, encoding: .utf8)
        let dependents = Container.overlayDependents(name: "base", lxcpath: directory)
        #expect(dependents.map(\.name) == ["clone1", "clone2"])
        #expect(dependents.map(\.lxcpath) == ["/var/lib/lxc", "/srv/lxc"])
    }

    @Test func backupNamesFitTheLongestContainerName() throws {
        let long = String(repeating: "a", count: Validate.maximumNameLength)
        let backup = Container.backupName(for: long)
        #expect(backup.utf8.count <= Validate.maximumNameLength)
        try Validate.name(backup, operation: "test")
        #expect(Container.backupName(for: "web").hasPrefix("web-pre-restore-"))
    }

    @Test func lastConfigValueWins() {
        let text = "lxc.rootfs.path = /a\n# lxc.rootfs.path = /commented\nlxc.rootfs.pathx = /no\n  lxc.rootfs.path=overlay:/b:/c  \n"
        #expect(Container.lastConfigValue("lxc.rootfs.path", in: text) == "overlay:/b:/c")
        #expect(Container.lastConfigValue("lxc.uts.name", in: text) == nil)
    }

    @Test func cloneOptionsAreLiblxcsFlags() {
        #expect(CloneOptions.keepName.rawValue == 1)
        #expect(CloneOptions.keepMACAddress.rawValue == 2)
        #expect(CloneOptions.snapshot.rawValue == 4)
        #expect(CloneOptions.keepBackingStoreType.rawValue == 8)
        #expect(CloneOptions.maybeSnapshot.rawValue == 16)
        #expect(CloneOptions.allowRunning.rawValue == 64)
        #expect(CloneOptions([.keepName, .snapshot]).rawValue == 5)
    }

    @Test(arguments: [
        BackingStoreSpecs(filesystemType: ""),
        BackingStoreSpecs(filesystemType: "ext4\nlxc.init.cmd = /x"),
        BackingStoreSpecs(filesystemType: "ext 4"),
        BackingStoreSpecs(size: 0),
        BackingStoreSpecs(lvmVolumeGroup: "vg/x"),
        BackingStoreSpecs(directory: "relative/rootfs"),
        BackingStoreSpecs(directory: "/a\0b"),
        BackingStoreSpecs(rbdPool: "pool\r\nx"),
    ])
    func badSpecsAreRefused(specs: BackingStoreSpecs) {
        let error = #expect(throws: LXCError.self) { try specs.validate(operation: "create", container: "c") }
        #expect(error?.kind == .invalidArgument)
    }

    @Test func goodSpecsPassAndReachC() throws {
        let specs = BackingStoreSpecs(filesystemType: "xfs", size: 1 << 30, zfsRoot: "tank/lxc", lvmVolumeGroup: "vg0",
                                      lvmLogicalVolume: "web", lvmThinPool: "thin", directory: "/srv/web",
                                      rbdName: "img", rbdPool: "rbd")
        try specs.validate(operation: "create", container: "c")
        specs.withCSpecs { pointer in
            #expect(String(cString: pointer.pointee.fstype) == "xfs")
            #expect(pointer.pointee.fssize == 1 << 30)
            #expect(String(cString: pointer.pointee.zfs.zfsroot) == "tank/lxc")
            #expect(String(cString: pointer.pointee.lvm.vg) == "vg0")
            #expect(String(cString: pointer.pointee.lvm.lv) == "web")
            #expect(String(cString: pointer.pointee.lvm.thinpool) == "thin")
            #expect(String(cString: pointer.pointee.dir) == "/srv/web")
            #expect(String(cString: pointer.pointee.rbd.rbdname) == "img")
            #expect(String(cString: pointer.pointee.rbd.rbdpool) == "rbd")
        }
        BackingStoreSpecs().withCSpecs { pointer in
            #expect(pointer.pointee.fstype == nil)
            #expect(pointer.pointee.fssize == 0)
            #expect(pointer.pointee.dir == nil)
        }
    }

    @Test func directoryAndBestAreAlwaysAvailable() {
        #expect(BackingStore.directory.unavailableReason(in: "/tmp") == nil)
        #expect(BackingStore.bestAvailable.isAvailable(in: "/tmp"))
    }
}
