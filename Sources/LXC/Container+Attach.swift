import CLXC
import Glibc

// Running programs inside a running container: wait for the status, capture the output,
// stream it, or take the process and wait later.
//
// Every form starts the program through liblxc's `c->attach` with an exec function of this
// library (Internal/AttachSpawn.swift), which tells apart a program that ran, one that could
// not be executed (the error names it) and a process liblxc failed to set up, things
// `attach_run_wait` folds into exit codes 1, 126, 127 and 255.

extension Container {
    // MARK: run

    /// Runs a program inside the container and waits until it ends.
    ///
    /// liblxc forks a process that enters the container's namespaces (or those in
    /// `options`), moves into its cgroup, drops the capabilities its init lacks and executes
    /// `command[0]`, looked up in the `PATH` of the environment it gets, with `command` as its
    /// arguments. Its standard input, output and error are those in `options` (this process's
    /// own by default). This process reaps it. The corresponding liblxc call is `c->attach`,
    /// as `c->attach_run_wait` uses it.
    ///
    /// ```swift
    /// let status = try container.run(["sh", "-c", "exit 7"])   // .exited(7)
    /// ```
    ///
    /// - Returns: how the program ended: ``ExitStatus/exited(_:)`` with its code (255 too),
    ///   or ``ExitStatus/signaled(_:)``.
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for an empty command, an
    ///   argument with a NUL byte or bad options (a relative working directory among them);
    ///   ``LXCError/Kind/wrongState`` when the container is not running, and at once when it
    ///   is frozen or being frozen (unfreeze it first); ``LXCError/Kind/notFound`` when it is
    ///   not defined, or the program or the working directory does not exist inside (the
    ///   message names it); ``LXCError/Kind/permissionDenied`` when the program is not
    ///   executable; ``LXCError/Kind/failed`` when liblxc could not attach or set the process
    ///   up (an id it cannot switch to, say), with liblxc's log lines;
    ///   ``LXCError/Kind/timedOut`` when ``AttachOptions/timeLimit`` passed (the program and
    ///   its process group have been stopped and reaped by then).
    public func run(_ command: [String], options: AttachOptions = .init()) throws -> ExitStatus {
        try run(command, options: options, operation: Operation.run.name, cancellation: nil, taskDeadline: nil)
    }

