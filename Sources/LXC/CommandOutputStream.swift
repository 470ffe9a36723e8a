import Glibc

/// The output of a program running inside a container, as it comes.
///
/// Made by ``Container/streamOutput(of:options:input:)``. Iterate it once: each element is a
/// chunk of standard output or standard error, and the last one is
/// ``CommandOutputEvent/finished(_:)`` with the exit status. Reading is paced by the
/// consumer: while nobody asks for the next chunk, the pipes fill and the program waits.
///
/// Cancelling the task that iterates kills the program (`SIGKILL`) and ends the iteration
/// with `CancellationError`; so does dropping the sequence before its end. Either way the
/// program is reaped: it never lingers as a zombie.
///
/// ```swift
/// for try await event in try await container.streamOutput(of: ["ping", "-c", "3", "192.0.2.1"]) {
///     switch event {
///     case .standardOutput(let bytes): print(String(decoding: bytes, as: UTF8.self), terminator: "")
///     case .standardError(let bytes): print("err:", String(decoding: bytes, as: UTF8.self))
///     case .finished(let status): print(status)
///     }
/// }
/// ```
public struct CommandOutputStream: AsyncSequence, Sendable {
    /// A chunk of output, or the end.
    public typealias Element = CommandOutputEvent

    let capture: StreamingCapture

    /// The host pid of the program (it is a child of this process until it ends).
    public var pid: pid_t { capture.process.pid }

    /// The iterator; make one per stream.
    public func makeAsyncIterator() -> Iterator {
        Iterator(capture: capture)
    }

    /// Reads the next chunk or the end, off Swift's cooperative pool.
    public struct Iterator: AsyncIteratorProtocol {
        let capture: StreamingCapture

        /// The next chunk, the end (``CommandOutputEvent/finished(_:)``), or nil after it.
        ///
        /// - Throws: `CancellationError` when the task was cancelled (the program is killed);
        ///   ``LXCError`` when the program could not be executed.
        public mutating func next() async throws -> CommandOutputEvent? {
            let capture = capture
            return try await withTaskCancellationHandler {
                try await BlockingExecutor.shared.run { try capture.nextEvent() }
            } onCancel: {
                capture.cancel()
            }
        }
    }
}
