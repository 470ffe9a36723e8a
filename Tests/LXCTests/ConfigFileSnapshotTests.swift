@testable import LXC
import Glibc
import Testing

/// The look at a config file that decides whether a spare attach handle is still current.
@Suite("Config file snapshots")
struct ConfigFileSnapshotTests {
    /// A file of its own in a fresh directory, removed afterwards.
    final class ScratchFile {
        let directory: String
        let path: String

        init(_ text: String) throws {
            var template = Array("/tmp/swift-lxc-snapshot.XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw Failure("mkdtemp: \(errnoDescription(errno))") }
            directory = String(cString: made)
            path = directory + "/config"
            try write(text)
        }

        deinit { _ = system("rm -rf '\(directory)'") }

        func write(_ text: String, to target: String? = nil) throws {
            let fd = open(target ?? path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw Failure("open: \(errnoDescription(errno))") }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw Failure("write failed") }
        }

        /// Writes `text` to a new file and renames it over the old one.
        func replace(with text: String) throws {
            try write(text, to: path + ".new")
            guard rename(path + ".new", path) == 0 else { throw Failure("rename: \(errnoDescription(errno))") }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Long enough for any file system's timestamps here, short enough for a unit test.
    static let settle = Duration.milliseconds(50)

    func waitPastTheSettleTime() {
        usleep(120_000)
    }

    @Test func aFileThatChangedJustBeforeTheLookIsReadAgain() throws {
        let file = try ScratchFile("lxc.uts.name = a\n")
        let first = try #require(ConfigFileSnapshot.current(at: file.path, kept: nil, settleTime: .seconds(3600)))
        #expect(!first.settled)
        let second = try #require(ConfigFileSnapshot.current(at: file.path, kept: first, settleTime: .seconds(3600)))
        #expect(second !== first, "an unsettled look must not stand for the file")
        #expect(second.holdsTheSameBytes(as: first))
    }

    @Test func aSettledFileWhoseStatusIsUnchangedIsNotReadAgain() throws {
        let file = try ScratchFile("lxc.uts.name = a\n")
        waitPastTheSettleTime()
        let first = try #require(ConfigFileSnapshot.current(at: file.path, kept: nil, settleTime: Self.settle))
        #expect(first.settled)
        let second = try #require(ConfigFileSnapshot.current(at: file.path, kept: first, settleTime: Self.settle))
        #expect(second === first)
    }

    @Test func anEditOfTheSameSizeAfterASettledLookIsSeen() throws {
        let file = try ScratchFile("lxc.uts.name = a\n")
        waitPastTheSettleTime()
        let first = try #require(ConfigFileSnapshot.current(at: file.path, kept: nil, settleTime: Self.settle))
        #expect(first.settled)
        try file.write("lxc.uts.name = b\n")
        let second = try #require(ConfigFileSnapshot.current(at: file.path, kept: first, settleTime: Self.settle))
        #expect(second !== first)
        #expect(!second.holdsTheSameBytes(as: first))
        #expect(second.bytes == Array("lxc.uts.name = b\n".utf8))
    }

    @Test func anEditRightAfterAnUnsettledLookIsSeen() throws {
        // Written, looked at and written again within one clock tick: the times may all be
        // the same, and only the bytes tell.
        let file = try ScratchFile("lxc.uts.name = a\n")
        let first = try #require(ConfigFileSnapshot.current(at: file.path, kept: nil, settleTime: .seconds(3600)))
        try file.write("lxc.uts.name = b\n")
        let second = try #require(ConfigFileSnapshot.current(at: file.path, kept: first, settleTime: .seconds(3600)))
        #expect(!second.holdsTheSameBytes(as: first))
    }

    @Test func aFileRenamedIntoPlaceIsSeen() throws {
        let file = try ScratchFile("lxc.uts.name = a\n")
        waitPastTheSettleTime()
        let first = try #require(ConfigFileSnapshot.current(at: file.path, kept: nil, settleTime: Self.settle))
        try file.replace(with: "lxc.uts.name = c\n")
        let second = try #require(ConfigFileSnapshot.current(at: file.path, kept: first, settleTime: Self.settle))
        #expect(second.bytes == Array("lxc.uts.name = c\n".utf8))
    }

    @Test func aMissingFileHasNoSnapshot() throws {
        let file = try ScratchFile("lxc.uts.name = a\n")
        let first = try #require(ConfigFileSnapshot.current(at: file.path, kept: nil))
        unlink(file.path)
        #expect(ConfigFileSnapshot.current(at: file.path, kept: first) == nil)
    }

    @Test func sparesFollowTheBytesNotTheLook() throws {
        // A touch changes the status, not the bytes: the spares stay; an edit drops them.
        let file = try ScratchFile("lxc.uts.name = a\n")
        let first = try #require(ConfigFileSnapshot.current(at: file.path, kept: nil))
        var spares = SpareAttachHandles()
        let handle = try Container.newHandle(name: "snapshot-test", lxcpath: file.directory, operation: "test")
        #expect(spares.keep(handle, from: first).isEmpty)
        try file.write("lxc.uts.name = a\n")
        let touched = try #require(ConfigFileSnapshot.current(at: file.path, kept: first))
        let (taken, discarded) = spares.take(for: touched)
        #expect(taken === handle)
        #expect(discarded.isEmpty)
        #expect(spares.keep(handle, from: touched).isEmpty)
        #expect(spares.file === touched)
        try file.write("lxc.uts.name = b\n")
        let edited = try #require(ConfigFileSnapshot.current(at: file.path, kept: touched))
        let (none, dropped) = spares.take(for: edited)
        #expect(none == nil)
        #expect(dropped.count == 1)
    }
}

/// The binding of the attached child's libc calls leaves the process as it was.
@Suite("Attach child calls")
struct AttachChildCallTests {
    @Test func bindingChangesNeitherErrnoNorSignals() {
        var maskBefore = sigset_t(), maskAfter = sigset_t()
        var pipeBefore = sigaction(), pipeAfter = sigaction()
        pthread_sigmask(SIG_BLOCK, nil, &maskBefore)
        sigaction(SIGPIPE, nil, &pipeBefore)
        errno = EXDEV
        bindAttachChildCalls()
        #expect(errno == EXDEV)
        pthread_sigmask(SIG_BLOCK, nil, &maskAfter)
        sigaction(SIGPIPE, nil, &pipeAfter)
        for signal in 1..<32 {
            #expect(sigismember(&maskBefore, Int32(signal)) == sigismember(&maskAfter, Int32(signal)), "signal \(signal)")
        }
        #expect(unsafeBitCast(pipeBefore.__sigaction_handler, to: Int.self) == unsafeBitCast(pipeAfter.__sigaction_handler, to: Int.self))
    }
}
