import CLXCBench
import Glibc
import LXC

/// The swift-lxc benchmark: each scenario through the library, through liblxc from C in this
/// process (Benchmarks/CLXCBench), and through the same C as a program of its own
/// (`lxc-bench-c`, Benchmarks/LXCBenchC), in rounds on the same containers, with the median
/// per-operation time of each and their ratios. The in-process C floor is measured twice in
/// every round: the ratio of the two (`noise`) is what this machine's noise and the harness
/// alone make of identical work in the same run. Build in release mode, run as root:
///
///     swift build -c release --product lxc-bench
///     .build/release/lxc-bench [--rounds N] [--only a,b,c] [--rss-detail] [--no-standalone]
///
/// `lxc-bench --swift KIND LXCPATH ITERATIONS ARGUMENTS...` runs one scenario's Swift side
/// alone, with `lxc-bench-c`'s arguments, for profiling both programs (see Standalone.swift).
@main
struct LXCBench {
    struct Options {
        var rounds = 3
        var only: Set<String>? = nil
        var rssDetail = false
        var standalone = true
        var swiftAlone: [String]? = nil
    }

    static func parseOptions() throws -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--rounds":
                guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else {
                    throw BenchError("--rounds takes a positive number")
                }
                options.rounds = value
            case "--only":
                guard let value = arguments.popFirst() else { throw BenchError("--only takes a list of scenarios") }
                options.only = Set(value.split(separator: ",").map(String.init))
            case "--rss-detail":
                options.rssDetail = true
            case "--no-standalone":
                options.standalone = false
            case "--swift":
                options.swiftAlone = Array(arguments)
                arguments = []
            case "--help", "-h":
                print("usage: lxc-bench [--rounds N] [--only scenario,scenario,...] [--rss-detail] [--no-standalone]\n"
                    + "       lxc-bench [--rounds N] --swift KIND LXCPATH ITERATIONS ARGUMENTS... (as lxc-bench-c)")
                exit(0)
            default:
                throw BenchError("unknown argument \(argument)")
            }
        }
        return options
    }

    static func main() async {
        do {
            let options = try parseOptions()
            if let alone = options.swiftAlone {
                try runSwiftAlone(alone, rounds: options.rounds)
                return
            }
            if geteuid() != 0 { throw BenchError("run the benchmark as root: it creates and starts containers") }
            try await run(options)
        } catch {
            let message = Array("lxc-bench: \(error)\n".utf8)
            _ = write(2, message, message.count)
            exit(1)
        }
    }

    static func run(_ options: Options) async throws {
        print("# swift-lxc benchmark, liblxc \(LXC.version), \(options.rounds) rounds, medians; ratio = Swift / C in this "
            + "process, standalone_ratio = Swift / lxc-bench-c, noise = C / C in this process, same rounds")
        var standaloneProgram: String? = nil
        if options.standalone {
            guard let program = standaloneCProgram() else {
                throw BenchError("lxc-bench-c is not next to lxc-bench: build with swift build -c release --product lxc-bench (or pass --no-standalone)")
            }
            standaloneProgram = program
        }
        let lxcpath = try BenchLXCPath()
        defer {
            removeMonitorCgroups(prefix: "bench-")
            lxcpath.remove()
        }
        func wanted(_ name: String) -> Bool { options.only?.contains(name) ?? true }

        // The Swift runtime and liblxc with its libraries are most of the footprint: say how much.
        print("# rss_at_start_kib=\(currentRSSKiB())")
        let base = try makeBusybox("bench-base", in: lxcpath.path)
        defer { try? base.destroy() }
        let rootfs = try base.configItem("lxc.rootfs.path").map { String($0.trimmingPrefix("dir:")) } ?? "/"

        var scenarios: [Scenario] = []
        // One handle at a time, alternating C and Swift: in blocks of 2,000, one side's block
        // now and then met a burst of the machine's other work (rounds from 0.93 to 1.23).
        scenarios.append(Scenario(name: "handle", iterations: 2000, oneByOne: true,
            c: { cbench_handle("bench-base", lxcpath.path, Int32($0)) },
            swift: { n in
                try measure(n) {
                    let container = try Container(name: "bench-base", lxcpath: lxcpath.path)
                    _ = container.isDefined
                    _ = container.state
                }
            },
            standalone: ("handle", lxcpath.path, ["bench-base"])))
        scenarios.append(Scenario(name: "config_get", iterations: 200_000,
            c: { cbench_config_get("bench-base", lxcpath.path, "lxc.uts.name", Int32($0)) },
            swift: { n in
                let container = try Container(name: "bench-base", lxcpath: lxcpath.path)
                return try measure(n) { _ = try container.configItem("lxc.uts.name") }
            },
            standalone: ("config_get", lxcpath.path, ["bench-base", "lxc.uts.name"])))
        // Names: liblxc's list_all_containers re-sorts its array after every name, the
        // library reads the lxcpath and sorts once. Handles: both make one lxc_container_new
        // per container, which dominates.
        for (count, iterations) in [(50, 2_000), (200, 500), (1000, 50)] where wanted("list_all_\(count)") {
            let directory = try lxcpath.defineMany(count, in: "list\(count)", rootfs: rootfs)
            scenarios.append(Scenario(name: "list_all_\(count)", iterations: iterations,
                c: { n in
                    var listed: Int32 = 0
                    let elapsed = cbench_list_names(directory, Int32(n), &listed)
                    return listed == Int32(count) ? elapsed : -1
                },
                swift: { n in
                    try measure(n) {
                        let listed = try Container.names(.all, in: directory)
                        if listed.count != count { throw BenchError("listed \(listed.count) of \(count)") }
                    }
                },
                standalone: ("list_names", directory, [])))
        }
        if wanted("list_handles") {
            let count = 200
            let directory = try lxcpath.defineMany(count, in: "handles\(count)", rootfs: rootfs)
            scenarios.append(Scenario(name: "list_handles", iterations: 20,
                c: { n in
                    var listed: Int32 = 0
                    let elapsed = cbench_list_all(directory, Int32(n), &listed)
                    return listed == Int32(count) ? elapsed : -1
                },
                swift: { n in
                    try measure(n) {
                        let listed = try Container.list(.all, in: directory)
                        if listed.count != count { throw BenchError("listed \(listed.count) of \(count)") }
                    }
                },
                standalone: ("list_handles", directory, [])))
        }
        if wanted("lifecycle") {
            let swiftContainer = try makeBusybox("bench-life-s", in: lxcpath.path)
            _ = try makeBusybox("bench-life-c", in: lxcpath.path)
            scenarios.append(Scenario(name: "lifecycle", iterations: 50, oneByOne: true,
                c: { cbench_isolated(0, "bench-life-c", lxcpath.path, nil, Int32($0)) },
                swift: { n in try measure(n) { try startAndStop(swiftContainer) } }))
            // No standalone floor: a C program that starts the same container 50 times from
            // one process without moving itself back probes past one more left-over monitor
            // cgroup at each start; lifecycle_rejoining's is the fair one.
        }
        // The same against C that, like the library, leaves no cgroup behind: after each start
        // it writes its process back into the cgroups it was in. Both sides then do the same
        // cgroup work, and the monitor removes its cgroups at stop on both; `lifecycle`'s C
        // floor leaves that undone. The C runs in this process, as the Swift does.
        if wanted("lifecycle_rejoining") {
            let swiftContainer = try makeBusybox("bench-rejoin-s", in: lxcpath.path)
            _ = try makeBusybox("bench-rejoin-c", in: lxcpath.path)
            let procsFiles = try homeCgroupProcsFiles()
            scenarios.append(Scenario(name: "lifecycle_rejoining", iterations: 50, oneByOne: true,
                c: { n in
                    let paths = procsFiles.map { strdup($0) }
                    defer { paths.forEach { free($0) } }
                    let argv = paths.map { UnsafePointer<CChar>($0) } + [nil]
                    // In this process, like the Swift side: it leaves nothing behind to isolate.
                    return argv.withUnsafeBufferPointer { cbench_lifecycle_rejoining("bench-rejoin-c", lxcpath.path, $0.baseAddress, Int32(n)) }
                },
                swift: { n in try measure(n) { try startAndStop(swiftContainer) } },
                standalone: ("lifecycle_rejoining", lxcpath.path, ["bench-rejoin-c"] + procsFiles)))
        }
        // A running container for attach_run, stopped once the scenarios ran.
        var attachContainer: Container?
        if wanted("attach_run") {
            let running = try makeBusybox("bench-attach", in: lxcpath.path)
            try await running.start()
            attachContainer = running
            // One at a time: attach times swing with what the machine does in the background,
            // and taking turns per run spreads that over all sides.
            scenarios.append(Scenario(name: "attach_run", iterations: 500, oneByOne: true,
                c: { n in
                    let argv: [UnsafePointer<CChar>?] = [UnsafePointer(strdup("true")), nil]
                    defer { free(UnsafeMutablePointer(mutating: argv[0])) }
                    return argv.withUnsafeBufferPointer { cbench_attach_run("bench-attach", lxcpath.path, $0.baseAddress, Int32(n)) }
                },
                swift: { n in
                    try measure(n) {
                        let status = try running.run(["true"])
                        if !status.isSuccess { throw BenchError("true inside the container: \(status)") }
                    }
                },
                standalone: ("attach_run", lxcpath.path, ["bench-attach", "true"])))
        }
        // Six per round: with two, single creates of 0.3 to 0.45 s moved rounds by 10 %.
        scenarios.append(Scenario(name: "create_destroy", iterations: 6, oneByOne: true,
            c: { cbench_isolated(1, "bench-cd-c", lxcpath.path, nil, Int32($0)) },
            swift: { n in
                try measure(n) {
                    let container = try Container(name: "bench-cd-s", lxcpath: lxcpath.path)
                    try container.create(template: "busybox", options: .quiet)
                    try container.setConfigItem("lxc.net.0.type", to: "empty")
                    try container.destroy()
                }
            },
            standalone: ("create_destroy", lxcpath.path, ["bench-cd-c"])))

        for scenario in scenarios where wanted(scenario.name) {
            let result = try scenario.run(rounds: options.rounds, standaloneProgram: standaloneProgram)
            print(result.line)
        }
        cbench_attach_done()
        try await attachContainer?.stop()

        if wanted("rss_flat") { try rssFlat(lxcpath: lxcpath.path) }
        if wanted("start_stop_cycles") { try startStopCycles(lxcpath: lxcpath.path) }
        if wanted("concurrent_lifecycles") { try await concurrentLifecycles(lxcpath: lxcpath.path) }
        print("peak_rss_kib=\(peakRSSKiB())")
        if options.rssDetail {
            for (mapping, kib) in residentByMapping().prefix(15) { print("# rss_kib=\(kib) \(mapping)") }
        }
    }
}

/// start, RUNNING, stop, STOPPED: the `lifecycle` scenarios' operation through the library.
func startAndStop(_ container: Container) throws {
    try container.start()
    _ = try container.wait(for: .running, timeout: .seconds(10))
    try container.stop()
    _ = try container.wait(for: .stopped, timeout: .seconds(10))
}
