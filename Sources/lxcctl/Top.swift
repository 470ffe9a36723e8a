import ArgumentParser
import Foundation
import LXC

struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the running containers' CPU, memory and process use, refreshing, as lxc-top does.",
        discussion: """
            The screen is redrawn every --delay seconds until Ctrl-C. CPU is the share of one \
            CPU the container used since the previous look (100% is one CPU busy). --once \
            prints one look, measured over --delay seconds, and ends: with --format json it \
            is an array of objects with name, cpuPercent, cpuNanoseconds, memoryBytes and \
            processes, for scripts.

            Examples:
              lxcctl top
              lxcctl top --sort memory --delay 5
              lxcctl top --once --format json
            """
    )

    enum SortKey: String, ExpressibleByArgument, CaseIterable { case cpu, memory, name }

    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Seconds between two looks.") var delay: Double = 2
    @Option(name: [.short, .long], help: "Sort by cpu, memory or name.") var sort: SortKey = .cpu
    @Flag(help: "Print one look and end.") var once = false
    @Option(name: .long, help: "table or json (with --once).") var format: OutputFormat = .table

    struct Row: Encodable {
        var name: String
        var cpuPercent: Double
        var cpuNanoseconds: Int64
        var memoryBytes: UInt64
        var processes: Int
    }

    func validate() throws {
        if delay <= 0 { throw ValidationError("--delay \(delay) must be more than 0 seconds") }
        if format == .json && !once { throw ValidationError("--format json prints one look: add --once") }
    }

    /// Each running container's CPU time so far, with its memory and process count.
    func sample() throws -> [String: (cpu: Int64, memory: UInt64, processes: Int)] {
        var result: [String: (cpu: Int64, memory: UInt64, processes: Int)] = [:]
        for container in try Container.list(.active, in: global.path) {
            guard let cpu = try? container.cpuUsage().total else { continue }
            result[container.name] = (nanoseconds(cpu), (try? container.memoryUsage())?.bytes ?? 0,
                                      (try? container.processCount()) ?? 0)
        }
        return result
    }

    func rows(from before: [String: (cpu: Int64, memory: UInt64, processes: Int)],
              to after: [String: (cpu: Int64, memory: UInt64, processes: Int)], over seconds: Double) -> [Row] {
        let rows = after.map { name, now in
            let used = Double(max(0, now.cpu - (before[name]?.cpu ?? now.cpu)))
            return Row(name: name, cpuPercent: (used / 1e9 / seconds * 1000).rounded() / 10,
                       cpuNanoseconds: now.cpu, memoryBytes: now.memory, processes: now.processes)
        }
        return rows.sorted { a, b in
            switch sort {
            case .cpu: a.cpuPercent != b.cpuPercent ? a.cpuPercent > b.cpuPercent : a.name < b.name
            case .memory: a.memoryBytes != b.memoryBytes ? a.memoryBytes > b.memoryBytes : a.name < b.name
            case .name: a.name < b.name
            }
        }
    }

    func table(_ rows: [Row]) {
        printTable(["NAME", "CPU%", "CPU TIME", "MEMORY", "PROCS"], rows.map { row in
            [row.name, String(format: "%.1f", row.cpuPercent), String(format: "%.2f s", Double(row.cpuNanoseconds) / 1e9),
             ByteCount(row.memoryBytes).description, String(row.processes)]
        })
    }

    func run() async throws {
        var before = try sample()
        var last = ContinuousClock.now
        repeat {
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            let after = try sample()
            let now = ContinuousClock.now
            let elapsed = now - last
            let rows = rows(from: before, to: after, over: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            before = after
            last = now
            if once {
                if format == .json { try printJSON(rows) } else { table(rows) }
                return
            }
            print("\u{1B}[H\u{1B}[2J", terminator: "")
            print("lxcctl top: \(rows.count) running, every \(delay) s (Ctrl-C to leave)\n")
            table(rows)
            fflush(nil)
        } while true
    }

    private func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
