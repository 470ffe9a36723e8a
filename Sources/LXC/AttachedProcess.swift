import Glibc

/// A process running inside a container, started without waiting for it.
///
/// Made by ``Container/spawn(_:options:)-5bnc6`` and ``Container/attach(options:payload:_:)``.
/// The process is a child of this one, and this object owns it: ``wait()-2nwfb`` reaps it once
/// and remembers the status, so it can be called again (and from several threads) and always
/// gives the same answer. A process dropped without being waited for keeps running and is
/// reaped in the background when it ends: it never becomes a zombie.
///
/// Do not call `waitpid` on ``pid`` yourself: the status would be lost to ``wait()-2nwfb``, and a
/// later signal could reach another process that reused the pid.
public final class AttachedProcess: Sendable, CustomStringConvertible {
    /// The host pid of the process.
    public let pid: pid_t
    /// The container it runs in, for error messages.
    let container: String
    /// The program, when this library exec'd it (spawn); nil for a function (attach).
    let program: String?
    /// ``AttachOptions/workingDirectory`` of the attach, for error messages.
    let workingDirectory: String?
    /// Where liblxc logged during the attach, to explain a failure found when waiting.
    let logSource: DiagnosticCursor?
    /// Whether the program leads a process group of its own (it was started with a time
    /// limit), so that signals for stopping it go to the whole group.
    let ownsGroup: Bool

    struct State {
        /// The status once reaped.
        var status: ExitStatus?
        /// The read end of the pipe through which the exec function reports (spawn only).
        var reportFD: Int32
        /// What the report said, once read.
        var outcome: ExecOutcome?
        /// Set when the time limit passed before the process ended: which limit, in words.
        var timedOut: String?
        /// The timer of the time limit, cancelled once the process is reaped.
        var timer: LimitTimer?
    }

    private let state: Locked<State>

    init(pid: pid_t, container: String, program: String?, workingDirectory: String? = nil, reportFD: Int32,
         logSource: DiagnosticCursor? = nil, ownsGroup: Bool = false) {
        self.pid = pid
        self.ownsGroup = ownsGroup
        self.container = container
        self.program = program
        self.workingDirectory = workingDirectory
        self.logSource = logSource
        self.state = Locked(State(status: nil, reportFD: reportFD, outcome: nil))
    }

    deinit {
        let reaped = state.withLock { state -> Bool in
            if state.reportFD >= 0 { close(state.reportFD); state.reportFD = -1 }
            state.timer?.cancel()
            return state.status != nil
        }
        if !reaped {
            // The owner let go without waiting: reap it in the background when it ends.
            let pid = pid
            BlockingExecutor.shared.submit {
                var raw: Int32 = 0
                _ = retryingOnInterrupt { waitpid(pid, &raw, 0) }
            }
        }
    }

    /// `pid 1234 in "web"`.
    public var description: String { "pid \(pid) in \(quoted(container))" }

    /// Waits until the process ends and returns how it ended.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when the program or the working
    ///   directory does not exist in the container (the message names it);
    ///   ``LXCError/Kind/permissionDenied`` when the program is not executable or the working
    ///   directory may not be entered; ``LXCError/Kind/failed`` when liblxc could not set the
    ///   process up inside the container (switch user, …) or the program could not be
    ///   executed for another reason; ``LXCError/Kind/timedOut`` when it was stopped by its
    ///   time limit (``AttachOptions/timeLimit``, or the deadline of the task that spawned it).
    public func wait() throws -> ExitStatus {
        try wait(operation: Operation.wait.name, diagnostics: nil)
    }

    /// Waits for the process without blocking the caller's thread; see ``wait()``.
    ///
    /// Cancelling the waiting task kills the process (`SIGKILL`), reaps it and throws
    /// `CancellationError`.
    public func wait() async throws -> ExitStatus {
        try await withTaskCancellationHandler {
            let status = try await BlockingExecutor.shared.run { try self.wait() }
            try Task.checkCancellation()
            return status
        } onCancel: {
            _ = self.signal(SIGKILL)
        }
    }

    /// The status if the process has ended (reaping it then), or nil while it runs.
    ///
    /// - Throws: as ``wait()-2nwfb``, once the process has ended.
    public func status() throws -> ExitStatus? {
        guard hasExited() else { return nil }
        return try wait()
    }

