import Foundation
import LXC
import Testing

@Suite("Checkpoint, restore and migration with CRIU", .integration, .timeLimit(.minutes(3)))
struct MigrationTests {
    /// Whether `criu` is installed here. CRIU cannot checkpoint on this host's kernel; where it
    /// is missing the error must say that instead. Either way the tests check the error.
    static let criuInstalled: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/criu") }
    }()

    /// Whether CRIU can work on this kernel at all (`criu check` passes).
    static let criuWorks: Bool = {
        guard criuInstalled, let result = try? HostTools.run(["criu", "check"]) else { return false }
        return result.status == 0
    }()

    /// The error a failed CRIU step must throw: CRIU's own reason, or that CRIU is missing.
    static func expectCRIUReason(_ error: LXCError?, _ comment: Comment? = nil) {
        guard let error else { return }
        if criuInstalled {
            #expect(error.kind == .failed, comment)
            #expect(error.message.contains("CRIU failed: Error ("), "the message quotes CRIU: \(error)")
            #expect(!error.message.contains("exited, status="), "CRIU's reasons, not its helper's exit status: \(error)")
        } else {
            #expect(error.kind == .unsupported, comment)
            #expect(error.message.contains("CRIU is not installed"), "\(error)")
        }
    }

    @Test func checkpointThrowsCRIUsReason() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let directory = "\(sandbox.lxcpath)/checkpoint"
            if Self.criuWorks {
                try container.checkpoint(to: directory, stop: true)
                #expect(container.state == .stopped)
                try container.restore(from: directory)
                #expect(container.isRunning)
                return
            }
            let error = #expect(throws: LXCError.self) { try container.checkpoint(to: directory, verbose: true) }
            Self.expectCRIUReason(error)
            #expect(container.isRunning, "a failed checkpoint leaves the container running")
        }
    }

    @Test func migrateDumpAndPreDumpCarryCRIUsReason() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            try #require(!Self.criuWorks, "CRIU works here: this test is for a host where it cannot")

            var options = MigrationOptions(directory: "\(sandbox.lxcpath)/migrate")
            options.ghostLimit = .mebibytes(4)
            options.disableSkipInFlight = true
            let dump = #expect(throws: LXCError.self) { try container.migrate(.dump, options: options) }
            Self.expectCRIUReason(dump)

            let pre = MigrationOptions(directory: "\(sandbox.lxcpath)/predump")
            let preDump = #expect(throws: LXCError.self) { try container.migrate(.preDump, options: pre) }
            Self.expectCRIUReason(preDump)

            // A dump on top of a pre-dump that does not exist: CRIU says so.
            options.preDumpDirectory = "../predump-none"
            options.directory = "\(sandbox.lxcpath)/migrate2"
            #expect(throws: LXCError.self) { try container.migrate(.dump, options: options) }
            options.preDumpDirectory = "none"
            let parent = #expect(throws: LXCError.self) { try container.migrate(.dump, options: options) }
            Self.expectCRIUReason(parent)
            #expect(container.isRunning)
        }
    }

    @Test func restoreFromAnEmptyDirectoryCarriesCRIUsReason() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let missing = #expect(throws: LXCError.self) { try container.restore(from: "\(sandbox.lxcpath)/nothing") }
            #expect(missing?.kind == .notFound)

            let empty = "\(sandbox.lxcpath)/empty"
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            let error = #expect(throws: LXCError.self) { try container.restore(from: empty) }
            if Self.criuInstalled {
                #expect(error?.kind == .failed)
                #expect(error?.message.contains("restored") == true, "\(String(describing: error))")
            } else {
                Self.expectCRIUReason(error)
            }
            #expect(!container.isRunning)
        }
    }

    @Test func featureCheckAgreesWithCRIU() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            var expected: MigrationFeatures = []
            if Self.criuInstalled {
                if try HostTools.run(["criu", "check", "--feature", "mem_dirty_track"]).status == 0 { expected.insert(.memoryTracking) }
                if try HostTools.run(["criu", "check", "--feature", "uffd-noncoop"]).status == 0 { expected.insert(.lazyPages) }
            }
            let supported = try container.supportedMigrationFeatures([.memoryTracking, .lazyPages])
            #expect(supported == expected)

            var options = MigrationOptions(directory: "\(sandbox.lxcpath)/check")
            options.featuresToCheck = [.memoryTracking, .lazyPages]
            if expected == options.featuresToCheck {
                try container.migrate(.featureCheck, options: options)
            } else {
                let error = #expect(throws: LXCError.self) { try container.migrate(.featureCheck, options: options) }
                #expect(error?.kind == .unsupported)
                #expect(error?.message.contains("CRIU lacks") == true)
            }
        }
    }

    @Test func wrongStatesAndBadOptionsAreRefused() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let stopped = #expect(throws: LXCError.self) { try container.checkpoint(to: "\(sandbox.lxcpath)/c") }
            #expect(stopped?.kind == .wrongState)
            let relative = #expect(throws: LXCError.self) { try container.checkpoint(to: "relative/dir") }
            #expect(relative?.kind == .invalidArgument)

            try container.start()
            let running = #expect(throws: LXCError.self) { try container.restore(from: sandbox.lxcpath) }
            #expect(running?.kind == .wrongState)

            var options = MigrationOptions(directory: "\(sandbox.lxcpath)/m")
            options.pageServerAddress = "192.0.2.1"
            let noPort = #expect(throws: LXCError.self) { try container.migrate(.dump, options: options) }
            #expect(noPort?.kind == .invalidArgument)
            options.pageServerAddress = nil
            options.preDumpDirectory = "../escape"
            let escape = #expect(throws: LXCError.self) { try container.migrate(.dump, options: options) }
            #expect(escape?.kind == .invalidArgument)
            options.preDumpDirectory = nil
            options.actionScript = "/nonexistent/script"
            let script = #expect(throws: LXCError.self) { try container.migrate(.dump, options: options) }
            #expect(script?.kind == .notFound)
            #expect(container.isRunning)
        }
    }
}
