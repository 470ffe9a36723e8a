import LXCCore
import Testing

@Suite("States and errors")
struct StateAndErrorTests {
    @Test("liblxc's state names parse and print back", arguments: ContainerState.known)
    func roundTrip(state: ContainerState) {
        #expect(ContainerState(liblxcName: state.liblxcName) == state)
        #expect(ContainerState(liblxcName: state.liblxcName.lowercased()) == state)
        #expect(state.description == state.liblxcName)
    }

    @Test func unknownStatesAreKept() {
        #expect(ContainerState(liblxcName: "HIBERNATING") == .other("HIBERNATING"))
        #expect(ContainerState.other("HIBERNATING").liblxcName == "HIBERNATING")
    }

    @Test func errorDescriptionNamesOperationContainerAndLiblxcsWords() {
        let error = LXCError(operation: "start", container: "web", message: "the container did not reach RUNNING",
                             code: 1, kind: .failed, log: ["Failed to mount rootfs", "Received container state \"ABORTING\""])
        #expect(error.description == "start of container \"web\" failed: the container did not reach RUNNING (liblxc: Failed to mount rootfs; Received container state \"ABORTING\")")
        let bare = LXCError(operation: "list", message: "no such directory")
        #expect(bare.description == "list failed: no such directory")
    }
}
