import Foundation
import LXCCore
import LXD
import Testing

@Suite("Programs on LXD instances: options, input, streams, time limits", .lxd, .lxdDaemon, .serialized,
       .timeLimit(.minutes(5)))
struct LXDExecTests {
    /// Options that take the record-output path of `output(of:options:)` and options that take
    /// the websocket path (empty input given), for the tests that must hold on both.
    static func bothPaths(_ options: LXDExecOptions) -> [LXDExecOptions] {
        var websockets = options
        websockets.standardInput = .bytes([])
        return [options, websockets]
    }

    @Test func theProgramSeesTheEnvironmentUserGroupAndDirectoryGiven() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("options") { instance in
            let options = LXDExecOptions(environment: ["GREETING": "hello there"], user: 1000, group: 1001,
                                         workingDirectory: "/tmp")
            for options in Self.bothPaths(options) {
                let result = try await instance.output(
                    of: ["sh", "-c", "id -u; id -g; pwd; echo \"$GREETING\"; env | grep -c '^GREETING='"],
                    options: options)
                #expect(result.status == .exited(0))
                #expect(result.standardOutputString == "1000\n1001\n/tmp\nhello there\n1\n")
                #expect(result.standardError.isEmpty)
            }
            // Without options: root, in root's home.
            let plain = try await instance.output(of: ["sh", "-c", "id -u; pwd"])
            #expect(plain.standardOutputString == "0\n/root\n")
        }
    }

    @Test func bytesGivenAsInputAreEchoedByCat() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("stdin") { instance in
            let input = Array("hello\nworld\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000)
            let result = try await instance.output(of: ["cat"], options: LXDExecOptions(standardInput: .bytes(input)))
            #expect(result.status == .exited(0))
            #expect(result.standardOutput == input)
            // No input: cat reads end-of-file at once.
            let empty = try await instance.output(of: ["cat"], options: LXDExecOptions(timeLimit: .seconds(60)))
            #expect(empty == CommandOutput(status: .exited(0), standardOutput: [], standardError: []))
        }
    }

    @Test func inputStreamedInChunksReachesTheProgramAsItComes() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("chunks") { instance in
            let (chunks, feed) = AsyncStream<[UInt8]>.makeStream()
            let events = try await instance.streamOutput(
                of: ["cat"], options: LXDExecOptions(standardInput: .chunks(chunks)))
            var iterator = events.makeAsyncIterator()
            feed.yield(Array("one\n".utf8))
            // cat echoes the first chunk while the input is still open.
            #expect(try await iterator.next() == .standardOutput(Array("one\n".utf8)))
            feed.yield(Array("two\n".utf8))
            #expect(try await iterator.next() == .standardOutput(Array("two\n".utf8)))
            feed.finish()
            #expect(try await iterator.next() == .finished(.exited(0)))
            #expect(try await iterator.next() == nil)
        }
    }

    @Test func aChunkArrivesBeforeTheProgramEnds() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("stream") { instance in
            let events = try await instance.streamOutput(
                of: ["sh", "-c", "echo first; while [ ! -e /tmp/go ]; do sleep 1; done; echo second >&2; echo third"])
            var iterator = events.makeAsyncIterator()
            // The program waits for a file that is made only once this chunk was seen.
            #expect(try await iterator.next() == .standardOutput(Array("first\n".utf8)))
            #expect(try await instance.output(of: ["touch", "/tmp/go"]).status == .exited(0))
            var rest: [CommandOutputEvent] = []
            while let event = try await iterator.next() { rest.append(event) }
            #expect(rest.contains(.standardError(Array("second\n".utf8))))
            #expect(rest.contains(.standardOutput(Array("third\n".utf8))))
            #expect(rest.last == .finished(.exited(0)))
        }
    }

    @Test func aTimeLimitStopsTheProgramAndKeepsWhatItPrinted() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("limit") { instance in
            var options = LXDExecOptions(timeLimit: .seconds(1), terminationGrace: .seconds(1))
            let error = await #expect(throws: LXCError.self) {
                _ = try await instance.output(of: ["sh", "-c", "echo started; echo warned >&2; exec sleep 60"],
                                              options: options)
            }
            #expect(error?.kind == .timedOut)
            #expect(error?.container == instance.name)
            #expect(error?.partialOutput?.standardOutputString == "started\n")
            #expect(error?.partialOutput?.standardErrorString == "warned\n")
            #expect(error?.partialOutput?.status == .signaled(SIGTERM))

            // A program that ignores SIGTERM gets SIGKILL after the grace.
            options.terminationGrace = .milliseconds(500)
            let killed = await #expect(throws: LXCError.self) {
                _ = try await instance.output(of: ["sh", "-c", "trap '' TERM; echo ignoring; while true; do sleep 1; done"],
                                              options: options)
            }
            #expect(killed?.kind == .timedOut)
            #expect(killed?.partialOutput?.standardOutputString == "ignoring\n")

            // A child left behind holding the output open (sleep, not exec'd) does not keep the
            // call waiting until it ends.
            let orphaned = await #expect(throws: LXCError.self) {
                _ = try await instance.output(of: ["sh", "-c", "echo parent; sleep 3600; true"], options: options)
            }
            #expect(orphaned?.kind == .timedOut)
            #expect(orphaned?.partialOutput?.standardOutputString == "parent\n")

            // From a stream: the chunks printed before, then the error.
            let events = try await instance.streamOutput(of: ["sh", "-c", "echo started; exec sleep 60"],
                                                         options: LXDExecOptions(timeLimit: .seconds(1)))
            var seen: [CommandOutputEvent] = []
            let streamError = await #expect(throws: LXCError.self) {
                for try await event in events { seen.append(event) }
            }
            #expect(streamError?.kind == .timedOut)
            #expect(seen == [.standardOutput(Array("started\n".utf8))])
        }
    }

    @Test func theWholeOutputOfShortProgramsArrives() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("short") { instance in
            // LXD may send a short program's output with its websocket's 101 answer, or close
            // the websocket before the client finished the upgrade: nothing is lost or waited for.
            //
            // LXD 5.0.2 itself drops such output now and then when its host is busy
            // (canonical/lxd#11890, fixed in LXD 5.14; reproduced here with LXD's own
            // `lxc exec`: 1 of 60 `echo`s came back empty with six busy loops running). A round
            // that comes back empty is run once more, and at most 5 of the 50 may need it.
            var lostOnce: [Int] = []
            for round in 0..<50 {
                let options = LXDExecOptions(standardInput: .bytes([]))
                var result = try await instance.output(of: ["echo", "round \(round)"], options: options)
                if result.standardOutputString.isEmpty && result.status == .exited(0) {
                    lostOnce.append(round)
                    result = try await instance.output(of: ["echo", "round \(round)"], options: options)
                }
                #expect(result.standardOutputString == "round \(round)\n")
                #expect(result.status == .exited(0))
            }
            #expect(lostOnce.count <= 5, "LXD lost the output of rounds \(lostOnce) once")
        }
    }

    @Test func exitStatusesComeBackAsTheyWere() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("status") { instance in
            for options in Self.bothPaths(LXDExecOptions()) {
                let three = try await instance.output(of: ["sh", "-c", "echo out; echo err >&2; exit 3"], options: options)
                #expect(three == CommandOutput(status: .exited(3), standardOutput: Array("out\n".utf8),
                                               standardError: Array("err\n".utf8)))
                #expect(try await instance.output(of: ["false"], options: options).status == .exited(1))
            }
            #expect(try await instance.run(["false"]) == .exited(1))
            #expect(try await instance.run(["true"], options: LXDExecOptions(workingDirectory: "/")) == .exited(0))
            // LXD makes 127 a failed operation: the program was not found.
            let missing = await #expect(throws: LXCError.self) { _ = try await instance.run(["/no/such/program"]) }
            #expect(missing?.kind == .notFound)
        }
    }

    /// Waits until no process of the instance runs `sleep SECONDS` (LXD kills asynchronously);
    /// how many still run at the end.
    func sleepers(_ instance: LXDInstance, _ seconds: Int) async throws -> Int {
        var remaining = -1
        for _ in 0..<100 {
            let ps = try await instance.output(of: ["sh", "-c", "ps | grep -c '[s]leep \(seconds)'"])
            remaining = Int(ps.standardOutputString.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            if remaining == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return remaining
    }

    @Test func cancellingTheTaskThatIteratesAStreamKillsTheProgram() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("cancel") { instance in
            let events = try await instance.streamOutput(of: ["sh", "-c", "echo up; exec sleep 3601"])
            let (started, signalStarted) = AsyncStream<Void>.makeStream()
            let reader = Task {
                for try await event in events where event == .standardOutput(Array("up\n".utf8)) {
                    signalStarted.yield()
                }
            }
            for await _ in started { break }
            reader.cancel()
            _ = await reader.result
            #expect(try await sleepers(instance, 3601) == 0)
        }
    }

    @Test func droppingAStreamEarlyKillsTheProgram() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("drop") { instance in
            do {
                let events = try await instance.streamOutput(of: ["sh", "-c", "echo up; exec sleep 3602"])
                for try await event in events {
                    #expect(event == .standardOutput(Array("up\n".utf8)))
                    break
                }
            }
            #expect(try await sleepers(instance, 3602) == 0)
        }
    }
}
