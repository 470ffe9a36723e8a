import Glibc
import LXC

/// The path of `lxc-bench-c`, built next to this program (`swift build -c release` builds both:
/// `lxc-bench` depends on it), or nil when it is not there.
func standaloneCProgram() -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let executable = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = executable.lastIndex(of: "/") else { return nil }
    let program = String(executable[..<slash]) + "/lxc-bench-c"
    return access(program, X_OK) == 0 ? program : nil
}

/// Runs `program` with `arguments` and returns the `per_op_us` of the line it prints.
func runStandalone(program: String, arguments: [String]) throws -> Double {
    let command = ([program] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
    guard arguments.allSatisfy({ !$0.contains("'") }), let pipe = popen(command, "r") else {
        throw BenchError("cannot run \(command)")
    }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 512)
    while true {
        let count = fread(&buffer, 1, buffer.count, pipe)
        if count == 0 { break }
        output += buffer[0..<count]
    }
    let status = pclose(pipe)
    let text = String(decoding: output, as: UTF8.self)
    guard status == 0, let field = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        .first(where: { $0.hasPrefix("per_op_us=") }), let value = Double(field.dropFirst("per_op_us=".count)) else {
        throw BenchError("\(command) failed (status \(status)): \(text)")
    }
    return value
}

/// `lxc-bench --swift KIND LXCPATH ITERATIONS ARGUMENTS...`: the Swift side of one scenario
/// alone, with `lxc-bench-c`'s arguments and output, on containers made beforehand (with
/// lxc-create, say): for profiling both programs doing the same work (strace -c -f,
/// valgrind --tool=callgrind). Kinds: handle NAME, config_get NAME KEY, attach_run NAME PROGRAM...
func runSwiftAlone(_ arguments: [String], rounds: Int) throws {
    guard arguments.count >= 4, let iterations = Int(arguments[2]), iterations > 0 else {
        throw BenchError("--swift takes KIND LXCPATH ITERATIONS ARGUMENTS...")
    }
    let (kind, lxcpath, rest) = (arguments[0], arguments[1], Array(arguments[3...]))
    let body: (Int) throws -> Int64
    switch kind {
    case "handle":
        body = { n in
            try measure(n) {
                let container = try Container(name: rest[0], lxcpath: lxcpath)
                _ = container.isDefined
                _ = container.state
            }
        }
    case "config_get" where rest.count >= 2:
        let container = try Container(name: rest[0], lxcpath: lxcpath)
        body = { n in try measure(n) { _ = try container.configItem(rest[1]) } }
    case "attach_run" where rest.count >= 2:
        let container = try Container(name: rest[0], lxcpath: lxcpath)
        let command = Array(rest[1...])
        body = { n in
            try measure(n) {
                let status = try container.run(command)
                if !status.isSuccess { throw BenchError("\(command) inside the container: \(status)") }
            }
        }
    default:
        throw BenchError("--swift: unknown kind or missing arguments: \(arguments)")
    }
    _ = try body(max(1, iterations / 10))
    let times = try (0..<rounds).map { _ in Double(try body(iterations)) }
    print("scenario=\(kind) n=\(iterations) per_op_us=\(fixed(median(times) / Double(iterations) / 1000, 3))")
}
