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
