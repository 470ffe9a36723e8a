import ArgumentParser
import Foundation
import LXC

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List containers with their state, as lxc-ls does.",
        discussion: """
            A container that an interrupted operation (create, clone, rename, restore, destroy) left \
            half made is listed as INCOMPLETE; `lxcctl repair` finishes or undoes it.

            --fancy prints lxc-ls -f's columns (NAME, STATE, AUTOSTART, GROUPS, IPV4, IPV6, \
            UNPRIVILEGED); --fancy-format picks the columns from NAME, STATE, AUTOSTART, GROUPS, \
            IPV4, IPV6, UNPRIVILEGED, PID, MEMORY. FILTER is a regular expression the name must \
            match; --groups keeps the containers in every group named.

            The JSON form is an array of objects with name, state (liblxc's upper-case name), \
            pid (a number, or null when stopped), autostart, groups, unprivileged, memoryBytes \
            (null when stopped), ipv4 and ipv6 (arrays of addresses).

            Examples:
              lxcctl ls
              lxcctl ls -f
              lxcctl ls --running --fancy-format NAME,PID,MEMORY
              lxcctl ls '^web' -g prod
              lxcctl ls --active --format json

            Instances of a remote LXD daemon (lxcctl remote): lxcctl ls REMOTE: (or REMOTE:FILTER, \
            or --remote REMOTE). Their columns are NAME, STATE, PID, MEMORY, IPV4, IPV6 and \
            LOCATION (the cluster member; empty on a standalone daemon); the default is NAME, \
            STATE, PID, IPV4, IPV6, LOCATION, and --fancy adds MEMORY. The JSON form is an array \
            of objects with name, state, pid, processes, memoryBytes, ipv4, ipv6 and location.
              lxcctl ls lab:
              lxcctl ls 'lab:^web' --running
              lxcctl ls --remote lab --format json
            """
    )

    enum Column: String, CaseIterable, ExpressibleByArgument {
        case name = "NAME", state = "STATE", autostart = "AUTOSTART", groups = "GROUPS", ipv4 = "IPV4"
        case ipv6 = "IPV6", unprivileged = "UNPRIVILEGED", pid = "PID", memory = "MEMORY", location = "LOCATION"

        init?(argument: String) { self.init(rawValue: argument.uppercased()) }
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A regular expression the names must match; REMOTE: or REMOTE:FILTER lists a remote's instances.") var filter: String?
    @Flag(name: [.short, .long], help: "Columns as lxc-ls -f: NAME, STATE, AUTOSTART, GROUPS, IPV4, IPV6, UNPRIVILEGED.")
    var fancy = false
    @Option(name: [.customShort("F"), .long], parsing: .next,
            help: ArgumentHelp("The columns, separated by commas (implies --fancy).", valueName: "columns"))
    var fancyFormat: String?
    @Flag(help: "Only active containers: running, frozen, starting or stopping (lxc-ls --active).") var active = false
    @Flag(help: "Only running containers.") var running = false
    @Flag(help: "Only stopped containers.") var stopped = false
    @Flag(help: "Only frozen containers.") var frozen = false
    @Flag(help: "Only defined containers (not half-made ones).") var defined = false
    @Option(name: [.short, .long], help: ArgumentHelp("Only containers in all these groups (lxc.group), separated by commas.", valueName: "groups"))
    var groups: String?
    @Option(name: .long, help: "table or json.") var format: OutputFormat = .table
    @OptionGroup var remoteOptions: RemoteOptions

    struct Row: Encodable {
        var name: String
        var state: String
        var pid: Int32?
        var autostart: Bool
        var groups: [String]
        var unprivileged: Bool
        var memoryBytes: UInt64?
        var ipv4: [String]
        var ipv6: [String]

        enum CodingKeys: String, CodingKey { case name, state, pid, autostart, groups, unprivileged, memoryBytes, ipv4, ipv6 }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(pid, forKey: .pid)
            try container.encode(autostart, forKey: .autostart)
            try container.encode(groups, forKey: .groups)
            try container.encode(unprivileged, forKey: .unprivileged)
            try container.encode(memoryBytes, forKey: .memoryBytes)
            try container.encode(ipv4, forKey: .ipv4)
            try container.encode(ipv6, forKey: .ipv6)
        }

        func cell(_ column: Column) -> String {
            func list(_ values: [String]) -> String { values.isEmpty ? "-" : values.joined(separator: ", ") }
            switch column {
            case .name: return name
            case .state: return state
            case .autostart: return autostart ? "1" : "0"
            case .groups: return list(groups)
            case .ipv4: return list(ipv4)
            case .ipv6: return list(ipv6)
            case .unprivileged: return unprivileged ? "true" : "false"
            case .pid: return pid.map(String.init) ?? "-"
            case .memory: return memoryBytes.map { ByteCount($0).description } ?? "-"
            case .location: return "-"
            }
        }
    }

    func columns() throws -> [Column] {
        if let fancyFormat {
            return try fancyFormat.split(separator: ",").map { word in
                guard let column = Column(argument: String(word)) else {
                    throw ValidationError("--fancy-format: unknown column \"\(word)\"; one of: \(Column.allCases.map(\.rawValue).joined(separator: ","))")
                }
                return column
            }
        }
        if fancy { return [.name, .state, .autostart, .groups, .ipv4, .ipv6, .unprivileged] }
        return [.name, .state, .autostart, .pid, .ipv4, .ipv6]
    }

    func validate() throws {
        if active && defined { throw ValidationError("--active and --defined exclude each other") }
        let (remote, filter) = remoteAndFilter()
        if remote == nil {
            if try columns().contains(.location) {
                throw ValidationError("--fancy-format: LOCATION is a column of remote instances (lxcctl ls REMOTE:)")
            }
        } else {
            try validateRemote()
        }
        if let filter, (try? NSRegularExpression(pattern: filter)) == nil {
            throw ValidationError("FILTER \"\(filter)\" is not a regular expression")
        }
    }

    func run() async throws {
        if case (let remote?, let filter) = remoteAndFilter() {
            try await listRemote(remote, filter: filter)
            return
        }
        let onlyActive = active || running || frozen
        let filterKind: ListFilter = onlyActive ? .active : defined ? .defined : .all
        var containers = try Container.list(filterKind, in: global.path)
        if !onlyActive && !defined {
            // Containers an interrupted operation left without a configuration yet.
            let listed = Set(containers.map(\.name))
            for name in try Container.incompleteNames(in: global.path) where !listed.contains(name) {
                containers.append(try global.container(name))
            }
            containers.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        }
        if let filter, let regex = try? NSRegularExpression(pattern: filter) {
            containers = containers.filter { container in
                regex.firstMatch(in: container.name, range: NSRange(container.name.startIndex..., in: container.name)) != nil
            }
        }
        let wantedGroups = groups.map { $0.split(separator: ",").map(String.init) } ?? []
        var rows: [Row] = []
        for container in containers {
            let state = container.state
            if running && state != .running { continue }
            if frozen && state != .frozen { continue }
            if stopped && state != .stopped { continue }
            let live = state != .stopped && state != .incomplete
            let settings = (try? container.autostartSettings()) ?? AutostartSettings()
            if !wantedGroups.allSatisfy(settings.groups.contains) { continue }
            await rows.append(Row(
                name: container.name,
                state: state.liblxcName,
                pid: live ? container.initPID : nil,
                autostart: settings.isEnabled,
                groups: settings.groups,
                unprivileged: !((try? container.configItem("lxc.idmap")) ?? nil ?? "").isEmpty,
                memoryBytes: live ? (try? container.memoryUsage())?.bytes : nil,
                ipv4: live ? ((try? container.ipAddresses(family: .ipv4)) ?? []) : [],
                ipv6: live ? ((try? container.ipAddresses(family: .ipv6)) ?? []) : []
            ))
        }
        switch format {
        case .json:
            try printJSON(rows)
        case .table:
            let columns = try columns()
            printTable(columns.map(\.rawValue), rows.map { row in columns.map(row.cell) })
        }
    }
}