    /// Sends `signal` to the process, unless it has been reaped already.
    ///
    /// A process that has ended but not been reaped still holds its pid, so the signal can
    /// never reach another process.
    ///
    /// - Returns: whether the signal was sent (false once the process is reaped).
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        state.withLock { state in
            guard state.status == nil else { return false }
            return kill(pid, signal) == 0
        }
    }

    // MARK: internals

    /// Sends `signal` to the program's process group when it leads one (``ownsGroup``), to
    /// the process otherwise; nothing once it is reaped.
    func terminate(_ signal: Int32) {
        state.withLock { state in
            guard state.status == nil else { return }
            sendToGroup(signal)
        }
    }

    /// With the state's lock held and the process not reaped: `signal` to its group, or to
    /// the process alone when it does not lead one (yet: a limit that passes before the
    /// child got to its `setsid` finds no group, ESRCH).
    private func sendToGroup(_ signal: Int32) {
        if ownsGroup && kill(-pid, signal) == 0 { return }
        _ = kill(pid, signal)
    }

    /// Stops the program at `deadline`: `SIGTERM` to its group, `SIGKILL` after `grace`.
    /// `reason` names the limit in the error that the wait then throws.
    func armTimeLimit(_ deadline: ContinuousClock.Instant, grace: Duration, reason: String) {
        let timer = LimitTimer(deadline: deadline, grace: grace, atDeadline: { [weak self] in
            guard let process = self else { return false }
            return process.state.withLock { state -> Bool in
                guard state.status == nil else { return false }
                state.timedOut = reason
                process.sendToGroup(grace > .zero ? SIGTERM : SIGKILL)
                return grace > .zero
            }
        }, afterGrace: { [weak self] in
            self?.terminate(SIGKILL)
        })
        state.withLock { state in
            if state.status == nil { state.timer = timer } else { timer.cancel() }
        }
    }

    /// Whether the time limit passed before the process ended.
    var timedOut: Bool { state.withLock { $0.timedOut != nil } }

    /// Whether the process has ended (it may not be reaped yet).
    func hasExited() -> Bool {
        if state.withLock({ $0.status != nil }) { return true }
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return result == 0 && info.si_signo == SIGCHLD
    }

    /// Blocks until the process has ended, without reaping it (so that ``signal(_:)`` stays
    /// safe meanwhile), then reaps it.
    func waitForExit() -> ExitStatus {
        if let status = state.withLock({ $0.status }) { return status }
        var info = siginfo_t()
        _ = retryingOnInterrupt { waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
        return reap()
    }

    /// Reaps the ended process under the lock, once; reads what the exec function reported.
    private func reap() -> ExitStatus {
        state.withLock { state in
            if let status = state.status { return status }
            // Stopped by its time limit: whatever it left in its group goes too, while the
            // unreaped leader still holds the group's id.
            if state.timedOut != nil && ownsGroup { _ = kill(-pid, SIGKILL) }
            state.timer?.cancel()
            state.timer = nil
            var raw: Int32 = 0
            let result = retryingOnInterrupt { waitpid(pid, &raw, 0) }
            // ECHILD: someone else reaped it (a waitpid(-1) elsewhere in the process); its
            // status is lost.
            let status = result == pid ? ExitStatus(waitStatus: raw) : .exited(255)
            state.status = status
            if state.reportFD >= 0 {
                state.outcome = ExecReport.read(state.reportFD)
                close(state.reportFD)
                state.reportFD = -1
            }
            return status
        }
    }

    /// Waits, then turns what the exec function reported into the status or an error.
    func wait(operation: String, diagnostics: (() -> [String])?) throws -> ExitStatus {
        let status = waitForExit()
        let (outcome, timedOut) = state.withLock { ($0.outcome, $0.timedOut) }
        switch outcome {
        case nil, .executed:
            if let timedOut { throw timeoutError(operation, timedOut, status) }
            return status
        case .failedBeforeExec where status != .exited(EXIT_FAILURE):
            // Ended by a signal (its time limit, a kill from outside) before it got to run the program.
            if let timedOut { throw timeoutError(operation, timedOut, status) }
            return status
        case .failedBeforeExec:
            throw LXCError(
                operation: operation, container: container,
                message: "liblxc could not set up the process inside the container (entering namespaces, "
                    + "switching user or groups, working directory, LSM profile); it \(status) before "
                    + "running \(program.map { quoted($0) } ?? "the function")",
                kind: .failed, log: diagnostics?() ?? logSource?.errorLines(for: container) ?? [])
        case .execFailed(let code):
            throw Self.execError(code, program: program ?? "", operation: operation, container: container)
        case .workingDirectoryFailed(let code):
            throw Self.workingDirectoryError(code, directory: workingDirectory ?? "", program: program,
                                             operation: operation, container: container)
        }
    }

    private func timeoutError(_ operation: String, _ limit: String, _ status: ExitStatus) -> LXCError {
        LXCError(operation: operation, container: container,
                 message: "\(program.map { quoted($0) } ?? "the program") ran past \(limit); "
                     + "it and its process group were stopped (SIGTERM, then SIGKILL) and it \(status)",
                 code: ETIMEDOUT, kind: .timedOut)
    }

    static func workingDirectoryError(_ code: Int32, directory: String, program: String?,
                                      operation: String, container: String) -> LXCError {
        let name = quoted(directory)
        let what = program.map { "; \(quoted($0)) did not run" } ?? "; the function did not run"
        switch code {
        case ENOENT:
            return LXCError(operation: operation, container: container,
                            message: "the working directory \(name) does not exist in the container\(what)",
                            code: code, kind: .notFound)
        case ENOTDIR:
            return LXCError(operation: operation, container: container,
                            message: "the working directory \(name) is not a directory in the container\(what)",
                            code: code, kind: .notFound)
        case EACCES, EPERM:
            return LXCError(operation: operation, container: container,
                            message: "the working directory \(name) may not be entered in the container: \(errnoDescription(code))\(what)",
                            code: code, kind: .permissionDenied)
        default:
            return LXCError(operation: operation, container: container,
                            message: "the working directory \(name) could not be entered in the container: \(errnoDescription(code))\(what)",
                            code: code, kind: .failed)
        }
    }

    static func execError(_ code: Int32, program: String, operation: String, container: String) -> LXCError {
        let name = quoted(program)
        switch code {
        case ENOENT:
            let where_ = program.contains("/") ? "" : " (looked up in the PATH of its environment)"
            return LXCError(operation: operation, container: container,
                            message: "the program \(name) does not exist in the container\(where_)",
                            code: code, kind: .notFound)
        case EACCES, EPERM:
            return LXCError(operation: operation, container: container,
                            message: "the program \(name) cannot be executed in the container: \(errnoDescription(code))",
                            code: code, kind: .permissionDenied)
        case ENOEXEC:
            return LXCError(operation: operation, container: container,
                            message: "the program \(name) is not in a format the kernel can execute (ENOEXEC)",
                            code: code, kind: .failed)
        default:
            return LXCError(operation: operation, container: container,
                            message: "the program \(name) could not be executed in the container: \(errnoDescription(code))",
                            code: code, kind: .failed)
        }
    }
}
