// Resource limits: start a container, give it a memory limit and a process limit through its
// cgroup, and read its usage back, typed and as raw cgroup files.
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
    try container.setConfigItem("lxc.net.0.type", to: "empty")
    try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
    try await container.saveConfig()

    print("==> start")
    try await container.start()

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
    print("    usage: \(try container.memoryUsage())")
    // The same through the raw cgroup files, as liblxc's get_cgroup_item reads them.
    print("    \(limitFile) = \(try container.cgroupItem(limitFile) ?? "(no such file)")")
    print("    \(usageFile) = \(try container.cgroupItem(usageFile) ?? "(no such file)")")

    print("==> processes")
    try container.setProcessLimit(.limited(50))
    print("    pids.max = \(try container.cgroupItem("pids.max") ?? "(no such file)")")
    print("    processes now: \(try container.processCount()) of \(try container.processLimit())")
    let cpu = try container.cpuUsage()
    print("==> CPU time used since the start: \(cpu.total)")

    // These limits last until the container stops. To keep one across starts, put it in the
    // configuration: lxc.cgroup.memory.limit_in_bytes (v1) or lxc.cgroup2.memory.max (v2).
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
