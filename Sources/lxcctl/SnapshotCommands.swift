import ArgumentParser
import LXC

struct Snapshots: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Take, list, restore and destroy snapshots of a stopped container.",
        discussion: """
            Examples:
              lxcctl snapshot create web --comment "before the upgrade"
              lxcctl snapshot list web
              lxcctl snapshot restore web snap0 web-old
              lxcctl snapshot destroy web snap0
            """,
        subcommands: [Create.self, List.self, Restore.self, Destroy.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snapshot a stopped container and print the snapshot's name (snap0, snap1, …).",
            discussion: "Example:\n  lxcctl snapshot create web --comment \"before the upgrade\""
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Option(name: [.short, .long], help: "Text to keep with the snapshot.") var comment: String?

        func run() async throws {
            let container = try global.existingContainer(name)
            let comment = comment
            let snapshot = try await withProgress("snapshotting \(name)") { try await container.snapshot(comment: comment) }
            print(snapshot)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a container's snapshots with their time and comment.",
            discussion: """
                The time is ISO 8601 with the host's offset from UTC (2026-12-07T09:08:44+01:00), \
                or liblxc's own text when it cannot be read. The JSON form is an array of objects \
                with name, timestamp and comment (null when there is none).

                Examples:
                  lxcctl snapshot list web
                  lxcctl snapshot list web --format json
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Option(name: [.short, .long], help: "table or json.") var format: OutputFormat = .table

        struct Row: Encodable {
            var name: String
            var timestamp: String
            var comment: String?

            enum CodingKeys: String, CodingKey { case name, timestamp, comment }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(timestamp, forKey: .timestamp)
                try container.encode(comment, forKey: .comment)
            }
        }

        func run() async throws {
            let rows = try await global.existingContainer(name).snapshots().map { snapshot in
                Row(name: snapshot.name, timestamp: snapshot.date?.iso8601 ?? snapshot.timestamp, comment: snapshot.comment)
            }
            switch format {
            case .json:
                try printJSON(rows)
            case .table:
                printTable(["NAME", "TIME", "COMMENT"], rows.map { row in
                    [row.name, row.timestamp.isEmpty ? "-" : row.timestamp,
                     row.comment.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") } ?? "-"]
                })
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a snapshot as a new container, or in place of the container.",
            discussion: """
                Without NEW the container itself is replaced by the snapshot; it is kept as it was \
                if the restore fails.

                Examples:
                  lxcctl snapshot restore web snap0 web-old
                  lxcctl snapshot restore web snap0
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The snapshot, such as snap0.") var snapshot: String
        @Argument(help: "The new container's name (default: replace the container).") var newName: String?

        func run() async throws {
            let container = try global.existingContainer(name)
            if let newName {
                _ = try await container.restoreSnapshot(snapshot, as: newName)
            } else {
                try await container.restoreSnapshotInPlace(snapshot)
            }
        }
    }

    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Destroy one of a container's snapshots.",
            discussion: "Example:\n  lxcctl snapshot destroy web snap0"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The snapshot, such as snap0.") var snapshot: String

        func run() async throws {
            try await global.existingContainer(name).destroySnapshot(snapshot)
        }
    }
}
