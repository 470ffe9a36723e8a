import CLXC
import Glibc

// Reading back what liblxc logged for one failed call.
//
// liblxc rarely sets `error_string`; the reason for a failure is in its log. Its log lines go
// to the file descriptor of the container's `lxc.log.file`, both in this process (liblxc sets
// a thread-local "current config" around each API call) and in the processes it forks (the
// monitor of a daemonized start inherits that descriptor). So each handle's configuration is
// pointed at one memory file owned by this library: `lxc.log.file` is set to the memory file,
// which opens it, and cleared again at once, which forgets the path but keeps the descriptor
// open. Nothing of it reaches a saved or cloned config file. Before a call we note the file's
// size; after a failure we read the lines added since and keep the ERROR ones that carry the
// container's name.
//
// When the container's own configuration names a log file, or the process called
// `lxc_log_init` with a file (which makes liblxc ignore per-container files), that file is
// read instead and nothing is changed.

/// The source of liblxc's log lines for one call, and where the call began in it.
struct DiagnosticCursor {
    let path: String?
    let start: off_t
    let usesSharedLog: Bool

    static let none = DiagnosticCursor(path: nil, start: 0, usesSharedLog: false)

    /// The ERROR (and worse) lines for `container` written since the cursor was made, with
    /// liblxc's prefix (`lxc NAME TIMESTAMP ERROR category - file:function:line - `) removed.
    func errorLines(for container: String) -> [String] {
        guard let path else { return [] }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        guard let text = readToEnd(fd: fd, from: start) else { return [] }
        return LiblxcLogLine.errors(in: text, container: container)
    }

    func finish() {
        if usesSharedLog { SharedDiagnosticLog.shared?.end() }
    }
}

/// One line of liblxc's log, taken apart.
enum LiblxcLogLine {
    static let severe: Set<Substring> = ["ERROR", "CRIT", "ALERT", "FATAL"]

    /// The messages of the ERROR-or-worse lines of `text` that name `container`.
    static func errors(in text: String, container: String) -> [String] {
        var result: [String] = []
        let prefix = "lxc " + container + " "
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard line.hasPrefix(prefix) else { continue }
            // After the prefix: "<timestamp> <LEVEL> <category> - <file>:<func>:<line> - <message>"
            let rest = line.dropFirst(prefix.count)
            let fields = rest.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count >= 2, severe.contains(fields[1]) else { continue }
            result.append(message(of: line))
        }
        return result
    }

    /// The longest message kept from one line; liblxc quotes values it refuses, which may
    /// be long.
    static let maximumMessageLength = 500

    /// The message part of a log line: what follows the second " - ".
    static func message(of line: Substring) -> String {
        var remainder = line[...]
        for _ in 0..<2 {
            guard let range = remainder.firstRange(of: " - ") else { remainder = line; break }
            remainder = remainder[range.upperBound...]
        }
        if remainder.count > maximumMessageLength {
            return String(remainder.prefix(maximumMessageLength)) + "… (\(remainder.utf8.count) bytes)"
        }
        return String(remainder)
    }
}

/// The memory file that every handle's liblxc configuration logs into.
final class SharedDiagnosticLog: Sendable {
    static let shared: SharedDiagnosticLog? = SharedDiagnosticLog()

    /// The descriptor that keeps the memory file alive; liblxc opens its own through `path`.
    let fd: Int32
    /// `/proc/self/fd/N`, the name by which liblxc opens the memory file.
    let path: String
    /// Calls in flight, so that the file is emptied only when nobody is reading it.
    private let inFlight = Locked<Int>(0)
    /// The file is emptied when it grows past this size and no call is in flight.
    private let limit: off_t = 1 << 20

    private init?() {
        let fd = clxc_memfd_create("swift-lxc-diagnostics")
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.path = "/proc/self/fd/\(fd)"
    }

    func begin() -> off_t {
        inFlight.withLock { count in
            var info = stat()
            let size = fstat(fd, &info) == 0 ? info.st_size : 0
            if count == 0 && size > limit {
                _ = ftruncate(fd, 0)
                count += 1
                return 0
            }
            count += 1
            return size
        }
    }

    func end() {
        inFlight.withLock { $0 -= 1 }
    }
}

/// The log file named by `lxc_log_init`, when a program routed liblxc's log to one.
let globalLogFile = Locked<String?>(nil)

extension Handle {
    /// Makes sure liblxc logs this handle's errors somewhere we can read, and marks the
    /// current end of that log.
    func diagnosticCursor() -> DiagnosticCursor {
        if let global = globalLogFile.withLock({ $0 }) {
            return DiagnosticCursor(path: global, start: fileSize(global) ?? 0, usesSharedLog: false)
        }
        // Without a loaded configuration there is nowhere to attach a log; the callers that
        // need one (create) load liblxc's default configuration first, as liblxc would.
        guard pointer.pointee.lxc_conf != nil else { return .none }

        if let own = configuredLogFile() {
            return DiagnosticCursor(path: own, start: fileSize(own) ?? 0, usesSharedLog: false)
        }
        guard let shared = SharedDiagnosticLog.shared else { return .none }
        if !diagnosticsAttached.load(ordering: .acquiring) {
            attach(shared)
        }
        return DiagnosticCursor(path: shared.path, start: shared.begin(), usesSharedLog: true)
    }

    /// The log file the container's own configuration names, if any.
    private func configuredLogFile() -> String? {
        guard let get = pointer.pointee.get_config_item else { return nil }
        let value = readSizedCString { buffer, length in get(pointer, "lxc.log.file", buffer, length) }
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// Points the configuration's log descriptor at the shared memory file without leaving
    /// `lxc.log.file` in the configuration.
    private func attach(_ shared: SharedDiagnosticLog) {
        guard let set = pointer.pointee.set_config_item,
              let clear = pointer.pointee.clear_config_item
        else { return }
        if set(pointer, "lxc.log.file", shared.path) {
            _ = clear(pointer, "lxc.log.file")
            diagnosticsAttached.store(true, ordering: .releasing)
        }
    }
}
