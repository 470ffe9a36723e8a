import CLXC
import Glibc

// Starting a program inside a container through liblxc's `c->attach`.
//
// liblxc forks (twice) and, in the process that ends up inside the container, calls an exec
// function with a payload. That process is a fork of this multithreaded one: only the calling
// thread exists there, and any lock another thread held (malloc's, the Swift runtime's) may
// stay held for ever. So the exec function below only reads memory prepared before the call
// (the payload, argv as C arrays) and makes system calls: no Swift allocation, no retain or
// release, no locks.
//
// It reports through a close-on-exec pipe: one byte "R" when liblxc hands it control, then
// "D" and the errno if it cannot enter the working directory, or the exec errno if execvp
// fails. After the process ends, the pipe says which of four things happened: nothing
// (liblxc failed to set the process up and exited before running it), "R" alone (the
// program ran; a successful exec closed the pipe), "R" and an errno, or "R", "D" and an errno.

/// What the exec function reported.
enum ExecOutcome: Sendable, Equatable {
    /// liblxc never called the exec function: it failed to set the process up.
    case failedBeforeExec
    /// The program was exec'd.
    case executed
    /// execvp failed with this errno.
    case execFailed(Int32)
    /// The working directory could not be entered (`chdir` failed with this errno); nothing ran.
    case workingDirectoryFailed(Int32)
}

/// The layout shared by the parent (which builds it) and the attached child (which only reads it).
struct ExecPayload {
    var program: UnsafeMutablePointer<CChar>
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    /// ``AttachOptions/workingDirectory``, entered before the exec; nil leaves liblxc's.
    var directory: UnsafePointer<CChar>?
    var reportFD: Int32
    /// Start a session (and process group) of its own before the exec: the program has a
    /// time limit, whose signals go to the group.
    var newSession: Bool
}

enum ExecReport {
    static let reachedMarker: UInt8 = 0x52 // "R"
    static let directoryMarker: UInt8 = 0x44 // "D"

    /// Reads what the exec function wrote. Called after the process has ended, so what it
    /// wrote (one byte, five or six) is all in the pipe and one read takes it; the read end
    /// is non-blocking, so other forks still holding the write end (a concurrent attach)
    /// cannot make it wait.
    static func read(_ fd: Int32) -> ExecOutcome {
        var report: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        let got = retryingOnInterrupt {
            withUnsafeMutableBytes(of: &report) { Glibc.read(fd, $0.baseAddress, $0.count) }
        }
        guard got >= 1, report.0 == reachedMarker else { return .failedBeforeExec }
        if got == 6 && report.1 == directoryMarker {
            return .workingDirectoryFailed(withUnsafeBytes(of: report) { $0.loadUnaligned(fromByteOffset: 2, as: Int32.self) })
        }
        guard got == 5 else { return .executed }
        let code = withUnsafeBytes(of: report) { $0.loadUnaligned(fromByteOffset: 1, as: Int32.self) }
        return .execFailed(code)
    }
}

/// In the attached child: makes sure it is in `directory`, when there is one
/// (`clxc_enter_working_directory`); when it cannot be, reports "D" and the errno on `fd` and
/// returns false. liblxc 5.0.2 only warns when it cannot enter `initial_cwd` and runs the
/// program in `/`. System calls on stack memory only.
@inline(__always)
func enterWorkingDirectory(_ directory: UnsafePointer<CChar>?, reportingTo fd: Int32) -> Bool {
    guard let directory else { return true }
    var code = clxc_enter_working_directory(directory)
    if code == 0 { return true }
    var marker = ExecReport.directoryMarker
    _ = write(fd, &marker, 1)
    _ = write(fd, &code, 4)
    return false
}

/// Binds the libc functions the attached child calls, in this process, so that no forked
/// child runs the dynamic linker's lazy binding: see `clxc_bind_attach_child_calls`.
func bindAttachChildCalls() {
    clxc_bind_attach_child_calls()
}

/// `bindAttachChildCalls()`, once per process, before the first attach forks.
let attachChildCallsBound: Void = bindAttachChildCalls()

/// A thread of the library's that does nothing, made before the first attach and never ended,
/// so that the process is never single-threaded while liblxc's attach runs.
///
/// liblxc 5.0.2's `c->attach` takes the container init's pidfd from the monitor and probes
/// whether it can enter namespaces through it with `setns(pidfd, CLONE_NEWTIME)`, in the
/// calling process. The kernel allows that only in a single-threaded process. When the probe
/// fails, liblxc closes the pidfd and enters the namespaces through descriptors it closes
/// again. When it succeeds, liblxc keeps the pidfd and never closes it in the caller
/// (`put_attach_context` does not; only the forked process closes its copy): one descriptor,
/// `anon_inode:[pidfd]` of the container's init, left open per attach, the same from C, and
/// the calling process has also moved its future children into the init's time namespace.
/// A program that attaches from its only thread (a synchronous tool, a script) leaked one
/// descriptor per `run`, for ever. With this thread the probe always fails, as it does in
/// every program with a second thread (any that uses `async` calls), and liblxc closes
/// the pidfd itself: nothing of liblxc's is closed by this library.
///
/// The thread blocks every signal (it never takes one meant for the process) and sleeps in
/// `pause()`; its stack is small.
enum AttachCompanionThread {
    /// Starts the thread, once per process; false when it could not be made.
    static let started: Bool = start()

