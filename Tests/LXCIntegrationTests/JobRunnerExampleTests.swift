import Foundation
import LXC
import Testing

/// The job runner example (Examples/JobRunner), run as a user would run it.
@Suite("The job runner example on real busybox containers", .integration, .timeLimit(.minutes(3)))
struct JobRunnerExampleTests {
    @Test(.privilegedOnly("the example sets memory, CPU and process limits through lxc.cgroup.* items, which an ordinary user's containers may not set on a cgroup v1 host"))
    func theJobRunnerRunsItsJobsAndPrintsTheSummary() async throws {
        let path = try #require(LXCCtlRunner.builtProduct("job-runner"),
                                "job-runner was not built next to the tests (run `swift build --build-tests`)")
        try await Sandbox.with { sandbox in
            let result = try await LXCCtlRunner.result(ofProgram: path, [sandbox.lxcpath])
            #expect(result.status == 0, "\(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n").map(String.init)
            func row(_ job: String) -> [String] {
                lines.first { $0.hasPrefix(job + " ") }?.split(separator: " ").map(String.init) ?? []
            }
            // JOB RESULT TIME MEMORY PIDS OUTPUT, with "timed out" and "64 MiB" two words each.
            #expect(row("hello").starts(with: ["hello", "ok"]))
            #expect(row("hello").contains("from"))
            #expect(row("input").last == "3", "the pushed input file has three lines")
            #expect(row("count").suffix(3) == ["counted", "to", "20000"])
            #expect(row("fails").starts(with: ["fails", "exit", "3"]))
            #expect(row("fails").suffix(3) == ["something", "went", "wrong"])
            #expect(row("slow").starts(with: ["slow", "timed", "out"]))
            #expect(row("slow").last == "started", "the output so far is kept")
            #expect(row("checksum").starts(with: ["checksum", "ok"]))
            // The limits held inside every job container from its start.
            for job in ["hello", "input", "count", "fails", "slow", "checksum"] {
                #expect(row(job).contains("MiB") && row(job).contains("64"), "\(job): \(row(job))")
            }
            #expect(lines.contains("jobs: 6, succeeded: 4, failed: 1, timed out: 1"))
            #expect(lines.contains("job containers left: 0"))
            // The ephemeral copies are gone, the base is destroyed at the end.
            #expect(try Container.names(.all, in: sandbox.lxcpath).isEmpty)
        }
    }
}
