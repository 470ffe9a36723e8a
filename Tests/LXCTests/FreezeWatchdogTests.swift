@testable import LXC
import Testing

/// What the freeze watchdog writes to a cgroup v1 `freezer.state`, against a model of liblxc
/// 5.0.2's `do_freeze_thaw` (it writes FROZEN once, then only reads until it reads FROZEN)
/// and of a freezer that stays FREEZING until FROZEN is written again. The watchdog used to
/// write THAWED and leave it so: liblxc then read THAWED for ever.
struct FreezeWatchdogTests {
    @Test func frozenAndThawedAreLeftAlone() {
        var looks = 3
        #expect(FreezeWatchdog.writes(after: "FROZEN\n", freezingLooks: &looks).isEmpty)
        #expect(looks == 0)
        #expect(FreezeWatchdog.writes(after: "THAWED\n", freezingLooks: &looks).isEmpty)
    }

    @Test func everyWriteAfterFreezingEndsWithFrozen() {
        var looks = 0
        for look in 1...40 {
            let writes = FreezeWatchdog.writes(after: "FREEZING\n", freezingLooks: &looks)
            #expect(writes.last == "FROZEN", "look \(look): \(writes)")
            if look % FreezeWatchdog.looksBeforeThawing == 0 {
                #expect(writes == ["THAWED", "FROZEN"], "look \(look)")
            } else {
                #expect(writes == ["FROZEN"], "look \(look)")
            }
        }
    }

    /// liblxc's loop with the watchdog beside it ends, for freezers that need one to several
    /// more writes of FROZEN, or a thaw first.
    @Test(arguments: [(1, false), (3, false), (10, false), (1, true)])
    func liblxcsPollEndsWithTheWatchdog(retriesNeeded: Int, needsAThaw: Bool) {
        var freezer = "FREEZING"  // liblxc wrote FROZEN once; the kernel did not finish
        var frozenWrites = 0
        var thawed = false
        var looks = 0
        var ended = false
        for _ in 0..<100 {
            // liblxc reads; it never writes again.
            if freezer == "FROZEN" {
                ended = true
                break
            }
            for value in FreezeWatchdog.writes(after: freezer, freezingLooks: &looks) {
                if value == "THAWED" {
                    freezer = "THAWED"
                    thawed = true
                } else {
                    frozenWrites += 1
                    freezer = frozenWrites >= retriesNeeded && (!needsAThaw || thawed) ? "FROZEN" : "FREEZING"
                }
            }
        }
        #expect(ended, "liblxc would still be reading \(freezer)")
    }
}
