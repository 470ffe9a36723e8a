import CLXC
import Glibc

// Reading what an attached program prints while it runs.
//
// The program's standard output and error are the write ends of two pipes; this process
// keeps only the read ends and reads both with poll() as data comes, so a program that fills
// one pipe while we wait on the other never blocks for ever. Standard input, when given as
// bytes, is a third pipe written in the same loop. The loop ends when both output pipes are
// at end of file, or when the program has ended (a background process it left behind may
// hold the pipes open; what is already in them is read, nothing more is waited for).

/// Which output stream a chunk came from.
enum OutputStreamKind: Sendable {
    case standardOutput, standardError
}

/// A cancellation request shared between an awaiting task and the blocking work it started.
final class AttachCancellation: Sendable {
    private struct State {
        var cancelled = false
        var process: AttachedProcess?
    }

    private let state = Locked(State())

    /// Remembers the process to kill; kills it at once when cancellation came first.
    func register(_ process: AttachedProcess) {
        let kill = state.withLock { state -> Bool in
            state.process = process
            return state.cancelled
        }
        if kill { process.terminate(SIGKILL) }
    }

    /// Marks the work cancelled and kills the process, if there is one yet.
    func cancel() {
        let process = state.withLock { state -> AttachedProcess? in
            state.cancelled = true
            return state.process
        }
        process?.terminate(SIGKILL)
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }
}

/// The pipes of one capturing attach, and the loop that services them. It owns the
/// descriptors and closes them when it goes away. Used by one thread at a time.
final class CaptureLoop {
    private(set) var standardOutput: Int32
    private(set) var standardError: Int32
    private var standardInput: Int32
    private let input: [UInt8]
    private var inputOffset = 0

    /// How long poll() waits before looking again whether the program ended or the work was
    /// cancelled (only matters while the pipes are silent but held open).
    static let pollMilliseconds: Int32 = 100
    static let chunkSize = 65_536

    init(standardOutput: Int32, standardError: Int32, standardInput: Int32, input: [UInt8]) {
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.standardInput = standardInput
        self.input = input
        setNonBlocking(standardOutput)
        setNonBlocking(standardError)
        if standardInput >= 0 {
            setNonBlocking(standardInput)
            if input.isEmpty { Self.closeFD(&self.standardInput) }
        }
    }

    deinit {
        Self.closeFD(&standardOutput)
        Self.closeFD(&standardError)
        Self.closeFD(&standardInput)
    }

