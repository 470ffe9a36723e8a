import CLXC
import Glibc
import LXC
import Logging

extension LXC {
    /// Sends liblxc's own log to a swift-log `Logger`, from `level` up.
    ///
    /// liblxc logs to a file descriptor; this points it, with `lxc_log_init`, at a memory file
    /// that a task reads every `interval` and turns into `Logger` records, with the container's
    /// name, liblxc's category and source location as metadata. Processes liblxc forks (the
    /// monitors of started containers) inherit the descriptor, so their messages arrive too.
    ///
    /// liblxc's log is global to the process and can be set up once: while a forwarder runs,
    /// containers' own `lxc.log.file` settings are ignored, and a second forwarder or
    /// ``LXC/startLogging(_:)`` fails. Errors thrown by the library keep quoting liblxc's lines.
    ///
    /// ```swift
    /// let forwarder = try LXC.forwardLog(to: Logger(label: "lxc"), level: .warning)
    /// defer { forwarder.stop() }
    /// ```
    ///
    /// - Throws: ``LXCError`` when liblxc's log is already set up or cannot be opened.
    public static func forwardLog(
        to logger: Logger,
        level: LogLevel = .warning,
        interval: Duration = .milliseconds(100)
    ) throws -> LogForwarder {
        let fd = clxc_memfd_create("swift-lxc-log")
        guard fd >= 0 else {
            throw LXCError(operation: "forwardLog", message: "cannot make a memory file for liblxc's log",
                           code: errno, kind: .failed)
        }
        do {
            try startLogging(LogOptions(file: "/proc/self/fd/\(fd)", level: level, quiet: true))
        } catch var error as LXCError {
            close(fd)
            error.operation = "forwardLog"
            throw error
        }
        return LogForwarder(fd: fd, logger: logger, interval: interval)
    }
}

/// A running forward of liblxc's log to a `Logger`; ``stop()`` ends it.
public final class LogForwarder: Sendable {
    private let fd: Int32
    private let task: Task<Void, Never>

    init(fd: Int32, logger: Logger, interval: Duration) {
        self.fd = fd
        task = Task.detached {
            var reader = LogTail(fd: fd)
            while !Task.isCancelled {
                reader.forwardNewLines(to: logger)
                try? await Task.sleep(for: interval)
            }
            reader.forwardNewLines(to: logger)
            close(fd)
        }
    }

    /// Forwards what liblxc logged so far, then stops and closes liblxc's log
    /// (``LXC/stopLogging()``).
    public func stop() {
        task.cancel()
        LXC.stopLogging()
    }

    /// Waits until everything logged so far has been forwarded.
    public func flush() async {
        task.cancel()
        await task.value
    }
}

/// Reads complete lines appended to a file since the last read.
struct LogTail {
    let fd: Int32
    var offset: off_t = 0
    var partial: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
    }

    mutating func forwardNewLines(to logger: Logger) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            guard count > 0 else { return }
            offset += off_t(count)
            partial.append(contentsOf: buffer[0..<count])
            while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: partial[..<newline], as: UTF8.self)
                partial.removeSubrange(...newline)
                if let record = LiblxcLogRecord(line: line) {
                    logger.log(level: record.level, "\(record.message)", metadata: record.metadata,
                               source: "liblxc", file: record.file, function: record.function, line: record.line)
                }
            }
        }
    }
}

/// One line of liblxc's log:
/// `lxc [NAME ]TIMESTAMP LEVEL CATEGORY - FILE:FUNCTION:LINE - MESSAGE`.
struct LiblxcLogRecord {
    var container: String?
    var level: Logger.Level
    var category: String
    var file: String
    var function: String
    var line: UInt
    var message: String

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["lxc.category": "\(category)"]
        if let container { metadata["lxc.container"] = "\(container)" }
        return metadata
    }

    static let levels: [Substring: Logger.Level] = [
        "TRACE": .trace, "DEBUG": .debug, "INFO": .info, "NOTICE": .notice, "WARN": .warning,
        "ERROR": .error, "CRIT": .critical, "ALERT": .critical, "FATAL": .critical,
    ]

    init?(line: String) {
        guard let head = line.firstRange(of: " - ") else { return nil }
        var words = line[..<head.lowerBound].split(separator: " ", omittingEmptySubsequences: true)
        // words: prefix, [name…], timestamp, level, category
        guard words.count >= 4, let level = Self.levels[words[words.count - 2]] else { return nil }
        self.level = level
        category = String(words[words.count - 1])
        words.removeLast(3)
        words.removeFirst()
        container = words.isEmpty ? nil : words.joined(separator: " ")
        let rest = line[head.upperBound...]
        guard let tail = rest.firstRange(of: " - ") else { return nil }
        let location = rest[..<tail.lowerBound].split(separator: ":")
        file = location.first.map(String.init) ?? ""
        function = location.count > 1 ? String(location[1]) : ""
        self.line = location.count > 2 ? UInt(location[2]) ?? 0 : 0
        message = String(rest[tail.upperBound...])
    }
}
