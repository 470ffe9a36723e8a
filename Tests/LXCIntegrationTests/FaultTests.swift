import Foundation
import LXC
import Testing

@Suite("Faults leave nothing broken", .integration, .timeLimit(.minutes(3)))
struct FaultTests {
    @Test func aClientKilledDuringStartLeavesAContainerOthersCanStop() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let binary = try #require(LXCCtlRunner.binary)
            let client = Process()
            client.executableURL = URL(fileURLWithPath: binary)
            client.arguments = ["--lxcpath", sandbox.lxcpath, "start", container.name]
            client.standardOutput = FileHandle.nullDevice
            client.standardError = FileHandle.nullDevice
            try client.run()
            usleep(30_000)
            kill(client.processIdentifier, SIGKILL)
            client.waitUntilExit()
            #expect(client.terminationReason == .uncaughtSignal)

            // Whatever the start had reached, this process can see it and bring it to an end.
            let seen = try Container(name: container.name, lxcpath: sandbox.lxcpath)
            _ = try seen.wait(for: .running, timeout: .seconds(5))
            if seen.state != .stopped { try seen.stop() }
            #expect(seen.state == .stopped)
            try seen.start()
            #expect(seen.state == .running)
            try seen.stop()
            try seen.destroy()
            #expect(!seen.isDefined)
        }
    }

    /// An init that exits at once, or an lxc-init whose program does not exist, is a
    /// successful start in liblxc's terms (its `shortlived.c` and `cve-2019-5736.c` tests):
    /// `start` answers the same every time, and the container then stops by itself. (It
    /// used to query the state after the start and throw when it saw STOPPED, about half
    /// the time.)
    @Test(arguments: [["/bin/false"], ["/no/such/program"]])
    func anInitThatExitsAtOnceIsAStartThatSucceeds(command: [String]) throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            for round in 0..<20 {
                do {
                    try container.start(useInit: true, arguments: command)
                } catch {
                    Issue.record("round \(round): \(error)")
                    return
                }
                try #require(try container.wait(for: .stopped, timeout: .seconds(30)), "round \(round)")
            }
            // Nothing is lost: the container starts with its real init.
            try container.start()
            #expect(container.state == .running)
            try container.stop()
        }
    }

    /// An init that cannot be executed at all (no lxc-init in between) is a failed start in
    /// liblxc's terms: its child reports the failed exec before the container runs, and
    /// `shortlived.c` expects the start to fail. `start` says so every time, naming the
    /// program.
    @Test func anInitThatCannotBeExecutedFailsEveryTime() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            for round in 0..<20 {
                let error = #expect(throws: LXCError.self, "round \(round)") {
                    try container.start(arguments: ["/no/such/program"])
                }
                #expect(error?.kind == .failed, "round \(round)")
                #expect(error?.log.contains { $0.contains("Failed to exec \"/no/such/program\"") } == true,
                        "round \(round): \(String(describing: error))")
                try #require(try container.wait(for: .stopped, timeout: .seconds(30)), "round \(round)")
            }
            try container.start()
            #expect(container.state == .running)
            try container.stop()
        }
    }

    /// liblxc makes a container's command socket (an abstract unix socket named after the
    /// lxcpath and name) in the starting process before it forks the monitor; a monitor of
    /// another container started at that moment inherits it for a while, and a short-lived
    /// container started again meanwhile found its socket still bound, and start threw
    /// "already running" (seen once in 100 short-lived starts beside other starts). start
    /// tries again for a moment; a socket that stays bound is an error that says so, and
    /// nothing was started.
    @Test func aCommandSocketHeldByAnotherProcessIsNamedAndThenReleased() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let name = "/" + sandbox.lxcpath.drop { $0 == "/" } + "/\(container.name)/command"
            let holder = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            try #require(holder >= 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(name.utf8)
            try #require(bytes.count + 1 < MemoryLayout.size(ofValue: address.sun_path))
            withUnsafeMutableBytes(of: &address.sun_path) { path in
                path[0] = 0  // abstract
                for (index, byte) in bytes.enumerated() { path[index + 1] = byte }
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) }
            }
            try #require(bound == 0, "cannot bind \(name): \(String(cString: strerror(errno)))")

            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(error?.kind == .failed)
            #expect(error?.message.contains("command socket is still bound") == true, "\(String(describing: error))")
            #expect(container.state == .stopped)

            close(holder)
            try container.start()
            #expect(container.state == .running)
            try container.stop()
        }
    }

    /// Whether the init could be run is what a foreground start tells: it returns when the
    /// container has stopped, and for a program that does not exist it throws, every time,
    /// with the same exit status.
    @Test(.disabled(if: Sanitizers.thread, "Thread Sanitizer ends liblxc's in-process container init with its own exit code"))
    func aForegroundStartOfAMissingProgramFailsEveryTime() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.setDaemonizes(false)
            var messages: Set<String> = []
            for round in 0..<10 {
                let error = #expect(throws: LXCError.self, "round \(round)") {
                    try container.start(useInit: true, arguments: ["/no/such/program"])
                }
                #expect(error?.kind == .failed)
                if let message = error?.message { messages.insert(message) }
                #expect(container.state == .stopped)
            }
            #expect(messages.count == 1, "\(messages)")
            #expect(messages.first?.contains("exited with code") == true, "\(messages)")
        }
    }

    @Test(.privilegedOnly("it mounts a small tmpfs for the full disk, and mount(2) needs root"))
    func aFullDiskDuringCreateLeavesNothingHalfDefined() throws {
        try Sandbox.withBlocking { sandbox in
            let small = "\(sandbox.lxcpath)/small"
            try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
            #expect(mount("tmpfs", small, "tmpfs", 0, "size=512k") == 0, "cannot mount a small tmpfs: \(String(cString: strerror(errno)))")
            defer { umount2(small, Int32(MNT_DETACH)) }
            let container = try Container(name: sandbox.uniqueName(), lxcpath: small)
            let error = #expect(throws: LXCError.self) { try container.create(template: "busybox", options: .quiet) }
            #expect(error?.kind == .failed)
            #expect(!container.isDefined)
            #expect(try Container.names(.all, in: small).isEmpty)
            let left = (try? FileManager.default.contentsOfDirectory(atPath: small)) ?? []
            #expect(!left.contains(container.name), "left behind: \(left)")
        }
    }
}