    static func closeFD(_ fd: inout Int32) {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    var isFinished: Bool { standardOutput < 0 && standardError < 0 }

    /// Waits for something to happen and handles it: reads what is available (passing it to
    /// `sink`), writes input. Returns false once there is nothing more to do.
    func step(
        process: AttachedProcess,
        isCancelled: () -> Bool,
        sink: (OutputStreamKind, UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        if isFinished { return false }
        if isCancelled() {
            closeAll()
            return false
        }
        var fds = [pollfd](repeating: pollfd(fd: -1, events: 0, revents: 0), count: 3)
        fds[0] = pollfd(fd: standardOutput, events: Int16(POLLIN), revents: 0)
        fds[1] = pollfd(fd: standardError, events: Int16(POLLIN), revents: 0)
        fds[2] = pollfd(fd: standardInput, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&fds, 3, Self.pollMilliseconds)
        if ready < 0 && errno != EINTR {
            closeAll()
            return false
        }
        if ready <= 0 {
            // Silence: the program may have ended while something else holds the pipes.
            if process.hasExited() {
                drain(sink: sink)
                closeAll()
                return false
            }
            return true
        }
        if fds[2].revents != 0 { writeInput() }
        if fds[0].revents != 0 { readAvailable(.standardOutput, sink: sink) }
        if fds[1].revents != 0 { readAvailable(.standardError, sink: sink) }
        if isFinished { return false }
        // Data keeps coming: it may be from a process left behind by one that has ended.
        if process.hasExited() {
            drain(sink: sink)
            closeAll()
            return false
        }
        return true
    }

    /// Reads one chunk from a ready pipe; closes it at end of file or on error.
    private func readAvailable(_ kind: OutputStreamKind, sink: (OutputStreamKind, UnsafeRawBufferPointer) -> Void) {
        let fd = kind == .standardOutput ? standardOutput : standardError
        guard fd >= 0 else { return }
        let got = Self.readChunk(fd, kind, sink: sink)
        if got == 0 || (got < 0 && errno != EAGAIN) {
            if kind == .standardOutput { Self.closeFD(&standardOutput) } else { Self.closeFD(&standardError) }
        }
    }

    /// After the program ended: reads what is already in the pipes, without waiting for more.
    private func drain(sink: (OutputStreamKind, UnsafeRawBufferPointer) -> Void) {
        for kind in [OutputStreamKind.standardOutput, .standardError] {
            // At most what a pipe can hold, so that a writer left behind cannot keep us here.
            var budget = 1 << 20
            while budget > 0 {
                let fd = kind == .standardOutput ? standardOutput : standardError
                guard fd >= 0 else { break }
                let got = Self.readChunk(fd, kind, sink: sink)
                if got <= 0 { break }
                budget -= got
            }
        }
    }

    /// Reads one chunk from `fd` and passes it to `sink`: `read`'s result, with `errno` as
    /// it left it.
    private static func readChunk(_ fd: Int32, _ kind: OutputStreamKind,
                                  sink: (OutputStreamKind, UnsafeRawBufferPointer) -> Void) -> Int {
        withUnsafeTemporaryAllocation(byteCount: chunkSize, alignment: 1) { buffer -> Int in
            let got = retryingOnInterrupt { read(fd, buffer.baseAddress, chunkSize) }
            if got > 0 { sink(kind, UnsafeRawBufferPointer(rebasing: buffer[..<got])) }
            return got
        }
    }

    /// Writes as much input as the pipe takes; closes it when all is written or the reader is gone.
    private func writeInput() {
        guard standardInput >= 0 else { return }
        let remaining = input.count - inputOffset
        let written = input.withUnsafeBytes { bytes in
            writeWithoutSIGPIPE(standardInput, bytes.baseAddress! + inputOffset, remaining)
        }
        if written > 0 {
            inputOffset += written
            if inputOffset == input.count { Self.closeFD(&standardInput) }
        } else if written < 0 && errno != EAGAIN && errno != EINTR {
            // EPIPE: the program closed its standard input or ended; the rest is not wanted.
            Self.closeFD(&standardInput)
        }
    }

    private func closeAll() {
        Self.closeFD(&standardOutput)
        Self.closeFD(&standardError)
        Self.closeFD(&standardInput)
    }
}

/// `write` with `SIGPIPE` blocked in the calling thread, so that a reader that went away gives
/// `EPIPE` instead of killing this process; a `SIGPIPE` it raised is consumed.
func writeWithoutSIGPIPE(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    var pipeSignal = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
    let written = retryingOnInterrupt { write(fd, bytes, count) }
    let code = errno
    if written < 0 && code == EPIPE {
        var timeout = timespec(tv_sec: 0, tv_nsec: 0)
        _ = retryingOnInterrupt { sigtimedwait(&pipeSignal, nil, &timeout) }
    }
    pthread_sigmask(SIG_SETMASK, &previous, nil)
    errno = code
    return written
}

/// A capturing attach: the process and its pipes, read step by step for a stream.
final class StreamingCapture: Sendable {
    let process: AttachedProcess
    let operation: String
    private let cancellation = AttachCancellation()

    private struct State: @unchecked Sendable {
        // @unchecked: `loop` came in `sending` and is reached only through `state`'s lock.
        var loop: CaptureLoop
        /// Chunks read but not handed out yet (one poll can find both pipes ready).
        var pending: [CommandOutputEvent] = []
        var finished = false
        /// The error to throw once `pending` is handed out (a time limit that passed).
        var finalError: LXCError?
    }

    private let state: Locked<State>

    init(process: AttachedProcess, loop: sending CaptureLoop, operation: String) {
        self.process = process
        self.operation = operation
        self.state = Locked(State(loop: loop))
        cancellation.register(process)
    }

    deinit {
        // Dropped before the end: kill the program; the AttachedProcess reaps it.
        if !process.hasExited() { process.terminate(SIGKILL) }
    }

    func cancel() {
        cancellation.cancel()
    }

    /// Blocks until there is a chunk to hand out or the program has ended; nil after the end.
    func nextEvent() throws -> CommandOutputEvent? {
        let cancellation = cancellation
        let process = process
        let operation = operation
        return try state.withLock { state -> CommandOutputEvent? in
            while true {
                if !state.pending.isEmpty { return state.pending.removeFirst() }
                if state.finished {
                    // A time limit that passed is reported after the output read until then.
                    if let error = state.finalError {
                        state.finalError = nil
                        throw error
                    }
                    return nil
                }
                var found: [CommandOutputEvent] = []
                let more = state.loop.step(process: process, isCancelled: { cancellation.isCancelled }) { kind, bytes in
                    let chunk = [UInt8](bytes)
                    found.append(kind == .standardOutput ? .standardOutput(chunk) : .standardError(chunk))
                }
                state.pending.append(contentsOf: found)
                if !more {
                    state.finished = true
                    let status: ExitStatus
                    do {
                        status = try process.wait(operation: operation, diagnostics: nil)
                    } catch let error as LXCError where error.kind == .timedOut && !cancellation.isCancelled {
                        state.finalError = error
                        continue
                    }
                    if cancellation.isCancelled {
                        state.pending.removeAll()
                        throw CancellationError()
                    }
                    state.pending.append(.finished(status))
                }
            }
        }
    }
}
