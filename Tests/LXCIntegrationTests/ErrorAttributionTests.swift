import Foundation
import LXC
import Synchronization
import Testing

/// liblxc's log is one per process; an error must still quote only what its own call logged.
@Suite("An error quotes only its own call's log lines", .integration, .timeLimit(.minutes(5)))
struct ErrorAttributionTests {
    /// The lines liblxc logs for every snapshot of a directory-backed container (as ERROR,
    /// though the snapshot succeeds).
    static let snapshotLine = "Snapshot of directory-backed container requested"

    /// Failing calls of several kinds on several containers at once, and on one container
    /// from several handles while snapshots of it log: no error quotes a line of another call.
    @Test func concurrentFailuresQuoteOnlyTheirOwnLines() async throws {
        try await ProcessLog.inTurn { try await concurrentFailures() }
    }

    private func concurrentFailures() async throws {
        try await Sandbox.with { sandbox in
            // Containers made one after another (the point is the failures, not the creates).
            let shared = try await sandbox.busybox()        // snapshots, and failing runs on it
            let noRootfs = try await sandbox.busybox()      // start: missing root filesystem
            let noInit = try await sandbox.busybox()        // start: an init that does not exist
            let stopped = try await sandbox.busybox()       // runs in a stopped container
            let names = [shared.name, noRootfs.name, noInit.name, stopped.name]

            let missingRootfs = "\(sandbox.lxcpath)/missing-rootfs-of-\(noRootfs.name)"
            try noRootfs.setConfigItem("lxc.rootfs.path", to: "dir:\(missingRootfs)")
            try await noRootfs.saveConfig()
            try noInit.setConfigItem("lxc.init.cmd", to: "/no-such-init-of-\(noInit.name)")
            try await noInit.saveConfig()

            // A second handle on the snapshotted container, for calls of its own there.
            let sameContainer = try sandbox.container(shared.name)

            let snapshotsDone = Flag()
            let errors = try await withThrowingTaskGroup(of: [LXCError].self) { group in
                // Snapshots of `shared` log the snapshot lines above, in a forked process.
                group.addTask {
                    defer { snapshotsDone.set() }
                    for _ in 0..<8 { _ = try await shared.snapshot() }
                    return []
                }
                // Meanwhile: runs in the stopped `shared` (through its own handle each), from
                // the handle that snapshots and from another one; and calls on the others.
                for container in [shared, sameContainer, sameContainer, stopped] {
                    group.addTask {
                        var errors: [LXCError] = []
                        var runs = 0
                        while runs < 20 || !snapshotsDone.isSet {
                            runs += 1
                            do {
                                _ = try await container.output(of: ["/bin/true"])
                            } catch let error as LXCError {
                                errors.append(error)
                            }
                        }
                        return errors
                    }
                }
                for container in [noRootfs, noInit] {
                    group.addTask {
                        var errors: [LXCError] = []
                        for _ in 0..<3 {
                            do {
                                try await container.start()
                                try? await container.stop()
                            } catch let error as LXCError {
                                errors.append(error)
                            }
                        }
                        return errors
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }

            #expect(errors.count >= 6 + 4 * 20)
            let startErrors = errors.filter { $0.operation == "start" }
            #expect(startErrors.count == 6)
            // Each start error quotes its own monitor's reason.
            for error in startErrors where error.container == noRootfs.name {
                #expect(error.log.contains { $0.contains(missingRootfs) }, "\(error)")
            }
            for error in errors {
                guard let own = error.container else {
                    Issue.record("an error without a container: \(error)")
                    continue
                }
                let others = names.filter { $0 != own }
                for line in error.log {
                    #expect(!line.contains(Self.snapshotLine), "\(error.operation) of \(own) quotes a snapshot's line: \(line)")
                    for other in others {
                        #expect(!line.contains(other), "\(error.operation) of \(own) quotes a line about \(other): \(line)")
                    }
                }
            }
        }
    }

    /// Failing starts of one container from two handles at once, each attempt with a root
    /// filesystem of its own: no error quotes the monitor lines of another attempt.
    @Test func concurrentFailedStartsOfOneContainerFromTwoHandlesKeepTheirOwnLines() async throws {
        try await ProcessLog.inTurn { try await concurrentFailedStartsFromTwoHandles() }
    }

    private func concurrentFailedStartsFromTwoHandles() async throws {
        try await Sandbox.with { sandbox in
            let first = try await sandbox.busybox()
            let second = try sandbox.container(first.name)
            let lxcpath = sandbox.lxcpath
            @Sendable func missing(_ handle: Int, _ attempt: Int) -> String {
                "\(lxcpath)/missing-\(handle)-\(attempt)"
            }

            let results = try await withThrowingTaskGroup(of: (Int, [(Int, LXCError)]).self) { group in
                for (index, container) in [first, second].enumerated() {
                    group.addTask {
                        var errors: [(Int, LXCError)] = []
                        for attempt in 0..<6 {
                            try await offPool { try container.setConfigItem("lxc.rootfs.path", to: "dir:\(missing(index, attempt))") }
                            do {
                                try await container.start()
                                try? await container.stop()
                            } catch let error as LXCError {
                                errors.append((attempt, error))
                            }
                        }
                        return (index, errors)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for (index, errors) in results {
                #expect(errors.count == 6)
                // A start that met the other one's monitor fails at the command socket, with
                // no word of a root filesystem; no error quotes the other handle's start.
                for (attempt, error) in errors {
                    let own = missing(index, attempt)
                    let foreign = error.log.filter { $0.contains("\(lxcpath)/missing-") && !$0.contains(own) }
                    #expect(foreign.isEmpty, "attempt \(attempt) of handle \(index) quotes another start's lines: \(error)")
                }
            }
        }
    }
}

/// A flag one task sets and others read.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
