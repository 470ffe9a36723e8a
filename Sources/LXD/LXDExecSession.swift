import Glibc
import LXCCore
import Synchronization

/// One program run over LXD's exec websockets, as LXD's own client runs it
/// (`client/lxd_instances.go`, `ExecInstance`).
///
/// `POST /1.0/instances/{name}/exec` with `wait-for-websocket: true` and `interactive: false`
/// starts an operation whose metadata holds a secret for each of four websockets: "0"
/// (standard input), "1" (standard output), "2" (standard error) and "control". Each is
/// opened at `/1.0/operations/{id}/websocket?secret=…`; LXD starts the program once the first
/// three are connected. Output arrives as binary messages; an empty text message marks the
/// end of a stream, and the client sends the same to end standard input (LXD's
/// `shared.WebsocketSendStream`/`WebsocketRecvStream`). The control socket takes
/// `{"command": "signal", "signal": N}`; when it closes while the program runs, LXD kills the
/// program. LXD ends the operation, with the exit code in `metadata.return`, once the program
/// ended and its output was sent.
struct LXDExecSession: Sendable {
    let instance: LXDInstance
    let what: String
    let program: String
    let operationID: String
    let options: LXDExecOptions
    let control: LXDWebSocket
    let input: LXDWebSocket
    let output: LXDWebSocket
    let error: LXDWebSocket
    /// The request for the operation's end, sent as soon as the websockets are connected
    /// (see ``connect``).
    let ended: Task<ExecResult?, any Error>

    /// Starts `command` and connects its websockets; the program runs from here on.
    ///
    /// From the library's own executor (see OperationExecutor): LXD fails an exec whose
    /// websockets are not all connected within 5 s, and on a busy cooperative pool the task
    /// that got the exec's answer could wait longer than that for a thread.
    static func start(_ what: String, _ instance: LXDInstance, _ command: [String],
                      options: LXDExecOptions) async throws -> LXDExecSession {
        try await withTaskExecutorPreference(OperationExecutor.shared) {
            try await connect(what, instance, command, options: options)
        }
    }

    private static func connect(_ what: String, _ instance: LXDInstance, _ command: [String],
                                options: LXDExecOptions) async throws -> LXDExecSession {
        let name = instance.name
        guard let program = command.first else {
            throw LXCError(operation: what, container: name, message: "the command is empty", kind: .invalidArgument)
        }
        let request = ExecPost(command: command, options: options, waitForWebsocket: true, recordOutput: false)
        let client = instance.client
        let response = try await client.sendChecked(what, name, .POST, instance.path + "/exec",
                                                    body: try encodeJSON(request))
        guard let operation = (try? decodeJSON(Envelope<ExecStarted>.self, from: response.body))?.metadata,
              let fds = operation.metadata?.fds,
              let control = fds["control"], let input = fds["0"], let output = fds["1"], let error = fds["2"]
        else {
            throw LXCError(operation: what, container: name,
                           message: "LXD's answer to the exec request names no websockets", kind: .failed)
        }
        let base = "/1.0/operations/" + percentEncoded(operation.id, keeping: "") + "/websocket?secret="
        func open(_ secret: String) async throws -> LXDWebSocket {
            try await client.openWebSocket(what, name, path: base + percentEncoded(secret, keeping: ""))
        }
        // Control first: once 0, 1 and 2 are connected LXD starts the program, and a signal
        // (a time limit, a cancellation) needs the control socket.
        let controlSocket = try await open(control)
        async let inputSocket = open(input)
        async let outputSocket = open(output)
        async let errorSocket = open(error)
        let (i, o, e) = (try await inputSocket, try await outputSocket, try await errorSocket)
        // The wait request goes out now, while the program runs, from the library's own
        // executor: LXD forgets an ended operation after 5 s, and a task that asked only once
        // the output ended (or once this call returned to a busy pool) could ask too late.
        let operationID = operation.id
        let ended = Task(executorPreference: OperationExecutor.shared) {
            try await client.waitForOperation(operationID, what, name, as: ExecResult.self)
        }
        return LXDExecSession(instance: instance, what: what, program: program, operationID: operation.id,
                              options: options, control: controlSocket, input: i, output: o, error: e, ended: ended)
    }

