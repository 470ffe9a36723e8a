import ArgumentParser
import Foundation
import LXC
import LXD

/// `lxcctl ls REMOTE:`: the instances of a remote LXD daemon, in the same formats.
extension List {
    /// One instance of a remote, as the table and the JSON form show it.
    struct RemoteRow: Encodable {
        var name: String
        var state: String
        var pid: Int?
        var processes: Int?
        var memoryBytes: UInt64?
        var ipv4: [String]
        var ipv6: [String]
        /// The cluster member the instance is on; nil on a standalone daemon.
        var location: String?

        enum CodingKeys: String, CodingKey { case name, state, pid, processes, memoryBytes, ipv4, ipv6, location }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(pid, forKey: .pid)
            try container.encode(processes, forKey: .processes)
            try container.encode(memoryBytes, forKey: .memoryBytes)
            try container.encode(ipv4, forKey: .ipv4)
            try container.encode(ipv6, forKey: .ipv6)
            try container.encode(location, forKey: .location)
        }

        func cell(_ column: Column) -> String {
            func list(_ values: [String]) -> String { values.isEmpty ? "-" : values.joined(separator: ", ") }
            switch column {
            case .name: return name
            case .state: return state
            case .pid: return pid.map(String.init) ?? "-"
            case .memory: return memoryBytes.map { ByteCount($0).description } ?? "-"
            case .ipv4: return list(ipv4)
            case .ipv6: return list(ipv6)
            case .location: return location ?? ""
            case .autostart, .groups, .unprivileged: return "-"
            }
        }
    }

    /// The columns a remote's instances have.
    static let remoteColumns: [Column] = [.name, .state, .pid, .memory, .ipv4, .ipv6, .location]

    /// The remote to list (from --remote, or REMOTE: in front of FILTER) and the filter
    /// itself; (nil, FILTER) for local containers.
    ///
    /// A FILTER is a remote's when what comes before its first ":" may name a remote: local
    /// container names never contain ":", so such a regular expression would match none.
    func remoteAndFilter() -> (remote: String?, filter: String?) {
        if let remote = remoteOptions.remote { return (remote, filter) }
        guard let filter, let colon = filter.firstIndex(of: ":") else { return (nil, filter) }
        let prefix = String(filter[..<colon])
        guard RemoteStore.isValidName(prefix) else { return (nil, filter) }
        let rest = String(filter[filter.index(after: colon)...])
        return (prefix, rest.isEmpty ? nil : rest)
    }

    /// The flags that mean nothing for LXD instances are usage errors.
    func validateRemote() throws {
        if groups != nil { throw ValidationError("--groups is for local containers: LXD instances have no lxc.group") }
        if global.lxcpath != nil { throw ValidationError("--lxcpath is for local containers, not a remote's instances") }
        for column in try remoteTableColumns() where !List.remoteColumns.contains(column) {
            throw ValidationError("--fancy-format: \(column.rawValue) is not a column of remote instances; they have \(List.remoteColumns.map(\.rawValue).joined(separator: ","))")
        }
    }

    func remoteTableColumns() throws -> [Column] {
        if fancyFormat != nil { return try columns() }
        if fancy { return List.remoteColumns }
        return [.name, .state, .pid, .ipv4, .ipv6, .location]
    }

    func listRemote(_ remoteName: String, filter: String?) async throws {
        let client = try RemoteConnection.open(remoteName).client
        let regex = try filter.map { try NSRegularExpression(pattern: $0) }
        let summaries = try await client.instances().filter { summary in
            regex.map { $0.firstMatch(in: summary.name, range: NSRange(summary.name.startIndex..., in: summary.name)) != nil } ?? true
        }
        // The listing has no PID or memory: each live instance's state gives them.
        let states = try await withThrowingTaskGroup(of: (String, LXDInstanceState?).self) { group in
            for summary in summaries where summary.state != .stopped {
                group.addTask {
                    do {
                        return (summary.name, try await client.instance(summary.name).runtimeState())
                    } catch let error as LXCError where error.kind == .notFound {
                        return (summary.name, nil)  // deleted since it was listed
                    }
                }
            }
            var states: [String: LXDInstanceState] = [:]
            for try await (name, state) in group { states[name] = state }
            return states
        }
        var rows: [RemoteRow] = []
        for summary in summaries.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            let state = states[summary.name]
            let current = state?.state ?? summary.state
            if running && current != .running { continue }
            if frozen && current != .frozen { continue }
            if stopped && current != .stopped { continue }
            if active && current == .stopped { continue }
            let live = current != .stopped
            let addresses = globalAddresses(summary.addresses.map { ($0.key, $0.value) })
            rows.append(RemoteRow(
                name: summary.name,
                state: current.liblxcName.uppercased(),
                pid: live ? state?.pid : nil,
                processes: live ? state?.processes : nil,
                memoryBytes: live ? state?.memoryUsage?.bytes : nil,
                ipv4: addresses.ipv4,
                ipv6: addresses.ipv6,
                location: summary.location
            ))
        }
        switch format {
        case .json:
            try printJSON(rows)
        case .table:
            let columns = try remoteTableColumns()
            printTable(columns.map(\.rawValue), rows.map { row in columns.map(row.cell) })
        }
    }
}

/// The addresses an instance is reached at, as `lxc list` shows them: global ones, not
/// those of the loopback interface.
func globalAddresses(_ interfaces: [(String, [LXDInterfaceAddress])]) -> (ipv4: [String], ipv6: [String]) {
    var ipv4: [String] = [], ipv6: [String] = []
    for (interface, addresses) in interfaces.sorted(by: { $0.0 < $1.0 }) where interface != "lo" {
        for address in addresses where address.scope == "global" {
            if address.family == .ipv4 { ipv4.append(address.address) } else { ipv6.append(address.address) }
        }
    }
    return (ipv4, ipv6)
}
