// The job runner of Examples/JobRunner, moved to an LXD cluster: the same jobs, each in a
// fresh instance of the busybox image with memory, CPU and process limits from its first
// process, a script and an input file pushed in, its output captured under a time limit
// that stops it, three jobs at a time, spread over the cluster's members; a summary that
// says where each job ran.
//
//     swift run cluster-job-runner [SOCKET]
//
// SOCKET is the unix socket of any member (default: $LXD_DIR/unix.socket, else
// /var/lib/lxd/unix.socket); the member forwards what belongs to the others. The cluster
// needs an image with the alias "busybox" (scripts/lxd.sh image imports one). What changed
// from the local runner is how a job's container is obtained; the job itself is the same.

import Foundation
import LXD

/// One job: a shell script run as `sh /job.sh` inside its own instance.
struct Job: Sendable {
    var name: String
    var script: String
}

/// What became of a job.
struct Outcome: Sendable {
    var job: String
    var member: String
    var result: String
    var seconds: Double
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
/// The limits every job runs under: 64 MiB, half a CPU, 64 processes, as LXD's `limits.*`.
let jobLimits = ResourceLimits(memory: .limited(.mebibytes(64)), cpuQuota: .cpus(0.5), processes: .limited(64))

/// Runs one job in a new instance on `member`, deleted at the end.
func run(_ job: Job, number: Int, on member: String?, client: LXDClient, input: String) async throws -> Outcome {
    let started = ContinuousClock.now
    // Local: base.clone(as:options: [.ephemeral]). Here: a new instance, placed on a member.
    let instance = client.instance("job\(getpid())-\(number)")
    try await instance.create(from: .image("busybox"), options: LXDCreateOptions(target: member))
    do {
        try await instance.setLimits(jobLimits, when: .fromStart)
        try await instance.start()
        try await instance.write(Array((job.script + "\n").utf8), to: "/job.sh", mode: 0o755, owner: .root)
        try await instance.push(input, to: "/input.txt", owner: .root, mode: 0o644)

        var options = LXDExecOptions()
        options.timeLimit = timeLimit
        options.terminationGrace = .seconds(1)
        let result: String
        let printed: CommandOutput
        do {
            printed = try await instance.output(of: ["sh", "/job.sh"], options: options)
            switch printed.status {
            case .exited(0): result = "ok"
            case .exited(let code): result = "exit \(code)"
            case .signaled(let signal): result = "signal \(signal)"
            }
        } catch let error as LXCError where error.kind == .timedOut {
            printed = error.partialOutput ?? CommandOutput(status: .signaled(SIGKILL), standardOutput: [], standardError: [])
            result = "timed out"
        }
        let location = try await instance.location ?? "-"
        try await instance.stop()
        try await instance.destroy(includingSnapshots: true)
        let text = (printed.standardOutputString + printed.standardErrorString)
            .split(separator: "\n").first.map(String.init) ?? ""
        let elapsed = ContinuousClock.now - started
        return Outcome(job: job.name, member: location, result: result,
                       seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                       output: text)
    } catch {
        try? await instance.stop()
        try? await instance.destroy(includingSnapshots: true)
        throw error
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func main() async throws {
    let arguments = CommandLine.arguments.dropFirst()
    let client = LXDClient(socketPath: arguments.first ?? LXDClient.defaultSocketPath)

    // Local: one host. Here: the members that are online now, taken in turn.
    let members = try await client.clusterMembers().filter { $0.status == "Online" }.map(\.name)
    print("==> cluster members online: \(members.isEmpty ? "none (a standalone daemon)" : members.joined(separator: ", "))")

    let input = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-job-input-\(getpid()).txt").path
    try "one\ntwo\nthree\n".write(toFile: input, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: input) }

    print("==> run \(jobs.count) jobs, \(parallelJobs) at a time, each limited to \(timeLimit)")
    let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
        var next = 0
        var outcomes: [Outcome] = []
        func startNext() {
            let job = jobs[next]
            let number = next
            let member = members.isEmpty ? nil : members[number % members.count]
            next += 1
            group.addTask { try await run(job, number: number, on: member, client: client, input: input) }
        }
        while next < min(parallelJobs, jobs.count) { startNext() }
        while let outcome = try await group.next() {
            print("    \(outcome.job): \(outcome.result) on \(outcome.member)")
            outcomes.append(outcome)
            if next < jobs.count { startNext() }
        }
        return outcomes
    }

    print("==> summary")
    print(pad("JOB", 10) + pad("MEMBER", 8) + pad("RESULT", 11) + pad("TIME", 8) + "OUTPUT")
    for name in jobs.map(\.name) {
        guard let outcome = outcomes.first(where: { $0.job == name }) else { continue }
        print(pad(outcome.job, 10) + pad(outcome.member, 8) + pad(outcome.result, 11)
              + pad(String(format: "%.1f s", outcome.seconds), 8) + outcome.output)
    }
    let succeeded = outcomes.filter { $0.result == "ok" }.count
    let timedOut = outcomes.filter { $0.result == "timed out" }.count
    print("jobs: \(outcomes.count), succeeded: \(succeeded), failed: \(outcomes.count - succeeded - timedOut), timed out: \(timedOut)")
    let left = try await client.instanceNames().filter { $0.hasPrefix("job\(getpid())-") }
    print("job instances left: \(left.count)")
}

do {
    try await main()
} catch {
    FileHandle.standardError.write(Data("cluster-job-runner: \(error)\n".utf8))
    exit(1)
}
