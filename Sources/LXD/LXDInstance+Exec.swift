import Glibc
import LXCCore
import NIOHTTP1

extension LXDInstance {
    /// What ``streamOutput(of:)`` returns.
    public typealias OutputEvents = AsyncThrowingStream<CommandOutputEvent, any Error>

    /// Runs a program inside the running instance and returns what it printed and how it ended.
    ///
    /// LXD records the program's output to two log files of the instance (`record-output`),
    /// which are read, then deleted. Standard input is empty. LXD reports a program killed by
    /// a signal as an exit code of 128 + the signal, which is returned as `.exited(128 + signal)`.
    ///
    /// The corresponding LXD calls are `POST /1.0/instances/{name}/exec` with
    /// `{"command": …, "record-output": true, "wait-for-websocket": false}`, awaited, then
    /// `GET` and `DELETE` of `/1.0/instances/{name}/logs/…` for each output.
    public func output(of command: [String]) async throws -> CommandOutput {
        try await execute("output", command)
    }

    /// Runs a program inside the running instance, writes what it printed to this process's
    /// standard output and standard error (after it ended), and returns how it ended.
    ///
    /// The corresponding LXD call is `POST /1.0/instances/{name}/exec`, as in ``output(of:)``.
    public func run(_ command: [String]) async throws -> ExitStatus {
        let output = try await execute("run", command)
        writeAll(1, output.standardOutput)
        writeAll(2, output.standardError)
        return output.status
    }

    /// Runs a program inside the running instance and delivers its output, then its exit.
    ///
    /// For now this is built on ``output(of:)``: the program's standard output arrives as one
    /// chunk and its standard error as another, after the program ended, then `.finished`
    /// (streaming as the program prints needs LXD's exec websockets, not made yet).
    ///
    /// The corresponding LXD call is `POST /1.0/instances/{name}/exec`, as in ``output(of:)``.
    public func streamOutput(of command: [String]) async throws -> OutputEvents {
        let output = try await execute("streamOutput", command)
        return AsyncThrowingStream { continuation in
            if !output.standardOutput.isEmpty { continuation.yield(.standardOutput(output.standardOutput)) }
            if !output.standardError.isEmpty { continuation.yield(.standardError(output.standardError)) }
            continuation.yield(.finished(output.status))
            continuation.finish()
        }
    }

    func execute(_ what: String, _ command: [String]) async throws -> CommandOutput {
        guard !command.isEmpty else {
            throw LXCError(operation: what, container: name, message: "the command is empty", kind: .invalidArgument)
        }
        let request = ExecPost(command: command)
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

struct ExecPost: Encodable {
    var command: [String]
    var environment: [String: String] = [:]
    var interactive = false
    var waitForWebsocket = false
    var recordOutput = true

    enum CodingKeys: String, CodingKey {
        case command, environment, interactive
        case waitForWebsocket = "wait-for-websocket"
        case recordOutput = "record-output"
    }
}

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
