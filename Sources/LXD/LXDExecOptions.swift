/// How to run a program inside an LXD instance: its environment, user, group, working
/// directory, standard input and time limit.
///
/// The names follow the local backend's `AttachOptions` where it has the same setting
/// (`environment`, `workingDirectory`, `timeLimit`, `terminationGrace`); the user and group
/// are LXD's `user` and `group` fields of the exec request.
///
/// ```swift
/// var options = LXDExecOptions()
/// options.environment = ["LANG": "C.UTF-8"]
/// options.user = 1000
/// options.workingDirectory = "/tmp"
/// options.timeLimit = .seconds(30)
/// options.standardInput = .bytes(Array("hello\n".utf8))
/// let result = try await instance.output(of: ["cat"], options: options)
/// ```
public struct LXDExecOptions: Sendable {
    /// What the program reads on its standard input.
    public struct StandardInput: Sendable {
        /// Writes the input with `write`, one chunk per call, then returns.
        let pump: (@Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void)?

        /// Nothing: the program reads end-of-file at once. The default.
        public static var none: StandardInput { StandardInput(pump: nil) }

        /// These bytes, then end-of-file.
        public static func bytes(_ bytes: [UInt8]) -> StandardInput {
            StandardInput(pump: { write in if !bytes.isEmpty { try await write(bytes) } })
        }

        /// The chunks of `chunks`, each sent to the program as it comes, then end-of-file when
        /// the sequence ends. The sequence is iterated while the program runs; when the program
        /// ends first, the iteration is cancelled (so it should respond to cancellation).
        public static func chunks<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks) -> StandardInput
        where Chunks.Element == [UInt8] {
            StandardInput(pump: { write in
                for try await chunk in chunks where !chunk.isEmpty { try await write(chunk) }
            })
        }
    }

    /// Variables of the program's environment. LXD sets `PATH` (and `HOME`, `USER`, `LANG`
    /// when the user is root) unless given here, and adds the instance's `environment.*`
    /// configuration keys that are not given here. Default: empty.
    public var environment: [String: String]

    /// The user id the program runs as, inside the instance; nil (the default) for root.
    public var user: UInt32?

    /// The group id the program runs as, inside the instance; nil (the default) for root's group.
    public var group: UInt32?

    /// The program's working directory inside the instance; nil (the default) for LXD's
    /// choice, the user's home (`/root` for root).
    public var workingDirectory: String?

    /// How long the program may run, counted from its start, or nil (the default) for no limit.
    ///
    /// When the limit passes, the program gets `SIGTERM` (through the exec's control
    /// websocket, `{"command": "signal", "signal": 15}`), and `SIGKILL` once
    /// ``terminationGrace`` has passed too; the call then throws ``LXCError`` with kind
    /// ``LXCError/Kind/timedOut``, whose ``LXCError/partialOutput`` holds what the program
    /// printed until then (``LXDInstance/output(of:options:)``), or, from a stream, after the
    /// chunks printed until then. As with the local backend's `AttachOptions.timeLimit`.
    ///
    /// Unlike the local backend, only the program itself is signalled, not a process group:
    /// LXD forwards the signal to the process it started. Processes that the program started
    /// and that outlive it holding its output open are not signalled, and LXD 5.0 ends the
    /// exec only when they exit: 2 seconds after `SIGKILL` the call stops waiting, closes the
    /// output websockets and throws, with the status taken as killed by the last signal sent
    /// (LXD has not reported one). Such a child runs on in the instance. A program that
    /// `exec`s its last command (`sh -c "…; exec sleep 60"`) leaves no such child.
    public var timeLimit: Duration?

    /// How long a program whose time limit passed may take to end after `SIGTERM` before it
    /// gets `SIGKILL`. Default: 2 seconds. Zero sends `SIGKILL` at once.
    public var terminationGrace: Duration

    /// What the program reads on its standard input. Default: ``StandardInput/none``.
    public var standardInput: StandardInput

    /// Options with every default: LXD's environment, root, root's home, no time limit, no input.
    public init(environment: [String: String] = [:], user: UInt32? = nil, group: UInt32? = nil,
                workingDirectory: String? = nil, timeLimit: Duration? = nil,
                terminationGrace: Duration = .seconds(2), standardInput: StandardInput = .none) {
        self.environment = environment
        self.user = user
        self.group = group
        self.workingDirectory = workingDirectory
        self.timeLimit = timeLimit
        self.terminationGrace = terminationGrace
        self.standardInput = standardInput
    }
}
