import CLXC
import Glibc

// Reading back what liblxc logged for one failed call, and only that.
//
// liblxc rarely sets `error_string`; the reason for a failure is in its log. liblxc writes a
// log line to the descriptor of the configuration the calling thread is working on (it sets a
// thread-local "current config" around each API call on a handle), or to the process-wide log
// when there is none or `lxc_log_init` was given a file. Forked processes (the monitor of a
// daemonized start, attach's helpers, the library's isolated children) inherit that
// descriptor and keep writing to it, the monitor for as long as the container runs.
//
// So each call's lines are kept apart twice over:
// - each handle logs into a memory file of its own: `lxc.log.file` is set to the memory file,
//   which makes liblxc open it as the handle's log descriptor, and cleared again at once, which
//   forgets the path but keeps the descriptor (nothing of it reaches a saved or cloned config
//   file). Calls on other handles, other containers and other lxcpaths never write there.
//   Before a call the file's size is noted; after a failure the lines added since are read.
// - each call gives the processes forked during it a memory file of the call's own: a
//   `pthread_atfork` handler (C, `shim.h`) points the child's copy of the handle's descriptor
//   at it. What liblxc's children write, during the call and after it (a monitor's lines when
//   its container stops later), never reaches the handle's file or another call's.
// What remains shared is the handle's file between calls that liblxc makes in this process
// (not in a child) at the same moment on one handle: those lines cannot be told apart.
//
// When the container's own configuration names a log file, or the process called
// `lxc_log_init` with a file (which makes liblxc ignore per-container descriptors), that
// file is read instead, nothing is changed, and only lines that name the container are kept.

/// The log of one liblxc call: where it began in its handle's (or a shared) log, and the
/// memory file of the processes it forked.
struct DiagnosticCursor: Sendable {
    enum Source: Sendable {
        /// No log to read.
        case none
        /// The handle's own memory file, from `start`.
        case handle(HandleLog, HandleLog.Target, start: off_t)
        /// A file other calls write too (a process-wide log, the container's own log file):
        /// only lines that name the container are kept.
        case shared(path: String, start: off_t, inFlight: SharedDiagnosticLog?)
    }

    let source: Source
    /// The memory file of the processes the call forked; nil for a shared source.
    let call: CallLog?

    static let none = DiagnosticCursor(source: .none, call: nil)

    /// The ERROR (and worse) lines the call logged so far, oldest first, with liblxc's prefix
    /// (`lxc NAME TIMESTAMP ERROR category - file:function:line - `) removed.
    func errorLines(for container: String) -> [String] {
        var entries: [LiblxcLogLine.Entry] = []
        switch source {
        case .none:
            break
        case let .handle(log, target, start):
            if let text = log.read(target, from: start) {
                entries += LiblxcLogLine.severeEntries(in: text, container: nil)
            }
        case let .shared(path, start, _):
            if let text = readFile(path, from: start) {
                entries += LiblxcLogLine.severeEntries(in: text, container: container)
            }
        }
        if let text = call?.text() {
            entries += LiblxcLogLine.severeEntries(in: text, container: nil)
        }
        // The in-process lines and the forked processes' lines, in the order they were logged
        // (liblxc's timestamps are fixed-width; the sort is stable within a millisecond).
        return entries.enumerated()
            .sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
            .map(\.element.message)
    }

    /// Ends the call: its handle's file may be emptied again once no call reads it.
    func finish() {
        switch source {
        case .none: break
        case let .handle(log, _, _): log.end()
        case let .shared(_, _, inFlight): inFlight?.end()
        }
    }

    /// Runs `body` (the liblxc call) with the processes this thread forks logging into the
    /// call's own memory file.
    func whileCurrent<R>(_ body: () throws -> R) rethrows -> R {
        guard let call, CallLog.handlersInstalled else { return try body() }
        let previous = clxc_call_log_swap(call.pointer)
        defer { _ = clxc_call_log_swap(previous) }
        return try body()
    }
}

