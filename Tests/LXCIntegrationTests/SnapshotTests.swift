import Foundation
import LXC
import Synchronization
import Testing

@Suite("Snapshots of real busybox containers", .integration, .timeLimit(.minutes(3)))
struct SnapshotTests {
    @Test func restoredSnapshotHasTheOldMarkerWhileTheOriginalKeepsTheNewOne() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.writeRootfsFile("/marker", "old")
            let name = try container.snapshot(comment: "before the change")
            #expect(name == "snap0")
            try container.writeRootfsFile("/marker", "new")

            let restoredName = sandbox.uniqueName("restored")
            let restored = try container.restoreSnapshot("snap0", as: restoredName)
            #expect(restored.name == restoredName)
            #expect(restored.isDefined)
            #expect(restored.readRootfsFile("/marker") == "old")
            #expect(container.readRootfsFile("/marker") == "new")
            // The returned container has its configuration loaded.
            let rootfs = try #require(try restored.configItem("lxc.rootfs.path"))
            #expect(rootfs.contains(restoredName))
            // The snapshot is still there.
            #expect(try container.snapshots().map(\.name) == ["snap0"])

            try restored.start()
            #expect(restored.state == .running)
            #expect(restored.readFileInside("/marker") == "old")
            try restored.stop()
        }
    }

    /// liblxc copies a directory-backed container with an rsync it starts by a raw clone;
    /// made straight from this multi-threaded process, that child could inherit stdio's lock
    /// from a thread that was opening a file, and hang for ever. The library makes such calls
    /// from a single-threaded child: snapshots and clones finish while other threads hold
    /// that lock half the time.
    @Test(.disabled(if: StdioLockHolders.underSanitizer,
                    "a sanitizer's fork takes its own locks before stdio's; with threads holding stdio's lock, every fork in the process crawls"))
    func snapshotsAndClonesFinishWhileOtherThreadsOpenFiles() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            let holders = StdioLockHolders(threads: 2)
            defer { holders.stop() }
            try await LXC.withTimeout(.seconds(300)) {
                for round in 0..<4 {
                    let name = try await container.snapshot(comment: "round \(round)")
                    #expect(name == "snap\(round)")
                    let copy = try await container.clone(as: sandbox.uniqueName("copy"))
                    try await copy.destroy()
                }
            }
            #expect(try await container.snapshots().count == 4)
            #expect(holders.taken.load(ordering: .relaxed) > 0)
        }
    }

    @Test func snapshotsAreListedInOrderWithTheirCommentsAndTimes() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let before = Int64(Date().timeIntervalSince1970)
            let comments: [String?] = ["first", nil, "two lines\nwith ünïcode"]
            var names: [String] = []
            for comment in comments {
                names.append(try container.snapshot(comment: comment))
            }
            let after = Int64(Date().timeIntervalSince1970)
            #expect(names == ["snap0", "snap1", "snap2"])

            let snapshots = try container.snapshots()
            #expect(snapshots.map(\.name) == ["snap0", "snap1", "snap2"])
            #expect(snapshots.map(\.comment) == comments)
            for snapshot in snapshots {
                #expect(snapshot.lxcpath == "\(sandbox.lxcpath)/\(container.name)/snaps")
                #expect(snapshot.commentPath == "\(snapshot.lxcpath)/\(snapshot.name)/comment")
                let date = try #require(snapshot.date, "timestamp \(snapshot.timestamp) should parse")
                #expect(date.description == snapshot.timestamp)
                let seconds = try #require(date.secondsSinceEpoch)
                #expect(seconds >= before - 1 && seconds <= after + 1,
                        "\(snapshot.timestamp) should lie between the start and the end of the test")
            }
            #expect(FileManager.default.fileExists(atPath: snapshots[0].commentPath ?? ""))
            #expect(!FileManager.default.fileExists(atPath: snapshots[1].commentPath ?? "/nonexistent"))
        }
    }

    @Test func destroyOneSnapshotThenAll() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            // No snapshots yet: destroying all of them is nothing to do.
            try container.destroyAllSnapshots()
            for _ in 0..<3 { _ = try container.snapshot() }

            try container.destroySnapshot("snap1")
            #expect(try container.snapshots().map(\.name) == ["snap0", "snap2"])
            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(container.name)/snaps/snap1"))
            // liblxc numbers the next snapshot after the first free number.
            #expect(try container.snapshot() == "snap1")

            try container.destroyAllSnapshots()
            #expect(try container.snapshots().isEmpty)
            try container.destroyAllSnapshots()
            #expect(container.isDefined)
            try container.start()
            try container.stop()
        }
    }

    @Test func unknownAndMalformedSnapshotNamesAreRefused() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            _ = try container.snapshot()
            let target = sandbox.uniqueName("r")

            let unknown = #expect(throws: LXCError.self) { _ = try container.restoreSnapshot("snap7", as: target) }
            #expect(unknown?.kind == .notFound)
            #expect(unknown?.message.contains("snap7") == true)
            #expect(unknown?.message.contains("snap0") == true, "the message lists the snapshots there are")
            #expect(try Container(name: target, lxcpath: sandbox.lxcpath).isDefined == false)

            let destroyUnknown = #expect(throws: LXCError.self) { try container.destroySnapshot("snap7") }
            #expect(destroyUnknown?.kind == .notFound)

            for bad in ["../\(container.name)", "snap0/..", "", ".."] {
                let error = #expect(throws: LXCError.self) { try container.destroySnapshot(bad) }
                #expect(error?.kind == .invalidArgument)
                let restoreError = #expect(throws: LXCError.self) { _ = try container.restoreSnapshot(bad, as: target) }
                #expect(restoreError?.kind == .invalidArgument)
            }
            #expect(try container.snapshots().map(\.name) == ["snap0"])
            #expect(container.isDefined)
        }
    }

    @Test func snapshotOfARunningContainerIsRefused() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let error = #expect(throws: LXCError.self) { _ = try container.snapshot() }
            #expect(error?.kind == .wrongState)
            #expect(container.state == .running)
            try container.stop()
            #expect(try container.snapshots().isEmpty)
        }
    }

    @Test func restoringOverTheOwnNameNeedsTheExplicitMethod() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.writeRootfsFile("/marker", "old")
            _ = try container.snapshot()
            try container.writeRootfsFile("/marker", "new")

            let refused = #expect(throws: LXCError.self) { _ = try container.restoreSnapshot("snap0", as: container.name) }
            #expect(refused?.kind == .invalidArgument)
            #expect(refused?.message.contains("restoreSnapshotInPlace") == true)
            #expect(container.readRootfsFile("/marker") == "new")

            try container.restoreSnapshotInPlace("snap0")
            #expect(container.isDefined)
            #expect(container.readRootfsFile("/marker") == "old")
            #expect(try container.snapshots().map(\.name) == ["snap0"], "the snapshots survive the restore")
            #expect(try Container.names(in: sandbox.lxcpath) == [container.name], "no copy is left behind")
            try container.start()
            #expect(container.readFileInside("/marker") == "old")
            try container.stop()
        }
    }

    @Test func aFailedInPlaceRestoreKeepsTheContainerAsItWas() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.writeRootfsFile("/marker", "old")
            _ = try container.snapshot()
            try container.writeRootfsFile("/marker", "new")
            // Break the snapshot so that liblxc fails after it has deleted the container.
            let snapshotRootfs = "\(sandbox.lxcpath)/\(container.name)/snaps/snap0/rootfs"
            try RootfsFiles.remove(snapshotRootfs)

            let error = #expect(throws: LXCError.self) { try container.restoreSnapshotInPlace("snap0") }
            #expect(error?.kind == .failed)
            #expect(error?.message.contains("put back") == true)
            #expect(container.isDefined)
            #expect(container.readRootfsFile("/marker") == "new")
            #expect(try Container.names(in: sandbox.lxcpath) == [container.name], "no copy is left behind")
            try container.start()
            #expect(container.readFileInside("/marker") == "new")
            try container.stop()
        }
    }

    @Test func anInPlaceRestoreThatLiblxcRefusesAtOnceChangesNothing() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            _ = try container.snapshot()
            try container.writeRootfsFile("/marker", "current")
            // A snapshot whose configuration liblxc cannot load: it gives up before
            // deleting anything.
            let config = "\(sandbox.lxcpath)/\(container.name)/snaps/snap0/config"
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: config))
            handle.seekToEndOfFile()
            handle.write("lxc.no.such.key = 1\n".data(using: .utf8)!)
            handle.closeFile()

            let error = #expect(throws: LXCError.self) { try container.restoreSnapshotInPlace("snap0") }
            #expect(error?.message.contains("not changed") == true)
            #expect(container.readRootfsFile("/marker") == "current")
            #expect(try Container.names(in: sandbox.lxcpath) == [container.name], "no copy is left behind")
        }
    }

    @Test func anEmptyCommentIsKeptAsAnEmptyComment() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            _ = try container.snapshot(comment: "")
            #expect(try container.snapshots().map(\.comment) == [""])
        }
    }

    @Test func destroyingAContainerWithSnapshotsNeedsIncludingSnapshots() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            _ = try container.snapshot(comment: "keep me")
            let refused = #expect(throws: LXCError.self) { try container.destroy() }
            #expect(refused?.kind == .wrongState)
            #expect(refused?.message.contains("snap0") == true)
            #expect(container.isDefined)
            #expect(try container.snapshots().count == 1)

            try container.destroy(includingSnapshots: true)
            #expect(!container.isDefined)
            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(container.name)"))

            // And a container that never had a snapshot.
            let plain = try sandbox.busybox()
            try plain.destroy(includingSnapshots: true)
            #expect(!plain.isDefined)
        }
    }

    @Test func overlaySnapshotsPinTheirOrigin() throws {
        try Sandbox.withBlocking { sandbox in
            try #require(BackingStore.overlay.isAvailable(in: sandbox.lxcpath),
                         "overlay: \(BackingStore.overlay.unavailableReason(in: sandbox.lxcpath) ?? "")")
            let base = try sandbox.busybox()
            _ = try base.snapshot()
            let overlay = try base.clone(as: sandbox.uniqueName("ovl"), options: .snapshot, backingStore: .overlay)

            let error = #expect(throws: LXCError.self) { _ = try base.restoreSnapshot("snap0", as: sandbox.uniqueName("r")) }
            #expect(error?.kind == .wrongState)
            #expect(error?.message.contains(overlay.name) == true, "the message names the overlay clone")
            let inPlace = #expect(throws: LXCError.self) { try base.restoreSnapshotInPlace("snap0") }
            #expect(inPlace?.kind == .wrongState)
            #expect(try Container.names(in: sandbox.lxcpath).sorted() == [base.name, overlay.name].sorted())

            try overlay.destroy()
            let restored = try base.restoreSnapshot("snap0", as: sandbox.uniqueName("r"))
            #expect(restored.isDefined)
        }
    }

    @Test func asyncFormsSnapshotListRestoreAndDestroy() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let name = try await container.snapshot(comment: "async")
            #expect(try await container.snapshots().map(\.comment) == ["async"])
            let restored = try await container.restoreSnapshot(name, as: sandbox.uniqueName("r"))
            #expect(restored.isDefined)
            try await container.restoreSnapshotInPlace(name)
            try await container.destroySnapshot(name)
            _ = try await container.snapshot()
            try await container.destroyAllSnapshots()
            #expect(try await container.snapshots().isEmpty)
        }
    }
}

