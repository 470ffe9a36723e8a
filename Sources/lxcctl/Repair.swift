import ArgumentParser
import LXC

struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Finish or undo operations that were interrupted (a killed create, clone, snapshot, rename, restore or destroy).",
        discussion: """
            A container whose create, clone, rename, restore or destroy was killed half-way is listed as \
            INCOMPLETE and is not started; a snapshot killed half-way is listed as incomplete. This command \
            undoes what was being made (a saved configuration is put back) and finishes what was being removed.

            Examples:
              lxcctl repair
              lxcctl -P /srv/lxc repair --format json
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "table or json.") var format: OutputFormat = .table

    struct Row: Encodable {
        var container: String
        var operation: String
        var outcome: String
        var details: String
    }

    func run() async throws {
        let done = try await Container.repairIncomplete(in: global.path)
        let rows = done.map {
            Row(container: $0.container, operation: $0.operation, outcome: $0.outcome == .undone ? "undone" : "finished",
                details: $0.details)
        }
        if format == .json {
            try printJSON(rows)
        } else if rows.isEmpty {
            print("nothing was incomplete")
        } else {
            for row in rows { print("\(row.container): \(row.operation) \(row.outcome): \(row.details)") }
        }
    }
}
