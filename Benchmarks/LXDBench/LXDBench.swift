import Glibc
import LXCCore
import LXD

/// The LXD client's benchmark: list, state, exec `/bin/true` with output, and create+delete,
/// each through the Swift client (`LXDClient`/`LXDInstance`), through the same REST requests
/// from a minimal Python `http.client` loop on one kept-alive connection (raw_rest.py, the
/// floor; measured twice per round, the second time giving the run's noise band), and through
/// pylxd (pylxd_bench.py, when a Python with pylxd is found). The sides take turns one call at
/// a time, in every order in turn; medians of single calls are reported. Run as root:
///
///     swift build -c release --product lxd-bench
///     .build/release/lxd-bench [--rounds N] [--only list,state,exec,create_delete] [--calls N]
///                              [--socket PATH] [--python PATH_TO_A_PYTHON_WITH_PYLXD]
///     .build/release/lxd-bench --swift-alone --only list --calls 5000   # the Swift side alone (perf)
///
/// Without `--socket` it starts a standalone daemon of its own (scripts/lxd.sh start, image)
/// under /tmp and stops it at the end, also on failure or Ctrl-C.
@main
struct LXDBench {
    struct Options {
        var rounds = 3
        var only: Set<String>? = nil
        var calls: Int? = nil
        var socket: String? = nil
        var python: String? = nil
        /// `--swift-alone`: only the Swift side, `calls` calls of each wanted scenario, for profiling.
        var swiftAlone = false
    }

    static let scenarioNames = ["list", "state", "exec", "create_delete"]
    /// Calls per side and round, unless `--calls` says otherwise.
    static func defaultCalls(_ scenario: String) -> Int {
        switch scenario {
        case "list": return 200
        case "state": return 100
        case "exec": return 40
        default: return 5  // create_delete
        }
    }

