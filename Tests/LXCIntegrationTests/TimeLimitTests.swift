import Foundation
import LXC
import Testing

/// Time limits of attached programs: `AttachOptions.timeLimit` and the deadline of
/// `LXC.withTimeout` stop the program and everything it started, and the call throws
/// `.timedOut` with the output so far.
@Suite("Time limits that stop programs in real busybox containers", .integration, .timeLimit(.minutes(3)))
struct TimeLimitTests {
    /// A sleep no other test runs, to look for inside the container afterwards.
    static let sleeper = "sleep 37"

    func running(_ sandbox: Sandbox) async throws -> Container {
        let container: Container = try await sandbox.busybox()
        try await container.start()
        return container
    }

    /// The lines of `ps` inside the container that show `sleeper`, once those killed a moment
    /// ago have gone (up to 10 s for the container's init to reap them).
    func leftovers(in container: Container) async throws -> [String] {
        var lines: [String] = []
        for _ in 0..<100 {
            let ps = try await container.output(of: ["ps"], input: [])
            lines = ps.standardOutputString.split(separator: "\n").map(String.init).filter { $0.contains(Self.sleeper) }
            if lines.isEmpty { return [] }
            try await Task.sleep(for: .milliseconds(100))
        }
        return lines
    }

    func limited(_ limit: Duration, grace: Duration = .seconds(2)) -> AttachOptions {
        var options = AttachOptions()
        options.timeLimit = limit
        options.terminationGrace = grace
        return options
    }

