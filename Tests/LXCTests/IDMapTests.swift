@testable import LXC
import Testing

@Suite("Id maps and subordinate ids")
struct IDMapTests {
    @Test func configValuesParseAndPrintBack() throws {
        let map = try IDMap(configValue: "u 0 100000 65536")
        #expect(map == (try IDMap(.user, containerID: 0, hostID: 100_000, count: 65536)))
        #expect(map.configValue == "u 0 100000 65536")
        #expect(map.mapsRoot)
        let group = try IDMap(configValue: "g\t1000  1000 1")
        #expect(group.kind == .group && group.containerID == 1000 && group.hostID == 1000 && group.count == 1)
        #expect(!group.mapsRoot)
    }

    @Test("Malformed or impossible id maps are refused",
          arguments: ["", "u 0 100000", "x 0 100000 65536", "u -1 100000 65536", "u 0 100000 0",
                      "u 0 4294967295 2", "u 4294967000 0 65536", "u 0 100000 65536 9"])
    func malformedMapsAreRefused(value: String) {
        let error = #expect(throws: LXCError.self) { try IDMap(configValue: value) }
        #expect(error?.kind == .invalidArgument)
    }

    @Test func theLastIDCanBeMapped() throws {
        #expect(try IDMap(.user, containerID: 0, hostID: UInt32.max, count: 1).hostID == UInt32.max)
    }

    @Test func overlapsOfOneKindAreFound() throws {
        let users = try IDMap(configValue: "u 0 100000 65536")
        let groups = try IDMap(configValue: "g 0 100000 65536")
        let own = try IDMap(configValue: "u 65536 1000 1")
        #expect(IDMap.firstOverlap(in: [users, groups, own]) == nil)
        let clash = try IDMap(configValue: "u 70000 165535 1")  // host id 165535 is users' last
        #expect(IDMap.firstOverlap(in: [users, clash]).map { [$0.0, $0.1] } == [users, clash])
        let inside = try IDMap(configValue: "u 100 1000 1")  // container id 100 is inside users'
        #expect(IDMap.firstOverlap(in: [users, inside]) != nil)
    }

    @Test func subordinateFilesAreReadForTheUserByNameOrUID() {
        let text = """
            alice:100000:65536
            bob:165536:65536
            1001:231072:1000
            alice:300000:10
            broken line
            carol:400000:0
            """
        #expect(SubordinateIDRange.parse(text, user: "alice", uid: 1000)
            == [SubordinateIDRange(start: 100_000, count: 65536), SubordinateIDRange(start: 300_000, count: 10)])
        #expect(SubordinateIDRange.parse(text, user: "bob", uid: 1001)
            == [SubordinateIDRange(start: 165_536, count: 65536), SubordinateIDRange(start: 231_072, count: 1000)])
        #expect(SubordinateIDRange.parse(text, user: "carol", uid: nil).isEmpty)
        #expect(SubordinateIDRange.parse(text, user: "ali", uid: nil).isEmpty)
        #expect(SubordinateIDRange(start: 100_000, count: 65536).description == "100000-165535")
    }

    @Test func coverageIsInsideTheRange() throws {
        let range = SubordinateIDRange(start: 100_000, count: 65536)
        #expect(try IDMap(configValue: "u 0 100000 65536").isCovered(by: range))
        #expect(try IDMap(configValue: "u 0 165535 1").isCovered(by: range))
        #expect(try !IDMap(configValue: "u 0 100000 65537").isCovered(by: range))
        #expect(try !IDMap(configValue: "u 0 99999 2").isCovered(by: range))
    }

    @Test func theUnreachableDirectoryIsTakenFromLiblxcsLine() {
        let log = ["Permission denied - Could not access /tmp/x y. Please grant it x access, or add an ACL for the container root",
                   "An error occurred in another process (expected sequence number 1)"]
        #expect(UnprivilegedSetup.unreachableDirectory(in: log) == "/tmp/x y")
        #expect(UnprivilegedSetup.unreachableDirectory(in: ["Failed to spawn container"]) == nil)
    }

    @Test func problemsNameTheFileAndTheFix() {
        #expect(UnprivilegedSetup.noSubordinateIDs(.user, user: "alice").contains("/etc/subuid"))
        #expect(UnprivilegedSetup.noSubordinateIDs(.group, user: "alice").contains("usermod --add-subgids 100000-165535 alice"))
        #expect(UnprivilegedSetup.noIDMap(.user, in: nil).contains("maps no user ids"))
        #expect(UnprivilegedSetup.noIDMap(.group, in: "/home/a/.config/lxc/default.conf").contains("lxc.idmap = g 0 100000 65536"))
    }
}
