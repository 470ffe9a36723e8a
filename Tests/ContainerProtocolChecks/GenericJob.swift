import LXCCore

/// What a job written against ``ContainerProtocol`` saw, step by step.
public struct JobReport: Sendable {
    public var definedBefore = true
    public var stateAfterStart: ContainerState?
    public var hostName = ""
    public var streamed: [CommandOutputEvent] = []
    public var falseStatus: ExitStatus?
    public var memoryLimit: ResourceLimit<ByteCount>?
    public var memoryUsage = ByteCount(0)
    public var processCount = 0
    public var fileRead: [UInt8] = []
    public var peakMemory = ByteCount(0)
    public var stoppedInTime = false
    public var snapshotNames: [String] = []
    public var snapshotComment: String?
    public var markerAfterRestore = ""
    public var snapshotsAfterDestroy: [String] = []
    public var definedAfter = true

    public init() {}
}

/// A job that knows nothing of any backend: everything it does goes through
/// ``ContainerProtocol``, so it runs unchanged on the local backend (liblxc) and on LXD.
/// Backend-specific configuration (`lxc.*` items locally, LXD's keys remotely) comes from the
/// caller, as the protocol documents. The caller checks the report.
public func runJob<C: ContainerProtocol>(on container: C, from source: ContainerSource,
                                         settings: [(key: String, value: String)],
                                         pulledPath: String) async throws -> JobReport {
    var report = JobReport()
    report.definedBefore = try await container.isDefined
    try await container.create(from: source)
    for (key, value) in settings { try await container.setConfigItem(key, to: value) }
    try await container.setLimits(ResourceLimits(processes: .limited(150)), when: .fromStart)
    try await container.start()
    report.stateAfterStart = try await container.state
    report.hostName = try await container.output(of: ["hostname"]).standardOutputString
    for try await event in try await container.streamOutput(of: ["sh", "-c", "echo out; echo err >&2; exit 3"]) {
        report.streamed.append(event)
    }
    report.falseStatus = try await container.run(["false"])
    try await container.setMemoryLimit(.limited(.mebibytes(64)))
    report.memoryLimit = try await container.memoryLimit()
    report.memoryUsage = try await container.memoryUsage()
    report.peakMemory = try await container.peakMemoryUsage()
    try await container.setProcessLimit(.limited(200))
    report.processCount = try await container.processCount()
    try await container.write(Array("written\n".utf8), to: "/tmp/written", mode: 0o640, owner: .root)
    report.fileRead = try await container.contents(of: "/tmp/written")
    try await container.pull("/tmp/written", to: pulledPath)
    _ = try await container.run(["sh", "-c", "echo before > /marker"])
    try await container.stop()
    report.stoppedInTime = try await container.wait(for: .stopped, timeout: .seconds(10))

    let name = try await container.snapshot(comment: "generic job")
    let snapshots = try await container.snapshots()
    report.snapshotNames = snapshots.map(\.name)
    report.snapshotComment = snapshots.first { $0.name == name }?.comment
    try await container.start()
    _ = try await container.run(["sh", "-c", "echo after > /marker"])
    try await container.stop()
    try await container.restoreSnapshotInPlace(name)
    try await container.start()
    report.markerAfterRestore = try await container.output(of: ["cat", "/marker"]).standardOutputString
    try await container.stop()
    try await container.destroySnapshot(name)
    report.snapshotsAfterDestroy = try await container.snapshots().map(\.name)
    try await container.destroy(includingSnapshots: true)
    report.definedAfter = try await container.isDefined
    return report
}
