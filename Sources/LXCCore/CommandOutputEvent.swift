import Glibc

/// One event of a program whose output is streamed: a chunk it wrote, or its end.
///
/// `Container.streamOutput(of:options:input:)` yields chunks in the order they were read;
/// chunks of one stream keep their order, and the last event is always ``finished(_:)``.
public enum CommandOutputEvent: Sendable, Hashable {
    /// Bytes the program wrote to its standard output.
    case standardOutput([UInt8])
    /// Bytes the program wrote to its standard error.
    case standardError([UInt8])
    /// The program ended; nothing follows.
    case finished(ExitStatus)
}
