import Foundation
import LXC
import Testing

@Suite("Configuration of real containers", .integration, .timeLimit(.minutes(3)))
struct ConfigTests {
    @Test func setSaveAndReadBackThroughANewHandle() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.setConfigItem("lxc.uts.name", to: "web-1")
            #expect(try container.configItem("lxc.uts.name") == "web-1")
            try container.saveConfig()

            let again = try Container(name: container.name, lxcpath: sandbox.lxcpath)
            #expect(try again.configItem("lxc.uts.name") == "web-1")
            #expect(try again.configItem("lxc.net.0.type") == "empty")
            let file = try String(contentsOfFile: try #require(container.configFileName), encoding: .utf8)
            #expect(file.contains("lxc.uts.name = web-1"))
        }
    }

    @Test func emptyValueIsAnEmptyStringAndMissingNetworkIsNil() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            #expect(try container.configItem("lxc.init.cwd") == "")
            #expect(try container.configItem("lxc.net.5.type") == nil)
        }
    }

    @Test func longValuesAreReadWhole() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let long = "/" + String(repeating: "a", count: 3000)
            try container.setConfigItem("lxc.init.cwd", to: long)
            #expect(try container.configItem("lxc.init.cwd") == long)
        }
    }

    @Test func clearConfigItemRemovesTheValue() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.setConfigItem("lxc.uts.name", to: "to-clear")
            try container.clearConfigItem("lxc.uts.name")
            #expect(try container.configItem("lxc.uts.name") == "")
            try container.saveConfig()
            let file = try String(contentsOfFile: try #require(container.configFileName), encoding: .utf8)
            #expect(!file.contains("to-clear"))
        }
    }

    @Test func configKeysListsKeysAndNetworkKeys() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let all = try container.configKeys()
            #expect(all.contains("lxc.rootfs.path"))
            #expect(all.contains("lxc.uts.name"))
            try container.setConfigItem("lxc.net.0.type", to: "veth")
            let network = try container.configKeys(prefix: "lxc.net.0")
            #expect(network.contains { $0.hasSuffix("type") })
            #expect(network.contains { $0.hasSuffix("veth.pair") })
        }
    }

    @Test func runningConfigItemAsksTheRunningContainer() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            #expect(throws: LXCError.self) { try container.runningConfigItem("lxc.uts.name") }
            try container.start()
            #expect(try container.runningConfigItem("lxc.uts.name") == container.name)
            // Changing the handle's configuration does not change the running one.
            try container.setConfigItem("lxc.uts.name", to: "changed")
            #expect(try container.runningConfigItem("lxc.uts.name") == container.name)
            try container.stop()
        }
    }

    @Test func saveToAnotherFileAndLoadItBack() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let copy = "\(sandbox.lxcpath)/copy.conf"
            try container.setConfigItem("lxc.uts.name", to: "from-copy")
            try container.saveConfig(to: copy)
            container.clearConfig()
            #expect(try container.configItem("lxc.uts.name") == nil)
            try container.loadConfig(from: copy)
            #expect(try container.configItem("lxc.uts.name") == "from-copy")
            try container.loadConfig()
            #expect(try container.configItem("lxc.uts.name") == container.name)
        }
    }

    @Test func newlineInAValueIsRefusedAndTheFileIsUntouched() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let path = try #require(container.configFileName)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let error = #expect(throws: LXCError.self) {
                try container.setConfigItem("lxc.uts.name", to: "x\nlxc.mount.entry = /etc etc none bind 0 0")
            }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message.contains("line break") == true)
            try container.saveConfig()
            let after = try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8)
            #expect(!after.contains("lxc.mount.entry = /etc"))
            #expect(after.utf8.count == before.count)
        }
    }

    @Test func unknownKeysAreNamedInTheError() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let read = #expect(throws: LXCError.self) { try container.configItem("lxc.no.such.key") }
            #expect(read?.kind == .invalidArgument)
            #expect(read?.message.contains("lxc.no.such.key") == true)
            let write = #expect(throws: LXCError.self) { try container.setConfigItem("lxc.no.such.key", to: "1") }
            #expect(write?.kind == .invalidArgument)
        }
    }

    @Test func refusedValueQuotesLiblxc() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let error = #expect(throws: LXCError.self) { try container.setConfigItem("lxc.net.0.type", to: "warp-drive") }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message.contains("warp-drive") == true, "\(String(describing: error))")
        }
    }

    @Test func theLibrarysErrorLogNeverReachesTheConfigFile() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            // A failing call makes the library follow liblxc's log for this handle.
            #expect(throws: LXCError.self) { try container.freeze() }
            try container.saveConfig()
            let file = try String(contentsOfFile: try #require(container.configFileName), encoding: .utf8)
            #expect(!file.contains("lxc.log.file"))
            #expect(try container.configItem("lxc.log.file") == "")
        }
    }

    @Test func aContainersOwnLogFileIsReadForErrors() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let log = "\(sandbox.lxcpath)/\(container.name).log"
            try container.setConfigItem("lxc.log.file", to: log)
            let error = #expect(throws: LXCError.self) { try container.freeze() }
            #expect(error?.kind == .wrongState)
            #expect(try container.configItem("lxc.log.file") == log)
            #expect(FileManager.default.fileExists(atPath: log))
        }
    }
}
