import ArgumentParser
import LXC
import LXD

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
              lxcctl snapshot create lab:web    (an instance of the remote lab)
              lxcctl snapshot list web --remote lab
            """,
        subcommands: [Create.self, List.self, Restore.self, Destroy.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snapshot a stopped container and print the snapshot's name (snap0, snap1, …).",
            discussion: "Examples:\n  lxcctl snapshot create web --comment \"before the upgrade\"\n  lxcctl snapshot create lab:web"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: targetHelp) var name: String
        @Option(name: [.short, .long], help: "Text to keep with the snapshot.") var comment: String?
        @OptionGroup var remoteOptions: RemoteOptions

        func run() async throws {
            let container = try remoteOptions.target(name, global: global).container
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
                  lxcctl snapshot list lab:web
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: targetHelp) var name: String
        @Option(name: [.short, .long], help: "table or json.") var format: OutputFormat = .table
        @OptionGroup var remoteOptions: RemoteOptions

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
            let rows: [Row]
            switch try remoteOptions.target(name, global: global) {
            case .local(let container):
                rows = try await container.snapshots().map { snapshot in
                    Row(name: snapshot.name, timestamp: snapshot.date?.iso8601 ?? snapshot.timestamp, comment: snapshot.comment)
                }
            case .remote(let instance, _):
                rows = try await instance.snapshots().map { snapshot in
                    Row(name: snapshot.name, timestamp: snapshot.date?.iso8601 ?? "", comment: snapshot.comment)
                }
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
                  lxcctl snapshot restore lab:web snap0
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: targetHelp) var name: String
        @Argument(help: "The snapshot, such as snap0.") var snapshot: String
        @Argument(help: "The new container's name (default: replace the container).") var newName: String?
        @OptionGroup var remoteOptions: RemoteOptions

        func run() async throws {
            let target = try remoteOptions.target(name, global: global)
            if case .remote(let instance, _) = target {
                if let newName {
                    _ = try await instance.copy(snapshot: snapshot, to: newName)
                    return
                }
                try await target.container.restoreSnapshotInPlace(snapshot)
                return
            }
            let container = try target.local(for: "snapshot restore")
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
            discussion: "Examples:\n  lxcctl snapshot destroy web snap0\n  lxcctl snapshot destroy lab:web snap0"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: targetHelp) var name: String
        @Argument(help: "The snapshot, such as snap0.") var snapshot: String
        @OptionGroup var remoteOptions: RemoteOptions

        func run() async throws {
            try await remoteOptions.target(name, global: global).container.destroySnapshot(snapshot)
        }
    }
}
