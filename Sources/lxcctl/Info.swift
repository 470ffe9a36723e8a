import ArgumentParser
import Foundation
import LXC

struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a container's state, pid, addresses, resource use and network traffic, as lxc-info does.",
        discussion: """
            Memory is what the container's processes use now (page cache included), KMem the \
            kernel memory where the cgroup reports it; CPU is the time they have used since the \
            start, BlkIO the bytes read and written; each interface inside the container is \
            listed with the bytes it sent (TX) and received (RX). Resource figures come from the \
            container's cgroup and are shown only while it runs; -H prints them as raw numbers.

            -s, -p and -i print only the state, the pid or the addresses (as lxc-info does, \
            "State: RUNNING"); -c KEY prints "KEY = VALUE" for a configuration item and may be \
            repeated. With any of them only those lines are printed.

            The JSON form is an object with name, state (liblxc's upper-case name), pid, ipv4 and \
            ipv6 (arrays of addresses), memoryBytes, kernelMemoryBytes, cpuNanoseconds, \
            blockIOReadBytes, blockIOWrittenBytes, interfaces (objects with name, txBytes, \
            rxBytes), config (the -c items) and configFile; a value that is not available (a \
            stopped container's pid, say) is null.

            Examples:
              lxcctl info web
              lxcctl info web -s
              lxcctl info web -p -i
              lxcctl info web -c lxc.uts.name -c lxc.rootfs.path
              lxcctl info web -H --format json

            For an instance of a remote LXD daemon (lxcctl info REMOTE:NAME or --remote), what \
            LXD reports: state, PID, processes, memory use and peak, addresses and the cluster \
            member (Location); -c reads LXD's configuration keys (limits.memory, …). Its JSON \
            form has name, remote, state, pid, processes, memoryBytes, peakMemoryBytes, ipv4, \
            ipv6, location and config.
              lxcctl info lab:web
              lxcctl info web --remote lab --format json
              lxcctl info lab:web -c limits.memory
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @Option(name: [.short, .customLong("config")], help: ArgumentHelp("Print a configuration item; repeat for more.", valueName: "key"))
    var configKeys: [String] = []
    @Flag(name: [.short, .customLong("state")], help: "Print only the state.") var stateOnly = false
    @Flag(name: [.short, .customLong("pid")], help: "Print only the pid.") var pidOnly = false
    @Flag(name: [.short, .customLong("ips")], help: "Print only the IP addresses.") var ipsOnly = false
    @Flag(name: [.customShort("H"), .customLong("no-humanize")], help: "Raw numbers (bytes, nanoseconds) rather than units.")
    var raw = false
    @Option(name: .long, help: "table or json.") var format: OutputFormat = .table
    @OptionGroup var remoteOptions: RemoteOptions

    struct Interface: Encodable {
        var name: String
        var txBytes: UInt64
        var rxBytes: UInt64
    }

    struct Report: Encodable {
        var name: String
        var state: String
        var pid: Int32?
        var ipv4: [String]
        var ipv6: [String]
        var memoryBytes: UInt64?
        var kernelMemoryBytes: UInt64?
        var cpuNanoseconds: Int64?
        var blockIOReadBytes: UInt64?
        var blockIOWrittenBytes: UInt64?
        var interfaces: [Interface]
        var config: [String: String?]
        var configFile: String?

        enum CodingKeys: String, CodingKey {
            case name, state, pid, ipv4, ipv6, memoryBytes, kernelMemoryBytes, cpuNanoseconds, blockIOReadBytes
            case blockIOWrittenBytes, interfaces, config, configFile
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(pid, forKey: .pid)
            try container.encode(ipv4, forKey: .ipv4)
            try container.encode(ipv6, forKey: .ipv6)
            try container.encode(memoryBytes, forKey: .memoryBytes)
            try container.encode(kernelMemoryBytes, forKey: .kernelMemoryBytes)
            try container.encode(cpuNanoseconds, forKey: .cpuNanoseconds)
            try container.encode(blockIOReadBytes, forKey: .blockIOReadBytes)
            try container.encode(blockIOWrittenBytes, forKey: .blockIOWrittenBytes)
            try container.encode(interfaces, forKey: .interfaces)
            try container.encode(config, forKey: .config)
            try container.encode(configFile, forKey: .configFile)
        }
    }

    func run() async throws {
        let target = try remoteOptions.target(name, global: global)
        if case .remote(let instance, let remote) = target {
            try await showRemote(instance, remote: remote)
            return
        }
        let container = try target.local(for: "info")
        let state = container.state
        let running = state != .stopped && state != .incomplete
        var config: [String: String?] = [:]
        for key in configKeys { config[key] = try container.configItem(key) }
        let cpu = running ? try? container.cpuUsage().total : nil
        let blockIO = running ? try? container.blockIOStatistics() : nil
        let interfaces = running ? ((try? container.interfaceStatistics()) ?? []) : []
        let report = await Report(
            name: container.name,
            state: state.liblxcName,
            pid: running ? container.initPID : nil,
            ipv4: running ? ((try? container.ipAddresses(family: .ipv4)) ?? []) : [],
            ipv6: running ? ((try? container.ipAddresses(family: .ipv6)) ?? []) : [],
            memoryBytes: running ? (try? container.memoryUsage())?.bytes : nil,
            kernelMemoryBytes: running ? ((try? container.kernelMemoryUsage()) ?? nil)?.bytes : nil,
            cpuNanoseconds: cpu.map(nanoseconds),
            blockIOReadBytes: blockIO?.readBytes.bytes,
            blockIOWrittenBytes: blockIO?.writtenBytes.bytes,
            interfaces: interfaces.filter { $0.interface != "lo" }.map {
                Interface(name: $0.interface, txBytes: $0.transmittedBytes.bytes, rxBytes: $0.receivedBytes.bytes)
            },
            config: config,
            configFile: container.configFileName
        )
        if format == .json {
            try printJSON(report)
            return
        }
        let bytes: (UInt64?) -> String = { value in
            value.map { raw ? String($0) : ByteCount($0).description } ?? "-"
        }
        let addresses = report.ipv4 + report.ipv6
        if printSelectedFields(state: report.state, pid: report.pid.map { String($0) }, addresses: addresses,
                               config: config) {
            return
        }
        var fields: [(String, String)] = [
            ("Name", report.name),
            ("State", report.state),
            ("PID", report.pid.map(String.init) ?? "-"),
        ]
        fields += addresses.map { ("IP", $0) }
        fields += [
            ("CPU use", cpu.map { raw ? String(nanoseconds($0)) : String(format: "%.2f seconds", Double(nanoseconds($0)) / 1e9) } ?? "-"),
            ("BlkIO use", blockIO.map { bytes($0.readBytes.bytes &+ $0.writtenBytes.bytes) } ?? "-"),
            ("Memory use", bytes(report.memoryBytes)),
        ]
        if let kernel = report.kernelMemoryBytes { fields.append(("KMem use", bytes(kernel))) }
        for interface in report.interfaces {
            fields += [("Link", interface.name), (" TX bytes", bytes(interface.txBytes)), (" RX bytes", bytes(interface.rxBytes)),
                       (" Total bytes", bytes(interface.txBytes &+ interface.rxBytes))]
        }
        fields.append(("Config file", report.configFile ?? "-"))
        printFields(fields)
    }

    private func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}

extension Info {
    /// Prints only the fields `-s`, `-p`, `-i` and `-c KEY` ask for, as lxc-info does, and
    /// returns true; false when none was asked for (the whole report is printed then).
    func printSelectedFields(state: String, pid: String?, addresses: [String],
                             config: [String: String?]) -> Bool {
        guard stateOnly || pidOnly || ipsOnly || !configKeys.isEmpty else { return false }
        var fields: [(String, String)] = []
        if stateOnly { fields.append(("State", state)) }
        if pidOnly, let pid { fields.append(("PID", pid)) }
        if ipsOnly { fields += addresses.map { ("IP", $0) } }
        printFields(fields)
        for key in configKeys { print("\(key) = \(config[key].flatMap { $0 } ?? "")") }
        return true
    }
}
