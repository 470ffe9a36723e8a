import Foundation
import LXC
import Testing

@Suite("Typed network configuration of real containers", .integration, .timeLimit(.minutes(3)))
struct NetworkConfigTests {
    /// The lines of the container's saved configuration that start with `lxc.net`.
    func networkLines(_ container: Container, in sandbox: Sandbox) throws -> [String] {
        try container.saveConfig()
        let text = try String(contentsOfFile: "\(sandbox.lxcpath)/\(container.name)/config", encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("lxc.net") }
    }

    /// An address of 198.51.100.0/24 (TEST-NET-2) that no host interface has.
    func testAddress() throws -> String {
        let result = try HostTools.run(["ip", "-o", "addr", "show"])
        try #require(!result.output.contains("198.51.100."), "198.51.100.0/24 is in use on this host: \(result.output)")
        return "198.51.100.\(Int.random(in: 10...250))"
    }

    @Test func anEmptyNetworkTurnedIntoAVethKeepsItsFlagsAndLeavesNoStaleLines() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.setNetwork(.loopbackOnly)
            #expect(try networkLines(container, in: sandbox) == ["lxc.net.0.type = empty"])

            try container.setNetworkInterface(.veth(onBridge: "swlxnobr0", addresses: ["198.51.100.7/24"],
                                                    gateway: "198.51.100.1"), at: 0)
            let lines = Set(try networkLines(container, in: sandbox))
            #expect(lines.contains("lxc.net.0.type = veth"))
            #expect(lines.contains("lxc.net.0.flags = up"))
            #expect(lines.contains("lxc.net.0.link = swlxnobr0"))
            #expect(lines.contains("lxc.net.0.name = eth0"))
            #expect(lines.contains("lxc.net.0.ipv4.address = 198.51.100.7/24"))
            #expect(lines.contains("lxc.net.0.ipv4.gateway = 198.51.100.1"))
            #expect(!lines.contains { $0.contains("empty") })

