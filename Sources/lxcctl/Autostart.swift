import ArgumentParser
import LXC

struct Autostart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, stop or list the containers with lxc.start.auto set, in order, as lxc-autostart does.",
        discussion: """
            Containers with lxc.start.auto = 1 are started group by group (lxc.group), in \
            ascending lxc.start.order within a group, waiting lxc.start.delay seconds after each; \
            --shutdown and --kill go through the same sequence backwards. Without --groups only \
            containers in no group are processed; --groups takes a comma-separated list, in the \
            order to process them, where an empty name (a leading, trailing or double comma) \
            stands for the containers in no group; --all ignores groups.

            The JSON form is an array of objects with name, order, delaySeconds, groups, acted \
            (false when the container was in that state already) and error (null or the message).

            Examples:
              lxcctl autostart
              lxcctl autostart --list
              lxcctl autostart -g onboot, --list
              lxcctl autostart --all --shutdown --timeout 30
            """
    )

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("L"), .long], help: "Only print the containers and their delays, in order.") var list = false
    @Flag(name: [.short, .long], help: "Shut the containers down (killed after --timeout).") var shutdown = false
    @Flag(name: [.short, .long], help: "Kill the containers.") var kill = false
    @Flag(name: [.short, .long], help: "Every container with lxc.start.auto, whatever its groups.") var all = false
    @Flag(name: [.customShort("A"), .long], help: "Also containers without lxc.start.auto = 1.") var ignoreAuto = false
    @Option(name: [.short, .long], help: ArgumentHelp("Groups to process, in order, separated by commas; repeat for more.", valueName: "groups"))
    var groups: [String] = []
    @Option(name: [.short, .long], parsing: .unconditional, help: "Seconds to wait for a clean shutdown.") var timeout: Int = 60
    @Option(name: .long, help: "table or json.") var format: OutputFormat = .table

    func validate() throws {
        if shutdown && kill { throw ValidationError("--shutdown and --kill exclude each other") }
        if timeout < 0 { throw ValidationError("--timeout \(timeout) is negative: give the seconds to wait, 0 or more") }
    }

    /// The groups as lxc-autostart reads -g: empty entries are the containers in no group.
    var selectedGroups: [String?]? {
        if all { return nil }
        if groups.isEmpty { return [nil] }
        return groups.joined(separator: ",").split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? nil : String($0) }
    }

    struct Row: Encodable {
        var name: String
        var order: Int
        var delaySeconds: Int64
        var groups: [String]
        var acted: Bool
        var error: String?

        enum CodingKeys: String, CodingKey { case name, order, delaySeconds, groups, acted, error }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(order, forKey: .order)
            try container.encode(delaySeconds, forKey: .delaySeconds)
            try container.encode(groups, forKey: .groups)
            try container.encode(acted, forKey: .acted)
            try container.encode(error, forKey: .error)
        }
    }

    func run() async throws {
        let results: [AutostartResult]
        if list {
            results = try Container.autostartSequence(groups: selectedGroups, includingDisabled: ignoreAuto, in: global.path)
                .map { AutostartResult(name: $0.name, settings: $0.settings, acted: false) }
        } else if shutdown || kill {
            results = try await Container.autostop(groups: selectedGroups, includingDisabled: ignoreAuto,
                                                   timeout: kill ? nil : .seconds(timeout), in: global.path)
        } else {
            results = try await Container.autostart(groups: selectedGroups, includingDisabled: ignoreAuto, in: global.path)
        }
        let rows = results.map {
            Row(name: $0.name, order: $0.settings.order, delaySeconds: $0.settings.delay.components.seconds,
                groups: $0.settings.groups, acted: $0.acted, error: $0.error.map { CLIError.render($0, command: "autostart") })
        }
        if format == .json {
            try printJSON(rows)
        } else if list {
            // lxc-autostart -L: the name and the delay before the next one.
            for row in rows { print("\(row.name) \(row.delaySeconds)") }
        } else {
            for row in rows {
                if let error = row.error { printError(error) }
            }
        }
        if rows.contains(where: { $0.error != nil }) { throw ExitCode.failure }
    }
}
