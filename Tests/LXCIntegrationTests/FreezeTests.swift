import Foundation
import LXC
import Testing

/// liblxc 5.0.2 writes FROZEN once and then only reads the freezer's state: a freeze of a
/// container whose processes fork all the time must still end, every time. (The library's
/// watchdog used to write THAWED to a freezer it found FREEZING and leave it so, and the
/// freeze then waited for ever.) A freeze that hangs fails through the time limit.
@Suite("Freezing a busy container", .integration, .timeLimit(.minutes(10)))
struct FreezeTests {
    @Test func aForkingContainerFreezesAndThaws200Times() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            // Two shells that fork a process each time round, for ever.
            try container.start(useInit: true, arguments: [
                "/bin/sh", "-c", "(while :; do /bin/true; done) & while :; do /bin/true; done",
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