    private static func start() -> Bool {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 64 * 1024)
        // The new thread inherits the creating thread's mask: all signals blocked from birth.
        var all = sigset_t()
        sigfillset(&all)
        var previous = sigset_t()
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var thread = pthread_t()
        let result = ForkGuard.creatingThread {
            pthread_create(&thread, &attributes, { _ in
                while true { pause() }
            }, nil)
        }
        guard result == 0 else { return false }
        pthread_detach(thread)
        return true
    }
}

/// The function the attached child runs: report, then exec. See the fork rules above.
let attachedExec: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { raw in
    guard let raw else { return 127 }
    let payload = raw.assumingMemoryBound(to: ExecPayload.self)
    let fd = payload.pointee.reportFD
    clxc_reset_signals_for_exec()
    // The program gets standard input, output and error only (the report pipe is already
    // close-on-exec): see clxc_cloexec_from.
    clxc_cloexec_from(3)
    var marker: UInt8 = 0x52
    _ = write(fd, &marker, 1)
    guard enterWorkingDirectory(payload.pointee.directory, reportingTo: fd) else { return EXIT_FAILURE }
    // Fails (EPERM) only when it leads a group already (liblxc's terminal setup): then its
    // group is its own anyway.
    if payload.pointee.newSession { _ = setsid() }
    _ = execvp(payload.pointee.program, payload.pointee.argv)
    var code = errno
    _ = write(fd, &code, 4)
    return code == ENOENT ? 127 : 126
}

/// A caller's function and its payload, for the trampoline below.
struct FunctionPayload {
    var function: @convention(c) (UnsafeMutableRawPointer?) -> Int32
    var payload: UnsafeMutableRawPointer?
    /// ``AttachOptions/workingDirectory``, entered before the function runs; nil leaves liblxc's.
    var directory: UnsafePointer<CChar>?
    var reportFD: Int32
}

/// Runs a caller's function in the attached child after resetting the signal mask; reports
/// "R" first, so that a failure of liblxc before it is told apart from the function's result,
/// and "D" when the working directory cannot be entered.
let attachedFunction: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { raw in
    guard let raw else { return 1 }
    let call = raw.assumingMemoryBound(to: FunctionPayload.self)
    clxc_reset_signals_for_exec()
    var marker: UInt8 = 0x52
    _ = write(call.pointee.reportFD, &marker, 1)
    let entered = enterWorkingDirectory(call.pointee.directory, reportingTo: call.pointee.reportFD)
    _ = close(call.pointee.reportFD)
    guard entered else { return EXIT_FAILURE }
    return call.pointee.function(call.pointee.payload)
}

/// A pipe whose ends are closed at exec.
struct PipePair {
    var read: Int32
    var write: Int32

    /// - Parameter nonBlocking: both ends `O_NONBLOCK`.
    static func make(operation: String, container: String, nonBlocking: Bool = false) throws -> PipePair {
        var fds: (Int32, Int32) = (-1, -1)
        let result = withUnsafeMutableBytes(of: &fds) { raw in
            let fds = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            return nonBlocking ? clxc_pipe_cloexec_nonblocking(fds) : clxc_pipe_cloexec(fds)
        }
        if result != 0 {
            let code = errno
            throw LXCError(operation: operation, container: container,
                           message: "could not make a pipe: \(errnoDescription(code))", code: code, kind: .failed)
        }
        return PipePair(read: fds.0, write: fds.1)
    }

    mutating func closeRead() {
        if read >= 0 { close(read); read = -1 }
    }

    mutating func closeWrite() {
        if write >= 0 { close(write); write = -1 }
    }

    mutating func closeBoth() {
        closeRead()
        closeWrite()
    }
}

/// Sets `O_NONBLOCK` on a descriptor.
func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
}

