import Foundation
import LXC
import Testing

/// Operations on one container's directory take turns, in one process and across
/// processes, whatever spelling of the lxcpath they were given.
@Suite("Operations on one container take turns", .integration, .timeLimit(.minutes(5)))
struct ContainerLockTests {
    /// Runs the bodies on threads of their own at the same moment and waits for them all.
    private func together(_ bodies: [@Sendable () -> Void]) {
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for body in bodies {
            group.enter()
            Thread {
                start.wait()
                body()
                group.leave()
            }.start()
        }
        for _ in bodies { start.signal() }
        group.wait()
    }

    /// No snapshot is ever left in a directory no name reaches: a rename and a snapshot of
    /// one container, raced in one process, happen one after the other.
    @Test func renameRacingSnapshotInOneProcessLosesNoSnapshot() async throws {
        try await Sandbox.withBlockingOffPool { sandbox in
            for _ in 0..<6 {
                let original = try sandbox.busybox()
                let oldName = original.name
                let newName = sandbox.uniqueName("renamed")
                let second = try sandbox.container(oldName)
                let snapshotted = LockedBox<Bool>(false)
                together([
                    { _ = try? original.rename(to: newName) },
                    { if (try? second.snapshot()) != nil { snapshotted.set(true) } },
                ])
                try expectNoSnapshotIsLost(in: sandbox, names: [oldName, newName], taken: snapshotted.get() ? 1 : 0)
            }
        }
    }

    @Test func renameRacingSnapshotInTwoProcessesLosesNoSnapshot() async throws {
        try await Sandbox.with { sandbox in
            for _ in 0..<6 {
                let original = try await sandbox.busybox()
                let oldName = original.name
                let newName = sandbox.uniqueName("renamed")
                async let renamed = LXCCtlRunner.result(of: ["-P", sandbox.lxcpath, "rename", oldName, newName])
                async let snapshotted = LXCCtlRunner.result(of: ["-P", sandbox.lxcpath, "snapshot", "create", oldName])
                let (rename, snapshot) = try await (renamed, snapshotted)
                #expect(rename.status == 0 || snapshot.status == 0, "\(rename.standardError) \(snapshot.standardError)")
                try await offPool {
                    try self.expectNoSnapshotIsLost(in: sandbox, names: [oldName, newName], taken: snapshot.status == 0 ? 1 : 0)
                }
            }
        }
    }

    /// Exactly one of the names is the container, with every snapshot taken, and no
    /// `snaps` directory is left under a name that is not a container.
    private func expectNoSnapshotIsLost(in sandbox: Sandbox, names: [String], taken: Int) throws {
        let defined = try names.filter { try Container(name: $0, lxcpath: sandbox.lxcpath).isDefined }
        #expect(defined.count == 1, "defined: \(defined)")
        for name in names where !defined.contains(name) {
            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(name)/snaps"),
                    "a snapshot directory was left under \(name), which is no container")
        }
        if let name = defined.first {
            let container = try Container(name: name, lxcpath: sandbox.lxcpath)
            #expect(container.state == .stopped)
            #expect(try container.snapshots().count == taken)
            try container.destroy(includingSnapshots: true)
        }
    }

    /// `P`, `P/`, `P//` and `P/.` are one lxcpath: of four creates of one name through
    /// them at once, one makes the container and the others find it there.
    @Test func spellingsOfOneLXCPathShareOneLock() async throws {
        try await Sandbox.withBlockingOffPool { sandbox in
            let name = sandbox.uniqueName("one")
            let outcomes = LockedBox<[String]>([])
            let spellings = [sandbox.lxcpath, sandbox.lxcpath + "/", sandbox.lxcpath + "//", sandbox.lxcpath + "/."]
            together(spellings.map { path in
                {
                    do {
                        try Container(name: name, lxcpath: path).create(template: "busybox", options: .quiet)
                        outcomes.update { $0.append("created") }
                    } catch let error as LXCError {
                        outcomes.update { $0.append(error.kind == .alreadyExists ? "exists" : "\(error)") }
                    } catch {
                        outcomes.update { $0.append("\(error)") }
                    }
                }
            })
            #expect(outcomes.get().sorted() == ["created", "exists", "exists", "exists"], "\(outcomes.get())")
            let container = try sandbox.container(name)
            #expect(container.state == .stopped)
            #expect(FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(name)/rootfs/bin/busybox"))
        }
    }

    /// Two processes creating one container: one makes it, the other is told it exists.
    @Test func twoProcessesCreatingOneContainer() async throws {
        try await Sandbox.with { sandbox in
            let name = sandbox.uniqueName("two")
            async let first = LXCCtlRunner.result(of: ["-P", sandbox.lxcpath, "create", name, "-t", "busybox", "-q"])
            async let second = LXCCtlRunner.result(of: ["-P", sandbox.lxcpath + "/", "create", name, "-t", "busybox", "-q"])
            let results = try await [first, second]
            #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map(\.standardError))")
            #expect(results.contains { $0.standardError.contains("already exists") })
            let container = try sandbox.container(name)
            #expect(container.state == .stopped)
        }
    }

    /// A clone and a destroy of its source take turns: the destroy waits for the copy (or
    /// comes first, and the clone finds no source); nothing hangs and no copy is half made.
    @Test func cloneRacingDestroyOfItsSource() async throws {
        try await Sandbox.withBlockingOffPool { sandbox in
            for _ in 0..<4 {
                let source = try sandbox.busybox()
                let copyName = sandbox.uniqueName("copy")
                let destroyer = try sandbox.container(source.name)
                let cloned = LockedBox<Bool>(false), destroyed = LockedBox<Bool>(false)
                together([
                    { if (try? source.clone(as: copyName)) != nil { cloned.set(true) } },
                    { if (try? destroyer.destroy()) != nil { destroyed.set(true) } },
                ])
                #expect(destroyed.get())
                let copy = try sandbox.container(copyName)
                if cloned.get() {
                    #expect(copy.state == .stopped)
                    #expect(FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(copyName)/rootfs/bin/busybox"))
                    try copy.destroy()
                } else {
                    #expect(!copy.isDefined)
                    #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(copyName)"))
                }
            }
        }
    }
}