@Suite("Snapshots of overlay containers", .integration, .timeLimit(.minutes(3)))
struct OverlaySnapshotTests {
    @Test func overlaySnapshotRestoresAndPinsWhatWasRestoredFromIt() throws {
        try Sandbox.withBlocking { sandbox in
            try #require(BackingStore.overlay.isAvailable(in: sandbox.lxcpath))
            let base = try sandbox.busybox()
            try base.writeRootfsFile("/base-marker", "base")
            let container = try base.clone(as: sandbox.uniqueName("ovl"), options: .snapshot, backingStore: .overlay)
            let delta = "\(sandbox.lxcpath)/\(container.name)/overlay/delta"
            try RootfsFiles.write("old", to: delta + "/marker")
            let name = try container.snapshot(comment: "overlay")
            try RootfsFiles.write("new", to: delta + "/marker")

            let restored = try container.restoreSnapshot(name, as: sandbox.uniqueName("r"))
            #expect(restored.backingStore == .overlay)
            try restored.start()
            #expect(restored.readFileInside("/marker") == "old")
            #expect(restored.readFileInside("/base-marker") == "base")
            try restored.stop()

            // The restored container is an overlay on the snapshot: the snapshot is pinned.
            let pinned = #expect(throws: LXCError.self) { try container.destroySnapshot(name) }
            #expect(pinned?.kind == .wrongState)
            #expect(pinned?.message.contains(restored.name) == true)
            #expect(try container.snapshots().map(\.name) == [name])
            try restored.destroy()
            try container.destroySnapshot(name)
            #expect(try container.snapshots().isEmpty)
        }
    }

