import Glibc
import LXCCore
import Testing

@Suite("Exit statuses and captured output")
struct OutputTests {
    @Test func exitStatusDecodesWaitStatuses() {
        #expect(LXCCore.ExitStatus(waitStatus: 0) == .exited(0))
        #expect(LXCCore.ExitStatus(waitStatus: 7 << 8) == .exited(7))
        #expect(LXCCore.ExitStatus(waitStatus: 255 << 8) == .exited(255))
        #expect(LXCCore.ExitStatus(waitStatus: 9) == .signaled(9))
        #expect(LXCCore.ExitStatus(waitStatus: 0x80 | 11) == .signaled(11), "a core dump is still a signal death")
        #expect(LXCCore.ExitStatus.exited(0).isSuccess)
        #expect(!LXCCore.ExitStatus.exited(1).isSuccess)
        #expect(!LXCCore.ExitStatus.signaled(9).isSuccess)
        #expect(LXCCore.ExitStatus.signaled(9).description == "killed by signal 9 (SIGKILL)")
        #expect(LXCCore.ExitStatus.exited(3).description == "exited with code 3")
    }

    /// The status of a child the kernel really ended, decoded without <sys/wait.h>'s macros.
    @Test(arguments: [("exit 7", LXCCore.ExitStatus.exited(7)), ("exit 0", .exited(0)), ("exit 255", .exited(255)),
                      ("kill -9 $$", .signaled(SIGKILL)), ("kill -TERM $$", .signaled(SIGTERM)),
                      ("kill -SEGV $$", .signaled(SIGSEGV))] as [(String, LXCCore.ExitStatus)])
    func exitStatusDecodesWhatWaitpidReports(script: String, expected: LXCCore.ExitStatus) throws {
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", script]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The child starts with default signal handling, whatever the test runner ignores.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let spawned = posix_spawn(&pid, "/bin/sh", nil, &attributes, &argv, environ)
        try #require(spawned == 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        #expect(LXCCore.ExitStatus(waitStatus: status) == expected)
    }

    @Test func commandOutputStringViews() {
        let output = CommandOutput(status: .exited(0), standardOutput: Array("héllo\n".utf8), standardError: [0xFF, 0x41])
        #expect(output.standardOutputString == "héllo\n")
        #expect(output.standardErrorString == "\u{FFFD}A")
    }
}
