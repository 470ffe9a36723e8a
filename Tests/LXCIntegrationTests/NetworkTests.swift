import Foundation
import LXC
import Testing

@Suite("Network interfaces and addresses of real containers", .integration, .timeLimit(.minutes(3)))
struct NetworkTests {
    @Test(.privilegedOnly("it makes a bridge on the host (ip link add), which needs CAP_NET_ADMIN in the host's network namespace"))
    func staticAddressOnABridgeIsReported() throws {
        try Sandbox.withBlocking { sandbox in
            let bridge = HostTools.uniqueLinkName("swlxbr")
            try HostTools.require(["ip", "link", "add", bridge, "type", "bridge"])
            defer { _ = try? HostTools.run(["ip", "link", "del", bridge]) }
            try HostTools.require(["ip", "link", "set", bridge, "up"])

            let address = "192.0.2.\(Int.random(in: 10...250))"
            let container = try sandbox.busybox()
            try container.clearConfigItem("lxc.net")
            try container.setConfigItem("lxc.net.0.type", to: "veth")
            try container.setConfigItem("lxc.net.0.link", to: bridge)
            try container.setConfigItem("lxc.net.0.flags", to: "up")
            try container.setConfigItem("lxc.net.0.name", to: "eth0")
            try container.setConfigItem("lxc.net.0.ipv4.address", to: "\(address)/24")
            try container.saveConfig()
            try HostTools.removeDHCPClient(from: container, in: sandbox)
            try container.start()

            #expect(try container.waitForIPAddresses(family: .ipv4, timeout: .seconds(20)) == [address])
            #expect(try container.ipAddresses() == [address], "global addresses of every interface but lo")
            #expect(try container.ipAddresses(interface: "eth0", family: .ipv4) == [address])
            #expect(try container.ipAddresses(interface: "lo", family: .ipv4) == ["127.0.0.1"])
            #expect(try container.ipAddresses(family: .ipv6, scope: 0).allSatisfy { !$0.hasPrefix("fe80") })
            let interfaces = try container.interfaces()
            #expect(interfaces.contains("eth0"))
            #expect(interfaces.contains("lo"))

            // Traffic from the container: a broadcast datagram sent from its network namespace.
            let before = try #require(try container.interfaceStatistics().first { $0.interface == "eth0" })
            let pid = try #require(container.initPID)
            try HostTools.sendUDP(fromNetworkNamespaceOf: pid, to: "192.0.2.255", broadcast: true)
            let after = try #require(try container.interfaceStatistics().first { $0.interface == "eth0" })
            #expect(after.transmittedPackets > before.transmittedPackets)
            #expect(after.transmittedBytes > before.transmittedBytes)
            #expect(try container.interfaceStatistics().contains { $0.interface == "lo" })
        }
    }

    @Test(.privilegedOnly("it makes a link on the host (ip link add) and moves it between network namespaces, which needs CAP_NET_ADMIN on the host"))
    func dummyLinkMovesIntoTheContainerAndBack() throws {
        try Sandbox.withBlocking { sandbox in
            let dummy = HostTools.uniqueLinkName("swlxd")
            let inside = HostTools.uniqueLinkName("swlxin")
            let peer = HostTools.uniqueLinkName("swlxp")
            // A dummy link where the kernel has the dummy driver; otherwise one end of a veth
            // pair (deleting either end deletes both).
            if try HostTools.run(["ip", "link", "add", dummy, "type", "dummy"]).status != 0 {
                try HostTools.require(["ip", "link", "add", dummy, "type", "veth", "peer", "name", peer])
            }
            defer {
                _ = try? HostTools.run(["ip", "link", "del", dummy])
                _ = try? HostTools.run(["ip", "link", "del", peer])
            }

            let container = try sandbox.busybox()
            try container.start()
            #expect(try !container.interfaces().contains(inside))

            try container.attachInterface(dummy, as: inside)
            #expect(try container.interfaces().contains(inside))
            #expect(!HostTools.hostHasLink(dummy), "the device left the host")

            try container.detachInterface(inside, as: dummy)
            #expect(try !container.interfaces().contains(inside))
            #expect(HostTools.hostHasLink(dummy), "the device is back on the host")
        }
    }

    @Test func badNamesAndStatesAreReportedClearly() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let stopped = #expect(throws: LXCError.self) { try container.interfaces() }
            #expect(stopped?.kind == .wrongState)
            let stoppedAddresses = #expect(throws: LXCError.self) { try container.ipAddresses() }
            #expect(stoppedAddresses?.kind == .wrongState)

            try container.start()
            for bad in ["", "a/b", "eth0:1", "sixteen-bytes-xx", "a b"] {
                let error = #expect(throws: LXCError.self) { try container.ipAddresses(interface: bad) }
                #expect(error?.kind == .invalidArgument, "\(bad)")
            }
            let missing = #expect(throws: LXCError.self) { try container.attachInterface("swlxnone0") }
            #expect(missing?.kind == .notFound)
            let notInside = #expect(throws: LXCError.self) { try container.detachInterface("swlxnone0") }
            #expect(notInside?.kind == .notFound)

            // The sandbox's containers have an empty network: no address ever comes.
            #expect(try container.ipAddresses() == [])
            let timedOut = #expect(throws: LXCError.self) {
                try container.waitForIPAddresses(family: .ipv4, timeout: .milliseconds(300))
            }
            #expect(timedOut?.kind == .timedOut)
        }
    }

    @Test func waitingForAnAddressWorksFromAsyncCode() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            try await container.start()
            await #expect(throws: LXCError.self) {
                try await container.waitForIPAddresses(timeout: .milliseconds(200))
            }
        }
    }
}