    @Test func outputPastItsLimitThrowsTimedOutWithWhatItPrintedAndLeavesNothingRunning() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            let error = try await #require(throws: LXCError.self) {
                _ = try await container.output(of: ["sh", "-c", "echo started; \(Self.sleeper)"],
                                               options: limited(.seconds(1)), input: [])
            }
            #expect(error.kind == .timedOut)
            let partial = try #require(error.partialOutput)
            #expect(partial.standardOutputString == "started\n")
            #expect(partial.status == .signaled(SIGTERM))
            #expect(try await leftovers(in: container).isEmpty)
        }
    }

    @Test func theBlockingRunStopsGrandchildrenToo() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let error = try #require(throws: LXCError.self) {
                _ = try container.run(["sh", "-c", "\(Self.sleeper) & \(Self.sleeper)"], options: limited(.seconds(1)))
            }
            #expect(error.kind == .timedOut)
            #expect(error.partialOutput == nil)
            var left: [String] = ["not looked"]
            for _ in 0..<100 {
                left = try container.output(of: ["ps"], input: []).standardOutputString
                    .split(separator: "\n").map(String.init).filter { $0.contains(Self.sleeper) }
                if left.isEmpty { break }
                usleep(100_000)
            }
            #expect(left.isEmpty)
        }
    }

    @Test func aProgramThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            let error = try await #require(throws: LXCError.self) {
                _ = try await container.output(of: ["sh", "-c", "trap '' TERM; echo started; \(Self.sleeper) & \(Self.sleeper)"],
                                               options: limited(.seconds(1), grace: .seconds(1)), input: [])
            }
            #expect(error.kind == .timedOut)
            #expect(error.partialOutput?.standardOutputString == "started\n")
            #expect(error.partialOutput?.status == .signaled(SIGKILL))
            #expect(try await leftovers(in: container).isEmpty)
        }
    }

    @Test func withTimeoutStopsTheProgramAndKeepsItsOutput() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            let error = try await #require(throws: LXCError.self) {
                try await LXC.withTimeout(.seconds(1)) {
                    _ = try await container.output(of: ["sh", "-c", "echo started; \(Self.sleeper) & \(Self.sleeper)"], input: [])
                }
            }
            #expect(error.kind == .timedOut)
            #expect(error.partialOutput?.standardOutputString == "started\n")
            // The call waited for the program's end (not abandoned to a thread of its own).
            #expect(error.partialOutput?.status == .signaled(SIGTERM))
            #expect(try await leftovers(in: container).isEmpty)
        }
    }

    @Test func aStreamDeliversTheOutputThenThrowsTimedOut() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            var printed: [UInt8] = []
            var finished = false
            let error = try await #require(throws: LXCError.self) {
                let stream = try await container.streamOutput(of: ["sh", "-c", "echo started; \(Self.sleeper) & \(Self.sleeper)"],
                                                              options: limited(.seconds(1)), input: [])
                for try await event in stream {
                    switch event {
                    case .standardOutput(let bytes): printed += bytes
                    case .standardError: break
                    case .finished: finished = true
                    }
                }
            }
            #expect(error.kind == .timedOut)
            #expect(String(decoding: printed, as: UTF8.self) == "started\n")
            #expect(!finished)
            #expect(try await leftovers(in: container).isEmpty)
        }
    }

    @Test func aSpawnedProcessPastItsLimitIsStoppedAndItsWaitThrowsTimedOut() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            let process = try await container.spawn(["sh", "-c", "\(Self.sleeper) & \(Self.sleeper)"], options: limited(.seconds(1)))
            let error = try await #require(throws: LXCError.self) { _ = try await process.wait() }
            #expect(error.kind == .timedOut)
            #expect(try await leftovers(in: container).isEmpty)
        }
    }

    @Test func aSpawnInsideWithTimeoutIsStoppedAtTheDeadline() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            let process = try await LXC.withTimeout(.seconds(1)) {
                try await container.spawn(["sh", "-c", "\(Self.sleeper) & \(Self.sleeper)"])
            }
            let error = try await #require(throws: LXCError.self) { _ = try await process.wait() }
            #expect(error.kind == .timedOut)
            #expect(try await leftovers(in: container).isEmpty)
        }
    }

    /// A limit of zero stops the program at once, even before it got to its own session.
    @Test func aZeroLimitStopsTheProgramAtOnce() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            for _ in 0..<5 {
                let error = try await #require(throws: LXCError.self) {
                    _ = try await container.output(of: ["sh", "-c", "\(Self.sleeper) & \(Self.sleeper)"],
                                                   options: limited(.zero, grace: .zero), input: [])
                }
                #expect(error.kind == .timedOut)
                #expect(error.partialOutput?.status == .signaled(SIGKILL))
            }
            #expect(try await leftovers(in: container).isEmpty)
        }
    }

    /// The check the tests above rely on: `ps` inside shows a sleeper that runs.
    @Test func theLeftoverCheckSeesARunningSleeper() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            let process = try await container.spawn(["sh", "-c", Self.sleeper])
            var seen = false
            for _ in 0..<100 where !seen {
                let ps = try await container.output(of: ["ps"], input: []).standardOutputString
                seen = ps.contains(Self.sleeper)
                if !seen { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(seen)
            process.signal(SIGKILL)
            #expect(try await process.wait() == .signaled(SIGKILL))
        }
    }

    @Test func aProgramWithinItsLimitIsUntouched() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            let result = try await container.output(of: ["sh", "-c", "echo fine; exit 3"], options: limited(.seconds(60)), input: [])
            #expect(result.standardOutputString == "fine\n")
            #expect(result.status == .exited(3))
        }
    }

    @Test func aNegativeLimitIsRefused() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let error = try #require(throws: LXCError.self) {
                _ = try container.run(["true"], options: limited(.seconds(-1)))
            }
            #expect(error.kind == .invalidArgument)
        }
    }

    /// `withTimeout` takes the caller's isolation: a closure that uses main-actor state
    /// compiles and runs.
    @MainActor
    static func outputOnTheMainActor(_ container: Container) async throws -> [String] {
        var lines: [String] = []
        try await LXC.withTimeout(.seconds(60)) {
            let result = try await container.output(of: ["echo", "from the main actor"], input: [])
            lines.append(result.standardOutputString)
        }
        return lines
    }

    @Test func withTimeoutWorksFromTheMainActor() async throws {
        try await Sandbox.with { sandbox in
            let container = try await running(sandbox)
            #expect(try await Self.outputOnTheMainActor(container) == ["from the main actor\n"])
        }
    }
}
