import Foundation
import LXC
import Testing

/// What a job written against ``ContainerProtocol`` saw, step by step.
struct JobReport: Sendable {
    var definedBefore = true
    var stateAfterStart: ContainerState?
    var hostName = ""
    var streamed: [CommandOutputEvent] = []
    var falseStatus: LXC.ExitStatus?
    var memoryLimit: ResourceLimit<ByteCount>?
    var memoryUsage = ByteCount(0)
    var processCount = 0
    var fileRead: [UInt8] = []
    var peakMemory = ByteCount(0)
    var snapshotNames: [String] = []
    var snapshotComment: String?
    var markerAfterRestore = ""
    var snapshotsAfterDestroy: [String] = []
    var definedAfter = true
}

/// A job that knows nothing of liblxc: everything it does goes through ``ContainerProtocol``,
/// so it must run unchanged on any backend. Backend-specific configuration (here the local
/// backend's `lxc.*` items) comes from the caller, as the protocol documents.
func runJob<C: ContainerProtocol>(on container: C, from source: ContainerSource,
                                  settings: [(key: String, value: String)], pulledPath: String) async throws -> JobReport {
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
    #expect(try await container.wait(for: .stopped, timeout: .seconds(10)))

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

@Suite("The container protocol on the local backend", .integration, .timeLimit(.minutes(3)))
struct ContainerProtocolTests {
    @Test func aJobWrittenAgainstTheProtocolRunsOnALocalContainer() async throws {
        try await Sandbox.with { sandbox in
            let container = try sandbox.container()
            let report = try await runJob(on: container, from: .template("busybox"),
                                          settings: [("lxc.net.0.type", "empty"),
                                                     ("lxc.apparmor.profile", "unconfined")],
                                          pulledPath: sandbox.lxcpath + "/pulled")
            #expect(!report.definedBefore)
            #expect(report.stateAfterStart == .running)
            #expect(report.hostName == container.name + "\n")
            #expect(report.streamed.contains(.standardOutput(Array("out\n".utf8))))
            #expect(report.streamed.contains(.standardError(Array("err\n".utf8))))
            #expect(report.streamed.last == .finished(.exited(3)))
            #expect(report.falseStatus == .exited(1))
            #expect(report.memoryLimit == .limited(.mebibytes(64)))
            #expect(report.memoryUsage > ByteCount(0))
            #expect(report.processCount >= 1)
            #expect(report.fileRead == Array("written\n".utf8))
            #expect(FileManager.default.contents(atPath: sandbox.lxcpath + "/pulled") == Data("written\n".utf8))
            #expect(report.peakMemory >= report.memoryUsage)
            #expect(report.snapshotNames == ["snap0"])
            #expect(report.snapshotComment == "generic job\n" || report.snapshotComment == "generic job")
            #expect(report.markerAfterRestore == "before\n")
            #expect(report.snapshotsAfterDestroy.isEmpty)
            #expect(!report.definedAfter)
        }
    }

    @Test func anImageSourceIsRefusedLocallyWithTheReason() async throws {
        try await Sandbox.with { sandbox in
            let container = try sandbox.container()
            let error = await #expect(throws: LXCError.self) {
                try await container.create(from: .image("alpine/3.20"))
            }
            #expect(error?.kind == .unsupported)
            #expect(error?.message.contains("template") == true)
            #expect(!container.isDefined)
        }
    }
}
