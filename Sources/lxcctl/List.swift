import ArgumentParser
import LXC

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List containers with their state.",
        discussion: """
            A container that an interrupted operation (create, clone, rename, restore, destroy) left \
            half made is listed as INCOMPLETE; `lxcctl repair` finishes or undoes it.

            The JSON form is an array of objects with name, state (liblxc's upper-case name), \
            pid (a number, or null when stopped), autostart, ipv4 and ipv6 (arrays of addresses).

            Examples:
              lxcctl ls
              lxcctl ls --active --format json
            """
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Only running containers.") var active = false
    @Flag(help: "Only defined containers.") var defined = false
    @Option(name: [.short, .long], help: "table or json.") var format: OutputFormat = .table

    struct Row: Encodable {
        var name: String
        var state: String
        var pid: Int32?
        var autostart: Bool
        var ipv4: [String]
        var ipv6: [String]

        enum CodingKeys: String, CodingKey { case name, state, pid, autostart, ipv4, ipv6 }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(pid, forKey: .pid)
            try container.encode(autostart, forKey: .autostart)
            try container.encode(ipv4, forKey: .ipv4)
            try container.encode(ipv6, forKey: .ipv6)
        }
    }

    func validate() throws {
        if active && defined { throw ValidationError("--active and --defined exclude each other") }
    }

    func run() async throws {
        let filter: ListFilter = active ? .active : defined ? .defined : .all
        var containers = try Container.list(filter, in: global.path)
        if !active {
            // Containers an interrupted operation left without a configuration yet.
            let listed = Set(containers.map(\.name))
            for name in try Container.incompleteNames(in: global.path) where !listed.contains(name) {
                containers.append(try global.container(name))
            }
            containers.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        }
        let rows = containers.map { container in
            let state = container.state
            let running = state != .stopped && state != .incomplete
            return Row(
                name: container.name,
                state: state.liblxcName,
                pid: running ? container.initPID : nil,
                autostart: (try? container.configItem("lxc.start.auto")) == "1",
                ipv4: running ? ((try? container.ipAddresses(family: .ipv4)) ?? []) : [],
                ipv6: running ? ((try? container.ipAddresses(family: .ipv6)) ?? []) : []
            )
        }
        switch format {
        case .json:
            try printJSON(rows)
        case .table:
            printTable(["NAME", "STATE", "AUTOSTART", "PID", "IPV4", "IPV6"], rows.map { row in
                [row.name, row.state, row.autostart ? "1" : "0", row.pid.map(String.init) ?? "-",
                 row.ipv4.isEmpty ? "-" : row.ipv4.joined(separator: ", "),
                 row.ipv6.isEmpty ? "-" : row.ipv6.joined(separator: ", ")]
            })
        }
    }
}
