import CLXC
import Glibc

extension Container {
    /// Allocates a tty of the running container to this process and returns its number and
    /// the primary side of its pseudo-terminal.
    ///
    /// The corresponding liblxc call is `c->console_getfd`.
    ///
    /// - Parameter tty: the tty to allocate: nil for the first free one, 0 for the console,
    ///   1… for `/dev/tty1`… (the container has `lxc.tty.max` of them).
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a negative number;
    ///   ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/failed`` when the tty does not exist or is taken, with liblxc's log lines.
    public func consoleFileDescriptor(tty: Int? = nil) throws -> ConsoleTTY {
        let operation = Operation.consoleFileDescriptor.name
        if let tty, tty < 0 { throw LXCError.invalid(operation, name, "tty number \(tty) is negative") }
        try requireRunning(operation)
        return try liblxc(.consoleFileDescriptor, \.console_getfd) { getfd, pointer in
            var number = Int32(clamping: tty ?? -1)
            var primary: Int32 = -1
            let keepAlive = getfd(pointer, &number, &primary)
            return (keepAlive, number, primary)
        } then: { (result: (keepAlive: Int32, number: Int32, primary: Int32), call) in
            let (keepAlive, number, primary) = result
            if keepAlive >= 0 && primary >= 0 {
                return ConsoleTTY(number: Int(number), primaryFileDescriptor: primary, keepAliveFileDescriptor: keepAlive)
            }
            if keepAlive >= 0 { close(keepAlive) }
            try requireRunning(operation)
            let which = tty.map { $0 == 0 ? "the console" : "tty \($0)" } ?? "a free tty"
            throw call.failure("liblxc could not allocate \(which) (it may not exist, see lxc.tty.max, or be taken)")
        }
    }

    /// Connects the given file descriptors to a tty of the running container until the user
    /// types the escape sequence (Ctrl-`escape`, then `q`).
    ///
    /// When `input` is a terminal, liblxc puts it in raw mode for the session. The
    /// corresponding liblxc call is `c->console`.
    ///
    /// - Parameters:
    ///   - tty: nil for the first free tty, 0 for the console, 1… for `/dev/tty1`….
    ///   - input: where keystrokes come from (standard input by default).
    ///   - output: where the tty's output goes.
    ///   - error: where liblxc's messages go.
    ///   - escape: the letter that, with Ctrl, starts the escape sequence (`"a"`: Ctrl-a q).
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for an escape that is not a
    ///   letter, a negative tty or a negative descriptor; ``LXCError/Kind/wrongState`` when the
    ///   container is not running; ``LXCError/Kind/failed`` with liblxc's log lines otherwise.
    public func console(tty: Int? = nil, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO,
                        error: Int32 = STDERR_FILENO, escape: Character = "a") throws {
        let operation = Operation.console.name
        if let tty, tty < 0 { throw LXCError.invalid(operation, name, "tty number \(tty) is negative") }
        if input < 0 || output < 0 || error < 0 {
            throw LXCError.invalid(operation, name, "file descriptors must not be negative")
        }
        guard let ascii = escape.asciiValue, let lower = Character(Unicode.Scalar(ascii)).lowercased().first?.asciiValue,
              lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "z")
        else {
            throw LXCError.invalid(operation, name, "the escape \(quoted(String(escape))) is not a letter from a to z")
        }
        try requireRunning(operation)
        let code = Int32(lower - UInt8(ascii: "a") + 1)
        try liblxc(.console, \.console) { console, pointer in
            console(pointer, Int32(clamping: tty ?? -1), input, output, error, code)
        } then: { result, call in
            if result == 0 { return }
            try requireRunning(operation)
            throw call.failure("liblxc could not connect to the container's tty")
        }
    }

    /// Connects to a tty without blocking the caller's thread; see
    /// ``console(tty:input:output:error:escape:)``.
    public func console(tty: Int? = nil, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO,
                        error: Int32 = STDERR_FILENO, escape: Character = "a") async throws {
        try await offload { try self.console(tty: tty, input: input, output: output, error: error, escape: escape) }
    }

    /// What the container wrote to its console, from the console ring buffer that its
    /// monitor keeps.
    ///
    /// The ring buffer exists only when the container was started with
    /// `lxc.console.buffer.size` set (`"auto"`, or a size such as `"128k"`); it holds the
    /// last that many bytes. The corresponding liblxc call is `c->console_log` with `read`.
    ///
    /// - Parameters:
    ///   - maximumBytes: read at most this many bytes; nil for the whole buffer.
    ///   - clear: empty the buffer after reading it.
    /// - Returns: the bytes, oldest first; empty when nothing was written since the start or
    ///   the last clear.
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running
    ///   or was started without a console ring buffer.
    public func consoleLog(maximumBytes: Int? = nil, clear: Bool = false) throws -> [UInt8] {
        if let maximumBytes, maximumBytes <= 0 {
            throw LXCError.invalid(Operation.consoleLog.name, name, "maximumBytes must be positive")
        }
        return try consoleLog(.consoleLog, read: true, clear: clear, maximum: UInt64(maximumBytes ?? 0))
    }

    /// Empties the console ring buffer (see ``consoleLog(maximumBytes:clear:)``).
    ///
    /// The corresponding liblxc call is `c->console_log` with `clear`.
    ///
    /// - Throws: as ``consoleLog(maximumBytes:clear:)``.
    public func clearConsoleLog() throws {
        _ = try consoleLog(.clearConsoleLog, read: false, clear: true, maximum: 0)
    }

    private func consoleLog(_ operation: Operation, read: Bool, clear: Bool, maximum: UInt64) throws -> [UInt8] {
        try requireRunning(operation.name)
        return try liblxc(operation, \.console_log) { consoleLog, pointer -> (Int32, [UInt8]) in
            var length = maximum
            return withUnsafeMutablePointer(to: &length) { lengthPointer in
                var log = lxc_console_log(clear: clear, read: read, read_max: lengthPointer, data: nil)
                let result = consoleLog(pointer, &log)
                defer { free(log.data) }
                guard result >= 0, read, let data = log.data else { return (result, []) }
                let count = Int(clamping: lengthPointer.pointee)
                return (result, data.withMemoryRebound(to: UInt8.self, capacity: count) {
                    Array(UnsafeBufferPointer(start: $0, count: count))
                })
            }
        } then: { (read: (result: Int32, bytes: [UInt8]), call) in
            let result = read.result
            if result == -ENODATA { return [] }
            if result == -EFAULT || result == -ENOENT {
                throw call.failure(kind: .wrongState,
                                   "the container has no console ring buffer; set lxc.console.buffer.size (\"auto\" or a size such as \"128k\") before starting it")
            }
            if result < 0 {
                try requireRunning(operation.name)
                var error = call.failure("liblxc could not read the console ring buffer: \(errnoDescription(-result))")
                error.code = -result
                throw error
            }
            return read.bytes
        }
    }

    // MARK: C names

    @available(*, unavailable, renamed: "consoleFileDescriptor(tty:)")
    public func console_getfd(_ tty: Int?) throws -> ConsoleTTY { try consoleFileDescriptor(tty: tty) }

    @available(*, unavailable, renamed: "consoleLog(maximumBytes:clear:)")
    public func console_log(_ maximumBytes: Int?, _ clear: Bool) throws -> [UInt8] {
        try consoleLog(maximumBytes: maximumBytes, clear: clear)
    }
}
