import Glibc

/// A tty of a running container, allocated to this process by
/// ``Container/consoleFileDescriptor(tty:)``: its number and the primary (master) side of its
/// pseudo-terminal.
///
/// What is written to ``primaryFileDescriptor`` is the container's input on that tty; what
/// the container writes to the tty can be read from it. The tty stays allocated to this
/// process until ``close()`` (or until the `ConsoleTTY` goes away).
public final class ConsoleTTY: Sendable {
    /// The tty number: 0 for the console, 1… for `/dev/tty1`….
    public let number: Int
    /// The primary side of the tty's pseudo-terminal, owned by this object.
    ///
    /// An `Int32`, as every descriptor of the public API (see <doc:CToSwift>); a
    /// swift-system user wraps it with `FileDescriptor(rawValue:)`.
    public let primaryFileDescriptor: Int32
    /// The descriptor that keeps the tty allocated (the connection to the container's monitor).
    private let keepAliveFileDescriptor: Int32
    private let closed = Locked(false)

    init(number: Int, primaryFileDescriptor: Int32, keepAliveFileDescriptor: Int32) {
        self.number = number
        self.primaryFileDescriptor = primaryFileDescriptor
        self.keepAliveFileDescriptor = keepAliveFileDescriptor
    }

    /// Gives the tty back to the container and closes both descriptors; later calls do nothing.
    ///
    /// The container's monitor frees the tty when it notices the closed connection, a moment
    /// later: an allocation of the same tty straight after `close()` may still find it taken.
    public func close() {
        let already = closed.withLock { closed -> Bool in
            defer { closed = true }
            return closed
        }
        if already { return }
        _ = Glibc.close(primaryFileDescriptor)
        if keepAliveFileDescriptor != primaryFileDescriptor { _ = Glibc.close(keepAliveFileDescriptor) }
    }

    deinit { close() }
}