/// Calls `body` with options whose standard input is not descriptor 0 when 0 is not a
/// terminal.
///
/// liblxc's `attach` makes the *calling process* ignore SIGINT and SIGQUIT for good whenever
/// `stdin_fd` is 0 (meant for an interactive lxc-attach, lxc issue #313), and every program a
/// concurrent attach forks meanwhile inherits that. Passing a duplicate of descriptor 0
/// instead gives the program the same standard input without touching this process's signal
/// dispositions. A terminal is passed as 0 itself: with a descriptor above 2 that is a
/// terminal, liblxc tries to make it the program's controlling terminal, which fails while it
/// is this session's.
func withStandardInputKept<R>(_ options: AttachOptions, _ body: (AttachOptions) throws -> R) rethrows -> R {
    guard options.standardInput == STDIN_FILENO, isatty(STDIN_FILENO) == 0 else { return try body(options) }
    var adjusted = options
    let duplicate = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
    // Descriptor 0 closed: the program gets no standard input either (-1 makes liblxc leave it).
    adjusted.standardInput = duplicate
    defer { if duplicate >= 0 { close(duplicate) } }
    return try body(adjusted)
}

extension Container {
    /// Runs an attach on a handle of its own (``withAttachHandle(_:_:)``) with its log lines
    /// available to explain a failure: the attach side of the call path (LiblxcCall.swift),
    /// whose cursor lives on in the process it returns.
    func withAttachCall<R>(_ operation: String, _ body: (Handle, DiagnosticCursor) throws -> R) throws -> R {
        try withAttachHandle(operation) { handle in
            try diagnosed(handle) { cursor in try body(handle, cursor) }
        }
    }

    /// Calls `body` with a handle of its own for one attach.
    ///
    /// `c->attach` forks, and the forked process releases its reference to the handle with
    /// `lxc_container_put`, which takes the handle's lock. A lock that another thread held at
    /// the moment of the fork stays held in the forked process for ever, and a concurrent call
    /// on the same handle (another attach, whose `c->attach` sets config items on it; a config
    /// read) holds it often enough that concurrent attaches on one handle hang (measured: 20
    /// concurrent outputs left forked processes waiting on the lock). A handle that no other
    /// thread uses has no such lock to inherit. It also keeps the caller's handle free of the
    /// config items `c->attach` sets on the handle it is given (the running seccomp profile,
    /// `lxc.no_new_privs`).
    ///
    /// Such a handle is made with `lxc_container_new`, which reads and parses the config file
    /// (some 5 % of running `/bin/true` inside, measured). When `body` returns, the handle
    /// is kept for the next attach (`SpareAttachHandles`), and taken again only while the
    /// config file holds the same bytes, and by one attach at a time: an edit of the file
    /// between two attaches is seen as with a new handle. (An edit of a file that the config
    /// includes with `lxc.include` is seen once the config file itself changes.) Nothing is
    /// kept after `body` throws.
    func withAttachHandle<R>(_ operation: String, _ body: (Handle) throws -> R) throws -> R {
        let (name, lxcpath) = (self.name, self.lxcpath)
        let file = SpareAttachHandles.configFile(at: lxcpath + "/" + name + "/config")
        let handle = try file.flatMap { takeSpareAttachHandle(for: $0) }
            ?? Container.newHandle(name: name, lxcpath: lxcpath, operation: operation)
        let result = try body(handle)
        if let file {
            keepSpareAttachHandle(handle, from: file, name: name, lxcpath: lxcpath)
        }
        return result
    }

    /// Validates a command line for attach.
    func validateCommand(_ command: [String], operation: String) throws {
        guard let program = command.first else {
            throw LXCError.invalid(operation, name, "the command is empty: give at least the program to run")
        }
        if program.isEmpty { throw LXCError.invalid(operation, name, "the program name is empty") }
        for (index, argument) in command.enumerated() where argument.utf8.contains(0) {
            throw LXCError.invalid(operation, name,
                                   "argument \(index) of the command, \(quoted(argument)), contains a NUL byte, which would cut it short")
        }
    }

    /// Starts `command` inside the container with `options` (whose stdio descriptors the
    /// caller has set) and returns the process. Nothing is left open or unreaped on failure.
    func spawnAttached(
        _ command: [String],
        options: AttachOptions,
        operation: String,
        handle: Handle,
        cursor: DiagnosticCursor,
        timeLimit: AttachTimeLimit? = nil
    ) throws -> AttachedProcess {
        let process = try withCStringArray(command) { argv in
            try startAttached(attachedExec, options: options, operation: operation, handle: handle,
                              cursor: cursor, program: command[0], ownsGroup: timeLimit != nil) { reportFD, directory in
                ExecPayload(program: argv[0]!, argv: argv, directory: directory, reportFD: reportFD,
                            newSession: timeLimit != nil)
            }
        }
        if let timeLimit {
            let start = ContinuousClock.now
            process.armTimeLimit(timeLimit.deadline(startedAt: start), grace: timeLimit.grace,
                                 reason: timeLimit.describe(startedAt: start))
        }
        return process
    }

