import Glibc

/// Monotonic nanoseconds.
func nowNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

/// Nanoseconds `body` takes to run `iterations` times.
func measure(_ iterations: Int, _ body: () throws -> Void) rethrows -> Int64 {
    let start = nowNanoseconds()
    for _ in 0..<iterations { try body() }
    return nowNanoseconds() - start
}

/// The process's peak resident set size in KiB (`ru_maxrss`).
func peakRSSKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

/// The process's resident set size now, in KiB, from /proc/self/statm.
func currentRSSKiB() -> Int {
    guard let statm = readText("/proc/self/statm") else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
        : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// A number with a fixed count of decimals, without Foundation.
func fixed(_ value: Double, _ decimals: Int = 2) -> String {
    guard value.isFinite else { return "nan" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

/// Resident KiB per mapped file (anonymous memory under "[anon]"), largest first, from
/// /proc/self/smaps: what the peak RSS is made of.
func residentByMapping() -> [(mapping: String, kib: Int)] {
    guard let smaps = readText("/proc/self/smaps") else { return [] }
    var totals: [String: Int] = [:]
    var current = "[anon]"
    for line in smaps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = fields.first else { continue }
        if first.contains("-"), fields.count >= 5 {
            current = fields.count >= 6 ? String(fields[5]) : "[anon]"
        } else if first == "Rss:", fields.count >= 2, let kib = Int(fields[1]) {
            totals[current, default: 0] += kib
        }
    }
    return totals.map { ($0.key, $0.value) }.sorted { $0.kib > $1.kib }
}
