import Foundation
import LXC
import Testing

@Suite("liblxc's global facts", .integration)
struct GlobalTests {
    @Test func globalConfiguration() throws {
        try Integration.requireAvailable()
        #expect(LXC.defaultLXCPath.hasPrefix("/"))
        #expect(LXC.globalConfigItem("lxc.lxcpath") == LXC.defaultLXCPath)
        let defaultConfig = try #require(LXC.globalConfigItem("lxc.default_config"))
        #expect(FileManager.default.fileExists(atPath: defaultConfig))
        #expect(LXC.globalConfigItem("lxc.no.such.item") == nil)
    }

    @Test func supportedKeysAndExtensions() throws {
        try Integration.requireAvailable()
        #expect(LXC.isSupported(configItem: "lxc.net.0.type"))
        #expect(LXC.isSupported(configItem: "lxc.rootfs.path"))
        #expect(!LXC.isSupported(configItem: "lxc.no.such.key"))
        #expect(LXC.hasAPIExtension("mount_injection_file"))
        #expect(!LXC.hasAPIExtension("no_such_extension"))
    }

    @Test func waitStatesAreTheStatesLiblxcKnows() throws {
        try Integration.requireAvailable()
        let states = LXC.waitStates
        #expect(states.contains(.running))
        #expect(states.contains(.stopped))
        #expect(states.contains(.frozen))
        #expect(!states.contains { if case .other = $0 { true } else { false } })
    }
}