    @Test(.privilegedOnly("liblxc 5.0.2 cannot restore an overlay snapshot over its own container for an ordinary user: after deleting the container it makes overlay/delta as the user inside overlay/, which the container's root owns (EACCES; lxc-snapshot -r fails the same way)"))
    func overlayContainerIsRestoredInPlace() throws {
        try Sandbox.withBlocking { sandbox in
            try #require(BackingStore.overlay.isAvailable(in: sandbox.lxcpath))
            let base = try sandbox.busybox()
            let container = try base.clone(as: sandbox.uniqueName("ovl"), options: .snapshot, backingStore: .overlay)
            let delta = "\(sandbox.lxcpath)/\(container.name)/overlay/delta"
            try RootfsFiles.write("old", to: delta + "/marker")
            let name = try container.snapshot()
            try RootfsFiles.write("new", to: delta + "/marker")

            try container.restoreSnapshotInPlace(name)
            #expect(container.backingStore == .overlay)
            #expect(try container.snapshots().map(\.name) == [name], "the kept snapshot is gone again")
            try container.start()
            #expect(container.readFileInside("/marker") == "old")
            try container.stop()
            #expect(try Container.names(in: sandbox.lxcpath).sorted() == [base.name, container.name].sorted())
        }
    }
}

/// Threads that keep stdio's list of open files locked half the time, as threads that open
/// and close files do for a moment, until stopped.
///
/// glibc exports the lock as `_IO_list_lock`/`_IO_list_unlock`; a process forked by a raw
/// clone while it is held can never open a file. Where the symbols are missing (not glibc),
/// the threads open and close a file in a loop instead.
final class StdioLockHolders: Sendable {
    private typealias LockFunction = @convention(c) () -> Void
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)
    /// How many times the lock was taken, in all.
    let taken = Atomic<Int>(0)

    /// Whether this process runs under Thread or Address Sanitizer, whose runtimes define
    /// `__tsan_init` and `__asan_init`.
    static let underSanitizer = dlsym(nil, "__tsan_init") != nil || dlsym(nil, "__asan_init") != nil

    init(threads: Int) {
        let lock = dlsym(nil, "_IO_list_lock").map { unsafeBitCast($0, to: LockFunction.self) }
        let unlock = dlsym(nil, "_IO_list_unlock").map { unsafeBitCast($0, to: LockFunction.self) }
        for _ in 0..<threads {
            running.add(1, ordering: .relaxed)
            let thread = Thread { [self] in
                // Half the time, for two minutes at most: other tests in this process open
                // files too, and a test that hangs must not slow them all for ever.
                let end = ContinuousClock.now + .seconds(120)
                while !stopping.load(ordering: .relaxed) && ContinuousClock.now < end {
                    if let lock, let unlock {
                        lock()
                        usleep(3_000)
                        unlock()
                        taken.add(1, ordering: .relaxed)
                        usleep(3_000)
                    } else if let file = fopen("/proc/self/status", "re") {
                        fclose(file)
                        taken.add(1, ordering: .relaxed)
                    }
                }
                running.subtract(1, ordering: .releasing)
            }
            thread.start()
        }
    }

    /// Stops the threads and waits until they ended.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        while running.load(ordering: .acquiring) > 0 { usleep(1_000) }
    }
}
