import CLXC
import Glibc

// How a failed liblxc call becomes an LXCError: the library's own words for what it can
// tell (not defined, wrong state, missing root filesystem), then liblxc's logged lines.

extension Container {
    /// Runs one liblxc call with its log lines available to explain a failure.
    func diagnosed<R>(_ handle: Handle, _ body: (DiagnosticCursor) throws -> R) rethrows -> R {
        let cursor = handle.diagnosticCursor()
        defer { cursor.finish() }
        return try cursor.whileCurrent { try body(cursor) }
    }

    /// The error for a liblxc call that returned failure.
    ///
    /// - Parameters:
    ///   - explanation: what the library can say about the cause, checked only now that the
    ///     call failed; nil leaves the message to liblxc's log.
    ///   - outcome: for a call made in a child process (``Isolated``), what it reported;
    ///     its `error_num` and `error_string` replace the handle's.
    func failure(
        _ operation: String,
        _ handle: Handle,
        _ cursor: DiagnosticCursor,
        kind: LXCError.Kind = .failed,
        _ explanation: String? = nil,
        outcome: Isolated.Outcome? = nil
    ) -> LXCError {
        let name = self.name
        let log = cursor.errorLines(for: name)
        let number = outcome?.errorNumber ?? handle.pointer.pointee.error_num
        let liblxcText: String? = if let outcome {
            outcome.errorString
        } else if let text = handle.pointer.pointee.error_string, text.pointee != 0 {
            String(cString: text)
        } else {
            nil
        }
        var message = explanation ?? ""
        if let problem = outcome?.problem {
            message += message.isEmpty ? problem : "; \(problem)"
        }
        if message.isEmpty {
            if let liblxcText {
                message = liblxcText
            } else if log.isEmpty {
                message = "liblxc reported a failure and logged no reason"
            } else {
                message = "liblxc reported a failure"
            }
        }
        return LXCError(operation: operation, container: name, message: message,
                        code: number != 0 ? number : nil, kind: kind, log: log)
    }

    /// An error for a function pointer that this liblxc does not fill in.
    func missingFunction(_ operation: String, _ member: String) -> LXCError {
        LXCError(operation: operation, container: name,
                 message: "this liblxc (\(LXC.version)) has no \(member)", code: ENOSYS, kind: .unsupported)
    }

    /// Throws when the container is not defined: the first thing to check when a call on
    /// it failed.
    func notDefinedError(_ operation: String) -> LXCError {
        let file = configFileName ?? "\(lxcpath)/\(name)/config"
        return LXCError(operation: operation, container: name,
                        message: "the container is not defined in \(lxcpath) (there is no \(file))",
                        code: ENOENT, kind: .notFound)
    }

    /// The error for an operation that needs the container in another state.
    func wrongStateError(_ operation: String, _ message: String) -> LXCError {
        LXCError(operation: operation, container: name, message: message, code: nil, kind: .wrongState)
    }

    /// Refuses an operation on a container that is not defined (saying so when an
    /// interrupted operation left it half made).
    func requireDefined(_ operation: String) throws {
        if !isDefined {
            try requireComplete(operation)
            throw notDefinedError(operation)
        }
    }
}
