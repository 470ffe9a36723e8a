import Glibc
import LXCCore
import NIOHTTP1

extension LXDInstance {
    /// What ``streamOutput(of:options:)`` returns.
    public typealias OutputEvents = AsyncThrowingStream<CommandOutputEvent, any Error>

    /// Runs a program inside the running instance and returns what it printed and how it ended.
    ///
    /// Same as ``output(of:options:)`` with default options.
    public func output(of command: [String]) async throws -> CommandOutput {
        try await output(of: command, options: LXDExecOptions())
    }

    /// Runs a program inside the running instance with `options` and returns what it printed
    /// and how it ended.
    ///
    /// Two ways of running it, chosen by the options:
    /// - without standard input and without a time limit, LXD records the output to two log
    ///   files of the instance (`record-output`), which are read, then deleted: plain requests
    ///   on the client's kept-alive connection, no websocket. Over the unix socket the two
    ///   paths cost the same (200 × `/bin/true` on this project's 2-core test machine, under
    ///   load from other builds: medians 36 and 40 ms recorded, 32 and 43 ms over websockets);
    ///   over HTTPS each websocket is a new TLS connection, four per program, which the
    ///   recorded path does not pay;
    /// - with standard input or a time limit, over the exec websockets (see
    ///   ``streamOutput(of:options:)``), which can feed the program and signal it.
    ///
    /// LXD before 5.14 can lose the output of a short program on the websocket path when the
    /// daemon's host is busy (canonical/lxd#11890, fixed by canonical/lxd#11606; seen here
    /// with LXD 5.0.2 and its own `lxc exec`, once in 60 runs of `echo` on a loaded machine).
    /// The recorded path is not affected: it is one more reason to use it where it can serve.
    ///
    /// LXD reports a program killed by a signal as an exit code of 128 + the signal, which
    /// cannot be told apart from a program that exited with that code; it is returned as
    /// `.exited(128 + signal)`, except for the signals of the call's own time limit, which are
    /// returned as `.signaled(signal)` in the error's ``LXCError/partialOutput``. LXD also
    /// makes an exit code of 127 (command not found) and 126 (not executable) a failed
    /// operation: they are thrown as ``LXCError``s with LXD's message.
    ///
    /// The corresponding LXD calls are `POST /1.0/instances/{name}/exec` with
    /// `{"command": …, "record-output": true, "wait-for-websocket": false, …}`, awaited, then
    /// `GET` and `DELETE` of `/1.0/instances/{name}/logs/…` for each output; or with
    /// `{"wait-for-websocket": true, "interactive": false, …}` and its websockets.
    ///
    /// - Throws: ``LXCError``; with ``LXCError/Kind/timedOut`` when ``LXDExecOptions/timeLimit``
    ///   passed, with what the program printed until then in ``LXCError/partialOutput``.
    public func output(of command: [String], options: LXDExecOptions) async throws -> CommandOutput {
        if options.standardInput.pump == nil && options.timeLimit == nil {
            return try await recordedOutput("output", command, options: options)
        }
        let session = try await LXDExecSession.start("output", self, command, options: options)
        let collected = LockedValue<(output: [UInt8], error: [UInt8])>(([], []))
        do {
            let status = try await session.run { event in
                collected.withLock { collected in
                    switch event {
                    case .standardOutput(let bytes): collected.output += bytes
                    case .standardError(let bytes): collected.error += bytes
                    case .finished: break
                    }
                }
            }
            let (output, error) = collected.withLock { $0 }
            return CommandOutput(status: status, standardOutput: output, standardError: error)
        } catch var error as LXCError where error.kind == .timedOut {
            let (output, standardError) = collected.withLock { $0 }
            error.partialOutput = CommandOutput(status: error.partialOutput?.status ?? .signaled(SIGKILL),
                                                standardOutput: output, standardError: standardError)
            throw error
        }
    }

    /// Runs a program inside the running instance, with this process's standard output and
    /// error as its own, and returns how it ended.
    ///
    /// Same as ``run(_:options:)`` with default options.
    public func run(_ command: [String]) async throws -> ExitStatus {
        try await run(command, options: LXDExecOptions())
    }

