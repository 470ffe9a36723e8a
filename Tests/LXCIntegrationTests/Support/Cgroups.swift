import Foundation

/// Looks at the host's cgroup hierarchies (v1 controllers and the cgroup2 mount).
enum Cgroups {
    static let root = "/sys/fs/cgroup"

    /// The cgroup directories directly below a hierarchy's root, or below the cgroup this
    /// process is in (where liblxc makes them for an unprivileged user), whose names start
    /// with `prefix`.
    static func named(_ prefix: String) -> [String] {
        var hierarchies = [root]
        hierarchies += ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).map { "\(root)/\($0)" }
        hierarchies += own()
        return Set(hierarchies).sorted().flatMap { hierarchy in
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

    /// The directories of the cgroups this process is in, below each hierarchy's mount point
    /// (assuming, as on an ordinary host, that each is mounted at /sys/fs/cgroup/<name>).
    static func own() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2] != "/" else { return nil }
            let controllers = fields[1].hasPrefix("name=") ? String(fields[1].dropFirst(5)) : String(fields[1])
            let unified = FileManager.default.fileExists(atPath: "\(root)/unified/cgroup.procs") ? "\(root)/unified" : root
            let mount = controllers.isEmpty ? unified : "\(root)/\(controllers)"
            let directory = mount + fields[2]
            return FileManager.default.fileExists(atPath: directory) ? directory : nil
        }
    }

    /// The pids in a cgroup.
    static func pids(in cgroup: String) -> [Int32] {
        let text = (try? String(contentsOfFile: "\(cgroup)/cgroup.procs", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Int32($0) }
    }
}
