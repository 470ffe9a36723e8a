@testable import LXC
import Glibc
import Testing

@Suite("Paths inside a container and the owners of copied files")
struct ContainerPathTests {
    @Test("Paths that are not absolute, hold a NUL or climb above the root are refused", arguments: [
        ("", "empty"),
        ("etc/passwd", "not absolute"),
        ("/etc/\u{0}passwd", "NUL"),
        ("/..", "above the container's root"),
        ("/../etc/passwd", "above the container's root"),
        ("/tmp/../../etc", "above the container's root"),
        ("/a/./../../b", "above the container's root"),
    ])
    func badPathsAreRefused(path: String, reason: String) {
        let error = #expect(throws: LXCError.self) { try Validate.containerPath(path, operation: "push", container: "web") }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("Paths that stay inside are accepted", arguments: ["/", "/etc/passwd", "/tmp/../etc", "/a/b/../../c", "//x//y/", "/./."])
    func goodPathsAreAccepted(path: String) throws {
        try Validate.containerPath(path, operation: "push", container: "web")
    }

    @Test func splitGivesTheParentAndTheLastComponent() {
        #expect(ContainerRoot.split("/etc/hostname") == ("/etc", "hostname"))
        #expect(ContainerRoot.split("/tmp/") == ("/", "tmp"))
        #expect(ContainerRoot.split("/") == ("/", ""))
        #expect(Container.splitRelative("out/file") == ("out", "file"))
        #expect(Container.splitRelative("file") == (".", "file"))
    }

    @Test func ownersAreShiftedThroughTheMaps() throws {
        let maps = [try IDMap(.user, hostID: 100_000, count: 65536), try IDMap(.group, containerID: 0, hostID: 200_000, count: 1000),
                    try IDMap(.group, containerID: 1000, hostID: 5000, count: 1)]
        let root = try ContainerRoot(paths: ["/"], maps: maps, operation: "push", container: "web")
        #expect(try root.hostID(0, .user) == 100_000)
        #expect(try root.hostID(1000, .user) == 101_000)
        #expect(try root.hostID(999, .group) == 200_999)
        #expect(try root.hostID(1000, .group) == 5000)
        #expect(throws: LXCError.self) { try root.hostID(65536, .user) }
        #expect(throws: LXCError.self) { try root.hostID(1001, .group) }
        let privileged = try ContainerRoot(paths: ["/"], maps: [], operation: "push", container: "web")
        #expect(try privileged.hostID(1234, .user) == 1234)
    }
}
