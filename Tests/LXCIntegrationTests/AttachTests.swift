import Foundation
import LXC
import Testing

/// A started busybox container in the sandbox.
private func runningContainer(_ sandbox: Sandbox) throws -> Container {
    let container = try sandbox.busybox()
    try container.start()
    return container
}

private func runningContainer(_ sandbox: Sandbox) async throws -> Container {
    let container: Container = try await sandbox.busybox()
    try await container.start()
    return container
}

/// A pipe whose ends are closed on exec, so that programs other tests start do not keep them.
private func makePipe() -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    precondition(pipe(&fds) == 0)
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return (fds[0], fds[1])
}

/// A pseudo terminal pair (controller, terminal), both close-on-exec.
private func openPseudoTerminal() -> (Int32, Int32)? {
    let controller = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard controller >= 0 else { return nil }
    var unlock: Int32 = 0
    var number: UInt32 = 0
    // TIOCSPTLCK and TIOCGPTN from <asm-generic/ioctls.h>.
    guard ioctl(controller, 0x4004_5431, &unlock) == 0, ioctl(controller, 0x8004_5430, &number) == 0 else {
        close(controller)
        return nil
    }
    let terminal = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard terminal >= 0 else {
        close(controller)
        return nil
    }
    return (controller, terminal)
}

/// Reads `fd` to its end, giving up (and failing) after `seconds` without data or end.
private func readAll(_ fd: Int32, seconds: Int32 = 30) -> [UInt8] {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, seconds * 1000) == 1 else {
            Issue.record("no end of file on descriptor \(fd) within \(seconds) s")
            return result
        }
        let got = read(fd, &buffer, buffer.count)
        if got <= 0 { return result }
        result += buffer[0..<got]
    }
}

/// Runs in the attached child: reads its exit code from the payload (no allocation, no locks).
private func exitWithPayload(_ raw: UnsafeMutableRawPointer?) -> Int32 {
    raw?.assumingMemoryBound(to: Int32.self).pointee ?? 1
}

/// Runs in the attached child: sends itself SIGTERM, which ends it unless the signal is blocked.
private func terminateSelf(_ raw: UnsafeMutableRawPointer?) -> Int32 {
    kill(getpid(), SIGTERM)
    return 0
}

private func text(_ output: CommandOutput) -> String { output.standardOutputString }

/// Whether `ps` inside the container lists a process whose command line contains `needle`.
private func containerRuns(_ container: Container, _ needle: String) throws -> Bool {
    let listing = try container.output(of: ["ps", "-o", "args"])
    return listing.standardOutputString.split(separator: "\n").contains { $0.contains(needle) && !$0.contains("ps -o") }
}

@Suite("Running programs inside containers", .integration, .timeLimit(.minutes(3)))
struct AttachTests {
    // MARK: exit status

