/// The sides of a scenario: the Swift client, the raw-REST floor (twice: the noise band) and
/// pylxd (when it is installed).
enum Side: Int, CaseIterable {
    case swift, raw, rawAgain, pylxd
}

/// One scenario, measured one call at a time on each side in turn, in rounds.
struct Scenario {
    var name: String
    /// Calls per side and round.
    var calls: Int
    /// One call through the Swift client.
    var swift: () async throws -> Void

    struct Result {
        var name: String
        var calls: Int
        /// Per round, ms per call (the round's mean) of each side; nil for a side not run.
        var rounds: [[Side: Double]]
        /// Every single call's ms, per side, over all rounds.
        var single: [Side: [Double]]
        /// Every single call's CPU ms in the side's own process (the Swift client's: this
        /// process, all its threads), per side.
        var cpu: [Side: [Double]]

        func roundMedian(_ side: Side) -> Double? {
            let values = rounds.compactMap { $0[side] }
            return values.isEmpty ? nil : median(values)
        }

        func p50(_ side: Side) -> Double? {
            single[side].flatMap { $0.isEmpty ? nil : median($0) }
        }

        /// The result as one line of `key=value` fields (see Benchmarks/README.md).
        var line: String {
            func ms(_ value: Double?) -> String { value.map { fixed($0, 3) } ?? "none" }
            let swift = p50(.swift), raw = p50(.raw), again = p50(.rawAgain), pylxd = p50(.pylxd)
            var line = "scenario=\(name) n=\(calls)"
                + " swift_ms=\(ms(swift)) raw_ms=\(ms(raw)) raw_again_ms=\(ms(again)) pylxd_ms=\(ms(pylxd))"
            if let swift, let raw, let again {
                // The client's own cost, and the noise band of the same run: the floor against itself.
                line += " own_cost_ms=\(fixed(swift - raw, 3)) noise_ms=\(fixed(again - raw, 3))"
                    + " noise=\(fixed(again / raw, 3))"
            }
            if let swift, let pylxd { line += " swift_over_pylxd=\(fixed(swift / pylxd, 3))" }
            // Where the time goes: CPU in each side's own process per call (medians).
            func cpuMedian(_ side: Side) -> String { cpu[side].flatMap { $0.isEmpty ? nil : fixed(median($0), 3) } ?? "none" }
            line += " cpu_swift_ms=\(cpuMedian(.swift)) cpu_raw_ms=\(cpuMedian(.raw)) cpu_pylxd_ms=\(cpuMedian(.pylxd))"
            // The same from the rounds' means (a call of ten times the usual length moves these).
            let means = rounds.map { round in
                Side.allCases.map { side in round[side].map { fixed($0, 3) } ?? "-" }.joined(separator: "/")
            }
            line += " round_means_swift/raw/raw_again/pylxd_ms=\(means.joined(separator: ","))"
            if let swift = roundMedian(.swift), let raw = roundMedian(.raw), let again = roundMedian(.rawAgain) {
                line += " mean_own_cost_ms=\(fixed(swift - raw, 3)) mean_noise_ms=\(fixed(again - raw, 3))"
            }
            return line
        }
    }

    /// Every order of `sides`, so that each side follows each other equally often.
    static func orders(of sides: [Side]) -> [[Side]] {
        if sides.count <= 1 { return [sides] }
        var all: [[Side]] = []
        for (index, first) in sides.enumerated() {
            var rest = sides
            rest.remove(at: index)
            all += orders(of: rest).map { [first] + $0 }
        }
        return all
    }

    /// Runs the scenario: a warm-up of each side, then `rounds` rounds of `calls` calls per
    /// side, one call of each side at a time, the sides in each of their orders in turn.
    func run(rounds: Int, raw: PythonSide, pylxd: PythonSide?) async throws -> Result {
        var sides: [Side] = [.swift, .raw, .rawAgain]
        if pylxd != nil { sides.append(.pylxd) }
        let orders = Self.orders(of: sides)
        /// One call of `side`: wall-clock and CPU milliseconds.
        func once(_ side: Side) async throws -> (wall: Double, cpu: Double) {
            let nanoseconds: (wall: Int64, cpu: Int64)
            switch side {
            case .swift:
                let cpu = processCPUNanoseconds()
                let start = nowNanoseconds()
                try await swift()
                nanoseconds = (nowNanoseconds() - start, processCPUNanoseconds() - cpu)
            case .raw, .rawAgain:
                nanoseconds = try raw.measure(name, 1)
            case .pylxd:
                guard let pylxd else { return (.nan, .nan) }
                nanoseconds = try pylxd.measure(name, 1)
            }
            return (Double(nanoseconds.wall) / 1_000_000, Double(nanoseconds.cpu) / 1_000_000)
        }
        for side in sides {
            for _ in 0..<(name == "create_delete" ? 1 : 3) { _ = try await once(side) }
        }
        var measured: [[Side: Double]] = []
        var single: [Side: [Double]] = [:], cpu: [Side: [Double]] = [:]
        var turn = 0
        for _ in 0..<rounds {
            var totals: [Side: Double] = [:]
            for _ in 0..<calls {
                for side in orders[turn % orders.count] {
                    let milliseconds = try await once(side)
                    totals[side, default: 0] += milliseconds.wall
                    single[side, default: []].append(milliseconds.wall)
                    cpu[side, default: []].append(milliseconds.cpu)
                }
                turn += 1
            }
            measured.append(totals.mapValues { $0 / Double(calls) })
        }
        return Result(name: name, calls: calls, rounds: measured, single: single, cpu: cpu)
    }
}