extension FaultTests {
    /// Without liblxc, lxcctl does not start: the CLXC system library links liblxc.so.1 into
    /// every program that imports LXC, and the dynamic loader stops before any of lxcctl's
    /// code runs. What the user sees must still name the missing library (the README says
    /// which package has it). The library is hidden in a private mount namespace: an overlay
    /// over its directory whose upper layer deletes liblxc.so*, so the host is not touched.
    @Test(.privilegedOnly("it hides liblxc in a private mount namespace, and mount(2) needs root"))
    func lxcctlWithoutLiblxcNamesTheMissingLibrary() async throws {
        let lxcctl = try #require(LXCCtlRunner.binary, "lxcctl was not built next to the tests")
        // /proc files report a size of 0, which String(contentsOfFile:) believes.
        let maps = String(decoding: try LXCCtlRunner.bytes(of: "/proc/self/maps"), as: UTF8.self)
        let mapped = try #require(maps.split(separator: "\n").lazy.compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
        }.first { $0.contains("/liblxc.so") }, "liblxc is not loaded in the test process")
        let library = URL(fileURLWithPath: mapped).resolvingSymlinksInPath().deletingLastPathComponent().path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("no-liblxc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let script = """
            set -e
            mount -t tmpfs tmpfs "$2"
            mkdir "$2/upper" "$2/work"
            for f in "$1"/liblxc.so*; do mknod "$2/upper/${f##*/}" c 0 0; done
            mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$1"
            test ! -e "$1/liblxc.so.1"
            exec "$3" list
            """
        let result = try await LXCCtlRunner.result(ofProgram: "/usr/bin/unshare",
            ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", library, scratch, lxcctl])
        #expect(result.status == 127, "stderr: \(result.standardError)")
        #expect(result.standardError.contains("liblxc.so.1: cannot open shared object file"), "stderr: \(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }
}
