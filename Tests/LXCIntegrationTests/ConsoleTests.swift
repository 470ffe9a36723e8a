import Foundation
import LXC
import Testing

@Suite("Consoles and the console log of real containers", .integration, .timeLimit(.minutes(3)))
struct ConsoleTests {
    /// A busybox container whose monitor keeps a console ring buffer.
    static func bufferedBusybox(_ sandbox: Sandbox) throws -> Container {
        let container = try sandbox.busybox()
        try container.setConfigItem("lxc.console.buffer.size", to: "128k")
        try container.saveConfig()
        return container
    }

    /// Reads what is available on `fd` for up to `seconds`, until `marker` shows up.
    /// Reads `fd` until `marker` appears or `seconds` pass; `nudge` runs after each second
    /// without output (to press Enter again when the first one came before getty ran).
    static func read(_ fd: Int32, until marker: String, seconds: Double = 20, nudge: (() -> Void)? = nil) -> String {
        var collected: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var quiet = 0
        while Date() < deadline, !String(decoding: collected, as: UTF8.self).contains(marker) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else {
                quiet += 1
                if quiet % 5 == 0 { nudge?() }
                continue
            }
            quiet = 0
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            collected += buffer[..<count]
        }
        return String(decoding: collected, as: UTF8.self)
    }

    @Test func consoleLogHoldsBusyboxBootOutputAndClears() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try Self.bufferedBusybox(sandbox)
            try container.start()
            // busybox's inittab runs "console::askfirst:/bin/sh", which prints this.
            let marker = "Please press Enter to activate this console"
            var log = ""
            let seen = try HostTools.eventually(seconds: 30) {
                log = String(decoding: try container.consoleLog(), as: UTF8.self)
                return log.contains(marker)
            }
            #expect(seen, "console log: \(log)")

            let firstBytes = try container.consoleLog(maximumBytes: 4)
            #expect(firstBytes.count <= 4)

            try container.clearConsoleLog()
            let afterClear = String(decoding: try container.consoleLog(), as: UTF8.self)
            #expect(!afterClear.contains(marker))
        }
    }

    @Test func consoleLogWithoutARingBufferSaysHowToGetOne() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let stopped = #expect(throws: LXCError.self) { try container.consoleLog() }
            #expect(stopped?.kind == .wrongState)
            try container.start()
            let error = #expect(throws: LXCError.self) { try container.consoleLog() }
            #expect(error?.kind == .wrongState)
            #expect(error?.message.contains("lxc.console.buffer.size") == true, "\(String(describing: error))")
        }
    }

    @Test func ttyFileDescriptorReachesGetty() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            // busybox's inittab runs getty on tty1.
            let tty = try container.consoleFileDescriptor(tty: 1)
            #expect(tty.number == 1)
            #expect(tty.primaryFileDescriptor >= 0)
            _ = write(tty.primaryFileDescriptor, "\n", 1)
            let output = Self.read(tty.primaryFileDescriptor, until: "login:")
            #expect(output.contains("login:"), "tty1 printed: \(output)")
            tty.close()
            tty.close()

            // Closed, the tty is free again, once the monitor noticed (it frees it
            // asynchronously; a program that reallocates at once may have to try again).
            var again: ConsoleTTY?
            for _ in 0..<100 where again == nil {
                again = try? container.consoleFileDescriptor(tty: 1)
                if again == nil { usleep(100_000) }
            }
            #expect(again?.number == 1, "tty 1 was not free again within 10 s of close()")

            let taken = #expect(throws: LXCError.self) { try container.consoleFileDescriptor(tty: 1) }
            #expect(taken?.kind == .failed)
            let none = #expect(throws: LXCError.self) { try container.consoleFileDescriptor(tty: 99) }
            #expect(none?.kind == .failed)
            let negative = #expect(throws: LXCError.self) { try container.consoleFileDescriptor(tty: -2) }
            #expect(negative?.kind == .invalidArgument)
        }
    }

    @Test func consoleSessionEndsWithTheEscapeSequence() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            try await container.start()
            let input = Pipe()
            let output = Pipe()
            let session = Task {
                try await container.console(tty: 1, input: input.fileHandleForReading.fileDescriptor,
                                            output: output.fileHandleForWriting.fileDescriptor,
                                            error: output.fileHandleForWriting.fileDescriptor, escape: "a")
            }
            try input.fileHandleForWriting.write(contentsOf: Data("\n".utf8))
            let seen = Self.read(output.fileHandleForReading.fileDescriptor, until: "login:") {
                try? input.fileHandleForWriting.write(contentsOf: Data("\n".utf8))
            }
            #expect(seen.contains("login:"), "tty1 printed: \(seen)")
            // Ctrl-a q ends the session.
            try input.fileHandleForWriting.write(contentsOf: Data([0x01, UInt8(ascii: "q")]))
            try await session.value

            await #expect(throws: LXCError.self) { try await container.console(escape: "1") }
        }
    }
}
