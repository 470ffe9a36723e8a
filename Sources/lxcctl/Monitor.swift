import ArgumentParser
import Foundation
import LXC

struct Monitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the state changes of containers as they happen, as lxc-monitor does.",
        discussion: """
            Runs until interrupted (Ctrl-C). Each container is reported first with the state it \
            is in when monitoring begins, then at each change. liblxc's monitor socket is not \
            part of its public API, so the library asks the containers for their state every \
            --interval milliseconds; a state held for less than that may go unreported.

            The JSON form prints one object a line (JSON lines) with name, state and previous \
            (null in a container's first line), for scripts: lxcctl monitor --format json | jq.

            Examples:
              lxcctl monitor
              lxcctl monitor web db
              lxcctl monitor --format json
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The containers to watch (default: all of the lxcpath's).") var names: [String] = []
    @Option(name: .long, help: "Milliseconds between two looks.") var interval: Int = 100
    @Option(name: .long, help: "table or json (JSON lines).") var format: OutputFormat = .table

    struct Line: Encodable {
        var name: String
        var state: String
        var previous: String?

        enum CodingKeys: String, CodingKey { case name, state, previous }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(previous, forKey: .previous)
        }
    }

    func validate() throws {
        if interval <= 0 { throw ValidationError("--interval \(interval) must be 1 or more milliseconds") }
    }

    func run() async throws {
        let changes = Container.stateChanges(in: global.path, names: names.isEmpty ? nil : Set(names),
                                             interval: .milliseconds(interval))
        for try await change in changes {
            if format == .json {
                try printJSONLine(Line(name: change.name, state: change.state.liblxcName, previous: change.previous?.liblxcName))
            } else {
                print("'\(change.name)' changed state to [\(change.state.liblxcName)]")
                fflush(nil)
            }
        }
    }
}
