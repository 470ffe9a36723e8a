import Foundation
import ContainerProtocolChecks
import LXC
import Testing

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
            #expect(report.stoppedInTime)
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
