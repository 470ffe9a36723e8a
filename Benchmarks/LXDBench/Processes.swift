import Glibc

/// Runs a program to its end, its standard output sent to standard error; its exit status.
@discardableResult
func runProgram(_ arguments: [String], environment: [String: String] = [:]) throws -> Int32 {
    let pid = try spawn(arguments, environment: environment, standardInput: nil, standardOutput: 2)
    return waitFor(pid)
}

/// Waits for a child; its exit code, or 128 + the signal that ended it.
func waitFor(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { return -1 }
    }
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

/// Starts `arguments` (looked up in PATH) with these descriptors as its standard input and
/// output (nil: this process's own), and `environment` added to this process's.
func spawn(_ arguments: [String], environment: [String: String], standardInput: Int32?,
           standardOutput: Int32?) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let standardInput { posix_spawn_file_actions_adddup2(&actions, standardInput, 0) }
    if let standardOutput { posix_spawn_file_actions_adddup2(&actions, standardOutput, 1) }
    var variables: [String] = []
    var index = 0
    while let entry = environ[index] {
        let text = String(cString: entry)
        let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
        if environment[name] == nil { variables.append(text) }
        index += 1
    }
    variables += environment.map { "\($0.key)=\($0.value)" }
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = variables.map { strdup($0) } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let result = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
    if result != 0 {
        throw BenchError("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
    }
    return pid
}

/// A Python side of the benchmark (raw_rest.py or pylxd_bench.py), driven over two pipes
/// with bench_protocol.py's line protocol; it times its own calls.
final class PythonSide {
    let label: String
    let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private var pending: [UInt8] = []

    init(label: String, python: String, script: String, arguments: [String]) throws {
        self.label = label
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw BenchError("pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec, so that no other child holds them; the child's dup2 copies are not.
        for descriptor in toChild + fromChild { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        // No __pycache__ next to the scripts in the source tree.
        pid = try spawn([python, script] + arguments, environment: ["PYTHONDONTWRITEBYTECODE": "1"],
                        standardInput: toChild[0], standardOutput: fromChild[1])
        close(toChild[0])
        close(fromChild[1])
        commands = toChild[1]
        answers = fromChild[0]
        let first = try readLine()
        guard first == "ready" else {
            throw BenchError("\(label) did not start (\(first.isEmpty ? "see its error above" : first))")
        }
    }

    /// Nanoseconds for `count` calls of `scenario`, as the side timed them, and the CPU
    /// nanoseconds its process used meanwhile.
    func measure(_ scenario: String, _ count: Int) throws -> (wall: Int64, cpu: Int64) {
        let command = Array("\(scenario) \(count)\n".utf8)
        var offset = 0
        while offset < command.count {
            let written = command[offset...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw BenchError("\(label) went away: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        let answer = try readLine()
        let fields = answer.split(separator: " ")
        guard fields.count == 2, let wall = Int64(fields[0]), let cpu = Int64(fields[1]) else {
            throw BenchError("\(label), \(scenario): \(answer.isEmpty ? "no answer" : answer)")
        }
        return (wall, cpu)
    }

    private func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = buffer.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return "" }
            pending += buffer[0..<count]
        }
    }

    /// Ends the side (the end of its input) and waits for it.
    func finish() {
        close(commands)
        close(answers)
        _ = waitFor(pid)
    }
}
