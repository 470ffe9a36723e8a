import Foundation
import LXC
import Testing

@Suite("Errors say what went wrong", .integration, .timeLimit(.minutes(3)))
struct ErrorTests {
    @Test func startWithAMissingRootfsNamesIt() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let missing = "\(sandbox.lxcpath)/no-such-rootfs"
            try container.setConfigItem("lxc.rootfs.path", to: "dir:\(missing)")
            try container.saveConfig()
            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(error?.operation == "start")
            #expect(error?.container == container.name)
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("root filesystem") == true)
            #expect(error?.message.contains(missing) == true)
            // liblxc's own reason, from the monitor process, is quoted too.
            #expect(error?.log.contains { $0.contains(missing) } == true)
            #expect(container.state == .stopped)
        }
    }

    @Test func startOfARunningContainerIsAWrongStateError() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let pid = container.initPID
            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(error?.kind == .wrongState)
            #expect(error?.message.contains("already running") == true)
            #expect(container.initPID == pid)
        }
    }

    @Test func startOfAnUndefinedContainerSaysItIsNotDefined() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("not defined") == true)
        }
    }

    @Test func destroyOfARunningContainerIsRefusedAndItKeepsRunning() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let pid = container.initPID
            let error = #expect(throws: LXCError.self) { try container.destroy() }
            #expect(error?.kind == .wrongState)
            #expect(container.isDefined)
            #expect(container.state == .running)
            #expect(container.initPID == pid)
            #expect(FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(container.name)/rootfs/bin/busybox"))
        }
    }

    @Test func destroyOfAnUndefinedContainerIsNotFound() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let error = #expect(throws: LXCError.self) { try container.destroy() }
            #expect(error?.kind == .notFound)
        }
    }

    @Test func stopFreezeShutdownAndRebootOfAStoppedContainerAreWrongState() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let operations: [(String, () throws -> Void)] = [
                ("stop", { try container.stop() }),
                ("freeze", { try container.freeze() }),
                ("unfreeze", { try container.unfreeze() }),
                ("shutdown", { try container.shutdown(timeout: .seconds(1)) }),
                ("reboot", { try container.reboot() }),
            ]
            for (name, operation) in operations {
                let error = #expect(throws: LXCError.self, "\(name)") { try operation() }
                #expect(error?.kind == .wrongState, "\(name): \(String(describing: error))")
                #expect(error?.operation == name)
            }
            #expect(container.isDefined)
        }
    }

    @Test func renameOfARunningContainerIsRefused() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let error = #expect(throws: LXCError.self) { try container.rename(to: sandbox.uniqueName()) }
            #expect(error?.kind == .wrongState)
            #expect(container.state == .running)
        }
    }

    @Test func renameOntoAnExistingNameLeavesBothIntact() throws {
        try Sandbox.withBlocking { sandbox in
            let first = try sandbox.busybox()
            let second = try sandbox.busybox()
            try first.setConfigItem("lxc.uts.name", to: "first-host")
            try first.saveConfig()
            let error = #expect(throws: LXCError.self) { try first.rename(to: second.name) }
            #expect(error?.kind == .alreadyExists)
            #expect(first.isDefined && second.isDefined)
            #expect(try first.configItem("lxc.uts.name") == "first-host")
            #expect(try second.configItem("lxc.uts.name") == second.name)
        }
    }

    @Test func createOfAnExistingContainerIsRefused() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let again = try Container(name: container.name, lxcpath: sandbox.lxcpath)
            let error = #expect(throws: LXCError.self) { try again.create(template: "busybox", options: .quiet) }
            #expect(error?.kind == .alreadyExists)
            #expect(container.isDefined)
        }
    }

    @Test func createWithAMissingTemplateSaysSo() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let error = #expect(throws: LXCError.self) { try container.create(template: "no-such-template") }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("no-such-template") == true)
            #expect(!container.isDefined)
            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(container.name)/config"))
        }
    }

    @Test func aFailedCreateNamesTheTemplateAndLeavesTheHandleUsable() throws {
        try Sandbox.withBlocking { sandbox in
            let script = "\(sandbox.lxcpath)/failing-template"
            try "#!/bin/sh\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            let container = try sandbox.container()
            let error = #expect(throws: LXCError.self) { try container.create(template: script, options: .quiet) }
            #expect(error?.kind == .failed)
            #expect(error?.message.contains(script) == true)
            #expect(!container.isDefined)
            // The same handle creates the container with a working template.
            try container.create(template: "busybox", options: .quiet)
            #expect(container.isDefined)
        }
    }

    @Test func templatePathsMustBeAbsoluteAndExist() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let relative = #expect(throws: LXCError.self) { try container.create(template: "../busybox") }
            #expect(relative?.kind == .invalidArgument)
            let missing = #expect(throws: LXCError.self) { try container.create(template: "/nonexistent/lxc-x") }
            #expect(missing?.kind == .notFound)
            #expect(!container.isDefined)
        }
    }

    @Test func errorDescriptionIsOneReadableLine() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let error = #expect(throws: LXCError.self) { try container.freeze() }
            let text = String(describing: try #require(error))
            #expect(text.hasPrefix("freeze of container \"\(container.name)\" failed: "))
            #expect(!text.contains("\n"))
        }
    }
}
