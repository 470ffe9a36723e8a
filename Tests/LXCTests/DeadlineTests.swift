@testable import LXC
import Glibc
import Synchronization
import Testing

/// Each test counts abandoned calls on an executor of its own: the library's shared executor
/// is used by the integration tests running at the same time in this process.
@Suite("Deadlines and cancellation of blocking calls")
struct DeadlineTests {
    final class Gate: Sendable {
        let open = Atomic<Bool>(false)
        func wait() { while !isOpen { usleep(10_000) } }
        var isOpen: Bool { open.load(ordering: .acquiring) }
    }

    let executor = BlockingExecutor()

    var blockedCallCount: Int { executor.abandoned.count.load(ordering: .relaxed) }

    func waitUntilNoCallIsBlocked() async throws {
        for _ in 0..<2_000 where blockedCallCount != 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func theDeadlineEndsTheWaitAndTheCallIsAccountedFor() async throws {
        let gate = Gate()
        let error = await #expect(throws: LXCError.self) {
            try await LXC.withTimeout(.milliseconds(100)) {
                try await executor.run(operation: "wait", container: "web") { gate.wait() }
            }
        }
        #expect(error?.kind == .timedOut)
        #expect(error?.operation == "wait")
        #expect(error?.container == "web")
        #expect(blockedCallCount == 1)
        gate.open.store(true, ordering: .releasing)
        try await waitUntilNoCallIsBlocked()
        #expect(blockedCallCount == 0)
    }

    /// The public count is the shared executor's: a call abandoned there is counted until it ends.
    @Test func thePublicCountIncludesAnAbandonedCallUntilItEnds() async throws {
        let gate = Gate()
        defer { gate.open.store(true, ordering: .releasing) }
        await #expect(throws: LXCError.self) {
            try await LXC.withTimeout(.milliseconds(50)) {
                try await BlockingExecutor.shared.run(operation: "wait", container: nil) { gate.wait() }
            }
        }
        #expect(LXC.blockedCallCount >= 1)
    }

    /// Calls stuck behind a wedged container must not pile up threads without end.
    @Test func pastTheLimitNewCallsAreRefusedAtOnce() async throws {
        let gate = Gate()
        defer { gate.open.store(true, ordering: .releasing) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<AbandonedCalls.limit {
                group.addTask {
                    _ = try? await LXC.withTimeout(.milliseconds(100)) {
                        try await executor.run(operation: "wait", container: "stuck") { gate.wait() }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(blockedCallCount == AbandonedCalls.limit)
        let refused = await #expect(throws: LXCError.self) {
            try await executor.run(operation: "state", container: "next") { 1 }
        }
        #expect(refused?.kind == .timedOut)
        #expect(refused?.code == EAGAIN)
        #expect(refused?.container == "next")
        gate.open.store(true, ordering: .releasing)
        try await waitUntilNoCallIsBlocked()
        #expect(blockedCallCount == 0)
        let value = try await executor.run(operation: "state", container: "next") { 2 }
        #expect(value == 2)
    }

    @Test func cancellationEndsTheWait() async throws {
        let gate = Gate()
        let task = Task {
            try await executor.run(operation: "start", container: "web") { gate.wait() }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        gate.open.store(true, ordering: .releasing)
        try await waitUntilNoCallIsBlocked()
        #expect(blockedCallCount == 0)
    }

    @Test func aPassedDeadlineDoesNotStartTheCall() async throws {
        let ran = Gate()
        let error = await #expect(throws: LXCError.self) {
            try await LXC.withDeadline(.now - .seconds(1)) {
                try await executor.run(operation: "stop", container: nil) { ran.open.store(true, ordering: .relaxed) }
            }
        }
        #expect(error?.kind == .timedOut)
        try await Task.sleep(for: .milliseconds(50))
        #expect(!ran.isOpen)
    }

    @Test func callsThatFinishInTimeReturnTheirValue() async throws {
        let value = try await LXC.withTimeout(.seconds(30)) {
            try await executor.run(operation: "x", container: nil) { 7 }
        }
        #expect(value == 7)
        #expect(blockedCallCount == 0)
    }

    /// Not a timing test: the cooperative pool of a 2-core machine is busy with the whole
    /// suite, so when the timer's wake-up runs is not this test's to say. What is checked is
    /// which deadline applies inside, and that the call gives up while it is still blocked.
    @Test func theSoonerOfNestedDeadlinesWins() async throws {
        let soon = ContinuousClock.now + .milliseconds(100)
        let late = ContinuousClock.now + .seconds(600)
        await LXC.withDeadline(soon) {
            await LXC.withDeadline(late) { #expect(Deadline.current == soon) }
        }
        await LXC.withDeadline(late) {
            await LXC.withDeadline(soon) { #expect(Deadline.current == soon) }
        }
        #expect(Deadline.current == nil)

        let gate = Gate()
        defer { gate.open.store(true, ordering: .releasing) }
        let error = await #expect(throws: LXCError.self) {
            try await LXC.withDeadline(soon) {
                try await LXC.withDeadline(late) {
                    try await executor.run(operation: "wait", container: nil) { gate.wait() }
                }
            }
        }
        #expect(error?.kind == .timedOut)
        gate.open.store(true, ordering: .releasing)
        try await waitUntilNoCallIsBlocked()
    }
}

/// How a program's time limit is chosen from the options and the task's deadline.
@Suite("Time limits of attached programs")
struct AttachTimeLimitTests {
    @Test func noLimitAndNoDeadlineMeansNoTimer() {
        #expect(AttachTimeLimit(options: AttachOptions(), taskDeadline: nil) == nil)
    }

    @Test func theSoonerOfTheLimitAndTheDeadlineApplies() throws {
        let start = ContinuousClock.now
        var options = AttachOptions()
        options.timeLimit = .seconds(5)
        let near = try #require(AttachTimeLimit(options: options, taskDeadline: start + .seconds(1)))
        #expect(near.deadline(startedAt: start) == start + .seconds(1))
        #expect(near.describe(startedAt: start).contains("deadline"))
        let far = try #require(AttachTimeLimit(options: options, taskDeadline: start + .seconds(60)))
        #expect(far.deadline(startedAt: start) == start + .seconds(5))
        #expect(far.describe(startedAt: start) == "its time limit of 5 s")
        let alone = try #require(AttachTimeLimit(options: options, taskDeadline: nil))
        #expect(alone.deadline(startedAt: start) == start + .seconds(5))
        #expect(alone.grace == .seconds(2))
    }

    @Test(arguments: [(Duration.seconds(3), "3 s"), (.milliseconds(250), "250 ms"), (.milliseconds(1500), "1.500 s")])
    func durationsAreWrittenForPeople(duration: Duration, text: String) {
        #expect(formatDuration(duration) == text)
    }

    @Test func negativeLimitsAreRefused() {
        var options = AttachOptions()
        options.timeLimit = .seconds(-1)
        #expect(throws: LXCError.self) { try options.validate(operation: "run", container: "web") }
        options.timeLimit = nil
        options.terminationGrace = .milliseconds(-1)
        #expect(throws: LXCError.self) { try options.validate(operation: "run", container: "web") }
    }
}
