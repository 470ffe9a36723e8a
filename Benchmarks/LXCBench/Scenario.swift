/// One scenario, measured through C and through the library in alternating order.
struct Scenario {
    var name: String
    var iterations: Int
    /// Alternate C and Swift one operation at a time instead of in blocks of `iterations`:
    /// for operations of milliseconds that leave work to the kernel (cgroups released in the
    /// background after a stop), which the side measured next would otherwise pay for.
    var oneByOne = false
    /// Nanoseconds for `iterations` operations through liblxc from C, or -1 on failure.
    var c: (Int) -> Int64
    /// Nanoseconds for `iterations` operations through the library.
    var swift: (Int) throws -> Int64

    struct Result {
        var name: String
        var iterations: Int
        var swiftMicroseconds: Double
        var cMicroseconds: Double
        var rounds: [(swift: Double, c: Double)]
        /// For a scenario run one operation at a time: the median single operation of each side
        /// over all rounds, in µs. A few operations of ten times the usual length (both sides
        /// have them, about one in a hundred for attach and lifecycle here) move a round's
        /// mean by several percent; the medians show the usual operation.
        var singleOperationMedians: (swift: Double, c: Double)?

        var ratio: Double { swiftMicroseconds / cMicroseconds }

        var line: String {
            let perRound = rounds.map { "\(fixed($0.swift / $0.c))" }.joined(separator: ",")
            var line = "scenario=\(name) n=\(iterations) per_op_us=\(fixed(swiftMicroseconds, 3)) "
                + "c_per_op_us=\(fixed(cMicroseconds, 3)) ratio=\(fixed(ratio)) round_ratios=\(perRound)"
            if let medians = singleOperationMedians {
                line += " op_p50_us=\(fixed(medians.swift, 1)) c_op_p50_us=\(fixed(medians.c, 1))"
                    + " op_p50_ratio=\(fixed(medians.swift / medians.c))"
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

    func run(rounds: Int) throws -> Result {
        // A warm-up of each, so that first-touch costs are in neither measurement.
        _ = c(max(1, iterations / 10))
        _ = try swift(max(1, iterations / 10))
        var measured: [(swift: Double, c: Double)] = []
        var singleSwift: [Double] = [], singleC: [Double] = []
        for round in 0..<rounds {
            var swiftNanoseconds: Int64 = 0
            var cNanoseconds: Int64 = 0
            let (blocks, size) = oneByOne ? (iterations, 1) : (1, iterations)
            for block in 0..<blocks {
                let cFirst = (round + block).isMultiple(of: 2)
                var c: Int64 = 0
                if cFirst { c = try cFloor(size) }
                let swift = try swift(size)
                if !cFirst { c = try cFloor(size) }
                cNanoseconds += c
                swiftNanoseconds += swift
                if oneByOne {
                    singleC.append(Double(c) / 1000)
                    singleSwift.append(Double(swift) / 1000)
                }
            }
            measured.append((Double(swiftNanoseconds) / Double(iterations) / 1000,
                             Double(cNanoseconds) / Double(iterations) / 1000))
        }
        return Result(name: name, iterations: iterations,
                      swiftMicroseconds: median(measured.map(\.swift)),
                      cMicroseconds: median(measured.map(\.c)),
                      rounds: measured,
                      singleOperationMedians: oneByOne ? (median(singleSwift), median(singleC)) : nil)
    }
}
