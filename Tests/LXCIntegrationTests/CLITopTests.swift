import Foundation
import LXC
import Testing

/// `lxcctl top` as a person sees it: in a terminal (tmux, read back with capture-pane), the
/// table refreshes when a container stops, and Ctrl-C leaves.
@Suite("lxcctl top on a terminal", .integration, .timeLimit(.minutes(3)))
struct CLITopTests {
    /// Runs a shell script with the tmux server of this test (`-L socket`) and returns its exit
    /// status and standard output. Spawned and awaited with posix_spawn and waitpid, with
    /// default signal handling and no blocked signals: the tmux server it starts daemonizes,
    /// and Foundation's `Process` was seen never to report the end of such a script here.
    func tmux(_ socket: String, _ script: String) async throws -> (status: Int32, output: String) {
        try await offPool { Self.tmuxBlocking(socket, script) }
    }

    static func tmuxBlocking(_ socket: String, _ script: String) -> (status: Int32, output: String) {
        let full = "t() { tmux -L \(socket) -f /dev/null \"$@\" </dev/null; }\n" + script
        do {
            let output = "/tmp/swift-lxc-tmux-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { unlink(output) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var all = sigset_t(), none = sigset_t()
            sigfillset(&all)
            sigemptyset(&none)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
            let arguments = ["/bin/sh", "-c", full]
            var argv = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
            guard spawned == 0 else { return (-1, "posix_spawn: \(spawned)") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            return ((status >> 8) & 0xff, text)
        }
    }

    @Test func topRefreshesOnATerminalAndLeavesOnControlC() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            Issue.record("tmux is not installed (scripts/bootstrap.sh installs it)")
            return
        }
        let binary = try #require(LXCCtlRunner.binary, "lxcctl was not built next to the tests")
        try await Sandbox.with { sandbox in
            let kept: Container = try await sandbox.busybox()
            let stopped: Container = try await sandbox.busybox()
            try await kept.start()
            try await stopped.start()
            let socket = "swiftlxc-top-\(UInt32.random(in: 0...UInt32.max))"
            let command = "\(binary) --lxcpath \(sandbox.lxcpath) top --delay 0.3"
            defer { _ = Self.tmuxBlocking(socket, "t kill-server") }

            let first = try await tmux(socket, """
                t new-session -d -x 160 -y 30 '\(command)' >/dev/null 2>&1 || exit 90
                for i in $(seq 1 100); do
                    t capture-pane -p | grep -q '\(stopped.name)' && break
                    sleep 0.1
                done
                t capture-pane -p
                """)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.output.contains("NAME"), "\(first.output)")
            #expect(first.output.contains(kept.name), "\(first.output)")
            #expect(first.output.contains(stopped.name), "\(first.output)")

            try await stopped.stop()
            let second = try await tmux(socket, """
                for i in $(seq 1 100); do
                    t capture-pane -p | grep -q '\(stopped.name)' || break
                    sleep 0.1
                done
                t capture-pane -p
                """)
            #expect(second.output.contains(kept.name), "\(second.output)")
            #expect(!second.output.contains(stopped.name), "the stopped container left the table: \(second.output)")

            // Ctrl-C ends top, and with it the only window: the session is gone.
            let left = try await tmux(socket, """
                t send-keys C-c
                for i in $(seq 1 100); do
                    t has-session 2>/dev/null || exit 0
                    sleep 0.1
                done
                exit 1
                """)
            #expect(left.status == 0, "lxcctl top was still running after Ctrl-C")
            try await kept.stop()
        }
    }
}