    /// Feeds the input, relays the output to `deliver` as it arrives, enforces the time limit,
    /// and returns how the program ended.
    ///
    /// When the calling task is cancelled, the control socket is closed (LXD then kills the
    /// program with `SIGKILL`) and `CancellationError` is thrown.
    func run(_ deliver: @escaping @Sendable (CommandOutputEvent) -> Void) async throws -> ExitStatus {
        let signalsSent = LockedValue<[Int32]>([])
        let gaveUp = LockedValue(false)
        let input = self.input, output = self.output, error = self.error, control = self.control
        let pump = options.standardInput.pump
        let inputTask = Task {
            if let pump {
                try? await pump { bytes in try await input.send(.binary, bytes) }
            }
            // End of file: an empty text message, as LXD's client sends at the end of its stdin.
            try? await input.send(.text, [])
        }
        let limitTask = options.timeLimit.map { limit in
            let grace = options.terminationGrace
            return Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                let first = grace > .zero ? SIGTERM : SIGKILL
                signalsSent.withLock { $0.append(first) }
                try? await Self.signal(first, control)
                if grace > .zero {
                    guard (try? await Task.sleep(for: grace)) != nil else { return }
                    signalsSent.withLock { $0.append(SIGKILL) }
                    try? await Self.signal(SIGKILL, control)
                }
                // Killed. A child it left behind that holds its output open keeps LXD's
                // operation going (LXD 5.0 ends it only once the output pipes close, and it
                // reads them until then): after 2 seconds the call stops waiting for it.
                guard (try? await Task.sleep(for: .seconds(2))) != nil else { return }
                gaveUp.withLock { $0 = true }
                output.close()
                error.close()
            }
        }
        let ended = self.ended
        defer {
            inputTask.cancel()
            limitTask?.cancel()
            ended.cancel()
        }
        let result: ExecResult? = try await withTaskCancellationHandler {
            async let outputEnded: Void = Self.relay(output) { deliver(.standardOutput($0)) }
            async let errorEnded: Void = Self.relay(error) { deliver(.standardError($0)) }
            try await outputEnded
            try await errorEnded
            try Task.checkCancellation()
            if gaveUp.withLock({ $0 }) { return nil }
            return try await ended.value
        } onCancel: {
            control.close()
        }
        if result == nil, let last = signalsSent.withLock({ $0.last }) {
            // Given up on (see above): LXD has not reported the status yet; the last signal
            // sent is taken as the cause.
            throw timeoutError(.signaled(last))
        }
        guard let code = result?.returnCode.map({ Int32(truncatingIfNeeded: $0) }) else {
            throw LXCError(operation: what, container: instance.name, message: "LXD reported no exit code", kind: .failed)
        }
        let sent = signalsSent.withLock { $0 }
        guard !sent.isEmpty else { return .exited(code) }
        // LXD reports a death by signal N as 128 + N, like an exit with that code; a signal
        // this call sent itself is taken as the cause.
        throw timeoutError(sent.contains(code - 128) ? .signaled(code - 128) : .exited(code))
    }

    private func timeoutError(_ status: ExitStatus) -> LXCError {
        let limit = options.timeLimit.map { "\($0)" } ?? ""
        return LXCError(operation: what, container: instance.name,
                       message: "\(quoted(program)) ran past its time limit of \(limit); it was stopped "
                           + "(SIGTERM, then SIGKILL) and it \(status)",
                       code: ETIMEDOUT, kind: .timedOut,
                       partialOutput: CommandOutput(status: status, standardOutput: [], standardError: []))
    }

    /// Closes every socket: LXD kills the program if it still runs.
    func abandon() {
        control.close()
        input.close()
        output.close()
        error.close()
    }

    private static func relay(_ socket: LXDWebSocket, _ deliver: @Sendable ([UInt8]) -> Void) async throws {
        for try await message in socket.messages {
            switch message {
            case .binary(let bytes): if !bytes.isEmpty { deliver(bytes) }
            case .text: return  // the end of the stream
            }
        }
    }

    private static func signal(_ signal: Int32, _ control: LXDWebSocket) async throws {
        try await control.send(.text, Array("{\"command\":\"signal\",\"signal\":\(signal)}".utf8))
    }
}

func quoted(_ text: String) -> String { "\"" + text + "\"" }

/// The answer to an exec request: the operation, with the websockets' secrets.
struct ExecStarted: Decodable {
    struct Metadata: Decodable { var fds: [String: String]? }
    var id: String
    var metadata: Metadata?
}

/// A value behind a lock, shareable with escaping closures (a `Mutex` itself cannot be captured).
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