    /// Starts a C function inside the container and returns the process.
    func attachFunction(
        _ function: @convention(c) (UnsafeMutableRawPointer?) -> Int32,
        payload: UnsafeMutableRawPointer?,
        options: AttachOptions,
        operation: String
    ) throws -> AttachedProcess {
        try options.validate(operation: operation, container: name)
        return try withAttachCall(operation) { handle, cursor in
            try startAttached(attachedFunction, options: options, operation: operation, handle: handle,
                              cursor: cursor, program: nil) { reportFD, directory in
                FunctionPayload(function: function, payload: payload, directory: directory, reportFD: reportFD)
            }
        }
    }

    /// Calls `c->attach` with `start` (which runs in the attached child and reports on a pipe
    /// whether it got to run the program or function) and the payload `makePayload` builds
    /// around that pipe's write end and the working directory; returns the process, or throws
    /// with what liblxc said. A frozen container is refused first (`refuseFrozen`).
    private func startAttached<Payload>(
        _ start: @convention(c) (UnsafeMutableRawPointer?) -> Int32,
        options: AttachOptions,
        operation: String,
        handle: Handle,
        cursor: DiagnosticCursor,
        program: String?,
        ownsGroup: Bool = false,
        payload makePayload: (_ reportFD: Int32, _ directory: UnsafePointer<CChar>?) -> Payload
    ) throws -> AttachedProcess {
        let pointer = handle.pointer
        guard let attach = pointer.pointee.attach else { throw missingFunction(operation, LiblxcMember.cName(\.attach)) }
        try refuseFrozen(operation, handle)
        // Non-blocking from the start: read only after the process ended, when everything
        // the exec function wrote is there, and never waiting for other forks that still
        // hold the write end (a concurrent attach).
        var report = try PipePair.make(operation: operation, container: name, nonBlocking: true)
        var pid: pid_t = -1
        _ = attachChildCallsBound
        _ = AttachCompanionThread.started
        let result = withOptionalCString(options.workingDirectory) { directory in
            var payload = makePayload(report.write, directory)
            return withUnsafeMutablePointer(to: &payload) { payloadPointer in
                withStandardInputKept(options) { options in
                    options.withCOptions { cOptions in
                        // The call path's attach kind: the fork gate until liblxc's fork.
                        CallKind.attach.applyNoThrow(handle) { attach(pointer, start, payloadPointer, cOptions, &pid) }
                    }
                }
            }
        }
        report.closeWrite()
        if result < 0 || pid <= 0 {
            report.closeRead()
            throw attachFailure(operation, handle, cursor)
        }
        return AttachedProcess(pid: pid, container: name, program: program, workingDirectory: options.workingDirectory,
                               reportFD: report.read, logSource: cursor, ownsGroup: ownsGroup)
    }

    /// Throws ``LXCError/Kind/wrongState`` when liblxc reports the container frozen, being
    /// frozen or stopped (`c->state`, which asks its monitor).
    ///
    /// `c->attach` moves the process it forks into the container's cgroup and waits for it;
    /// in a frozen cgroup that process stops, and the call would wait until someone thaws the
    /// container. A freeze that comes after this check, or one made behind liblxc's back
    /// (written to the cgroup directly, which `c->state` does not see), still makes the call
    /// wait, but it holds no lock or gate while it waits (`ForkGate.asAttach`).
    ///
    /// A stopped container is refused here too, before liblxc's attach: liblxc 5.0.2 opens
    /// `/proc/self` first and closes it only once the attach got past its checks, so every
    /// attach to a stopped container ("Failed to get init pid") left one descriptor open (an
    /// ordinary user's 1,024 ran out in the test suite).
    func refuseFrozen(_ operation: String, _ handle: Handle) throws {
        guard let raw = queryIfPresent(\.state, on: handle, { state, pointer in state(pointer) }) ?? nil else { return }
        let state = ContainerState(liblxcName: String(cString: raw))
        if state == .stopped {
            if !isDefined { throw notDefinedError(operation) }
            throw wrongStateError(operation, "the container is not running; start it before running programs in it")
        }
        guard state == .frozen || state == .freezing else { return }
        let now = state == .frozen ? "frozen" : "being frozen (FREEZING)"
        throw LXCError(operation: operation, container: name,
                       message: "the container is \(now): a program attached to it would wait until it is thawed; unfreeze it first",
                       kind: .wrongState)
    }

    /// Explains a failed `c->attach`: not defined, not running, or what liblxc logged.
    func attachFailure(_ operation: String, _ handle: Handle, _ cursor: DiagnosticCursor) -> LXCError {
        if !isDefined {
            var error = notDefinedError(operation)
            error.log = cursor.errorLines(for: name)
            return error
        }
        if !isRunning {
            return failure(operation, handle, cursor, kind: .wrongState,
                           "the container is not running; start it before running programs in it")
        }
        return failure(operation, handle, cursor, "liblxc could not attach to the container")
    }
}
