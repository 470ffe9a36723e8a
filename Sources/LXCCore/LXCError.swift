import Glibc

/// An error thrown by swift-lxc: which operation failed, on which container, and why.
///
/// `message` says in words what went wrong. When liblxc logged errors for the failed call,
/// they are kept in ``log`` and quoted at the end of the message, because liblxc itself
/// rarely fills in `error_string`: the real reason (a missing root filesystem, a busy
/// command socket, a template that exited with an error) is in its log.
///
/// ```swift
/// do {
///     try container.start()
/// } catch let error as LXCError where error.kind == .wrongState {
///     print("already running:", error.message)
/// }
/// ```
public struct LXCError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What kind of failure this is, for code that reacts to some of them.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String

        /// The input was refused before it reached liblxc: a bad name, key, value, path or timeout.
        public static let invalidArgument = Kind(rawValue: "invalid argument")
        /// The container is not in a state that allows the operation (destroying a running one, say).
        public static let wrongState = Kind(rawValue: "wrong state")
        /// The container, template, snapshot or file the operation needs does not exist.
        public static let notFound = Kind(rawValue: "not found")
        /// Something with that name exists already.
        public static let alreadyExists = Kind(rawValue: "already exists")
        /// The operation did not finish within its timeout.
        public static let timedOut = Kind(rawValue: "timed out")
        /// This liblxc or this host cannot do what was asked.
        public static let unsupported = Kind(rawValue: "unsupported")
        /// The caller may not do this (not root, no delegated cgroup, no id map).
        public static let permissionDenied = Kind(rawValue: "permission denied")
        /// liblxc reported a failure; ``LXCError/message`` and ``LXCError/log`` say what it was.
        public static let failed = Kind(rawValue: "failed")

        /// The kind in words, as in `LXCError.Kind.wrongState` → `"wrong state"`.
        public var description: String { rawValue }
    }

    /// The operation that failed, named after the Swift method ("start", "setConfigItem", …).
    public var operation: String
    /// The name of the container, when the operation was on one.
    public var container: String?
    /// What went wrong, in words; ends with liblxc's own error lines when it logged any.
    public var message: String
    /// liblxc's `error_num`, or the `errno` of the failed system call, when there is one.
    public var code: Int32?
    /// The kind of failure.
    public var kind: Kind
    /// The ERROR lines liblxc logged for the failed call, oldest first, without liblxc's
    /// prefix (name, timestamp, level, source location).
    ///
    /// liblxc's log is one per process (`lxc_log_init`), so the library keeps each call's
    /// lines apart by descriptor, not by name:
    /// - each handle (each `Container` instance; each `run`, `output` or other attach uses
    ///   a handle of its own) has its own log descriptor, pointed at a memory file of the
    ///   library's through `lxc.log.file`; calls on other instances, other containers and
    ///   other lxcpaths never write there;
    /// - the processes liblxc forks during the call (the monitor of a start, attach's
    ///   helpers, the library's isolated children for create, clone, snapshots, rename and
    ///   destroy) write into a memory file of that call's own, during the call and after it
    ///   (a monitor's lines when its container stops later reach no other call).
    ///
    /// What is not kept apart: lines that liblxc writes in this process (not in a forked
    /// process) while two calls run at the same moment on one `Container` instance, such as a
    /// failing `setConfigItem` and a `stop` from two tasks. Each of those errors may then
    /// quote the other call's in-process lines as well as its own.
    ///
    /// When the container's configuration names an `lxc.log.file` of its own, or while the
    /// program routes liblxc's log to a file with `LXC.startLogging(_:)` (until
    /// `LXC.stopLogging()`), liblxc writes there instead; the library reads that shared file
    /// and keeps the lines that name the container, so lines of other calls on a container of
    /// the same name logged meanwhile may then appear too.
    public var log: [String]

    /// What a program printed before its time limit passed, and how it ended (killed by the
    /// signal that ended it), for an error of kind ``Kind/timedOut`` thrown by a capturing
    /// call (`output(of:)`); nil for every other error.
    ///
    /// ```swift
    /// do {
    ///     var options = AttachOptions()
    ///     options.timeLimit = .seconds(5)
    ///     _ = try container.output(of: ["sh", "-c", "echo started; sleep 30"], options: options)
    /// } catch let error as LXCError where error.kind == .timedOut {
    ///     print(error.partialOutput?.standardOutputString ?? "")   // started
    /// }
    /// ```
    public var partialOutput: CommandOutput?

    /// Makes an error; `message` should say what went wrong in words a user can act on.
    public init(
        operation: String,
        container: String? = nil,
        message: String,
        code: Int32? = nil,
        kind: Kind = .failed,
        log: [String] = [],
        partialOutput: CommandOutput? = nil
    ) {
        self.operation = operation
        self.container = container
        self.message = message
        self.code = code
        self.kind = kind
        self.log = log
        self.partialOutput = partialOutput
    }

    /// One line: `start of container "web" failed: <message>`.
    public var description: String {
        var text = operation
        if let container { text += " of container \"\(container)\"" }
        text += " failed: " + message
        if !log.isEmpty {
            text += " (liblxc: " + log.joined(separator: "; ") + ")"
        }
        return text
    }
}

extension LXCError {
    package static func invalid(_ operation: String, _ container: String?, _ message: String) -> LXCError {
        LXCError(operation: operation, container: container, message: message, code: EINVAL, kind: .invalidArgument)
    }
}