/// The memory file into which the processes forked during one call log, made at the call's
/// first fork (by `clxc_call_log_prepare`, on the calling thread) and closed with the last
/// copy of the cursor.
final class CallLog: @unchecked Sendable {
    // @unchecked: `pointer.pointee.fd` is written once, by the fork handler on the thread that
    // makes the call, before the cursor that holds this is handed to any other thread (an
    // ``AttachedProcess`` reads it after the call returned); the other fields never change.
    let pointer: UnsafeMutablePointer<clxc_call_log>

    /// Whether the fork handlers are registered (once per process).
    static let handlersInstalled: Bool = clxc_call_log_install() == 0

    init(redirecting target: HandleLog.Target) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: clxc_call_log(fd: -1, target: target.fd, device: target.device, inode: target.inode))
    }

    deinit {
        if pointer.pointee.fd >= 0 { close(pointer.pointee.fd) }
        pointer.deallocate()
    }

    /// What the forked processes logged so far; nil when the call forked none.
    func text() -> String? {
        let fd = pointer.pointee.fd
        guard fd >= 0 else { return nil }
        return readToEnd(fd: fd, from: 0)
    }
}

/// One handle's log: the descriptor liblxc opened for the handle's configuration (its
/// `conf->logfd`), which refers to a memory file of the library's.
final class HandleLog: Sendable {
    /// The handle's log descriptor and the memory file it must refer to. The number alone is
    /// never trusted: liblxc closes it when the configuration is replaced, and the number may
    /// then name another file, so every use checks the device and inode first.
    struct Target: Sendable {
        let fd: Int32
        let device: dev_t
        let inode: ino_t
    }

    private struct State {
        var target: Target?
        var inFlight = 0
    }

    private let state = Locked(State())
    /// The file is emptied when it has grown past this size and no call reads it.
    private let limit: off_t = 1 << 20

    init() {}

    /// Notes the start of a call: the target and the file's current size, or nil when the
    /// handle's configuration has no log of ours (any more).
    func begin() -> (Target, off_t)? {
        state.withLock { state in
            guard let target = state.target else { return nil }
            var info = stat()
            guard fstat(target.fd, &info) == 0, info.st_dev == target.device, info.st_ino == target.inode else {
                state.target = nil
                return nil
            }
            var size = info.st_size
            if state.inFlight == 0 && size > limit, let fd = target.reopen(O_WRONLY) {
                if ftruncate(fd, 0) == 0 { size = 0 }
                close(fd)
            }
            state.inFlight += 1
            return (target, size)
        }
    }

    func end() {
        state.withLock { $0.inFlight -= 1 }
    }

    /// The file's text from `offset`, read through a descriptor of our own.
    func read(_ target: Target, from offset: off_t) -> String? {
        guard let fd = target.reopen(O_RDONLY) else { return nil }
        defer { close(fd) }
        return readToEnd(fd: fd, from: offset)
    }

    /// Forgets the target: the handle's configuration was replaced.
    func forget() {
        state.withLock { $0.target = nil }
    }

    /// Points the handle's configuration at a new memory file, unless another thread did.
    /// Called with the handle's `configWrites` lock held.
    func attach(_ pointer: UnsafeMutablePointer<lxc_container>) {
        if state.withLock({ $0.target != nil }) { return }
        guard let set = pointer.pointee.set_config_item,
              let clear = pointer.pointee.clear_config_item
        else { return }
        let file = clxc_memfd_create("swift-lxc-diagnostics")
        guard file >= 0 else { return }
        defer { close(file) }
        var info = stat()
        guard fstat(file, &info) == 0 else { return }
        guard set(pointer, "lxc.log.file", "/proc/self/fd/\(file)") else { return }
        _ = clear(pointer, "lxc.log.file")
        // liblxc opened the file through the path; find the descriptor it got.
        guard let fd = Self.descriptor(of: info, other: file) else { return }
        state.withLock { $0.target = Target(fd: fd, device: info.st_dev, inode: info.st_ino) }
    }

