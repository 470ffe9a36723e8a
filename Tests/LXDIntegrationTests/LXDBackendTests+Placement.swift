import LXCCore
import LXD
import Testing

/// The cluster-side calls on a standalone daemon: no location, no members.
extension LXDBackendTests {
    @Test func aStandaloneDaemonListsInstancesWithoutALocation() async throws {
        let daemon = try LXDDaemon.required()
        let instance = daemon.client.instance(LXDDaemon.uniqueName("options"))
        let options = LXDCreateOptions(profiles: ["default"], config: ["user.origin": "options", "limits.processes": "40"])
        try await instance.create(from: .image("busybox"), options: options)
        do {
            #expect(try await instance.location == nil)
            #expect(try await instance.configItem("user.origin") == "options")
            #expect(try await instance.configuration().profiles == ["default"])
            let listed = try await daemon.client.instances().first { $0.name == instance.name }
            #expect(listed?.location == nil)
            #expect(listed?.state == .stopped)
            #expect(listed?.addresses == [:])

            let error = await #expect(throws: LXCError.self) { try await daemon.client.clusterMembers() }
            #expect(error?.message == "Server is not clustered")

            let targeted = daemon.client.instance(LXDDaemon.uniqueName("targeted"))
            let targetError = await #expect(throws: LXCError.self) {
                try await targeted.create(from: .image("busybox"), options: LXDCreateOptions(target: "n1"))
            }
            #expect(targetError?.kind == .invalidArgument)
            #expect(targetError?.message == "Target only allowed when clustered")
            #expect(try await !targeted.isDefined)
        } catch {
            await LXDDaemon.remove(instance)
            throw error
        }
        await LXDDaemon.remove(instance)
    }

    @Test func anUnknownProfileIsRefusedAndNothingIsMade() async throws {
        let daemon = try LXDDaemon.required()
        let instance = daemon.client.instance(LXDDaemon.uniqueName("noprofile"))
        let error = await #expect(throws: LXCError.self) {
            try await instance.create(from: .image("busybox"), options: LXDCreateOptions(profiles: ["no-such-profile"]))
        }
        #expect(error?.message == "Requested profile \"no-such-profile\" doesn't exist")
        #expect(error?.container == instance.name)
        #expect(try await !instance.isDefined)
    }

    @Test func anEphemeralInstanceIsGoneOnceItStops() async throws {
        let daemon = try LXDDaemon.required()
        let instance = daemon.client.instance(LXDDaemon.uniqueName("ephemeral"))
        try await instance.create(from: .image("busybox"), options: LXDCreateOptions(ephemeral: true))
        do {
            #expect(try await instance.configuration().ephemeral)
            try await instance.start()
            try await instance.stop()
            // LXD deletes it once the stop has been handled.
            var defined = true
            for _ in 0..<100 where defined {
                defined = try await instance.isDefined
                if defined { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(!defined)
        } catch {
            await LXDDaemon.remove(instance)
            throw error
        }
        await LXDDaemon.remove(instance)
    }
}
