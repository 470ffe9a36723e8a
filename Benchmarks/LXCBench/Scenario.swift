/// One scenario, measured through C and through the library in alternating order.
struct Scenario {
    var name: String
    var iterations: Int
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

        var ratio: Double { swiftMicroseconds / cMicroseconds }

        var line: String {
            let perRound = rounds.map { "\(fixed($0.swift / $0.c))" }.joined(separator: ",")
            return "scenario=\(name) n=\(iterations) per_op_us=\(fixed(swiftMicroseconds, 3)) "
                + "c_per_op_us=\(fixed(cMicroseconds, 3)) ratio=\(fixed(ratio)) round_ratios=\(perRound)"
        }
    }

    func run(rounds: Int) throws -> Result {
        // A warm-up of each, so that first-touch costs are in neither measurement.
        _ = c(max(1, iterations / 10))
        _ = try swift(max(1, iterations / 10))
        var measured: [(swift: Double, c: Double)] = []
        for round in 0..<rounds {
            var swiftNanoseconds: Int64 = 0
            var cNanoseconds: Int64 = 0
            if round.isMultiple(of: 2) {
                cNanoseconds = c(iterations)
                swiftNanoseconds = try swift(iterations)
            } else {
                swiftNanoseconds = try swift(iterations)
                cNanoseconds = c(iterations)
            }
            if cNanoseconds < 0 { throw BenchError("the C floor failed in scenario \(name)") }
            measured.append((Double(swiftNanoseconds) / Double(iterations) / 1000,
                             Double(cNanoseconds) / Double(iterations) / 1000))
        }
        return Result(name: name, iterations: iterations,
                      swiftMicroseconds: median(measured.map(\.swift)),
                      cMicroseconds: median(measured.map(\.c)),
                      rounds: measured)
    }
}
