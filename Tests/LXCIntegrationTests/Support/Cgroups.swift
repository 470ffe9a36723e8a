import Foundation

/// Looks at the host's cgroup hierarchies (v1 controllers and the cgroup2 mount).
enum Cgroups {
    static let root = "/sys/fs/cgroup"

    /// The cgroup directories directly below a hierarchy's root whose names start with `prefix`.
    static func named(_ prefix: String) -> [String] {
        var hierarchies = [root]
        hierarchies += ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).map { "\(root)/\($0)" }
        return hierarchies.flatMap { hierarchy in
            ((try? FileManager.default.contentsOfDirectory(atPath: hierarchy)) ?? [])
                .filter { $0.hasPrefix(prefix) }
                .map { "\(hierarchy)/\($0)" }
        }
    }

    /// The cgroups named `prefix…` that are still there after giving liblxc's monitor up to
    /// five seconds to remove them.
    static func eventuallyGone(named prefix: String) -> [String] {
        var left = named(prefix)
        for _ in 0..<50 where !left.isEmpty {
            usleep(100_000)
            left = named(prefix)
        }
        return left
    }

    /// The pids in a cgroup.
    static func pids(in cgroup: String) -> [Int32] {
        let text = (try? String(contentsOfFile: "\(cgroup)/cgroup.procs", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Int32($0) }
    }
}
