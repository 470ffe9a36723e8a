@testable import LXC
import Glibc
import Synchronization
import Testing

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

@Suite("The blocking executor")
struct BlockingExecutorTests {
    /// Each job blocks until all of them have started: this completes only if every job
    /// gets a thread of its own, however many more jobs there are than cores.
    @Test func everyJobGetsItsOwnThread() async throws {
        let jobs = 64
        let started = Counter()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<jobs {
                group.addTask {
                    try await BlockingExecutor.shared.run {
                        started.value.add(1, ordering: .relaxed)
                        var spins = 0
                        while started.value.load(ordering: .relaxed) < jobs && spins < 10_000 {
                            usleep(1_000)
                            spins += 1
                        }
                        return started.value.load(ordering: .relaxed) == jobs
                    }
                }
            }
            var all = 0
            for try await ok in group where ok { all += 1 }
            #expect(all == jobs)
        }
    }

    @Test func errorsAndValuesComeBack() async throws {
        struct Boom: Error {}
        let value = try await BlockingExecutor.shared.run { 42 }
        #expect(value == 42)
        await #expect(throws: Boom.self) { try await BlockingExecutor.shared.run { throw Boom() } }
    }

    @Test func jobsDoNotRunOnTheCallersThread() async throws {
        let caller = pthread_self()
        let other = try await BlockingExecutor.shared.run { pthread_self() }
        #expect(pthread_equal(caller, other) == 0)
    }
}
