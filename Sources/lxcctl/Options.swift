import ArgumentParser
import Foundation
import LXC

/// The version of lxcctl, printed by `lxcctl version` and `lxcctl --version`.
let lxcctlVersion = "0.1.0"

/// Options every subcommand takes, before or after the subcommand's name.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("P"), .long],
            help: "The lxcpath holding the containers (default: liblxc's lxc.lxcpath); a relative path is resolved against the working directory.")
    var lxcpath: String?

    @Option(name: .long, help: ArgumentHelp("Write liblxc's log to this file, as lxc-* -o does.", valueName: "file"))
    var logfile: String?

    @Option(name: .long, help: ArgumentHelp("The lowest priority liblxc logs: \(LXC.LogLevel.allCases.map(\.rawValue).joined(separator: ", ")) (default: ERROR), as lxc-* -l does.", valueName: "level"))
    var logpriority: LXC.LogLevel?

    /// The lxcpath as given, made absolute against the working directory as lxc-* tools do.
    var path: String? {
        guard let lxcpath, !lxcpath.isEmpty else { return lxcpath }
        if lxcpath.hasPrefix("/") { return lxcpath }
        let absolute = URL(fileURLWithPath: lxcpath, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return absolute.standardizedFileURL.path
    }

    /// Starts liblxc's log when --logfile or --logpriority asked for it.
    func startLogging() throws {
        guard logfile != nil || logpriority != nil else { return }
        try LXC.startLogging(LXC.LogOptions(file: logfile.map(absolute), level: logpriority ?? .error,
                                            name: "lxcctl", lxcpath: path))
    }

    private func absolute(_ file: String) -> String {
        file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
    }

    /// The container `name` in the chosen lxcpath.
    func container(_ name: String) throws -> Container {
        try Container(name: name, lxcpath: path)
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

extension BackingStore: ExpressibleByArgument {
    public init?(argument: String) { self.init(liblxcName: argument) }
    public static var allValueStrings: [String] { allCases.map(\.liblxcName) }
    public var defaultValueDescription: String { liblxcName }
}

extension ContainerState: ExpressibleByArgument {
    /// A state liblxc knows, in any case: `running`, `FROZEN`, ….
    public init?(argument: String) {
        let state = ContainerState(liblxcName: argument)
        guard ContainerState.known.contains(state) else { return nil }
        self = state
    }
    public static var allValueStrings: [String] { known.map(\.liblxcName) }
}

extension AddressFamily: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "ipv4", "inet", "4": self = .ipv4
        case "ipv6", "inet6", "6": self = .ipv6
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["ipv4", "ipv6"] }
}

extension LXC.LogLevel: ExpressibleByArgument {
    public init?(argument: String) {
        let upper = argument.uppercased()
        if let level = LXC.LogLevel(rawValue: upper) { self = level; return }
        if upper == "WARNING" { self = .warning; return }
        if upper == "CRITICAL" { self = .critical; return }
        return nil
    }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Prints a value as pretty JSON with sorted keys.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// Prints a value as one line of JSON with sorted keys (for JSON lines).
func printJSONLine<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
    fflush(nil)
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
