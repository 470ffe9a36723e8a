/// One scenario, measured through the library, through liblxc from C in this process (twice:
/// the noise band), and through liblxc from C in a program of its own (`lxc-bench-c`).
struct Scenario {
    var name: String
    var iterations: Int
    /// Alternate the in-process sides one operation at a time instead of in blocks of
    /// `iterations`: for operations of milliseconds that leave work to the kernel (cgroups
    /// released in the background after a stop), which the side measured next would otherwise
    /// pay for.
    var oneByOne = false
    /// Nanoseconds for `iterations` operations through liblxc from C, or -1 on failure.
    var c: (Int) -> Int64
    /// Nanoseconds for `iterations` operations through the library.
    var swift: (Int) throws -> Int64
    /// `lxc-bench-c`'s arguments after the iteration count's place (KIND LXCPATH, then the
    /// kind's own), or nil for a scenario without a standalone floor.
    var standalone: (kind: String, lxcpath: String, arguments: [String])? = nil

    struct Result {
        var name: String
        var iterations: Int
        /// Per round, µs per operation: Swift, the in-process C floor, the same floor measured
        /// a second time in the same round, and the standalone C program (nil without one).
        var rounds: [(swift: Double, c: Double, cAgain: Double, standalone: Double?)]
        /// For a scenario run one operation at a time: the median single operation of each
        /// in-process side over all rounds, in µs. A few operations of ten times the usual
        /// length (all sides have them, about one in a hundred for attach and lifecycle here)
        /// move a round's mean by several percent; the medians show the usual operation.
        var singleOperationMedians: (swift: Double, c: Double, cAgain: Double)?

        var swiftMicroseconds: Double { median(rounds.map(\.swift)) }
        var cMicroseconds: Double { median(rounds.map(\.c)) }
        var standaloneMicroseconds: Double? {
            let values = rounds.compactMap(\.standalone)
            return values.isEmpty ? nil : median(values)
        }

        var line: String {
            let perRound = rounds.map { fixed($0.swift / $0.c) }.joined(separator: ",")
            let noise = rounds.map { $0.cAgain / $0.c }
            var line = "scenario=\(name) n=\(iterations) per_op_us=\(fixed(swiftMicroseconds, 3)) "
                + "c_per_op_us=\(fixed(cMicroseconds, 3)) ratio=\(fixed(swiftMicroseconds / cMicroseconds)) "
                + "round_ratios=\(perRound)"
            if let standalone = standaloneMicroseconds {
                let standaloneRatios = rounds.compactMap { round in round.standalone.map { fixed(round.swift / $0) } }
                line += " standalone_c_per_op_us=\(fixed(standalone, 3))"
                    + " standalone_ratio=\(fixed(swiftMicroseconds / standalone))"
                    + " standalone_round_ratios=\(standaloneRatios.joined(separator: ","))"
            }
            // C against C in the same rounds: what noise and the harness make of identical work.
            line += " noise=\(fixed(median(rounds.map(\.cAgain)) / cMicroseconds))"
                + " noise_rounds=\(noise.map { fixed($0) }.joined(separator: ","))"
            if let medians = singleOperationMedians {
                line += " op_p50_us=\(fixed(medians.swift, 1)) c_op_p50_us=\(fixed(medians.c, 1))"
                    + " op_p50_ratio=\(fixed(medians.swift / medians.c)) op_p50_noise=\(fixed(medians.cAgain / medians.c))"
            }
            return line
        }
    }

    /// `c(n)`, or an error when the C floor failed.
    private func cFloor(_ n: Int) throws -> Int64 {
        let nanoseconds = c(n)
        if nanoseconds < 0 { throw BenchError("the C floor failed in scenario \(name)") }
        return nanoseconds
    }

    /// µs per operation of `lxc-bench-c` over `iterations` operations (after its own warm-up).
    private func standaloneFloor(program: String) throws -> Double? {
        guard let standalone else { return nil }
        let arguments = ["--label", name, standalone.kind, standalone.lxcpath, String(iterations)] + standalone.arguments
        return try runStandalone(program: program, arguments: arguments)
    }

    /// The orders of the in-process sides: 0 the C floor, 1 Swift, 2 the C floor again.
    private static let orders = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]]

    /// `program` is the path of `lxc-bench-c`, or nil to measure only the in-process sides.
    func run(rounds: Int, standaloneProgram program: String?) throws -> Result {
        // A warm-up of each, so that first-touch costs are in neither measurement.
        _ = c(max(1, iterations / 10))
        _ = try swift(max(1, iterations / 10))
        var measured: [(swift: Double, c: Double, cAgain: Double, standalone: Double?)] = []
        var singleSwift: [Double] = [], singleC: [Double] = [], singleCAgain: [Double] = []
        for round in 0..<rounds {
            var total: (swift: Int64, c: Int64, cAgain: Int64) = (0, 0, 0)
            let (blocks, size) = oneByOne ? (iterations, 1) : (1, iterations)
            for block in 0..<blocks {
                // The three in-process sides go in each of the six orders in turn, so that
                // each follows each other side equally often: with the three rotations of one
                // order, the second C floor always came right after the Swift attach, and read
                // 6 to 11 % slower than the first (noise 1.06-1.12): what runs after an attach
                // pays for some of the work it leaves behind.
                var times: (swift: Int64, c: Int64, cAgain: Int64) = (0, 0, 0)
                for side in Self.orders[(round * blocks + block) % Self.orders.count] {
                    switch side {
                    case 0: times.c = try cFloor(size)
                    case 1: times.swift = try swift(size)
                    default: times.cAgain = try cFloor(size)
                    }
                }
                total = (total.swift + times.swift, total.c + times.c, total.cAgain + times.cAgain)
                if oneByOne {
                    singleSwift.append(Double(times.swift) / 1000)
                    singleC.append(Double(times.c) / 1000)
                    singleCAgain.append(Double(times.cAgain) / 1000)
                }
            }
            let standalone = try program.flatMap { try standaloneFloor(program: $0) }
            let perOperation = { (nanoseconds: Int64) in Double(nanoseconds) / Double(iterations) / 1000 }
            measured.append((perOperation(total.swift), perOperation(total.c), perOperation(total.cAgain), standalone))
        }
        return Result(name: name, iterations: iterations, rounds: measured,
                      singleOperationMedians: oneByOne ? (median(singleSwift), median(singleC), median(singleCAgain)) : nil)
    }
}
