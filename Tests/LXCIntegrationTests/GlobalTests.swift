import CLXC
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
        // liblxc's exact answer: an indexed key is not a key of its table, its prefix is.
        #expect(!LXC.isSupported(configItem: "lxc.net.0.type"))
        #expect(LXC.isSupported(configItem: "lxc.net."))
        #expect(LXC.isSupported(configItem: "lxc.rootfs.path"))
        #expect(!LXC.isSupported(configItem: "lxc.no.such.key"))
        #expect(LXC.hasAPIExtension("mount_injection_file"))
        #expect(!LXC.hasAPIExtension("no_such_extension"))
    }

    /// `isSupported(configItem:)` answers what `lxc_config_item_is_supported` answers, for
    /// keys of liblxc's table, keys under a family prefix, and keys it does not know (the
    /// library used to say yes to `lxc.arch.nonsense` because `lxc.arch` is a key).
    @Test(arguments: [
        ("lxc.arch", true), ("lxc.arch.nonsense", false), ("lxc.rootfs.path", true),
        ("lxc.rootfs.path.extra", false), ("lxc.net.", true), ("lxc.net", true), ("lxc.net.0.type", false),
        ("lxc.cgroup", true), ("lxc.cgroup.memory.limit_in_bytes", false), ("lxc.cgroup2", true),
        ("lxc.cgroup2.memory.max", false), ("lxc.sysctl", true), ("lxc.sysctl.net.ipv4.ip_forward", false),
        ("lxc.log.file", true), ("lxc.log.level", true), ("lxc.uts.name", true), ("lxc.no.such.key", false),
        ("lxc", false), ("lxc.", false), ("", false), ("lxc.init.cmd", true), ("lxc.init.cmd.x", false),
    ])
    func isSupportedAnswersWhatLiblxcAnswers(key: String, expected: Bool) throws {
        try Integration.requireAvailable()
        let liblxc = key.isEmpty ? false : lxc_config_item_is_supported(key)
        #expect(LXC.isSupported(configItem: key) == liblxc, "\(key)")
        #expect(liblxc == expected, "liblxc's answer for \(key)")
    }

    /// Keys that liblxc takes under a family prefix, though `isSupported` says no for them,
    /// still work on a container, and an unknown one is still an unknown key.
    @Test func indexedKeysStillWorkOnAContainer() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.setConfigItem("lxc.net.0.type", to: "empty")
            #expect(try container.configItem("lxc.net.0.type") == "empty")
            try container.setConfigItem("lxc.cgroup.pids.max", to: "50")
            try container.clearConfigItem("lxc.cgroup.pids.max")
            let error = #expect(throws: LXCError.self) { try container.setConfigItem("lxc.no.such.key", to: "1") }
            #expect(error?.kind == .invalidArgument)
        }
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
