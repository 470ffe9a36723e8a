import ContainerProtocolChecks
import Foundation
import LXCCore
import LXD
import Testing

@Suite("The LXD backend against a 3-member cluster", .lxd, .lxdCluster, .serialized, .timeLimit(.minutes(5)))
struct LXDClusterTests {
    @Test func threeMembersAreOnlineAndEachHoldsTheDatabase() async throws {
        let cluster = try LXDCluster.required()
        for asked in LXDCluster.memberNames {
            let members = try await cluster.client(for: asked).clusterMembers()
            #expect(members.map(\.name).sorted() == ["n1", "n2", "n3"])
            for member in members {
                #expect(member.isOnline, "\(member.name): \(member.status) \(member.message)")
                #expect(member.message == "Fully operational")
                #expect(member.url.hasPrefix("https://198.51.100."))
                // With three members, all three vote.
                #expect(member.roles.contains("database"))
                #expect(member.isDatabase == true)
            }
            #expect(members.filter { $0.roles.contains("database-leader") }.count == 1)
        }
    }

    @Test func anInstanceCreatedWithATargetIsPlacedThereAndListedEverywhere() async throws {
        let cluster = try LXDCluster.required()
        let options = LXDCreateOptions(profiles: ["default"], config: ["user.placed": "on n2"], target: "n2")
        try await cluster.withInstance("placed", options: options) { instance in
            #expect(try await instance.location == "n2")
            #expect(try await instance.configItem("user.placed") == "on n2")
            // Its loopback up, so that it has addresses to list.
            #expect(try await instance.run(["ip", "link", "set", "lo", "up"]) == .exited(0))
            for asked in LXDCluster.memberNames {
                let listed = try await cluster.client(for: asked).instances().first { $0.name == instance.name }
                #expect(listed?.location == "n2", "listed by \(asked)")
                #expect(listed?.state == .running)
                #expect(listed?.status == "Running")
                #expect(listed?.type == "container")
                #expect(listed?.addresses["lo"]?.map(\.description).contains("127.0.0.1/8") == true,
                        "\(listed?.addresses ?? [:])")
            }
            let brief = try await cluster.client(for: "n1").instances(includingAddresses: false)
                .first { $0.name == instance.name }
            #expect(brief?.location == "n2")
            #expect(brief?.state == .running)
            #expect(brief?.addresses == [:])

            try await instance.stop()
            let stopped = try await cluster.client(for: "n3").instances().first { $0.name == instance.name }
            #expect(stopped?.state == .stopped)
            #expect(stopped?.addresses == [:])
        }
    }

    @Test func aProgramRunsThroughOneMemberInAnInstanceOnAnother() async throws {
        let cluster = try LXDCluster.required()
        try await cluster.withInstance("forwarded", options: LXDCreateOptions(target: "n3")) { instance in
            #expect(try await instance.location == "n3")
            // Asked through n1's socket; n1 forwards to n3.
            let output = try await instance.output(of: ["hostname"])
            #expect(output.standardOutputString == instance.name + "\n")
            #expect(output.status == .exited(0))
            #expect(try await instance.runtimeState().status == "Running")
        }
    }

    @Test func aStoppedInstanceMovesToAnotherMemberAndStartsThere() async throws {
        let cluster = try LXDCluster.required()
        try await cluster.withInstance("mover", options: LXDCreateOptions(target: "n2"), started: false) { instance in
            try await instance.setConfigItem("user.moved", to: "yes")
            let nowhere = await #expect(throws: LXCError.self) { try await instance.move(toMember: "n9") }
            #expect(nowhere?.kind == .notFound)
            #expect(nowhere?.message.contains("Cluster member not found") == true)
            let here = await #expect(throws: LXCError.self) { try await instance.move(toMember: "n2") }
            #expect(here?.kind == .invalidArgument)
            #expect(here?.message == "the instance is on n2 already")
            #expect(try await instance.location == "n2")
            try await instance.move(toMember: "n3")
            #expect(try await instance.location == "n3")
            #expect(try await instance.state == .stopped)
            #expect(try await instance.configItem("user.moved") == "yes")
            try await instance.start()
            #expect(try await instance.output(of: ["hostname"]).standardOutputString == instance.name + "\n")
            let listed = try await cluster.client(for: "n2").instances().first { $0.name == instance.name }
            #expect(listed?.location == "n3")
            #expect(listed?.state == .running)

            // A running instance is refused, and stays where it is.
            let error = await #expect(throws: LXCError.self) { try await instance.move(toMember: "n1") }
            #expect(error?.kind == .wrongState)
            #expect(error?.message.contains("stop it first") == true)
            #expect(error?.container == instance.name)
            #expect(try await instance.location == "n3")
            #expect(try await instance.state == .running)
        }
    }

    @Test func aCopyAndASnapshotCopyLandOnTheMembersAsked() async throws {
        let cluster = try LXDCluster.required()
        try await cluster.withInstance("origin", options: LXDCreateOptions(target: "n2")) { instance in
            _ = try await instance.run(["sh", "-c", "echo first > /marker"])
            try await instance.stop()
            let snapshot = try await instance.snapshot(comment: nil)
            try await instance.start()
            _ = try await instance.run(["sh", "-c", "echo second > /marker"])
            try await instance.stop()

            let copies = [try await instance.copy(to: LXDDaemon.uniqueName("copy"), member: "n3"),
                          try await instance.copy(snapshot: snapshot, to: LXDDaemon.uniqueName("snapcopy"), member: "n1")]
            do {
                #expect(try await copies[0].location == "n3")
                #expect(try await copies[1].location == "n1")
                #expect(try await instance.location == "n2")
                var markers: [String] = []
                for copy in copies {
                    try await copy.start()
                    markers.append(try await copy.output(of: ["cat", "/marker"]).standardOutputString)
                    #expect(try await copy.output(of: ["hostname"]).standardOutputString == copy.name + "\n")
                }
                #expect(markers == ["second\n", "first\n"])
                #expect(try await copies[0].snapshots().map(\.name) == [snapshot])
            } catch {
                for copy in copies { await LXDDaemon.remove(copy) }
                throw error
            }
            for copy in copies { await LXDDaemon.remove(copy) }
        }
    }

    /// The example of the DocC article "From one host to a cluster", run as a user runs it.
    @Test func theClusterJobRunnerSpreadsItsJobsOverTheMembers() async throws {
        let cluster = try LXDCluster.required()
        let binary = try #require(LXCCtlResult.binary.map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("cluster-job-runner").path
        }, "lxcctl was not found next to the tests (swift build --build-tests builds both)")
        let result = try await LXCCtlResult.run(binary, [cluster.directory + "/n1/unix.socket"],
                                                environment: ProcessInfo.processInfo.environment)
        #expect(result.status == 0, "\(result)")
        let output = result.standardOutput
        #expect(output.contains("cluster members online: n1, n2, n3"), "\(result)")
        #expect(output.contains("jobs: 6, succeeded: 4, failed: 1, timed out: 1"), "\(result)")
        #expect(output.contains("job instances left: 0"), "\(result)")
        // The summary's rows: JOB MEMBER RESULT …, one member per job, all three used.
        let rows = output.split(separator: "\n").drop { !$0.hasPrefix("JOB ") }.dropFirst().prefix(6)
        let members = Set(rows.compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) })
        #expect(members == ["n1", "n2", "n3"], "\(result)")
        #expect(rows.contains { $0.hasPrefix("slow ") && $0.contains("timed out") && $0.hasSuffix("started") })
    }

    @Test func aTargetThatIsNoMemberIsNotFoundWithLXDsWords() async throws {
        let cluster = try LXDCluster.required()
        let instance = try cluster.client(for: "n1").instance(LXDDaemon.uniqueName("nowhere"))
        let error = await #expect(throws: LXCError.self) {
            try await instance.create(from: .image("busybox"), options: LXDCreateOptions(target: "n9"))
        }
        #expect(error?.kind == .notFound)
        #expect(error?.message == "Cluster member not found")
        #expect(error?.container == instance.name)
        #expect(try await !instance.isDefined)
        #expect(try await !cluster.client(for: "n1").instanceNames().contains(instance.name))
    }

    @Test func aJobWrittenAgainstTheProtocolRunsOnAnInstanceOnAnotherMember() async throws {
        let cluster = try LXDCluster.required()
        // The job creates its instance with the protocol's create(from:), which names no
        // member: with n1 and n3 taking instances only when named, the cluster places it on n2.
        for member in ["n1", "n3"] { try cluster.lxc("n1", ["cluster", "set", member, "scheduler.instance", "manual"]) }
        defer { for member in ["n1", "n3"] { _ = try? cluster.lxc("n1", ["cluster", "unset", member, "scheduler.instance"]) } }
        let instance = try cluster.client(for: "n1").instance(LXDDaemon.uniqueName("job"))
        let pulled = cluster.directory + "/pulled-\(instance.name)"
        defer { unlink(pulled) }
        // Where the instance is, seen while the job runs (the job deletes it at its end).
        let watcher = Task { () -> String? in
            while !Task.isCancelled {
                if let location = try? await instance.location { return location }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
        let report: JobReport
        do {
            report = try await runJob(on: instance, from: .image("busybox"),
                                      settings: [("user.job", "generic")], pulledPath: pulled)
        } catch {
            watcher.cancel()
            await LXDDaemon.remove(instance)
            throw error
        }
        watcher.cancel()
        #expect(await watcher.value == "n2")
        #expect(!report.definedBefore)
        #expect(report.stateAfterStart == .running)
        #expect(report.hostName == instance.name + "\n")
        #expect(report.streamed.last == .finished(.exited(3)))
        #expect(report.falseStatus == .exited(1))
        #expect(report.processCount >= 1)
        #expect(report.fileRead == Array("written\n".utf8))
        #expect(FileManager.default.contents(atPath: pulled) == Data("written\n".utf8))
        #expect(report.snapshotNames == ["snap0"])
        #expect(report.markerAfterRestore == "before\n")
        #expect(!report.definedAfter)
    }
}
