// A job runner: a base busybox container, and per job a throwaway copy of it with memory, CPU
// and process limits from its first process, a script and an input file pushed in, and the
// job's output captured under a time limit that stops it; three jobs at a time; a summary.
//
//     swift run job-runner [LXCPATH]      (as root, after scripts/bootstrap.sh)
//
// Without LXCPATH the containers live in a temporary directory, removed at the end.

import Foundation
import LXC

/// One job: a shell script run as `sh /job.sh` inside its own copy of the base.
struct Job: Sendable {
    var name: String
    var script: String
}

/// What became of a job.
struct Outcome: Sendable {
    var job: String
    var result: String
    var seconds: Double
    var memoryLimit: String
    var processLimit: String
    var output: String
}

let jobs = [
    Job(name: "hello", script: "echo hello from $(hostname)"),
    Job(name: "input", script: "wc -l < /input.txt"),
    Job(name: "count", script: "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo counted to $i"),
    Job(name: "fails", script: "echo something went wrong >&2; exit 3"),
    Job(name: "slow", script: "echo started; sleep 30; echo never printed"),
    Job(name: "checksum", script: "md5sum /input.txt | cut -c1-12"),
]

/// Each job may run this long; then it and everything it started are stopped.
let timeLimit = Duration.seconds(3)
/// Jobs running at the same time.
let parallelJobs = 3

/// The limits every job runs under: 64 MiB, half a CPU, 64 processes. Set with `.fromStart`,
/// they are written as the configuration items this host's cgroup layout needs
/// (`lxc.cgroup.*` or `lxc.cgroup2.*`), so they hold from the job container's first process.
let jobLimits = ResourceLimits(memory: .limited(.mebibytes(64)), cpuQuota: .cpus(0.5), processes: .limited(64))

/// Runs one job in an ephemeral copy of `base`, which is gone once it stops.
func run(_ job: Job, number: Int, base: Container, input: String) async throws -> Outcome {
    let started = ContinuousClock.now
    let overlay = BackingStore.overlay.isAvailable(in: base.lxcpath)
    let clone = try await base.clone(as: "\(base.name)-job\(number)",
                                     options: overlay ? [.snapshot, .ephemeral] : [.ephemeral],
                                     backingStore: overlay ? .overlay : nil)
    do {
        try clone.setLimits(jobLimits, when: .fromStart)
        try await clone.saveConfig()
        try await clone.start()
    } catch {
        // Not started: an ephemeral container is removed only when it stops.
        try? await clone.destroy()
        throw error
    }
    // Running now: stopping it removes it.
    do {
        let memory = try clone.memoryLimit().value.map { "\($0)" } ?? "none"
        let processes = try clone.processLimit().value.map { "\($0)" } ?? "none"
        try await clone.write(Array((job.script + "\n").utf8), to: "/job.sh", mode: 0o755)
        try await clone.push(input, to: "/input.txt")

        var options = AttachOptions()
        options.timeLimit = timeLimit
        options.terminationGrace = .seconds(1)
        options.environmentPolicy = .clear
        let result: String
        let printed: CommandOutput
        do {
            printed = try await clone.output(of: ["sh", "/job.sh"], options: options, input: [])
            switch printed.status {
            case .exited(0): result = "ok"
            case .exited(let code): result = "exit \(code)"
            case .signaled(let signal): result = "signal \(signal)"
            }
        } catch let error as LXCError where error.kind == .timedOut {
            printed = error.partialOutput ?? CommandOutput(status: .signaled(SIGKILL), standardOutput: [], standardError: [])
            result = "timed out"
        }
        try await clone.stop()
        let text = (printed.standardOutputString + printed.standardErrorString)
            .split(separator: "\n").first.map(String.init) ?? ""
        let elapsed = ContinuousClock.now - started
        return Outcome(job: job.name, result: result,
                       seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                       memoryLimit: memory, processLimit: processes, output: text)
    } catch {
        try? await clone.stop()
        throw error
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func main() async throws {
    let arguments = CommandLine.arguments.dropFirst()
    let lxcpath: String
    let temporary: Bool
    if let given = arguments.first {
        lxcpath = given
        temporary = false
    } else {
        lxcpath = FileManager.default.temporaryDirectory.appendingPathComponent("swift-lxc-job-runner-\(getpid())").path
        temporary = true
    }
    try FileManager.default.createDirectory(atPath: lxcpath, withIntermediateDirectories: true)
    defer { if temporary { try? FileManager.default.removeItem(atPath: lxcpath) } }

    // The input file every job gets, made on the host.
    let input = lxcpath + "/input-\(getpid()).txt"
    try "one\ntwo\nthree\n".write(toFile: input, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: input) }

    let base = try Container(name: "jobbase\(getpid())", lxcpath: lxcpath)
    print("==> create the base container \(base.name) in \(lxcpath)")
    try await base.create(template: "busybox", options: .quiet)
    defer { try? base.destroy() }
    try base.setConfigItem("lxc.net.0.type", to: "empty")
    try base.setConfigItem("lxc.apparmor.profile", to: "unconfined")
    try await base.saveConfig()

    print("==> run \(jobs.count) jobs, \(parallelJobs) at a time, each limited to \(timeLimit)")
    let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
        var next = 0
        var outcomes: [Outcome] = []
        func startNext() {
            let job = jobs[next]
            let number = next
            next += 1
            group.addTask { try await run(job, number: number, base: base, input: input) }
        }
        while next < min(parallelJobs, jobs.count) { startNext() }
        while let outcome = try await group.next() {
            print("    \(outcome.job): \(outcome.result)")
            outcomes.append(outcome)
            if next < jobs.count { startNext() }
        }
        return outcomes
    }

    print("==> summary")
    print(pad("JOB", 10) + pad("RESULT", 11) + pad("TIME", 8) + pad("MEMORY", 9) + pad("PIDS", 6) + "OUTPUT")
    for name in jobs.map(\.name) {
        guard let outcome = outcomes.first(where: { $0.job == name }) else { continue }
        let time = String(format: "%.1f s", outcome.seconds)
        print(pad(outcome.job, 10) + pad(outcome.result, 11) + pad(time, 8) + pad(outcome.memoryLimit, 9)
              + pad(outcome.processLimit, 6) + outcome.output)
    }
    let succeeded = outcomes.filter { $0.result == "ok" }.count
    let timedOut = outcomes.filter { $0.result == "timed out" }.count
    print("jobs: \(outcomes.count), succeeded: \(succeeded), failed: \(outcomes.count - succeeded - timedOut), timed out: \(timedOut)")
    // liblxc's monitor removes a stopped ephemeral container a moment after the stop.
    var left = try Container.names(.all, in: lxcpath).filter { $0 != base.name }
    for _ in 0..<100 where !left.isEmpty {
        try await Task.sleep(for: .milliseconds(100))
        left = try Container.names(.all, in: lxcpath).filter { $0 != base.name }
    }
    print("job containers left: \(left.count)")
}

do {
    try await main()
} catch {
    FileHandle.standardError.write(Data("job-runner: \(error)\n".utf8))
    exit(1)
}
