import Glibc

/// The `cgroup.procs` file of every cgroup this process is in, for the C floor that writes
/// itself back after each start (`cbench_lifecycle_rejoining`). Matches each line of
/// `/proc/self/cgroup` with the mount of its hierarchy in `/proc/self/mountinfo`: a cgroup2
/// mount for "0::", otherwise the v1 mount whose options hold every controller of the line.
func homeCgroupProcsFiles() throws -> [String] {
    guard let memberships = readText("/proc/self/cgroup"), let mountinfo = readText("/proc/self/mountinfo") else {
        throw BenchError("cannot read /proc/self/cgroup or /proc/self/mountinfo")
    }
    var mounts: [(type: Substring, options: Set<Substring>, root: Substring, point: Substring)] = []
    for line in mountinfo.split(separator: "\n") {
        guard let separator = line.firstRange(of: " - ") else { continue }
        let before = line[..<separator.lowerBound].split(separator: " ")
        let after = line[separator.upperBound...].split(separator: " ")
        guard before.count >= 5, after.count >= 3, after[0] == "cgroup" || after[0] == "cgroup2" else { continue }
        mounts.append((after[0], Set(after[2].split(separator: ",")), before[3], before[4]))
    }
    var files: [String] = []
    for line in memberships.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { continue }
        let controllers = fields[1].split(separator: ",")
        let mount = mounts.first { mount in
            controllers.isEmpty ? mount.type == "cgroup2" : mount.type == "cgroup" && controllers.allSatisfy(mount.options.contains)
        }
        guard let mount, fields[2].hasPrefix(mount.root) else { continue }
        var relative = fields[2].dropFirst(mount.root == "/" ? 0 : mount.root.count)
        if relative == "/" { relative = "" }
        files.append(String(mount.point) + String(relative) + "/cgroup.procs")
    }
    return files
}
