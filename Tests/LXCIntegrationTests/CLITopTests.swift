import ContainerProtocolChecks
import Foundation
import LXC
import Testing

/// `lxcctl top` as a person sees it: in a terminal (tmux, read back with capture-pane), the
/// table refreshes when a container stops, and Ctrl-C leaves.
@Suite("lxcctl top on a terminal", .integration, .timeLimit(.minutes(3)))
struct CLITopTests {
    /// Runs a shell script with the tmux server of this test (`-L socket`) and returns its exit
    /// status and standard output (see ``ScriptRunner``: tmux's server daemonizes).
    func tmux(_ socket: String, _ script: String) async throws -> (status: Int32, output: String) {
        try await offPool { Self.tmuxBlocking(socket, script) }
    }

    static func tmuxBlocking(_ socket: String, _ script: String) -> (status: Int32, output: String) {
        let full = "t() { tmux -L \(socket) -f /dev/null \"$@\" </dev/null; }\n" + script
        return ScriptRunner.run(["/bin/sh", "-c", full], withStandardError: false)
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
