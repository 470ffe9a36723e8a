import Foundation
import LXC
import Testing

/// liblxc 5.0.2 writes FROZEN once and then only reads the freezer's state: a freeze of a
/// container whose processes fork all the time must still end, every time. (The library's
/// watchdog used to write THAWED to a freezer it found FREEZING and leave it so, and the
/// freeze then waited for ever.) A freeze that hangs fails through the time limit.
@Suite("Freezing a busy container", .integration, .timeLimit(.minutes(10)))
struct FreezeTests {
    @Test func aForkingContainerFreezesAndThaws200Times() async throws {
        try await Sandbox.withBlockingOffPool { sandbox in
            let container = try sandbox.busybox()
            // Two shells that fork a process each time round, for ever: hundreds of forks a
            // second, each loop resting a millisecond a round so that the rest of the suite,
            // which runs beside it on two cores, is not starved.
            try container.start(useInit: true, arguments: [
                "/bin/sh", "-c", "(while :; do /bin/true; usleep 1000; done) & while :; do /bin/true; usleep 1000; done",
            ])
            #expect(container.state == .running)
            for round in 0..<200 {
                do {
                    try container.freeze()
                } catch {
                    Issue.record("freeze, round \(round): \(error)")
                    return
                }
                try #require(container.state == .frozen, "round \(round)")
                try container.unfreeze()
                try #require(container.state == .running, "round \(round)")
            }
            try container.stop()
        }
    }
}
