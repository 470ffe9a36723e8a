import Foundation
import LXC
import Testing

/// Id maps on real containers, and what an ordinary user is told when its setup lacks one.
/// Each runs as root and as an ordinary user (scripts/test-unprivileged.sh).
@Suite("Id maps and unprivileged containers", .integration, .timeLimit(.minutes(3)))
struct UnprivilegedTests {
    /// Maps for a container's root: the caller's subordinate ids, or for root (which may map
    /// any ids and has none of its own) a range of its choosing.
    func rootMappings() throws -> [IDMap] {
        if Integration.unprivileged { return try IDMap.rootMappings() }
        return [try IDMap(.user, hostID: 200_000, count: 65536), try IDMap(.group, hostID: 200_000, count: 65536)]
    }

    @Test func idMapsAreWrittenToTheConfigFileAndReadBack() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let maps = try rootMappings() + [try IDMap(.user, containerID: 65536, hostID: 90_000, count: 1)]
            try container.setIDMaps(maps)
            #expect(try container.idMaps() == maps)
            try container.saveConfig()
            let text = try String(contentsOfFile: try #require(container.configFileName), encoding: .utf8)
            #expect(text.contains("lxc.idmap = u 65536 90000 1"))
            let again = try Container(name: container.name, lxcpath: sandbox.lxcpath)
            #expect(try again.idMaps() == maps)
            #expect(again.isUnprivileged)

            try container.setIDMaps([])
            #expect(try container.idMaps().isEmpty)
            #expect(!container.isUnprivileged)
        }
    }

    @Test func overlappingMapsAreRefusedAndChangeNothing() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let before = try container.idMaps()
            let error = #expect(throws: LXCError.self) {
                try container.setIDMaps([try IDMap(.user, hostID: 100_000, count: 10), try IDMap(.user, hostID: 100_005, count: 10)])
            }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.message.contains("overlap") == true)
            #expect(try container.idMaps() == before)
        }
    }

    /// Whether the caller may have newuidmap map the ids of `rootMappings()`: an ordinary
    /// user its subordinate ids; root only those /etc/subuid and /etc/subgid give it too.
    var mayMapRootMappings: Bool {
        Integration.unprivileged
            || (!SubordinateIDRange.ranges(.user).isEmpty && !SubordinateIDRange.ranges(.group).isEmpty)
    }

    @Test func theRootOfAMappedContainerIsTheMappedHostID() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.container()
            let maps = try rootMappings()
            // Set before create, so that the root filesystem belongs to the mapped root.
            try container.setIDMaps(maps)
            try container.create(template: "busybox", options: .quiet)
            try container.setConfigItem("lxc.net.0.type", to: "empty")
            try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
            try container.saveConfig()
            #expect(container.isUnprivileged)
            guard mayMapRootMappings else {
                // liblxc has newuidmap write the maps, which allows root only the ids it
                // has in /etc/subuid: the error says so.
                let error = #expect(throws: LXCError.self) { try container.start() }
                #expect(error?.kind == .permissionDenied, "\(String(describing: error))")
                #expect(error?.message.contains("user root has no subordinate user ids in /etc/subuid") == true,
                        "\(String(describing: error))")
                return
            }
            try container.start()
            let pid = try #require(container.initPID)
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst()
            #expect(uids?.first.map(String.init) == String(maps[0].hostID), "\(status)")
            try container.stop()
        }
    }

    @Test func withoutIDMapsRootStartsAPrivilegedContainerAndAUserIsToldWhatIsMissing() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.setIDMaps([])
            try container.saveConfig()
            if !Integration.unprivileged {
                try container.start()
                #expect(container.state == .running)
                return
            }
            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(error?.kind == .permissionDenied, "\(String(describing: error))")
            #expect(error?.message.contains("maps no user ids") == true, "\(String(describing: error))")
            #expect(error?.message.contains("lxc.idmap") == true)
            #expect(container.state == .stopped)
        }
    }

    @Test func aMapOutsideTheUsersSubordinateIDsIsNamed() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let outside = [try IDMap(.user, hostID: 3_000_000_000, count: 65536),
                           try IDMap(.group, hostID: 3_000_000_000, count: 65536)]
            try container.setIDMaps(outside)
            if Integration.unprivileged {
                // Saving hands the file to the container's root, which these maps cannot name.
                let error = #expect(throws: LXCError.self) { try container.saveConfig() }
                #expect(error?.kind == .permissionDenied, "\(String(describing: error))")
                #expect(error?.message.contains("u 0 3000000000 65536") == true, "\(String(describing: error))")
            } else {
                try container.saveConfig()
            }
            // start uses the maps on the handle, saved or not.
            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(container.state == .stopped)
            #expect(error?.kind == .permissionDenied, "\(String(describing: error))")
            #expect(error?.message.contains("/etc/subuid") == true, "\(String(describing: error))")
            if !SubordinateIDRange.ranges(.user).isEmpty {
                #expect(error?.message.contains("u 0 3000000000 65536") == true, "\(String(describing: error))")
            }
        }
    }

    @Test func theDefaultLXCPathIsTheUsersOwn() throws {
        try Integration.requireAvailable()
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        if Integration.unprivileged {
            // liblxc's rule, unless the user's lxc.conf says otherwise.
            if !FileManager.default.fileExists(atPath: "\(home)/.config/lxc/lxc.conf") {
                #expect(LXC.defaultLXCPath == "\(home)/.local/share/lxc")
            }
            #expect(LXC.globalConfigItem("lxc.default_config") == "\(home)/.config/lxc/default.conf")
            #expect(LXC.unprivilegedSetupProblems.isEmpty, "\(LXC.unprivilegedSetupProblems)")
            #expect(try IDMap.rootMappings().count == 2)
        } else {
            if !FileManager.default.fileExists(atPath: "/etc/lxc/lxc.conf") {
                #expect(LXC.defaultLXCPath == "/var/lib/lxc")
            }
            #expect(LXC.unprivilegedSetupProblems.isEmpty)
        }
    }
}
