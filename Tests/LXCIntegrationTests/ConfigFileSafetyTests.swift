import Foundation
import LXC
import Testing

@Suite("Configuration files are saved whole and read only from regular files", .integration, .timeLimit(.minutes(3)))
struct ConfigFileSafetyTests {
    /// The names in a directory.
    static func entries(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    /// Gives the container a configuration of a few kilobytes, as in the report (4,085 bytes).
    static func pad(_ container: Container) throws {
        for index in 0..<40 {
            try container.setConfigItem("lxc.environment", to: "PADDING_\(index)=" + String(repeating: "x", count: 80))
        }
        try container.saveConfig()
    }

    // MARK: atomic saves

    @Test(.privilegedOnly("it mounts a small tmpfs to fill, which needs root"))
    func saveOnAFullDiskThrowsNoSpaceAndKeepsTheOldFile() throws {
        try Sandbox.withBlocking { sandbox in
            let disk = try SmallDisk.mount(in: sandbox, megabytes: 12)
            defer { disk.unmount() }
            let container = try Container(name: sandbox.uniqueName("full"), lxcpath: disk.path)
            try container.create(template: "busybox", options: .quiet)
            try Self.pad(container)
            let path = try #require(container.configFileName)
            let before = try LXCCtlRunner.bytes(of: path)
            #expect(before.count > 4000)
            let filler = try disk.fill()

            try container.setConfigItem("lxc.uts.name", to: "x")
            let error = #expect(throws: LXCError.self) { try container.saveConfig() }
            #expect(error?.code == ENOSPC, "\(String(describing: error))")
            #expect(error?.message.lowercased().contains("no space left on device") == true, "\(String(describing: error))")
            #expect(error?.operation == "saveConfig")
            #expect(error?.container == container.name)

            #expect(try LXCCtlRunner.bytes(of: path) == before, "the old configuration is byte for byte as it was")
            let directory = "\(disk.path)/\(container.name)"
            #expect(try Self.entries(directory).filter { $0.hasPrefix(".") }.isEmpty, "no temporary file is left")
            let again = try Container(name: container.name, lxcpath: disk.path)
            #expect(again.isDefined)
            #expect(try again.configItem("lxc.uts.name") == container.name)
            #expect(try Container.names(.all, in: disk.path) == [container.name])

            unlink(filler)
            try again.destroy()
            #expect(!again.isDefined)
        }
    }

    @Test(.privilegedOnly("it mounts a small tmpfs to fill, which needs root"))
    func configSetThroughTheCLIOnAFullDiskFailsWithTheReason() async throws {
        try await Sandbox.with { sandbox in
            let disk = try SmallDisk.mount(in: sandbox, megabytes: 12)
            defer { disk.unmount() }
            let name = sandbox.uniqueName("full")
            let container = try Container(name: name, lxcpath: disk.path)
            try await container.create(template: "busybox", options: .quiet)
            try Self.pad(container)
            let path = try #require(container.configFileName)
            let before = try LXCCtlRunner.bytes(of: path)
            let filler = try disk.fill()

            let result = try await LXCCtlRunner.result(of: ["--lxcpath", disk.path, "config", "set", name, "lxc.uts.name", "x"])
            #expect(result.status != 0)
            #expect(result.standardError.lowercased().contains("no space left on device"), "\(result.standardError)")
            #expect(try LXCCtlRunner.bytes(of: path) == before)
            let listed = try await LXCCtlRunner.result(of: ["--lxcpath", disk.path, "ls", "--format", "json"])
            #expect(listed.status == 0 && listed.standardOutput.contains(name), "\(listed.standardError)")

            unlink(filler)
            let destroyed = try await LXCCtlRunner.result(of: ["--lxcpath", disk.path, "destroy", name])
            #expect(destroyed.status == 0, "\(destroyed.standardError)")
        }
    }

    @Test func aSuccessfulSaveLeavesNoTemporaryFileAndKeepsTheMode() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let path = try #require(container.configFileName)
            let directory = "\(sandbox.lxcpath)/\(container.name)"
            let listed = try Self.entries(directory)
            #expect(chmod(path, 0o640) == 0)

            try container.setConfigItem("lxc.uts.name", to: "saved")
            try container.saveConfig()
            #expect(try Self.entries(directory) == listed)
            #expect(try String(contentsOfFile: path, encoding: .utf8).contains("lxc.uts.name = saved"))
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o7777 == 0o640)