            // Two interfaces, then back to loopback only: nothing of either is left.
            try container.setNetwork(.interfaces([
                .veth(onBridge: "swlxnobr0", addresses: ["198.51.100.8/24"]),
                .macvlan(on: "swlxnodev0", mode: .private, name: "eth1"),
            ]))
            let two = try networkLines(container, in: sandbox)
            #expect(two.contains("lxc.net.1.type = macvlan"))
            #expect(two.contains("lxc.net.1.macvlan.mode = private"))
            #expect(two.contains("lxc.net.1.flags = up"))
            #expect(!two.contains { $0.contains("198.51.100.7") })
            try container.setNetwork(.loopbackOnly)
            #expect(try networkLines(container, in: sandbox) == ["lxc.net.0.type = empty"])
        }
    }

    @Test func badInterfacesAreRefusedBeforeAnythingChanges() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let before = try networkLines(container, in: sandbox)
            let bad: [NetworkConfiguration] = [
                .veth(onBridge: "a/b"),
                .veth(onBridge: "br0", name: "sixteen-bytes-xx"),
                .veth(onBridge: "br0", addresses: ["198.51.100.300/24"]),
                .veth(onBridge: "br0", addresses: ["198.51.100.3/33"]),
                .veth(onBridge: "br0", addresses: ["198.51.100.3/24\nlxc.mount.entry = x"]),
                .veth(onBridge: "br0", gateway: "2001:db8::1"),
                .interfaces([.veth(onBridge: "br0"), .veth(onBridge: "br1")]),
                .interfaces([NetworkInterface(link: .bridge("br0"), mtu: 10)]),
                .interfaces([NetworkInterface(link: .bridge("br0"), hardwareAddress: "00:16:3e")]),
            ]
            for network in bad {
                let error = #expect(throws: LXCError.self) { try container.setNetwork(network) }
                #expect(error?.kind == .invalidArgument, "\(network)")
            }
            let negative = #expect(throws: LXCError.self) { try container.setNetworkInterface(.veth(onBridge: "br0"), at: -1) }
            #expect(negative?.kind == .invalidArgument)
            #expect(try networkLines(container, in: sandbox) == before, "nothing changed")
        }
    }

    @Test func aStartOnAMissingBridgeSaysWhatToDo() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let bridge = HostTools.uniqueLinkName("swlxnone")
            #expect(!HostTools.hostHasLink(bridge))
            try container.setNetwork(.veth(onBridge: bridge))
            try container.saveConfig()
            let error = #expect(throws: LXCError.self) { try container.start() }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains(bridge) == true)
            #expect(error?.message.contains("lxc.net.0.type = empty") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("ip link add \(bridge) type bridge") == true)
            #expect(container.state == .stopped)

            // Done as the message says, the container starts.
            try container.setNetwork(.loopbackOnly)
            try container.start()
            #expect(try container.interfaces() == ["lo"])
        }
    }

    @Test(.privilegedOnly("it makes a bridge on the host (ip link add), which needs CAP_NET_ADMIN in the host's network namespace, and an ordinary user's veth goes through lxc-user-nic, which allows only the bridges in /etc/lxc/lxc-usernet"))
    func aVethOnABridgeComesUpWithItsAddress() throws {
        try Sandbox.withBlocking { sandbox in
            let address = try testAddress()
            let bridge = HostTools.uniqueLinkName("swlxbr")
            try HostTools.require(["ip", "link", "add", bridge, "type", "bridge"])
            defer { _ = try? HostTools.run(["ip", "link", "del", bridge]) }
            try HostTools.require(["ip", "link", "set", bridge, "up"])

            let container = try sandbox.busybox()
            // As the issue did it: empty first, then a veth.
            try container.setNetwork(.loopbackOnly)
            try container.setNetwork(.veth(onBridge: bridge, addresses: ["\(address)/24"], gateway: "198.51.100.1"))
            try container.saveConfig()
            try HostTools.removeDHCPClient(from: container, in: sandbox)
            try container.start()

            #expect(try container.waitForIPAddresses(interface: "eth0", family: .ipv4, timeout: .seconds(20)) == [address])
            let link = try container.output(of: ["ip", "-o", "link", "show", "eth0"])
            #expect(link.status == .exited(0), "\(link.standardErrorString)")
            #expect(link.standardOutputString.contains("state UP") || link.standardOutputString.contains(",UP"),
                    "eth0 is up: \(link.standardOutputString)")
            let route = try container.output(of: ["ip", "route"])
            #expect(route.standardOutputString.contains("default via 198.51.100.1"), "\(route.standardOutputString)")
            // The host end joined the bridge.
            let members = try HostTools.run(["ip", "-o", "link", "show", "master", bridge])
            #expect(members.output.contains("veth"), "\(members.output)")
        }
    }
    @Test(.privilegedOnly("it makes links on the host (ip link add) and moves one into the container, which needs CAP_NET_ADMIN on the host"))
    func aPhysicalDeviceAndAMacvlanComeUpWithTheirAddresses() throws {
        try Sandbox.withBlocking { sandbox in
            let first = try testAddress()
            let second = "198.51.100.\(first.hasSuffix(".9") ? 8 : 9)"
            // No dummy driver here: the ends of two veth pairs stand in for host devices.
            let device = HostTools.uniqueLinkName("swlxph")
            let devicePeer = HostTools.uniqueLinkName("swlxpp")
            let parent = HostTools.uniqueLinkName("swlxmv")
            let parentPeer = HostTools.uniqueLinkName("swlxmp")
            try HostTools.require(["ip", "link", "add", device, "type", "veth", "peer", "name", devicePeer])
            defer { _ = try? HostTools.run(["ip", "link", "del", devicePeer]) }
            try HostTools.require(["ip", "link", "add", parent, "type", "veth", "peer", "name", parentPeer])
            defer { _ = try? HostTools.run(["ip", "link", "del", parent]) }
            try HostTools.require(["ip", "link", "set", parent, "up"])

            let container = try sandbox.busybox()
            try container.setNetwork(.interfaces([
                .physical(device, name: "eth1", addresses: ["\(first)/24"]),
                .macvlan(on: parent, mode: .bridge, name: "eth2", addresses: ["\(second)/24"]),
            ]))
            try container.saveConfig()
            try HostTools.removeDHCPClient(from: container, in: sandbox)
            try container.start()
            defer { try? container.stop() }

            #expect(!HostTools.hostHasLink(device), "the physical device left the host")
            #expect(try container.ipAddresses(interface: "eth1", family: .ipv4) == [first])
            #expect(try container.ipAddresses(interface: "eth2", family: .ipv4) == [second])
            for name in ["eth1", "eth2"] {
                let link = try container.output(of: ["ip", "-o", "link", "show", name])
                #expect(link.standardOutputString.contains(",UP"), "\(name) is up: \(link.standardOutputString)")
            }
            try container.stop()
            #expect(HostTools.eventually(seconds: 10) { HostTools.hostHasLink(device) }, "the device is back on the host")
        }
    }
}