    /// Runs a program inside the container without blocking the caller's thread; see
    /// ``run(_:options:)``.
    ///
    /// The wait happens on the library's own threads, off Swift's cooperative pool.
    /// Cancelling the task kills the program (`SIGKILL`), reaps it and throws
    /// `CancellationError`. The deadline of ``LXC/withDeadline(_:isolation:_:)`` is the
    /// program's time limit (see ``AttachOptions/timeLimit``): when it passes, the program and
    /// its process group are stopped and the call throws ``LXCError/Kind/timedOut``.
    public func run(_ command: [String], options: AttachOptions = .init()) async throws -> ExitStatus {
        let cancellation = AttachCancellation()
        let operation = Operation.run.name
        let deadline = try attachTaskDeadline(operation)
        return try await withTaskCancellationHandler {
            try await offloadAttach(operation, deadline: deadline, grace: options.terminationGrace) {
                try self.run(command, options: options, operation: operation, cancellation: cancellation, taskDeadline: deadline)
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    func run(_ command: [String], options: AttachOptions, operation: String,
             cancellation: AttachCancellation?, taskDeadline: ContinuousClock.Instant?) throws -> ExitStatus {
        try validateCommand(command, operation: operation)
        try options.validate(operation: operation, container: name)
        if cancellation?.isCancelled == true { throw CancellationError() }
        return try withAttachCall(operation) { handle, cursor in
            let process = try spawnAttached(command, options: options, operation: operation, handle: handle, cursor: cursor,
                                            timeLimit: AttachTimeLimit(options: options, taskDeadline: taskDeadline))
            cancellation?.register(process)
            return try finish(process, operation: operation, cursor: cursor, cancellation: cancellation)
        }
    }

    /// Waits for a process of ours and returns its status, or the error it stands for.
    private func finish(_ process: AttachedProcess, operation: String, cursor: DiagnosticCursor,
                        cancellation: AttachCancellation?) throws -> ExitStatus {
        let name = name
        do {
            let status = try process.wait(operation: operation, diagnostics: { cursor.errorLines(for: name) })
            if cancellation?.isCancelled == true { throw CancellationError() }
            return status
        } catch let error as LXCError {
            if cancellation?.isCancelled == true { throw CancellationError() }
            throw error
        }
    }

    // MARK: output

    /// Runs a program inside the container and returns what it printed on standard output
    /// and standard error, separately and byte for byte, with its exit status.
    ///
    /// Both streams go to pipes that this process reads while the program runs, so any
    /// amount of output (megabytes on both) is collected without the program ever blocking
    /// on a full pipe. Collection ends when the program has ended and its pipes are empty;
    /// output of background processes it leaves behind after that is not waited for. The
    /// corresponding liblxc call is `c->attach`.
    ///
    /// ```swift
    /// let result = try container.output(of: ["cat"], input: Array("hello".utf8))
    /// print(result.standardOutputString)   // hello
    /// ```
    ///
    /// - Parameters:
    ///   - command: the program and its arguments.
    ///   - options: how to run it; its ``AttachOptions/standardOutput`` and
    ///     ``AttachOptions/standardError`` are replaced by the capturing pipes.
    ///   - input: bytes to give the program on its standard input, which is then closed
    ///     (`[]` gives it end of file at once); nil leaves ``AttachOptions/standardInput``,
    ///     by default this process's own standard input.
    /// - Throws: as ``run(_:options:)-17daq``.
    public func output(of command: [String], options: AttachOptions = .init(), input: [UInt8]? = nil) throws -> CommandOutput {
        try output(of: command, options: options, input: input, operation: Operation.output.name, cancellation: nil,
                   taskDeadline: nil)
    }

    /// Runs a program and collects its output without blocking the caller's thread; see
    /// ``output(of:options:input:)``.
    ///
    /// Cancelling the task kills the program (`SIGKILL`), reaps it and throws
    /// `CancellationError`. The deadline of ``LXC/withDeadline(_:isolation:_:)`` is the
    /// program's time limit (see ``AttachOptions/timeLimit``): when it passes, the program and
    /// its process group are stopped and the call throws ``LXCError/Kind/timedOut`` with what
    /// it printed until then in ``LXCError/partialOutput``.
    public func output(of command: [String], options: AttachOptions = .init(), input: [UInt8]? = nil) async throws -> CommandOutput {
        let cancellation = AttachCancellation()
        let operation = Operation.output.name
        let deadline = try attachTaskDeadline(operation)
        return try await withTaskCancellationHandler {
            try await offloadAttach(operation, deadline: deadline, grace: options.terminationGrace) {
                try self.output(of: command, options: options, input: input, operation: operation, cancellation: cancellation,
                                taskDeadline: deadline)
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    func output(of command: [String], options: AttachOptions, input: [UInt8]?, operation: String,
                cancellation: AttachCancellation?, taskDeadline: ContinuousClock.Instant?) throws -> CommandOutput {
        try validateCommand(command, operation: operation)
        try options.validate(operation: operation, container: name)
        if cancellation?.isCancelled == true { throw CancellationError() }
        return try withAttachCall(operation) { handle, cursor in
            let (process, loop) = try spawnCapturing(command, options: options, input: input,
                                                     operation: operation, handle: handle, cursor: cursor,
                                                     timeLimit: AttachTimeLimit(options: options, taskDeadline: taskDeadline))
            cancellation?.register(process)
            var standardOutput: [UInt8] = []
            var standardError: [UInt8] = []
            let isCancelled = { cancellation?.isCancelled ?? false }
            while loop.step(process: process, isCancelled: isCancelled, sink: { kind, bytes in
                if kind == .standardOutput {
                    standardOutput.append(contentsOf: bytes)
                } else {
                    standardError.append(contentsOf: bytes)
                }
            }) {}
            let status: ExitStatus
            do {
                status = try finish(process, operation: operation, cursor: cursor, cancellation: cancellation)
            } catch var error as LXCError where error.kind == .timedOut {
                error.partialOutput = CommandOutput(status: process.waitForExit(), standardOutput: standardOutput,
                                                    standardError: standardError)
                throw error
            }
            return CommandOutput(status: status, standardOutput: standardOutput, standardError: standardError)
        }
    }

    /// Starts `command` with its standard output and error (and input, when given) on pipes.
    private func spawnCapturing(
        _ command: [String], options: AttachOptions, input: [UInt8]?,
        operation: String, handle: Handle, cursor: DiagnosticCursor, timeLimit: AttachTimeLimit?
    ) throws -> (AttachedProcess, CaptureLoop) {
        var output = try PipePair.make(operation: operation, container: name)
        defer { output.closeBoth() }
        var error = try PipePair.make(operation: operation, container: name)
        defer { error.closeBoth() }
        var inputPipe = PipePair(read: -1, write: -1)
        if input != nil { inputPipe = try PipePair.make(operation: operation, container: name) }
        defer { inputPipe.closeBoth() }

        var piped = options
        piped.standardOutput = output.write
        piped.standardError = error.write
        if input != nil { piped.standardInput = inputPipe.read }
        let process = try spawnAttached(command, options: piped, operation: operation, handle: handle, cursor: cursor,
                                        timeLimit: timeLimit)
        // The child has its copies: close ours, so that the pipes end when the program does.
        output.closeWrite()
        error.closeWrite()
        inputPipe.closeRead()
        let loop = CaptureLoop(standardOutput: output.read, standardError: error.read,
                               standardInput: inputPipe.write, input: input ?? [])
        output.read = -1
        error.read = -1
        inputPipe.write = -1
        return (process, loop)
    }

    // MARK: streaming

    /// Starts a program inside the container and returns its output as it comes: chunks of
    /// standard output and standard error, then its exit status.
    ///
    /// Suited to long-running commands. The program starts before this returns; iterate the
    /// stream once. Cancelling the iterating task, or dropping the stream before its end,
    /// kills the program (`SIGKILL`); it is always reaped. The corresponding liblxc call is
    /// `c->attach`.
    ///
    /// ```swift
    /// for try await event in try await container.streamOutput(of: ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 1; done"]) {
    ///     if case .standardOutput(let bytes) = event { print(String(decoding: bytes, as: UTF8.self), terminator: "") }
    /// }
    /// ```
    ///
    /// - Parameters: as ``output(of:options:input:)``.
    /// - Throws: as ``run(_:options:)-17daq``; a program that does not exist inside is reported
    ///   when the stream reaches its end, as the error of the last `next()`.
    public func streamOutput(of command: [String], options: AttachOptions = .init(),
                             input: [UInt8]? = nil) async throws -> CommandOutputStream {
        let deadline = try attachTaskDeadline(Operation.streamOutput.name)
        return try await offloadAttach(Operation.streamOutput.name, deadline: deadline, grace: options.terminationGrace) {
            try self.startStreaming(command, options: options, input: input, taskDeadline: deadline)
        }
    }

    private func startStreaming(_ command: [String], options: AttachOptions, input: [UInt8]?,
                                taskDeadline: ContinuousClock.Instant?) throws -> CommandOutputStream {
        let operation = Operation.streamOutput.name
        try validateCommand(command, operation: operation)
        try options.validate(operation: operation, container: name)
        return try withAttachCall(operation) { handle, cursor in
            let (process, loop) = try spawnCapturing(command, options: options, input: input,
                                                     operation: operation, handle: handle, cursor: cursor,
                                                     timeLimit: AttachTimeLimit(options: options, taskDeadline: taskDeadline))
            return CommandOutputStream(capture: StreamingCapture(process: process, loop: loop, operation: operation))
        }
    }

    // MARK: no-wait forms

    /// Starts a program inside the container and returns at once with the process, which the
    /// caller then owns.
    ///
    /// Call ``AttachedProcess/wait()-2nwfb`` for its status; a process dropped without a wait keeps
    /// running and is reaped in the background when it ends. The corresponding liblxc call
    /// is `c->attach`.
    ///
    /// - Throws: as ``run(_:options:)-17daq``, except that a program that does not exist inside is
    ///   reported by ``AttachedProcess/wait()-2nwfb``.
    public func spawn(_ command: [String], options: AttachOptions = .init()) throws -> AttachedProcess {
        try spawn(command, options: options, taskDeadline: nil)
    }

    func spawn(_ command: [String], options: AttachOptions, taskDeadline: ContinuousClock.Instant?) throws -> AttachedProcess {
        let operation = Operation.spawn.name
        try validateCommand(command, operation: operation)
        try options.validate(operation: operation, container: name)
        return try withAttachCall(operation) { handle, cursor in
            try spawnAttached(command, options: options, operation: operation, handle: handle, cursor: cursor,
                              timeLimit: AttachTimeLimit(options: options, taskDeadline: taskDeadline))
        }
    }

    /// Runs a C function inside the container, in a new process, and returns the process.
    ///
    /// liblxc forks, sets the child up inside the container as for ``run(_:options:)-17daq`` and
    /// calls `function(payload)` there; the value it returns becomes the process's exit code
    /// (its low 8 bits). The corresponding liblxc call is `c->attach`.
    ///
    /// The child is a fork of this multithreaded process, in which only the calling thread
    /// goes on. Locks that other threads held at the fork (malloc's, the Swift runtime's,
    /// your own) stay held there for ever, so the function must keep to what is safe after
    /// `fork()` in a threaded program:
    /// - only async-signal-safe C calls (`execve`, `write`, `open`, `dup2`, `_exit`, …);
    /// - no Swift allocation: no `Array`, `String`, class instance or closure context made,
    ///   copied or released there; no `print`;
    /// - read only memory prepared before the call, through `payload` (the child has a copy
    ///   of this process's memory as it was at the fork, so the payload may be freed as soon as
    ///   this returns);
    /// - end by `exec`ing a program or by returning an exit code.
    ///
    /// ```swift
    /// let process = try container.attach { _ in 42 }
    /// try process.wait()   // .exited(42)
    /// ```
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not
    ///   running, and at once when it is frozen or being frozen;
    ///   ``LXCError/Kind/invalidArgument`` for bad options; ``LXCError/Kind/failed`` when
    ///   liblxc could not attach. A working directory that cannot be entered is reported by
    ///   ``AttachedProcess/wait()-2nwfb``, and the function does not run.
    ///
    /// It has no `async` form: `payload` is a raw pointer, which cannot cross into another
    /// thread's closure as `Sendable`. The call returns once the process is made (the wait
    /// is ``AttachedProcess/wait()-2nwfb``, which has an async form); call it from the thread
    /// that owns the payload.
    public func attach(
        options: AttachOptions = .init(),
        payload: UnsafeMutableRawPointer? = nil,
        _ function: @convention(c) (UnsafeMutableRawPointer?) -> Int32
    ) throws -> AttachedProcess {
        try attachFunction(function, payload: payload, options: options, operation: Operation.attach.name)
    }

    /// Runs the login shell of the user in `options` inside the container and waits until it
    /// ends.
    ///
    /// liblxc looks the user's shell up in the container's user database and falls back to
    /// `/bin/sh`. The shell reads from ``AttachOptions/standardInput``: this process's own
    /// standard input by default, which makes an interactive session on a terminal. The
    /// corresponding liblxc call is `c->attach` with `lxc_attach_run_shell`.
    ///
    /// - Throws: as ``attach(options:payload:_:)``.
    public func runShell(options: AttachOptions = .init()) throws -> ExitStatus {
        let process = try attachFunction(lxc_attach_run_shell, payload: nil, options: options, operation: Operation.runShell.name)
        return try process.wait(operation: Operation.runShell.name, diagnostics: nil)
    }

    /// Runs the login shell without blocking the caller's thread; see ``runShell(options:)``.
    ///
    /// Cancelling the task kills the shell and throws `CancellationError`.
    public func runShell(options: AttachOptions = .init()) async throws -> ExitStatus {
        let process = try await offload {
            try self.attachFunction(lxc_attach_run_shell, payload: nil, options: options, operation: Operation.runShell.name)
        }
        return try await process.wait()
    }
}

// MARK: C names

extension Container {
    /// liblxc's `c->attach_run_wait`; in Swift, ``run(_:options:)``.
    @available(*, unavailable, renamed: "run(_:options:)")
    public func attach_run_wait(_ command: [String], options: AttachOptions = .init()) throws -> ExitStatus {
        try run(command, options: options)
    }

    /// liblxc's variadic `c->attach_run_waitl`; in Swift, ``run(_:options:)``.
    @available(*, unavailable, renamed: "run(_:options:)")
    public func attach_run_waitl(_ command: String..., options: AttachOptions = .init()) throws -> ExitStatus {
        try run(command, options: options)
    }
}

extension Container {
    /// Starts a program inside the container without blocking the caller's thread; see
    /// ``spawn(_:options:)-5bnc6``. liblxc forks and waits for the transient process to enter the
    /// container.
    ///
    /// The deadline of ``LXC/withDeadline(_:isolation:_:)``, when the task has one, is the
    /// process's time limit (see ``AttachOptions/timeLimit``), also after the deadline's body
    /// has returned.
    public func spawn(_ command: [String], options: AttachOptions = .init()) async throws -> AttachedProcess {
        let deadline = try attachTaskDeadline(Operation.spawn.name)
        return try await offloadAttach(Operation.spawn.name, deadline: deadline, grace: options.terminationGrace) { try self.spawn(command, options: options, taskDeadline: deadline) }
    }
}
