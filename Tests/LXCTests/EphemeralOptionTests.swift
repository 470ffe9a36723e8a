@testable import LXC
import Testing

@Suite("CloneOptions.ephemeral is the library's, not liblxc's")
struct EphemeralOptionTests {
    @Test func theEphemeralBitIsNeverPassedToLiblxc() {
        let options: CloneOptions = [.snapshot, .keepName, .ephemeral]
        #expect(options.liblxcFlags == CloneOptions([.snapshot, .keepName]).rawValue)
        // Clear of every LXC_CLONE_* bit (below LXC_CLONE_MAXFLAGS, 1 << 7).
        #expect(CloneOptions.ephemeral.rawValue & ((1 << 7) - 1) == 0)
        #expect(CloneOptions([.allowRunning]).liblxcFlags == CloneOptions.allowRunning.rawValue)
    }
}