    static func parseOptions() throws -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        func positive(_ option: String) throws -> Int {
            guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else {
                throw BenchError("\(option) takes a positive number")
            }
            return value
        }
        while let argument = arguments.popFirst() {
            switch argument {
            case "--rounds": options.rounds = try positive(argument)
            case "--calls": options.calls = try positive(argument)
            case "--only":
                guard let value = arguments.popFirst() else { throw BenchError("--only takes a list of scenarios") }
                let names = Set(value.split(separator: ",").map(String.init))
                if let unknown = names.first(where: { !scenarioNames.contains($0) }) {
                    throw BenchError("unknown scenario \(unknown) (known: \(scenarioNames.joined(separator: ", ")))")
                }
                options.only = names
            case "--socket":
                guard let value = arguments.popFirst() else { throw BenchError("--socket takes a path") }
                options.socket = value
            case "--python":
                guard let value = arguments.popFirst() else { throw BenchError("--python takes a path") }
                options.python = value
            case "--swift-alone":
                options.swiftAlone = true
            case "--help", "-h":
                print("usage: lxd-bench [--rounds N] [--only list,state,exec,create_delete] [--calls N] "
                    + "[--socket PATH] [--python PYTHON_WITH_PYLXD] [--swift-alone]")
                exit(0)
            default:
                throw BenchError("unknown argument \(argument)")
            }
        }
        return options
    }

    static func main() async {
        var daemon: BenchDaemon? = nil
        do {
            let options = try parseOptions()
            let root = repositoryRoot()
            if options.socket == nil {
                if geteuid() != 0 { throw BenchError("run the benchmark as root: it starts an LXD daemon (or pass --socket)") }
                daemon = try BenchDaemon(script: root + "/scripts/lxd.sh")
            }
            let socket = options.socket ?? daemon?.socketPath ?? ""
            try await run(options, socket: socket, root: root)
            daemon?.stop()
        } catch {
            note("lxd-bench: \(error)")
            daemon?.stop()
            exit(1)
        }
    }

    /// A Python that imports pylxd: `--python`, `$LXD_BENCH_PYTHON`, the repository's
    /// `.build-pylxd` virtualenv, /tmp/lxd-bench-pylxd, or python3; nil when none does.
    static func pylxdPython(_ options: Options, root: String) -> String? {
        var candidates: [String] = []
        if let python = options.python { candidates.append(python) }
        if let python = getenv("LXD_BENCH_PYTHON").map({ String(cString: $0) }), !python.isEmpty {
            candidates.append(python)
        }
        candidates += [root + "/.build-pylxd/bin/python", "/tmp/lxd-bench-pylxd/bin/python", "python3"]
        for python in candidates where python == "python3" || access(python, X_OK) == 0 {
            if (try? runProgram([python, "-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('pylxd') is None)"], environment: ["PYTHONDONTWRITEBYTECODE": "1"])) == 0 {
                return python
            }
        }
        return nil
    }

    static func run(_ options: Options, socket: String, root: String) async throws {
        let client = LXDClient(socketPath: socket)
        let prefix = "lxdbench-\(getpid())"
        func wanted(_ name: String) -> Bool { options.only?.contains(name) ?? true }
        let python = options.swiftAlone ? nil : pylxdPython(options, root: root)
        if python == nil && !options.swiftAlone {
            note("# pylxd not found: measuring without it. Install it with\n"
                + "#   python3 -m venv .build-pylxd && .build-pylxd/bin/pip install pylxd\n"
                + "# (in the repository's root; or pass --python PATH to a Python that has it)")
        }
        print("# lxd-bench: LXD \(try await client.serverVersion()) at \(socket), \(options.rounds) rounds, "
            + "medians of single calls in ms; own_cost = swift - raw, noise = raw_again - raw (same rounds)")
        print("# load average at start: \(loadAverage())")

        // The instances: one running (state, exec), four stopped so that the list has names.
        let running = client.instance(prefix + "-exec")
        var made = [running]
        var raw: PythonSide? = nil
        var pylxd: PythonSide? = nil
        do {
            note("# creating the instances")
            try await running.create(from: .image("busybox"))
            try await running.start()
            for index in 1...4 {
                let stopped = client.instance("\(prefix)-list-\(index)")
                made.append(stopped)
                try await stopped.create(from: .image("busybox"))
            }
            let scripts = root + "/Benchmarks/LXDBench/"
            if !options.swiftAlone {
                raw = try PythonSide(label: "raw_rest.py", python: "python3", script: scripts + "raw_rest.py",
                                     arguments: [socket, running.name, prefix + "-cd-raw"])
                if let python {
                    pylxd = try PythonSide(label: "pylxd_bench.py", python: python, script: scripts + "pylxd_bench.py",
                                           arguments: [socket, running.name, prefix + "-cd-pylxd"])
                }
            }
            let created = client.instance(prefix + "-cd-swift")
            let scenarios = [
                Scenario(name: "list", calls: options.calls ?? defaultCalls("list")) {
                    _ = try await client.instanceNames()
                },
                Scenario(name: "state", calls: options.calls ?? defaultCalls("state")) {
                    _ = try await running.state
                },
                Scenario(name: "exec", calls: options.calls ?? defaultCalls("exec")) {
                    let output = try await running.output(of: ["/bin/true"])
                    if !output.status.isSuccess { throw BenchError("/bin/true in the instance: \(output.status)") }
                },
                Scenario(name: "create_delete", calls: options.calls ?? defaultCalls("create_delete")) {
                    try await created.create(from: .image("busybox"))
                    try await created.destroy(includingSnapshots: true)
                },
            ]
            for scenario in scenarios where wanted(scenario.name) {
                if options.swiftAlone {
                    print(try await swiftAlone(scenario))
                    continue
                }
                note("# \(scenario.name): \(options.rounds) rounds of \(scenario.calls) calls per side")
                guard let raw else { throw BenchError("raw_rest.py did not start") }
                let result = try await scenario.run(rounds: options.rounds, raw: raw, pylxd: pylxd)
                print(result.line)
            }
            print("# load average at the end: \(loadAverage())")
        } catch {
            raw?.finish()
            pylxd?.finish()
            await remove(made + ["-cd-swift", "-cd-raw", "-cd-pylxd"].map { client.instance(prefix + $0) })
            throw error
        }
        raw?.finish()
        pylxd?.finish()
        await remove(made)
    }

    /// `scenario.calls` calls through the Swift client alone, after a warm-up: mean wall-clock
    /// and CPU milliseconds per call (for `perf record -p` and the like).
    static func swiftAlone(_ scenario: Scenario) async throws -> String {
        for _ in 0..<3 { try await scenario.swift() }
        let cpu = processCPUNanoseconds()
        let start = nowNanoseconds()
        for _ in 0..<scenario.calls { try await scenario.swift() }
        let wall = Double(nowNanoseconds() - start) / 1_000_000 / Double(scenario.calls)
        let cpuPerCall = Double(processCPUNanoseconds() - cpu) / 1_000_000 / Double(scenario.calls)
        return "scenario=\(scenario.name) n=\(scenario.calls) swift_alone_ms=\(fixed(wall, 3)) cpu_swift_ms=\(fixed(cpuPerCall, 3))"
    }

    /// Stops and deletes the benchmark's instances that exist (a daemon given with `--socket`
    /// keeps nothing of the run).
    static func remove(_ instances: [LXDInstance]) async {
        for instance in instances where (try? await instance.isDefined) == true {
            if (try? await instance.state) == .running { try? await instance.stop() }
            try? await instance.destroy(includingSnapshots: true)
        }
    }
}