    /// The descriptor of this process, other than `other`, that refers to the file `info`
    /// describes (a memory file's inode is its own: only liblxc's descriptor can match).
    private static func descriptor(of info: stat, other: Int32) -> Int32? {
        for name in directoryEntries("/proc/self/fd") {
            guard let fd = Int32(name), fd != other else { continue }
            var candidate = stat()
            if fstat(fd, &candidate) == 0, candidate.st_dev == info.st_dev, candidate.st_ino == info.st_ino {
                return fd
            }
        }
        return nil
    }
}

extension HandleLog.Target {
    /// A descriptor of our own for the target's file, when the target still refers to it.
    func reopen(_ flags: Int32) -> Int32? {
        let fd = open("/proc/self/fd/\(self.fd)", flags | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_dev == device, info.st_ino == inode else {
            close(fd)
            return nil
        }
        return fd
    }
}

/// One line of liblxc's log, taken apart.
enum LiblxcLogLine {
    static let severe: Set<Substring> = ["ERROR", "CRIT", "ALERT", "FATAL"]

    /// A severe line's timestamp and message.
    struct Entry {
        let timestamp: Substring
        let message: String
    }

    /// The messages of the ERROR-or-worse lines of `text` that name `container`.
    static func errors(in text: String, container: String) -> [String] {
        severeEntries(in: text, container: container).map(\.message)
    }

    /// The ERROR-or-worse lines of `text`; with a container, only the lines that name it.
    ///
    /// A line is `<prefix>[ <name>] <timestamp> <LEVEL> <category> - <file>:<func>:<line> - <message>`
    /// (`log_append_logfile` in liblxc's log.c); the name is missing when liblxc logged
    /// outside a call on a handle.
    static func severeEntries(in text: String, container: String?) -> [Entry] {
        var result: [Entry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let dash = line.firstRange(of: " - ") else { continue }
            let header = line[..<dash.lowerBound].split(separator: " ", omittingEmptySubsequences: true)
            guard header.count >= 4, severe.contains(header[header.count - 2]) else { continue }
            if let container {
                let name = header[1..<(header.count - 3)].joined(separator: " ")
                guard name == container else { continue }
            }
            result.append(Entry(timestamp: header[header.count - 3], message: message(of: line)))
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

/// The memory file that liblxc's process-wide log goes to after ``LXC/stopLogging()``.
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
            if let shared = SharedDiagnosticLog.shared, shared.path == global {
                return DiagnosticCursor(source: .shared(path: global, start: shared.begin(), inFlight: shared), call: nil)
            }
            return DiagnosticCursor(source: .shared(path: global, start: fileSize(global) ?? 0, inFlight: nil), call: nil)
        }
        // Without a loaded configuration there is nowhere to attach a log; the callers that
        // need one (create) load liblxc's default configuration first, as liblxc would.
        guard pointer.pointee.lxc_conf != nil else { return .none }

        if let own = configuredLogFile() {
            return DiagnosticCursor(source: .shared(path: own, start: fileSize(own) ?? 0, inFlight: nil), call: nil)
        }
        var begun = log.begin()
        if begun == nil {
            // Not while another thread writes the configuration or starts the container
            // (liblxc's start forks a copy of the configuration); a start holds the lock for
            // as long as it takes, and is not waited for: the call then goes without.
            _ = configWrites.withLockIfAvailable { _ in log.attach(pointer) }
            begun = log.begin()
        }
        guard let (target, start) = begun else { return .none }
        return DiagnosticCursor(source: .handle(log, target, start: start), call: CallLog(redirecting: target))
    }

    /// The log file the container's own configuration names, if any.
    private func configuredLogFile() -> String? {
        guard let get = pointer.pointee.get_config_item else { return nil }
        let value = readSizedCString { buffer, length in get(pointer, "lxc.log.file", buffer, length) }
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
