import ArgumentParser
import Foundation
import LXC

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("P"), .long], help: "The lxcpath holding the containers (default: liblxc's lxc.lxcpath).")
    var lxcpath: String?

    /// The container `name` in the chosen lxcpath.
    func container(_ name: String) throws -> Container {
        try Container(name: name, lxcpath: lxcpath)
    }

    /// The container `name`, which must exist.
    func existingContainer(_ name: String) throws -> Container {
        let container = try container(name)
        guard container.isDefined else {
            throw LXCError(operation: "lookup", container: name,
                           message: "no such container in \(container.lxcpath)", kind: .notFound)
        }
        return container
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}

/// Prints a value as pretty JSON with sorted keys.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// Prints rows as columns separated by two blanks, with a header.
func printTable(_ header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}

/// Whole seconds given on the command line, as a Duration.
func seconds(_ value: Int?) -> Duration? {
    value.map { .seconds($0) }
}

/// Prints labelled values, one a line, the values lined up after the longest label.
func printFields(_ fields: [(String, String)]) {
    let width = (fields.map(\.0.count).max() ?? 0) + 1
    for (label, value) in fields {
        print((label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
    }
}
