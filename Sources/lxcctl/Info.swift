import ArgumentParser
import Foundation
import LXC

struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a container's state, init pid, addresses, memory and CPU use and configuration file.",
        discussion: """
            Memory is what the container's processes use now (page cache included); CPU is the \
            time they have used since the start. Both come from the container's cgroup and are \
            shown only while it runs.

            The JSON form is an object with name, state (liblxc's upper-case name), pid, ipv4 and \
            ipv6 (arrays of addresses), memoryBytes, cpuNanoseconds and configFile; a value that \
            is not available (a stopped container's pid, say) is null.

            Examples:
              lxcctl info web
              lxcctl info web --format json
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.") var name: String
    @Option(name: [.short, .long], help: "table or json.") var format: OutputFormat = .table

    struct Report: Encodable {
        var name: String
        var state: String
        var pid: Int32?
        var ipv4: [String]
        var ipv6: [String]
        var memoryBytes: UInt64?
        var cpuNanoseconds: Int64?
        var configFile: String?

        enum CodingKeys: String, CodingKey { case name, state, pid, ipv4, ipv6, memoryBytes, cpuNanoseconds, configFile }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(pid, forKey: .pid)
            try container.encode(ipv4, forKey: .ipv4)
            try container.encode(ipv6, forKey: .ipv6)
            try container.encode(memoryBytes, forKey: .memoryBytes)
            try container.encode(cpuNanoseconds, forKey: .cpuNanoseconds)
            try container.encode(configFile, forKey: .configFile)
        }
    }

    func run() async throws {
        let container = try global.existingContainer(name)
        let state = container.state
        let running = state != .stopped && state != .incomplete
        let cpu = running ? try? container.cpuUsage().total : nil
        let report = Report(
            name: container.name,
            state: state.liblxcName,
            pid: running ? container.initPID : nil,
            ipv4: running ? ((try? container.ipAddresses(family: .ipv4)) ?? []) : [],
            ipv6: running ? ((try? container.ipAddresses(family: .ipv6)) ?? []) : [],
            memoryBytes: running ? (try? container.memoryUsage())?.bytes : nil,
            cpuNanoseconds: cpu.map(nanoseconds),
            configFile: container.configFileName
        )
        switch format {
        case .json:
            try printJSON(report)
        case .table:
            printFields([
                ("Name", report.name),
                ("State", report.state),
                ("PID", report.pid.map(String.init) ?? "-"),
                ("IPv4", report.ipv4.isEmpty ? "-" : report.ipv4.joined(separator: ", ")),
                ("IPv6", report.ipv6.isEmpty ? "-" : report.ipv6.joined(separator: ", ")),
                ("Memory", report.memoryBytes.map { ByteCount($0).description } ?? "-"),
                ("CPU", cpu.map { String(format: "%.3f s", Double(nanoseconds($0)) / 1e9) } ?? "-"),
                ("Config file", report.configFile ?? "-"),
            ])
        }
    }

    private func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