            // An explicit file in an empty directory: only that file, with liblxc's mode for
            // a new one (0660 minus the umask).
            let out = "\(sandbox.lxcpath)/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
            try container.saveConfig(to: "\(out)/copy.conf")
            #expect(try Self.entries(out) == ["copy.conf"])
            let mask = umask(0o022)
            umask(mask)
            #expect(stat("\(out)/copy.conf", &info) == 0 && info.st_mode & 0o7777 == 0o660 & ~mask)
            #expect(try LXCCtlRunner.bytes(of: "\(out)/copy.conf") == LXCCtlRunner.bytes(of: path))
        }
    }

    @Test func savingBeforeCreateMakesTheContainersDirectory() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            #expect(!container.isDefined)
            try container.setConfigItem("lxc.uts.name", to: "early")
            try container.saveConfig()
            #expect(container.isDefined)
            let again = try Container(name: container.name, lxcpath: sandbox.lxcpath)
            #expect(try again.configItem("lxc.uts.name") == "early")
            #expect(try Self.entries("\(sandbox.lxcpath)/\(container.name)") == ["config"])
        }
    }

    @Test func aLinkOrDirectoryAtTheDestinationIsRefusedAndLeftAlone() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let target = "\(sandbox.lxcpath)/target"
            try "keep me\n".write(toFile: target, atomically: false, encoding: .utf8)
            let link = "\(sandbox.lxcpath)/link.conf"
            #expect(symlink(target, link) == 0)
            let linked = #expect(throws: LXCError.self) { try container.saveConfig(to: link) }
            #expect(linked?.kind == .invalidArgument)
            #expect(linked?.message.contains("symbolic link") == true, "\(String(describing: linked))")
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")

            let directory = "\(sandbox.lxcpath)/a-directory"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let intoDirectory = #expect(throws: LXCError.self) { try container.saveConfig(to: directory) }
            #expect(intoDirectory?.kind == .invalidArgument)
            #expect(try Self.entries(directory).isEmpty)
        }
    }

    @Test func aContainerDirectoryThatIsALinkIsNotWrittenThrough() throws {
        try Sandbox.withBlocking { sandbox in
            let elsewhere = "\(sandbox.lxcpath)/elsewhere"
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
            try "lxc.uts.name = elsewhere\n".write(toFile: "\(elsewhere)/config", atomically: false, encoding: .utf8)
            let name = sandbox.uniqueName("linked")
            #expect(symlink(elsewhere, "\(sandbox.lxcpath)/\(name)") == 0)
            let container = try sandbox.container(name)
            try container.setConfigItem("lxc.uts.name", to: "through-the-link")
            let error = #expect(throws: LXCError.self) { try container.saveConfig() }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message.contains("symbolic link") == true, "\(String(describing: error))")
            #expect(try String(contentsOfFile: "\(elsewhere)/config", encoding: .utf8) == "lxc.uts.name = elsewhere\n")
            #expect(try Self.entries(elsewhere) == ["config"])
            unlink("\(sandbox.lxcpath)/\(name)")
        }
    }

    // MARK: includes and loads

    @Test func includeOrLoadOfDevZeroIsRefusedAtOnce() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            let include = await resultUnlessHung { try container.setConfigItem("lxc.include", to: "/dev/zero") }
            let includeError = try #require(include, "setConfigItem(lxc.include, /dev/zero) never returned")
            #expect(throws: LXCError.self) { try includeError.get() }
            if case .failure(let error as LXCError) = includeError {
                #expect(error.kind == .invalidArgument)
                #expect(error.message.contains("character device"), "\(error)")
            }
            let load = await resultUnlessHung { try container.loadConfig(from: "/dev/zero") }
            let loadError = try #require(load, "loadConfig(from: /dev/zero) never returned")
            if case .failure(let error as LXCError) = loadError {
                #expect(error.kind == .invalidArgument)
            } else {
                Issue.record("loadConfig(from: /dev/zero) did not throw an LXCError: \(loadError)")
            }
            #expect(try container.configItem("lxc.uts.name") == container.name, "the handle's configuration is as it was")
        }
    }

    @Test func includeOrLoadOfAFIFOIsRefusedAtOnce() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            let fifo = "\(sandbox.lxcpath)/config.fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            // Should a call hang in open(2), a writer that opens and closes the FIFO lets it go.
            defer {
                let writer = open(fifo, O_WRONLY | O_NONBLOCK)
                if writer >= 0 { close(writer) }
            }
            let include: @Sendable () throws -> Void = { try container.setConfigItem("lxc.include", to: fifo) }
            let load: @Sendable () throws -> Void = { try container.loadConfig(from: fifo) }
            for (what, call) in [("setConfigItem(lxc.include)", include), ("loadConfig(from:)", load)] {
                let outcome = await resultUnlessHung(.seconds(20), call)
                guard let outcome else {
                    Issue.record("\(what) of a FIFO never returned")
                    let writer = open(fifo, O_WRONLY | O_NONBLOCK)
                    if writer >= 0 { close(writer) }
                    continue
                }
                if case .failure(let error as LXCError) = outcome {
                    #expect(error.kind == .invalidArgument, "\(what)")
                    #expect(error.message.contains("FIFO"), "\(what): \(error)")
                } else {
                    Issue.record("\(what) of a FIFO did not throw an LXCError: \(outcome)")
                }
            }
        }
    }

    @Test func includedDirectoriesAndNestedIncludesAreCheckedToo() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            // A directory of *.conf files is read.
            let good = "\(sandbox.lxcpath)/good.d"
            try FileManager.default.createDirectory(atPath: good, withIntermediateDirectories: false)
            try "lxc.uts.name = from-directory\n".write(toFile: "\(good)/a.conf", atomically: false, encoding: .utf8)
            try container.setConfigItem("lxc.include", to: good)
            #expect(try container.configItem("lxc.uts.name") == "from-directory")

            // A FIFO among them is refused.
            let bad = "\(sandbox.lxcpath)/bad.d"
            try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: false)
            #expect(mkfifo("\(bad)/b.conf", 0o600) == 0)
            defer {
                let writer = open("\(bad)/b.conf", O_WRONLY | O_NONBLOCK)
                if writer >= 0 { close(writer) }
            }
            // A regular file that includes /dev/zero, and one that includes itself.
            let nested = "\(sandbox.lxcpath)/nested.conf"
            try "# nested\n  lxc.include = \"/dev/zero\"\n".write(toFile: nested, atomically: false, encoding: .utf8)
            let looping = "\(sandbox.lxcpath)/loop.conf"
            try "lxc.include = \(looping)\n".write(toFile: looping, atomically: false, encoding: .utf8)

            for (path, words) in [(bad, "FIFO"), (nested, "character device"), (looping, "includes itself")] {
                let outcome = await resultUnlessHung(.seconds(20)) { try container.setConfigItem("lxc.include", to: path) }
                guard let outcome else {
                    Issue.record("lxc.include of \(path) never returned")
                    continue
                }
                if case .failure(let error as LXCError) = outcome {
                    #expect(error.kind == .invalidArgument, "\(path)")
                    #expect(error.message.contains(words), "\(path): \(error)")
                } else {
                    Issue.record("lxc.include of \(path) did not throw an LXCError: \(outcome)")
                }
                let load = await resultUnlessHung(.seconds(20)) { try container.loadConfig(from: path) }
                if case .failure(let error as LXCError)? = load {
                    #expect(error.kind == .invalidArgument, "loadConfig \(path)")
                } else {
                    Issue.record("loadConfig(from: \(path)) did not throw an LXCError: \(String(describing: load))")
                }
            }
        }
    }
}