    @Test func exitCodesAreReportedAsTheyAre() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let success = try container.run(["true"])
            #expect(success == .exited(0))
            #expect(success.isSuccess)
            #expect(try container.run(["sh", "-c", "exit 7"]) == .exited(7))
            #expect(!(try container.run(["sh", "-c", "exit 7"]).isSuccess))
            // 255 is an exit code, not an attach failure.
            #expect(try container.run(["sh", "-c", "exit 255"]) == .exited(255))
        }
    }

    @Test func aProcessKilledBySignalIsReportedAsSignaled() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let status = try container.run(["sh", "-c", "kill -9 $$"])
            #expect(status == .signaled(9))
            #expect(!status.isSuccess)
            // SIGTERM works too: the program does not inherit the calling thread's blocked signals.
            let terminated = try container.output(of: ["sh", "-c", "kill -TERM $$; echo still-alive"])
            #expect(terminated.status == .signaled(SIGTERM))
            #expect(terminated.standardOutput.isEmpty)
        }
    }

    // MARK: captured output

    @Test func outputKeepsStandardOutputAndErrorApart() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let result = try container.output(of: ["sh", "-c", "printf 'to out\\n'; printf 'to err' >&2; printf 'more out'; exit 4"])
            #expect(result.status == .exited(4))
            #expect(result.standardOutputString == "to out\nmore out")
            #expect(result.standardErrorString == "to err")
            #expect(result.standardError == Array("to err".utf8))
        }
    }

    /// A descriptor that another thread had open without close-on-exec (liblxc's own pipes are
    /// such) must not reach the program: it would keep that pipe's reader from ever seeing its
    /// end while the program runs (an unprivileged save hung for 17 minutes behind a `sleep`).
    @Test func theProgramGetsOnlyStandardInputOutputAndError() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            var fds: [Int32] = [-1, -1]
            #expect(pipe(&fds) == 0)
            defer { close(fds[0]); close(fds[1]) }
            #expect(fcntl(fds[1], F_GETFD) & FD_CLOEXEC == 0)
            let result = try container.output(of: ["sh", "-c", "ls /proc/$$/fd"])
            #expect(result.status == .exited(0))
            let open = Set(result.standardOutputString.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
            #expect(open.isSuperset(of: [0, 1, 2]), "\(open)")
            #expect(!open.contains(fds[0]) && !open.contains(fds[1]), "\(open) holds \(fds)")
        }
    }

    @Test func megabytesOnBothStreamsAreCapturedExactlyWithoutDeadlock() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let outSize = 8 << 20
            let errSize = 3 << 20
            // Both streams written at once: a reader that drained one pipe after the other would
            // leave the writer of the other blocked on a full pipe for ever.
            let script = "(yes ZYXWVUTSRQPONMLK | head -c \(errSize) >&2) & yes 0123456789abcdef | head -c \(outSize); wait"
            let result = try container.output(of: ["sh", "-c", script])
            #expect(result.status == .exited(0))
            let outLine = Array("0123456789abcdef\n".utf8)
            let errLine = Array("ZYXWVUTSRQPONMLK\n".utf8)
            let expectedOut = (0..<outSize).map { outLine[$0 % outLine.count] }
            let expectedErr = (0..<errSize).map { errLine[$0 % errLine.count] }
            #expect(result.standardOutput.count == outSize)
            #expect(result.standardError.count == errSize)
            #expect(result.standardOutput == expectedOut)
            #expect(result.standardError == expectedErr)
        }
    }

    @Test func standardInputRoundTripsThroughCatByteForByte() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            var input = (0..<(2 << 20)).map { _ in UInt8.random(in: 0...255) }
            input += (0...255).map { UInt8($0) }
            let result = try container.output(of: ["cat"], input: input)
            #expect(result.status == .exited(0))
            #expect(result.standardOutput == input)
            #expect(result.standardError.isEmpty)

            // Empty input: end of file at once.
            let empty = try container.output(of: ["cat"], input: [])
            #expect(empty.status == .exited(0))
            #expect(empty.standardOutput.isEmpty)

            // A program that does not read its input: the rest is dropped, nothing breaks.
            let ignored = try container.output(of: ["true"], input: [UInt8](repeating: 1, count: 1 << 20))
            #expect(ignored.status == .exited(0))
        }
    }

    @Test func outputDoesNotWaitForBackgroundProcessesHoldingThePipes() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            // The background sleep keeps both pipes open long after sh has ended; collection
            // ends with sh (a wait for end of file would outlast the test's time limit).
            let result = try container.output(of: ["sh", "-c", "sleep 1006 & echo done; echo also >&2"], input: [])
            #expect(result.status == .exited(0))
            #expect(result.standardOutputString == "done\n")
            #expect(result.standardErrorString == "also\n")
        }
    }

    // MARK: options

    @Test func environmentPolicyClearOrKeepWithExtraVariables() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            setenv("SWIFT_LXC_ATTACH_TEST", "from-the-host", 1)

            var keep = AttachOptions()
            keep.environment = ["EXTRA_ONE": "a b=c", "EXTRA_TWO": ""]
            let kept = try container.output(of: ["env"], options: keep).standardOutputString.split(separator: "\n")
            #expect(kept.contains("SWIFT_LXC_ATTACH_TEST=from-the-host"))
            #expect(kept.contains("EXTRA_ONE=a b=c"))
            #expect(kept.contains("EXTRA_TWO="))
            #expect(kept.contains("container=lxc"))

            var clear = AttachOptions()
            clear.environmentPolicy = .clear
            clear.environment = ["EXTRA_ONE": "1"]
            let cleared = try container.output(of: ["env"], options: clear).standardOutputString.split(separator: "\n")
            #expect(!cleared.contains { $0.hasPrefix("SWIFT_LXC_ATTACH_TEST=") })
            #expect(cleared.contains("EXTRA_ONE=1"))
            #expect(cleared.contains { $0.hasPrefix("PATH=") })

            clear.keptEnvironmentVariables = ["SWIFT_LXC_ATTACH_TEST"]
            let some = try container.output(of: ["env"], options: clear).standardOutputString.split(separator: "\n")
            #expect(some.contains("SWIFT_LXC_ATTACH_TEST=from-the-host"))
            #expect(some.contains("EXTRA_ONE=1"))
        }
    }

    @Test func anEditOfTheConfigFileReachesTheNextRun() throws {
        // Runs reuse the handle an earlier run loaded, while the config file is unchanged;
        // liblxc gives an attached program the config's lxc.environment, which shows which
        // version of the file the handle of each run was loaded from.
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            func mark() throws -> String? {
                try container.output(of: ["env"]).standardOutputString.split(separator: "\n")
                    .first { $0.hasPrefix("SWIFT_LXC_MARK=") }.map(String.init)
            }
            #expect(try mark() == nil)
            #expect(try mark() == nil)

            try container.setConfigItem("lxc.environment", to: "SWIFT_LXC_MARK=first")
            try container.saveConfig()
            #expect(try mark() == "SWIFT_LXC_MARK=first")

            // The same size, the same file, at once: only the bytes differ.
            let path = try #require(container.configFileName)
            let saved = try String(contentsOfFile: path, encoding: .utf8)
            try saved.replacingOccurrences(of: "MARK=first", with: "MARK=other")
                .write(toFile: path, atomically: false, encoding: .utf8)
            #expect(try mark() == "SWIFT_LXC_MARK=other")

            // Another file put in its place.
            try saved.replacingOccurrences(of: "MARK=first", with: "MARK=third")
                .write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try mark() == "SWIFT_LXC_MARK=third")
            #expect(try mark() == "SWIFT_LXC_MARK=third")
        }
    }

    @Test func workingDirectoryIsWhereTheProgramStarts() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            var options = AttachOptions()
            options.workingDirectory = "/etc"
            #expect(text(try container.output(of: ["pwd"], options: options)) == "/etc\n")
            options.workingDirectory = "/tmp"
            #expect(text(try container.output(of: ["pwd"], options: options)) == "/tmp\n")
        }
    }

    @Test func userGroupAndSupplementaryGroupsKeepTheDefaultConfinement() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            #expect(text(try container.output(of: ["id", "-u"])) == "0\n")

            var options = AttachOptions()
            options.userID = 1234
            options.groupID = 4321
            #expect(text(try container.output(of: ["id", "-u"], options: options)) == "1234\n")
            #expect(text(try container.output(of: ["id", "-g"], options: options)) == "4321\n")
            #expect(text(try container.output(of: ["id", "-G"], options: options)) == "4321\n")

            options.supplementaryGroups = [7, 8]
            #expect(options.flags.isSuperset(of: [.moveToCgroup, .dropCapabilities, .setPersonality, .lsmExec, .setGroups]))
            #expect(text(try container.output(of: ["id", "-G"], options: options)) == "4321 7 8\n")
            // Setting groups must not drop the cgroup move or the capability drop (go-lxc's bug).
            let script = "cat /proc/self/cgroup; echo ---; grep CapBnd /proc/self/status; grep CapBnd /proc/1/status"
            let parts = text(try container.output(of: ["sh", "-c", script], options: options)).components(separatedBy: "---\n")
            try #require(parts.count == 2)
            #expect(!parts[0].isEmpty && !parts[0].contains("/.."), "in the container's cgroup")
            let capabilityLines = parts[1].split(separator: "\n")
            #expect(capabilityLines.count == 2 && capabilityLines[0] == capabilityLines[1])
        }
    }

    @Test func enteringOnlySomeNamespaces() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let hostName = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
            // All namespaces (the default): the container's hostname, set by lxc.uts.name.
            #expect(text(try container.output(of: ["hostname"])) == "\(container.name)\n")
            #expect(text(try container.output(of: ["uname", "-n"])) == "\(container.name)\n")

            // Only the mount namespace: the container's files, the host's hostname.
            var mountOnly = AttachOptions()
            mountOnly.namespaces = [.mount]
            #expect(text(try container.output(of: ["uname", "-n"], options: mountOnly)) == "\(hostName)\n")
            #expect(text(try container.output(of: ["readlink", "/bin/sh"], options: mountOnly)) == "busybox\n")

            // Only the UTS namespace: the host's files, the container's hostname.
            var utsOnly = AttachOptions()
            utsOnly.namespaces = [.uts]
            #expect(text(try container.output(of: ["uname", "-n"], options: utsOnly)) == "\(container.name)\n")
        }
    }

    @Test(.privilegedOnly("liblxc remounts /proc by unmounting the host's /proc in a copy of the host's mount namespace, and the kernel locks those mounts against a user namespace (umount: EINVAL)"))
    func remountingProcShowsTheContainersPidNamespace() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            // In the container's pid namespace but the host's mount namespace, /proc shows host
            // pids unless it is remounted. `exec cat` runs as $$, so it finds itself only in a
            // /proc of its own pid namespace.
            var options = AttachOptions()
            options.namespaces = [.pid]
            options.flags.insert(.remountProcSys)
            #expect(text(try container.output(of: ["sh", "-c", "exec cat /proc/$$/comm"], options: options)) == "cat\n")

            options.flags.remove(.remountProcSys)
            let unmounted = try container.output(of: ["sh", "-c", "exec cat /proc/$$/comm"], options: options)
            #expect(unmounted.standardOutputString != "cat\n")
        }
    }

    #if arch(x86_64)
    @Test func personalityIsSetWhenAsked() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            #expect(text(try container.output(of: ["uname", "-m"])) == "x86_64\n")
            var options = AttachOptions()
            options.personality = .linux32
            #expect(text(try container.output(of: ["uname", "-m"], options: options)) == "i686\n")
            // Without the flag, the personality field is not applied.
            options.flags.remove(.setPersonality)
            #expect(text(try container.output(of: ["uname", "-m"], options: options)) == "x86_64\n")
        }
    }
    #endif

    @Test func capabilityDropCgroupMoveAndNoNewPrivilegesFollowTheFlags() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let capabilities = ["sh", "-c", "grep CapBnd /proc/self/status; grep CapBnd /proc/1/status"]
            let confined = text(try container.output(of: capabilities)).split(separator: "\n")
            #expect(confined.count == 2 && confined[0] == confined[1])

            var keepCapabilities = AttachOptions()
            keepCapabilities.flags.remove(.dropCapabilities)
            let unconfined = text(try container.output(of: capabilities, options: keepCapabilities)).split(separator: "\n")
            #expect(unconfined.count == 2 && unconfined[0] != unconfined[1])

            // Seen through the container's cgroup namespace, a cgroup outside the container's
            // shows as a path with "/..".
            let moved = text(try container.output(of: ["cat", "/proc/self/cgroup"]))
            #expect(!moved.isEmpty && !moved.contains("/.."))
            var stay = AttachOptions()
            stay.flags.remove(.moveToCgroup)
            let stayed = text(try container.output(of: ["cat", "/proc/self/cgroup"], options: stay))
            #expect(stayed.contains("/.."))

            #expect(text(try container.output(of: ["grep", "NoNewPrivs", "/proc/self/status"])).hasSuffix("0\n"))
            var noNew = AttachOptions()
            noNew.flags.insert(.noNewPrivileges)
            #expect(text(try container.output(of: ["grep", "NoNewPrivs", "/proc/self/status"], options: noNew)).hasSuffix("1\n"))
        }
    }

    @Test func terminalGivesTheProgramAPseudoTerminalAndLogsWhatItPrints() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let script = "read -r a b c d e sid rest < /proc/$$/stat; [ \"$sid\" = \"$$\" ] && echo leader || echo member; [ -t 1 ] && echo on-a-terminal"
            #expect(text(try container.output(of: ["sh", "-c", script], input: [])) == "member\n")

            // liblxc puts its new terminal in place of the standard descriptors that are
            // terminals, so give the program one as its standard output.
            let (controller, terminal) = try #require(openPseudoTerminal())
            defer { close(controller); close(terminal) }
            let log = makePipe()
            defer { close(log.read) }
            var writeEnd = log.write
            defer { if writeEnd >= 0 { close(writeEnd) } }
            var options = AttachOptions()
            options.flags.insert(.terminal)
            options.standardOutput = terminal
            options.logFileDescriptor = log.write
            #expect(try container.run(["sh", "-c", script], options: options) == .exited(0))
            // What the program printed on liblxc's terminal went to the log descriptor. liblxc
            // closes the duplicate it was given; this test's write end is still its own.
            #expect(fcntl(writeEnd, F_GETFD) >= 0, "the caller's log descriptor was closed")
            close(writeEnd)
            writeEnd = -1
            let logged = String(decoding: readAll(log.read, seconds: 20), as: UTF8.self)
            #expect(logged.contains("leader"))
            #expect(logged.contains("on-a-terminal"))
        }
    }

    @Test func lsmFlagsAndLabelReachLiblxc() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            var options = AttachOptions()
            options.lsmLabel = "unconfined"
            options.flags.insert(.lsmNow)
            #expect(options.flags.contains(.lsmLabel))
            // This host runs no LSM (liblxc's "nop" driver), which accepts any label; on an
            // AppArmor host "unconfined" is a valid profile.
            var before = stat()
            let hadInput = fstat(STDIN_FILENO, &before) == 0
            #expect(try container.run(["true"], options: options) == .exited(0))
            options.flags.remove(.lsm)
            #expect(try container.run(["true"], options: options) == .exited(0))
            // liblxc's no-op driver reports descriptor 0 as the label's file and liblxc closes
            // it: this process's standard input must still be the file it was.
            if hadInput {
                var after = stat()
                #expect(fstat(STDIN_FILENO, &after) == 0, "standard input was closed")
                #expect(after.st_dev == before.st_dev && after.st_ino == before.st_ino, "standard input was replaced")
            }
        }
    }

    @Test func standardDescriptorsOfRunAreTheOnesGiven() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let input = makePipe()
            let output = makePipe()
            let error = makePipe()
            defer { [input.read, output.read, error.read].forEach { close($0) } }
            _ = "from stdin".withCString { write(input.write, $0, 10) }
            close(input.write)
            var options = AttachOptions()
            options.standardInput = input.read
            options.standardOutput = output.write
            options.standardError = error.write
            let status = try container.run(["sh", "-c", "cat; echo; echo to-error >&2"], options: options)
            close(output.write)
            close(error.write)
            #expect(status == .exited(0))
            #expect(String(decoding: readAll(output.read), as: UTF8.self) == "from stdin\n")
            #expect(String(decoding: readAll(error.read), as: UTF8.self) == "to-error\n")
        }
    }

    @Test func runLeavesThisProcessesSignalHandlingAlone() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            // liblxc ignores SIGINT/SIGQUIT in the caller when stdin_fd is 0 (lxc issue #313).
            var before = sigaction()
            sigaction(SIGINT, nil, &before)
            _ = try container.run(["true"])
            _ = try container.output(of: ["true"])
            var after = sigaction()
            sigaction(SIGINT, nil, &after)
            #expect(unsafeBitCast(after.__sigaction_handler.sa_handler, to: Int.self)
                == unsafeBitCast(before.__sigaction_handler.sa_handler, to: Int.self))
        }
    }

    // MARK: errors

    @Test func clearErrorsForBadCommandsAndStates() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            // Defined but stopped.
            let stopped = try #require(throws: LXCError.self) { try container.run(["true"]) }
            #expect(stopped.kind == .wrongState)
            #expect(stopped.message.contains("not running"))

            let undefined = try sandbox.container()
            let notDefined = try #require(throws: LXCError.self) { try undefined.output(of: ["true"]) }
            #expect(notDefined.kind == .notFound)

            try container.start()
            let missing = try #require(throws: LXCError.self) { try container.run(["no-such-program", "x"]) }
            #expect(missing.kind == .notFound)
            #expect(missing.message.contains("\"no-such-program\""))
            #expect(missing.code == ENOENT)
            let missingPath = try #require(throws: LXCError.self) { try container.output(of: ["/bin/nothing-here"]) }
            #expect(missingPath.kind == .notFound && missingPath.message.contains("/bin/nothing-here"))

            let notExecutable = try #require(throws: LXCError.self) { try container.run(["/etc/passwd"]) }
            #expect(notExecutable.kind == .permissionDenied)

            var badUser = AttachOptions()
            badUser.userID = uid_t.max
            #expect(throws: LXCError.self) { try container.run(["true"], options: badUser) }
            let invalidUID = try #require(throws: LXCError.self) { try container.run(["true"], options: badUser) }
            #expect(invalidUID.kind == .invalidArgument)
            #expect(invalidUID.message.contains("\(uid_t.max)"))

            let nul = try #require(throws: LXCError.self) { try container.run(["echo", "a\0b"]) }
            #expect(nul.kind == .invalidArgument && nul.message.contains("NUL"))
            let empty = try #require(throws: LXCError.self) { try container.run([]) }
            #expect(empty.kind == .invalidArgument)
            var badEnvironment = AttachOptions()
            badEnvironment.environment = ["A=B": "c"]
            #expect(throws: LXCError.self) { try container.output(of: ["true"], options: badEnvironment) }

            // After all that, the container still runs programs.
            #expect(try container.run(["true"]) == .exited(0))
        }
    }

    // MARK: no-wait forms

    @Test func spawnReturnsTheProcessAndWaitReapsItOnce() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let quick = try container.spawn(["sh", "-c", "exit 5"])
            #expect(quick.pid > 0)
            #expect(try quick.wait() == .exited(5))
            #expect(try quick.wait() == .exited(5))
            #expect(!quick.signal(SIGTERM))

            let sleeper = try container.spawn(["sleep", "1002"])
            #expect(try sleeper.status() == nil)
            #expect(sleeper.signal(SIGTERM))
            #expect(try sleeper.wait() == .signaled(SIGTERM))

            let missing = try container.spawn(["no-such-program"])
            let error = try #require(throws: LXCError.self) { try missing.wait() }
            #expect(error.kind == .notFound)
        }
    }

    @Test func aDroppedProcessIsReapedAndNeverLeftAZombie() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            var pid: pid_t = 0
            do {
                let process = try container.spawn(["sh", "-c", "sleep 0.2"])
                pid = process.pid
            }
            var gone = false
            for _ in 0..<200 where !gone {
                usleep(50_000)
                gone = !FileManager.default.fileExists(atPath: "/proc/\(pid)")
            }
            #expect(gone, "pid \(pid) should have been reaped")
        }
    }

    @Test func attachRunsACFunctionWithItsPayload() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let constant = try container.attach { _ in 42 }
            let status = try constant.wait()
            #expect(status == .exited(42))
            let payload = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
            defer { payload.deallocate() }
            payload.pointee = 9
            let process = try container.attach(payload: UnsafeMutableRawPointer(payload), exitWithPayload)
            let payloadStatus = try process.wait()
            #expect(payloadStatus == .exited(9))
            // The function runs with no signal blocked, whatever the calling thread blocks.
            let terminated = try container.attach(terminateSelf)
            #expect(try terminated.wait() == .signaled(SIGTERM))
        }
    }

    @Test func runShellRunsTheContainersShell() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try runningContainer(sandbox)
            let input = makePipe()
            let output = makePipe()
            defer { close(input.read); close(output.read) }
            let script = "echo from-the-shell $0; exit 3\n"
            _ = script.withCString { write(input.write, $0, strlen($0)) }
            close(input.write)
            var options = AttachOptions()
            options.standardInput = input.read
            options.standardOutput = output.write
            let status = try container.runShell(options: options)
            close(output.write)
            #expect(status == .exited(3))
            #expect(String(decoding: readAll(output.read), as: UTF8.self).hasPrefix("from-the-shell"))
        }
    }

    // MARK: async

    @Test func asyncRunAndOutput() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await runningContainer(sandbox)
            #expect(try await container.run(["sh", "-c", "exit 7"]) == .exited(7))
            let result = try await container.output(of: ["sh", "-c", "echo out; echo err >&2"], input: [])
            #expect(result.standardOutputString == "out\n" && result.standardErrorString == "err\n")
            let process = try await container.spawn(["sh", "-c", "exit 6"])
            #expect(try await process.wait() == .exited(6))
        }
    }

    @Test func cancellingAsyncRunKillsTheProcess() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await runningContainer(sandbox)
            let task = Task { try await container.run(["sleep", "1003"]) }
            var started = false
            for _ in 0..<200 where !started {
                try await Task.sleep(for: .milliseconds(50))
                started = try containerRuns(container, "sleep 1003")
            }
            #expect(started)
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(!(try containerRuns(container, "sleep 1003")))
        }
    }

    @Test func cancellingAsyncOutputKillsTheProcess() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await runningContainer(sandbox)
            let task = Task { try await container.output(of: ["sh", "-c", "echo started; exec sleep 1004"], input: []) }
            var started = false
            for _ in 0..<200 where !started {
                try await Task.sleep(for: .milliseconds(50))
                started = try containerRuns(container, "sleep 1004")
            }
            #expect(started)
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(!(try containerRuns(container, "sleep 1004")))
        }
    }

    @Test func twentyConcurrentOutputsOnOneContainer() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await runningContainer(sandbox)
            let results = try await withThrowingTaskGroup(of: (Int, CommandOutput).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        (index, try await container.output(of: ["sh", "-c", "echo out-\(index); echo err-\(index) >&2; exit \(index)"], input: []))
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(results.count == 20)
            for (index, result) in results {
                #expect(result.status == .exited(Int32(index)))
                #expect(result.standardOutputString == "out-\(index)\n")
                #expect(result.standardErrorString == "err-\(index)\n")
            }
        }
    }

    // MARK: streaming

    @Test func streamingDeliversTaggedChunksThenTheStatus() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await runningContainer(sandbox)
            let stream = try await container.streamOutput(
                of: ["sh", "-c", "for i in 1 2 3; do echo out-$i; echo err-$i >&2; sleep 0.05; done; exit 3"], input: [])
            var output: [UInt8] = []
            var error: [UInt8] = []
            var events: [CommandOutputEvent] = []
            for try await event in stream {
                events.append(event)
                switch event {
                case .standardOutput(let bytes): output += bytes
                case .standardError(let bytes): error += bytes
                case .finished: break
                }
            }
            #expect(events.last == .finished(.exited(3)))
            #expect(events.filter { if case .finished = $0 { true } else { false } }.count == 1)
            #expect(String(decoding: output, as: UTF8.self) == "out-1\nout-2\nout-3\n")
            #expect(String(decoding: error, as: UTF8.self) == "err-1\nerr-2\nerr-3\n")
        }
    }

    @Test func cancellingAStreamKillsTheProcess() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await runningContainer(sandbox)
            let stream = try await container.streamOutput(of: ["sh", "-c", "echo started; exec sleep 1005"], input: [])
            let task = Task {
                var first: CommandOutputEvent?
                for try await event in stream {
                    if first == nil { first = event }
                }
                return first
            }
            var started = false
            for _ in 0..<200 where !started {
                try await Task.sleep(for: .milliseconds(50))
                started = try containerRuns(container, "sleep 1005")
            }
            #expect(started)
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(!(try containerRuns(container, "sleep 1005")))
        }
    }
}
