import ArgumentParser
import Foundation
import LXC
import LXD

/// `lxcctl info REMOTE:NAME`: what LXD reports of an instance, in the same formats.
extension Info {
    struct RemoteReport: Encodable {
        var name: String
        var remote: String
        var state: String
        var pid: Int?
        var processes: Int?
        var memoryBytes: UInt64?
        var peakMemoryBytes: UInt64?
        var ipv4: [String]
        var ipv6: [String]
        /// The cluster member the instance is on; nil on a standalone daemon.
        var location: String?
        var config: [String: String?]

        enum CodingKeys: String, CodingKey {
            case name, remote, state, pid, processes, memoryBytes, peakMemoryBytes, ipv4, ipv6, location, config
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(remote, forKey: .remote)
            try container.encode(state, forKey: .state)
            try container.encode(pid, forKey: .pid)
            try container.encode(processes, forKey: .processes)
            try container.encode(memoryBytes, forKey: .memoryBytes)
            try container.encode(peakMemoryBytes, forKey: .peakMemoryBytes)
            try container.encode(ipv4, forKey: .ipv4)
            try container.encode(ipv6, forKey: .ipv6)
            try container.encode(location, forKey: .location)
            try container.encode(config, forKey: .config)
        }
    }

    func showRemote(_ instance: LXDInstance, remote: String) async throws {
        let state = try await instance.runtimeState()
        let reached = globalAddresses(state.network.map { ($0.key, $0.value.addresses) })
        let location = try await instance.location
        let live = state.state != .stopped
        var config: [String: String?] = [:]
        for key in configKeys { config[key] = try await instance.configItem(key) }
        let report = RemoteReport(
            name: instance.name,
            remote: remote,
            state: state.state.liblxcName.uppercased(),
            pid: live ? state.pid : nil,
            processes: live ? state.processes : nil,
            memoryBytes: live ? state.memoryUsage?.bytes : nil,
            peakMemoryBytes: live ? state.peakMemoryUsage?.bytes : nil,
            ipv4: reached.ipv4,
            ipv6: reached.ipv6,
            location: location,
            config: config
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
            ("Remote", report.remote),
            ("State", report.state),
            ("PID", report.pid.map(String.init) ?? "-"),
            ("Processes", report.processes.map(String.init) ?? "-"),
        ]
        fields += addresses.map { ("IP", $0) }
        fields += [
            ("Memory use", bytes(report.memoryBytes)),
            ("Memory peak", bytes(report.peakMemoryBytes)),
            ("Location", report.location ?? "-"),
        ]
        printFields(fields)
    }
}
