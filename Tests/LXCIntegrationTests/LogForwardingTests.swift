import Foundation
import LXC
import LXCLogging
import Logging
import Testing

/// A swift-log handler that keeps every record.
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked: `records` is guarded by `lock`; the other properties are set before use.
    struct Record {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var stored: [Record] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var records: [Record] { lock.withLock { stored } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { stored.append(Record(level: event.level, message: "\(event.message)", metadata: event.metadata ?? [:])) }
    }
}

@Suite("liblxc's log in swift-log", .integration, .timeLimit(.minutes(2)))
struct LogForwardingTests {
    @Test func errorsOfAFailedStartReachTheLoggerAndTheThrownError() async throws {
        try await ProcessLog.inTurn { try await errorsOfAFailedStartReachTheLogger() }
    }

    private func errorsOfAFailedStartReachTheLogger() async throws {
        try await Sandbox.with { sandbox in
            let handler = RecordingLogHandler()
            let logger = Logger(label: "lxc-test") { _ in handler }
            let forwarder = try LXC.forwardLog(to: logger, level: .error, interval: .milliseconds(20))

            let container = try await sandbox.busybox()
            let missing = "\(sandbox.lxcpath)/missing-rootfs"
            try container.setConfigItem("lxc.rootfs.path", to: "dir:\(missing)")
            let error = await #expect(throws: LXCError.self) { try await container.start() }
            #expect(error?.log.contains { $0.contains(missing) } == true, "\(String(describing: error))")

            await forwarder.flush()
            forwarder.stop()
            let mine = handler.records.filter { $0.metadata["lxc.container"] == .string(container.name) }
            #expect(mine.contains { $0.level == .error && $0.message.contains(missing) }, "\(handler.records.map(\.message))")
            #expect(mine.allSatisfy { $0.level >= .error })

            // After the forward stops, failed calls still quote liblxc.
            let again = await #expect(throws: LXCError.self) { try await container.start() }
            #expect(again?.log.isEmpty == false)
        }
    }
}

extension LogForwardingTests {
    /// `LXC.startLogging` after `LXC.stopLogging` logs to the new file. (`stopLogging` used to
    /// point liblxc's log back at a memory file of the library's, and liblxc's next
    /// `lxc_log_init` then answered "Log already initialized" with success and never made the
    /// new file.) Each start fails on its own missing root filesystem, so the lines tell
    /// which period they come from; a failed start's monitor may write on into the file it
    /// inherited, so only the other start's path must stay out of each file.
    @Test func startLoggingAfterStopLoggingLogsToTheNewFile() async throws {
        try await ProcessLog.inTurn { try await loggingStartsAgain() }
    }

    private func loggingStartsAgain() async throws {
        try await Sandbox.with { sandbox in
            let fileA = "\(sandbox.lxcpath)/a.log"
            let fileB = "\(sandbox.lxcpath)/b.log"
            let container = try await sandbox.busybox()

            let missingA = "\(sandbox.lxcpath)/missing-rootfs-a"
            try container.setConfigItem("lxc.rootfs.path", to: "dir:\(missingA)")
            try LXC.startLogging(.init(file: fileA, level: .error, quiet: true))
            let errorA = await #expect(throws: LXCError.self) { try await container.start() }
            LXC.stopLogging()
            #expect(errorA?.log.contains { $0.contains(missingA) } == true, "\(String(describing: errorA))")

            let missingB = "\(sandbox.lxcpath)/missing-rootfs-b"
            try container.setConfigItem("lxc.rootfs.path", to: "dir:\(missingB)")
            try LXC.startLogging(.init(file: fileB, level: .error, quiet: true))
            let errorB = await #expect(throws: LXCError.self) { try await container.start() }
            LXC.stopLogging()
            #expect(errorB?.log.contains { $0.contains(missingB) } == true, "\(String(describing: errorB))")

            let textA = (try? String(contentsOfFile: fileA, encoding: .utf8)) ?? ""
            let textB = try #require(try? String(contentsOfFile: fileB, encoding: .utf8), "liblxc never made \(fileB)")
            #expect(textA.contains(missingA))
            #expect(!textA.contains(missingB), "the second start's lines reached the first file:\n\(textA)")
            #expect(textB.contains(missingB) && textB.contains(container.name), "\(textB)")
            #expect(!textB.contains(missingA))

            // And once more, after the stops: the library's own per-call logs are back.
            let errorC = await #expect(throws: LXCError.self) { try await container.start() }
            #expect(errorC?.log.contains { $0.contains(missingB) } == true, "\(String(describing: errorC))")
        }
    }
}
