@testable import LXC
import Testing

@Suite("Backing store names and the liblxc version")
struct NamesAndVersionTests {
    @Test func backingStoreNamesAreLiblxcs() {
        #expect(BackingStore.directory.liblxcName == "dir")
        #expect(BackingStore.bestAvailable.liblxcName == "best")
        #expect(BackingStore(liblxcName: "overlayfs") == .overlay)
        #expect(BackingStore(liblxcName: "zfs") == .zfs)
        #expect(BackingStore(liblxcName: "floppy") == nil)
    }

    @Test func liblxcVersionMatchesTheHeaderItWasBuiltAgainst() {
        #expect(LXC.version.hasPrefix("\(LXC_VERSION_MAJOR).\(LXC_VERSION_MINOR)"))
    }
}

import CLXC
