@testable import LXC
import Glibc
import Synchronization
import Testing

/// Counts abandoned calls are global to the process, so these tests run one after another.
@Suite("Deadlines and cancellation of blocking calls", .serialized)
struct DeadlineTests {
    final class Gate: Sendable {
        let open = Atomic<Bool>(false)
        func wait() { while !isOpen { usleep(1_000) } }
        var isOpen: Bool { open.load(ordering: .acquiring) }
    }

    func waitUntilNoCallIsBlocked() async throws {
        for _ in 0..<2_000 where LXC.blockedCallCount != 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func theDeadlineEndsTheWaitAndTheCallIsAccountedFor() async throws {
        let gate = Gate()
        let error = await #expect(throws: LXCError.self) {
            try await LXC.withTimeout(.milliseconds(100)) {
                try await BlockingExecutor.shared.run(operation: "wait", container: "web") { gate.wait() }
            }
        }
        #expect(error?.kind == .timedOut)
        #expect(error?.operation == "wait")
        #expect(error?.container == "web")
        #expect(LXC.blockedCallCount >= 1)
        gate.open.store(true, ordering: .releasing)
        try await waitUntilNoCallIsBlocked()
        #expect(LXC.blockedCallCount == 0)
    }

    @Test func cancellationEndsTheWait() async throws {
        let gate = Gate()
        let task = Task {
            try await BlockingExecutor.shared.run(operation: "start", container: "web") { gate.wait() }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        gate.open.store(true, ordering: .releasing)
        try await waitUntilNoCallIsBlocked()
        #expect(LXC.blockedCallCount == 0)
    }

    @Test func aPassedDeadlineDoesNotStartTheCall() async throws {
        let ran = Gate()
        let error = await #expect(throws: LXCError.self) {
            try await LXC.withDeadline(.now - .seconds(1)) {
                try await BlockingExecutor.shared.run(operation: "stop", container: nil) { ran.open.store(true, ordering: .relaxed) }
            }
        }
        #expect(error?.kind == .timedOut)
        try await Task.sleep(for: .milliseconds(50))
        #expect(!ran.isOpen)
    }

    @Test func callsThatFinishInTimeReturnTheirValue() async throws {
        let value = try await LXC.withTimeout(.seconds(30)) {
            try await BlockingExecutor.shared.run(operation: "x", container: nil) { 7 }
        }
        #expect(value == 7)
        #expect(LXC.blockedCallCount == 0)
    }

    @Test func theSoonerOfNestedDeadlinesWins() async throws {
        let gate = Gate()
        defer { gate.open.store(true, ordering: .releasing) }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: LXCError.self) {
            try await LXC.withTimeout(.milliseconds(100)) {
                try await LXC.withTimeout(.seconds(60)) {
                    try await BlockingExecutor.shared.run(operation: "wait", container: nil) { gate.wait() }
                }
            }
        }
        #expect(clock.now - start < .seconds(30))
        gate.open.store(true, ordering: .releasing)
        try await waitUntilNoCallIsBlocked()
    }
}