    /// Runs a program inside the running instance with `options`, with this process's
    /// standard output and standard error as its own, and returns how it ended (see
    /// ``output(of:options:)`` for signals and exit codes 126 and 127).
    ///
    /// With standard input or a time limit, the output is written as it arrives, over the
    /// exec websockets. Without either, it is written once the program ended, from LXD's
    /// recorded output: LXD before 5.14 can lose a short program's output on the websocket
    /// path when its host is busy (canonical/lxd#11890), and the recorded path does not lose
    /// it. For output as it arrives in that case, iterate ``streamOutput(of:options:)``.
    ///
    /// The corresponding LXD call is `POST /1.0/instances/{name}/exec` with
    /// `{"record-output": true, "wait-for-websocket": false, …}` (then the two logs), or with
    /// `{"wait-for-websocket": true, "interactive": false, …}` and its websockets.
    ///
    /// - Throws: ``LXCError``; with ``LXCError/Kind/timedOut`` when ``LXDExecOptions/timeLimit`` passed.
    public func run(_ command: [String], options: LXDExecOptions) async throws -> ExitStatus {
        if options.standardInput.pump == nil && options.timeLimit == nil {
            let output = try await recordedOutput("run", command, options: options)
            writeAll(1, output.standardOutput)
            writeAll(2, output.standardError)
            return output.status
        }
        let session = try await LXDExecSession.start("run", self, command, options: options)
        return try await session.run { event in
            switch event {
            case .standardOutput(let bytes): writeAll(1, bytes)
            case .standardError(let bytes): writeAll(2, bytes)
            case .finished: break
            }
        }
    }

    /// Runs a program inside the running instance and delivers its output as it prints it,
    /// then its end.
    ///
    /// Same as ``streamOutput(of:options:)`` with default options.
    public func streamOutput(of command: [String]) async throws -> OutputEvents {
        try await streamOutput(of: command, options: LXDExecOptions())
    }

    /// Runs a program inside the running instance with `options` and delivers its output as it
    /// prints it: chunks of standard output and standard error (each stream's chunks in
    /// order), then `.finished(status)`.
    ///
    /// The program has started when this returns (a failure to start is thrown here). Ending
    /// the iteration early, or cancelling the task that iterates, closes the exec's control
    /// websocket, and LXD kills the program. When ``LXDExecOptions/timeLimit`` passes, the
    /// stream throws ``LXCError`` with kind ``LXCError/Kind/timedOut`` after the chunks
    /// printed until then.
    ///
    /// The corresponding LXD call is `POST /1.0/instances/{name}/exec` with
    /// `{"wait-for-websocket": true, "interactive": false, …}`, and its websockets.
    public func streamOutput(of command: [String], options: LXDExecOptions) async throws -> OutputEvents {
        let session = try await LXDExecSession.start("streamOutput", self, command, options: options)
        let (events, continuation) = OutputEvents.makeStream()
        let task = Task {
            do {
                let status = try await session.run { continuation.yield($0) }
                continuation.yield(.finished(status))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination {
                task.cancel()
                session.abandon()
            }
        }
        return events
    }

    /// The `record-output` path of ``output(of:options:)``.
    func recordedOutput(_ what: String, _ command: [String], options: LXDExecOptions) async throws -> CommandOutput {
        guard !command.isEmpty else {
            throw LXCError(operation: what, container: name, message: "the command is empty", kind: .invalidArgument)
        }
        let request = ExecPost(command: command, options: options, waitForWebsocket: false, recordOutput: true)
        guard let result = try await client.perform(what, name, .POST, path + "/exec",
                                                    body: try encodeJSON(request), as: ExecResult.self),
              let code = result.returnCode
        else {
            throw LXCError(operation: what, container: name, message: "LXD reported no exit code", kind: .failed)
        }
        var standardOutput: [UInt8] = [], standardError: [UInt8] = []
        for (fd, logPath) in result.output ?? [:] {
            let bytes = try await client.sendChecked(what, name, .GET, logPath).body
            if fd == "1" { standardOutput = bytes } else if fd == "2" { standardError = bytes }
            // The log is the instance's: left behind, it would pile up.
            _ = try? await client.send(what, name, .DELETE, logPath)
        }
        return CommandOutput(status: .exited(Int32(truncatingIfNeeded: code)),
                             standardOutput: standardOutput, standardError: standardError)
    }
}

/// The body of `POST /1.0/instances/{name}/exec`.
struct ExecPost: Encodable {
    var command: [String]
    var environment: [String: String]
    var interactive = false
    var waitForWebsocket: Bool
    var recordOutput: Bool
    var user: UInt32?
    var group: UInt32?
    var cwd: String?

    init(command: [String], options: LXDExecOptions, waitForWebsocket: Bool, recordOutput: Bool) {
        self.command = command
        self.environment = options.environment
        self.waitForWebsocket = waitForWebsocket
        self.recordOutput = recordOutput
        self.user = options.user
        self.group = options.group
        self.cwd = options.workingDirectory
    }

    enum CodingKeys: String, CodingKey {
        case command, environment, interactive, user, group, cwd
        case waitForWebsocket = "wait-for-websocket"
        case recordOutput = "record-output"
    }
}

/// The metadata of a finished exec operation.
struct ExecResult: Decodable {
    var returnCode: Int?
    var output: [String: String]?

    enum CodingKeys: String, CodingKey {
        case returnCode = "return"
        case output
    }
}

func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}
