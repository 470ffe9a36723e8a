import Foundation
import LXC
import Testing

/// Every row: refused with an LXCError that names the problem, and nothing changed.
@Suite("Bad input is refused and changes nothing", .integration, .timeLimit(.minutes(3)))
struct BadInputTests {
    /// The bytes of every file under `path`, to show that nothing changed.
    func snapshot(_ path: String) -> [String: Data] {
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: path) else { return files }
        for case let relative as String in walker where !relative.contains("/rootfs/") {
            let full = path + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = FileManager.default.contents(atPath: full)
            }
        }
        return files
    }

    @Test("Bad names", arguments: ["", ".", "..", "a/b", "nul\u{0}", "new\nline", String(repeating: "n", count: 300),
                                   String(decoding: [0x62, 0x61, 0x64, 0xFF, 0xFE], as: UTF8.self)])
    func badNames(name: String) throws {
        try Sandbox.withBlocking { sandbox in
            let existing = try sandbox.busybox()
            let before = snapshot(sandbox.lxcpath)
            let made = #expect(throws: LXCError.self) { try Container(name: name, lxcpath: sandbox.lxcpath) }
            #expect(made?.kind == .invalidArgument)
            let renamed = #expect(throws: LXCError.self) { try existing.rename(to: name) }
            #expect(renamed?.kind == .invalidArgument)
            #expect(snapshot(sandbox.lxcpath) == before)
            #expect(existing.isDefined)
        }
    }

    @Test func badLXCPaths() throws {
        try Sandbox.withBlocking { sandbox in
            for path in ["", "relative", "./x"] {
                let error = #expect(throws: LXCError.self) { try Container(name: "c", lxcpath: path) }
                #expect(error?.kind == .invalidArgument, "\(path)")
                #expect(error?.message.contains("lxcpath") == true)
            }
            // A file where the lxcpath should be.
            let file = "\(sandbox.lxcpath)/a-file"
            _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
            let notDirectory = #expect(throws: LXCError.self) {
                try Container(name: "c", lxcpath: file).create(template: "busybox", options: .quiet)
            }
            #expect(notDirectory?.kind == .invalidArgument)
            #expect(notDirectory?.message.contains("not a directory") == true)
            #expect(FileManager.default.contents(atPath: file) == Data("x".utf8))
            // Listing a missing lxcpath names it.
            let missing = #expect(throws: LXCError.self) { try Container.names(in: "\(sandbox.lxcpath)/missing") }
            #expect(missing?.kind == .notFound)
        }
    }

    @Test func configKeysAndValues() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let before = snapshot(sandbox.lxcpath)
            let rows: [(key: String, value: String, kind: LXCError.Kind)] = [
                ("lxc.no.such.key", "1", .invalidArgument),
                ("lxc.uts.name", "a\nlxc.mount.entry = /etc etc none bind 0 0", .invalidArgument),
                ("lxc.uts.name", "nul\u{0}byte", .invalidArgument),
                ("lxc.uts.name\n", "x", .invalidArgument),
                ("lxc.uts name", "x", .invalidArgument),
                ("", "x", .invalidArgument),
            ]
            for row in rows {
                let error = #expect(throws: LXCError.self, "\(row)") { try container.setConfigItem(row.key, to: row.value) }
                #expect(error?.kind == row.kind, "\(row): \(String(describing: error))")
            }
            // A path longer than PATH_MAX is refused by liblxc; the error names the key and
            // stays readable.
            let long = "/" + String(repeating: "v", count: 65_536)
            let tooLong = #expect(throws: LXCError.self) { try container.setConfigItem("lxc.init.cwd", to: long) }
            #expect(tooLong?.kind == .invalidArgument)
            #expect(tooLong?.message.contains("lxc.init.cwd") == true)
            #expect((tooLong?.description.count ?? .max) < 2_000)
            // A long value liblxc accepts is read back whole.
            let variable = "LONG=" + String(repeating: "w", count: 65_536)
            try container.setConfigItem("lxc.environment", to: variable)
            // liblxc lists the entries of a list key one per line.
            #expect(try container.configItem("lxc.environment")?.split(separator: "\n").map(String.init) == [variable])
            try container.clearConfigItem("lxc.environment")
            try container.saveConfig()
            #expect(snapshot(sandbox.lxcpath) == before)
        }
    }

    @Test func templatesArgumentsAndTimeouts() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            for template in ["../busybox", "busy/box", "/no/such/lxc-template", "", "busy\nbox"] {
                #expect(throws: LXCError.self, "\(template)") { try container.create(template: template) }
            }
            let argument = #expect(throws: LXCError.self) { try container.create(template: "busybox", arguments: ["a\u{0}b"]) }
            #expect(argument?.kind == .invalidArgument)
            #expect(!container.isDefined)
            #expect(try Container.names(in: sandbox.lxcpath).isEmpty)

            let running = try sandbox.busybox()
            try running.start()
            let negativeWait = #expect(throws: LXCError.self) { try running.wait(for: .stopped, timeout: .seconds(-1)) }
            #expect(negativeWait?.kind == .invalidArgument)
            let negativeShutdown = #expect(throws: LXCError.self) { try running.shutdown(timeout: .milliseconds(-5)) }
            #expect(negativeShutdown?.kind == .invalidArgument)
            let initArgument = #expect(throws: LXCError.self) { try running.start(arguments: ["x\u{0}"]) }
            #expect(initArgument?.kind == .invalidArgument)
            #expect(running.state == .running)
        }
    }

    @Test func programsSnapshotsAndCgroupsInTheWrongStateOrWithBadInput() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let snap = try container.snapshot(comment: "kept")
            let before = snapshot(sandbox.lxcpath)

            // A stopped container runs nothing.
            let stoppedRun = #expect(throws: LXCError.self) { try container.run(["true"]) }
            #expect(stoppedRun?.kind == .wrongState)
            let stoppedOutput = #expect(throws: LXCError.self) { try container.output(of: ["true"]) }
            #expect(stoppedOutput?.kind == .wrongState)

            // Snapshot names and new names.
            for (name, newName, kind) in [("../snap0", "fresh", LXCError.Kind.invalidArgument),
                                          ("snap0\n", "fresh", .invalidArgument),
                                          (snap, "bad/name", .invalidArgument),
                                          ("snap99", "fresh", .notFound)] {
                let error = #expect(throws: LXCError.self, "\(name) as \(newName)") {
                    _ = try container.restoreSnapshot(name, as: newName)
                }
                #expect(error?.kind == kind, "\(name) as \(newName): \(String(describing: error))")
            }
            let missing = #expect(throws: LXCError.self) { try container.destroySnapshot("snap99") }
            #expect(missing?.kind == .notFound)
            #expect(snapshot(sandbox.lxcpath) == before)

            try container.start()
            // Programs: an empty command, NUL in an argument or an environment entry.
            for (command, environment) in [([String](), [String: String]()), (["a\u{0}b"], [:]), (["true"], ["A=B": "1"])] {
                var options = AttachOptions()
                options.environment = environment
                let error = #expect(throws: LXCError.self, "\(command) \(environment)") {
                    _ = try container.run(command, options: options)
                }
                #expect(error?.kind == .invalidArgument)
            }
            // A running container is neither snapshotted, restored over nor destroyed.
            let runningSnapshot = #expect(throws: LXCError.self) { _ = try container.snapshot() }
            #expect(runningSnapshot?.kind == .wrongState)
            let runningRestore = #expect(throws: LXCError.self) { try container.restoreSnapshotInPlace(snap) }
            #expect(runningRestore?.kind == .wrongState)
            let runningDestroy = #expect(throws: LXCError.self) { try container.destroy(includingSnapshots: true) }
            #expect(runningDestroy?.kind == .wrongState)
            // Cgroup keys that leave the container's cgroup, or carry a line break.
            for key in ["../memory.limit_in_bytes", "memory/../../x", "memory.limit_in_bytes\n", ""] {
                let error = #expect(throws: LXCError.self, "\(key)") { try container.setCgroupItem(key, to: "1") }
                #expect(error?.kind == .invalidArgument, "\(key): \(String(describing: error))")
            }
            #expect(container.state == .running)
            #expect(try container.snapshots().map(\.name) == [snap])
            try container.stop()
        }
    }
}
