import Foundation
import LXC
import Testing

/// Nothing outside a container's own directory is created, changed or deleted, and nothing
/// already in it is lost, whatever the input.
@Suite("Nothing is written outside a container's directory", .integration, .timeLimit(.minutes(5)))
struct DirectorySafetyTests {
    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func aFailedCreateKeepsFilesThatWereInTheContainersDirectory() throws {
        try Sandbox.withBlocking { sandbox in
            let name = sandbox.uniqueName("keep")
            let kept = "\(sandbox.lxcpath)/\(name)/rootfs/f"
            try write("data", to: kept)
            let container = try sandbox.container(name)
            let error = #expect(throws: LXCError.self) { try container.create(template: "/bin/false") }
            #expect(error?.kind == .alreadyExists)
            #expect(error?.message.contains("\"rootfs\"") == true, "\(error?.message ?? "")")
            #expect(read(kept) == "data")
        }
    }

    @Test func createRefusesASymlinkedContainerDirectoryAndLeavesItsTarget() throws {
        try Sandbox.withBlocking { sandbox in
            let target = sandbox.lxcpath + "-outside"
            defer { try? FileManager.default.removeItem(atPath: target) }
            try write("host data", to: target + "/rootfs/f")
            let name = sandbox.uniqueName("link")
            try FileManager.default.createSymbolicLink(atPath: "\(sandbox.lxcpath)/\(name)", withDestinationPath: target)
            let container = try sandbox.container(name)
            let error = #expect(throws: LXCError.self) { try container.create(template: "/bin/false") }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message.contains("symbolic link") == true, "\(error?.message ?? "")")
            #expect(read(target + "/rootfs/f") == "host data")
            try FileManager.default.removeItem(atPath: "\(sandbox.lxcpath)/\(name)")
        }
    }

    @Test func destroyRefusesASymlinkedContainerDirectoryAndLeavesItsTarget() throws {
        try Sandbox.withBlocking { real in
            try Sandbox.withBlocking { sandbox in
                let original = try real.busybox()
                // Beside the root filesystem: an unprivileged container's belongs to its root.
                try write("still here", to: "\(real.lxcpath)/\(original.name)/marker")
                let alias = sandbox.uniqueName("alias")
                try FileManager.default.createSymbolicLink(atPath: "\(sandbox.lxcpath)/\(alias)",
                                                           withDestinationPath: "\(real.lxcpath)/\(original.name)")
                defer { try? FileManager.default.removeItem(atPath: "\(sandbox.lxcpath)/\(alias)") }
                let linked = try sandbox.container(alias)
                let error = #expect(throws: LXCError.self) { try linked.destroy() }
                #expect(error?.kind == .invalidArgument)
                #expect(error?.message.contains("symbolic link") == true, "\(error?.message ?? "")")
                let renamed = #expect(throws: LXCError.self) { try linked.rename(to: sandbox.uniqueName("moved")) }
                #expect(renamed?.kind == .invalidArgument)
                #expect(read("\(real.lxcpath)/\(original.name)/marker") == "still here")
                #expect(FileManager.default.fileExists(atPath: "\(real.lxcpath)/\(original.name)/rootfs/bin/busybox"))
                #expect(original.isDefined)
            }
        }
    }

    @Test("Template options that would write outside the lxcpath are refused",
          arguments: [["--path", "/tmp/swift-lxc-evil"], ["--rootfs=/tmp/swift-lxc-evil"], ["--pa=/tmp/swift-lxc-evil"], ["-n", "other"]])
    func templateOptionsLiblxcPassesItselfAreRefused(arguments: [String]) throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let error = #expect(throws: LXCError.self) {
                try container.create(template: "busybox", options: .quiet, arguments: arguments)
            }
            #expect(error?.kind == .invalidArgument)
            #expect(!FileManager.default.fileExists(atPath: "/tmp/swift-lxc-evil"))
            #expect(!container.isDefined)
            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(container.name)"))
        }
    }

    @Test("Names a template would split or interpret are refused before anything runs",
          arguments: ["x y", "web ", "a#b", "a=b", "-x", String(repeating: "h", count: 65)])
    func namesTemplatesCannotCarryAreRefused(name: String) throws {
        try Sandbox.withBlocking { sandbox in
            let error = #expect(throws: LXCError.self) { try Container(name: name, lxcpath: sandbox.lxcpath) }
            #expect(error?.kind == .invalidArgument)
            // Through the CLI too: refused, nothing made in the lxcpath or beside it.
            let binary = try #require(LXCCtlRunner.binary)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["-P", sandbox.lxcpath, "create", name, "-t", "busybox", "-q"]
            process.currentDirectoryURL = URL(fileURLWithPath: sandbox.lxcpath)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus != 0)
            let left = try FileManager.default.contentsOfDirectory(atPath: sandbox.lxcpath).filter { !$0.hasPrefix(".") }
            #expect(left.isEmpty, "\(left)")
        }
    }

    /// liblxc's workflow: items set on a container that is not defined yet, saved, then
    /// create. A failed create puts the saved configuration back as it was.
    @Test func createAfterSaveConfigWorksAndAFailedOneKeepsTheSavedConfig() throws {
        try Sandbox.withBlocking { sandbox in
            let failing = try sandbox.containerWithSavedConfig([("lxc.uts.name", "saved-first")])
            let file = "\(sandbox.lxcpath)/\(failing.name)/config"
            let saved = try #require(read(file))
            #expect(throws: LXCError.self) { try failing.create(template: "/bin/false") }
            #expect(read(file) == saved)
            #expect(failing.state == .stopped)

            let container = try sandbox.containerWithSavedConfig([("lxc.start.order", "7")])
            try container.create(template: "busybox", options: .quiet)
            #expect(container.isDefined)
            #expect(try container.configItem("lxc.start.order") == "7")
            #expect(FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(container.name)/rootfs/bin/busybox"))
        }
    }

    /// A start never runs a container on the host's root: a configuration without
    /// lxc.rootfs.path (what a clone killed early leaves) is refused.
    @Test func aContainerWithoutARootFilesystemIsNeverStarted() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.clearConfigItem("lxc.rootfs.path")
            try container.saveConfig()
            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message.contains("no root filesystem") == true, "\(error?.message ?? "")")
            #expect(container.state == .stopped)
        }
    }
}
