import Foundation
import LXC
import Testing

/// Throwaway clones (`lxc.ephemeral = 1`): liblxc destroys them when they stop.
@Suite("Ephemeral clones of real busybox containers", .integration, .timeLimit(.minutes(3)))
struct EphemeralCloneTests {
    /// Waits until liblxc's monitor has removed the stopped clone's directory: it does that
    /// after the container reports STOPPED, so a little after `stop` returns. Up to 30 s.
    func waitUntilGone(_ directory: String) {
        for _ in 0..<300 where FileManager.default.fileExists(atPath: directory) {
            usleep(100_000)
        }
    }

    @Test func anEphemeralOverlayCloneIsGoneAfterStopAndTheBaseIsUntouched() throws {
        try Sandbox.withBlocking { sandbox in
            try #require(BackingStore.overlay.isAvailable(in: sandbox.lxcpath))
            let base = try sandbox.busybox()
            try base.writeRootfsFile("/marker", "from the base")
            let baseConfig = try String(contentsOfFile: try #require(base.configFileName), encoding: .utf8)

            let job = try base.clone(as: sandbox.uniqueName("job"), options: [.snapshot, .ephemeral], backingStore: .overlay)
            #expect(job.isEphemeral)
            #expect(job.backingStore == .overlay)
            let saved = try String(contentsOfFile: try #require(job.configFileName), encoding: .utf8)
            #expect(saved.contains("lxc.ephemeral = 1"))
            #expect(!base.isEphemeral)

            try job.start()
            #expect(try job.output(of: ["sh", "-c", "cat /marker; echo changed > /marker"]).standardOutputString == "from the base")
            try job.stop()
            let directory = "\(sandbox.lxcpath)/\(job.name)"
            waitUntilGone(directory)
            #expect(!FileManager.default.fileExists(atPath: directory))
            #expect(!job.isDefined)
            #expect(try Container.names(.all, in: sandbox.lxcpath) == [base.name])

            // The base: as it was, and no longer pinned by the clone.
            #expect(base.isDefined)
            #expect(base.readRootfsFile("/marker") == "from the base")
            #expect(try String(contentsOfFile: try #require(base.configFileName), encoding: .utf8) == baseConfig)
            try base.destroy()
            #expect(!base.isDefined)
        }
    }

    @Test func anOrdinaryCloneStaysAfterStop() throws {
        try Sandbox.withBlocking { sandbox in
            let base = try sandbox.busybox()
            let copy = try base.clone(as: sandbox.uniqueName("copy"))
            #expect(!copy.isEphemeral)
            try copy.start()
            try copy.stop()
            #expect(copy.isDefined)
        }
    }
}
