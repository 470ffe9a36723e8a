import Glibc

/// What a program run inside a container printed, and how it ended.
///
/// Returned by `Container.output(of:options:input:)`. Both streams are kept exactly as
/// the program wrote them, byte for byte; the string views decode them as UTF-8 (invalid
/// sequences become U+FFFD).
///
/// ```swift
/// let result = try container.output(of: ["cat", "/etc/hostname"])
/// if result.status.isSuccess { print(result.standardOutputString) }
/// ```
public struct CommandOutput: Sendable, Hashable {
    /// How the program ended.
    public var status: ExitStatus
    /// Everything the program wrote to its standard output.
    public var standardOutput: [UInt8]
    /// Everything the program wrote to its standard error.
    public var standardError: [UInt8]

    /// Makes an output value.
    public init(status: ExitStatus, standardOutput: [UInt8], standardError: [UInt8]) {
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// The standard output decoded as UTF-8.
    public var standardOutputString: String { String(decoding: standardOutput, as: UTF8.self) }

    /// The standard error decoded as UTF-8.
    public var standardErrorString: String { String(decoding: standardError, as: UTF8.self) }
}

