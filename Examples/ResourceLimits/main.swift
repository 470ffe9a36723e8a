// Resource limits: give a container limits that hold from its first process, start it, change
// them in its running cgroup, and read its usage back, typed and as raw cgroup files.
//
//     swift run resource-limits           (as root, after scripts/bootstrap.sh)

import Foundation
import LXC

func run() async throws {
    let lxcpath = FileManager.default.temporaryDirectory
        .appendingPathComponent("swift-lxc-resource-limits-\(getpid())").path
    try FileManager.default.createDirectory(atPath: lxcpath, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: lxcpath) }

    let container = try Container(name: "limited", lxcpath: lxcpath)
    print("==> create \(container) from the busybox template")
    try await container.create(template: "busybox", options: .quiet)
    defer {
        if container.state != .stopped { try? container.stop() }
        if container.isDefined { try? container.destroy() }
    }
    try container.setNetwork(.loopbackOnly)
    try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
    // Limits from the first process: written as lxc.cgroup.* (v1) or lxc.cgroup2.* (v2) items,
    // which liblxc applies to the container's cgroup before its init runs.
    try container.setLimits(ResourceLimits(memory: .limited(.mebibytes(128)), cpuQuota: .cpus(0.5),
                                           processes: .limited(100)), when: .fromStart)
    try await container.saveConfig()
    print("    configured: \(try container.configuredLimits())")

    print("==> start")
    try await container.start()
    print("    CPU quota from the start: \(try container.cpuQuota())")

    // The memory controller may be on cgroup v1 or v2; the file names differ, the typed
    // methods pick the right ones.
    let version = try container.cgroupVersion(for: .memory)
    let limitFile = version == .v1 ? "memory.limit_in_bytes" : "memory.max"
    let usageFile = version == .v1 ? "memory.usage_in_bytes" : "memory.current"
    print("    memory controller: \(version)")

    print("==> memory")
    print("    limit before: \(try container.memoryLimit())")
    try container.setMemoryLimit(.limited(.mebibytes(64)))
    print("    limit after setMemoryLimit(.limited(.mebibytes(64))): \(try container.memoryLimit())")
    print("    usage: \(try container.memoryUsage()), at most \(try container.peakMemoryUsage()) so far")
    // The same through the raw cgroup files, as liblxc's get_cgroup_item reads them.
    print("    \(limitFile) = \(try container.cgroupItem(limitFile) ?? "(no such file)")")
    print("    \(usageFile) = \(try container.cgroupItem(usageFile) ?? "(no such file)")")

    print("==> processes")
    try container.setProcessLimit(.limited(50))
    print("    pids.max = \(try container.cgroupItem("pids.max") ?? "(no such file)")")
    print("    processes now: \(try container.processCount()) of \(try container.processLimit())")
    let cpu = try container.cpuUsage()
    print("==> CPU time used since the start: \(cpu.total)")

    // The limits set on the running container last until it stops; those set with
    // setLimits(_:when: .fromStart) and saved hold from every start.
    print("==> stop and destroy")
    try await container.stop()
    try await container.destroy()
    print("done")
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("resource-limits: \(error)\n".utf8))
    exit(1)
}
