@testable import LXC
import Glibc
import Testing

/// The spare attach handles follow the config file's bytes.
@Suite("Spare attach handles")
struct SpareAttachHandlesTests {
    @Test func sparesFollowTheBytes() throws {
        // A rewrite with the same bytes keeps the spares; an edit of the same size drops them.
        var template = Array("/tmp/swift-lxc-spares.XXXXXX".utf8CString)
        let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
        defer { _ = system("rm -rf '\(directory)'") }
        let path = directory + "/config"
        func write(_ text: String) throws {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            try #require(fd >= 0)
            defer { close(fd) }
            try #require(Glibc.write(fd, text, text.utf8.count) == text.utf8.count)
        }
        try write("lxc.uts.name = a\n")
        let first = try #require(SpareAttachHandles.configFile(at: path))
        var spares = SpareAttachHandles()
        let handle = try Container.newHandle(name: "spares-test", lxcpath: directory, operation: "test")
        #expect(spares.keep(handle, from: first).isEmpty)

        try write("lxc.uts.name = a\n")
        let rewritten = try #require(SpareAttachHandles.configFile(at: path))
        let (taken, discarded) = spares.take(for: rewritten)
        #expect(taken === handle)
        #expect(discarded.isEmpty)
        #expect(spares.keep(handle, from: rewritten).isEmpty)

        try write("lxc.uts.name = b\n")
        let edited = try #require(SpareAttachHandles.configFile(at: path))
        let (none, dropped) = spares.take(for: edited)
        #expect(none == nil)
        #expect(dropped.count == 1)

        unlink(path)
        #expect(SpareAttachHandles.configFile(at: path) == nil)
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
