import Foundation
@testable import LXC
import Testing

/// Files moved by a process inside a running container: the path an ordinary user's calls
/// take (they may not give files to a container's mapped ids from the host). As root the same
/// path is taken on request (`FilesInside.forced`); as an ordinary user it is the only one.
@Suite("Files in and out through a process inside a running busybox container", .integration, .timeLimit(.minutes(3)))
struct FileTransferInsideTests {
    func withInsidePath<R>(_ body: () throws -> R) rethrows -> R {
        try FilesInside.$forced.withValue(true) { try body() }
    }

    /// Mode and owner of a path inside the container, as the container's `ls -ln` shows them.
    func listing(_ container: Container, _ path: String) throws -> String {
        try container.output(of: ["ls", "-ln", path], input: []).standardOutputString
    }

    @Test func writeContentsPushAndPullWorkThroughTheContainer() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            defer { try? container.stop() }
            try withInsidePath {
                let bytes = Array("line one\nline two\n".utf8) + [0, 255, 1]
                try container.write(bytes, to: "/tmp/greeting", mode: 0o640, owner: FileOwner(userID: 1000, groupID: 1001))
                #expect(try container.contents(of: "/tmp/greeting") == bytes)
                let seen = try listing(container, "/tmp/greeting")
                #expect(seen.hasPrefix("-rw-r-----") && seen.contains(" 1000 ") && seen.contains(" 1001 "), "\(seen)")

                // Written again: replaced, with the new mode and owner.
                try container.write(Array("short".utf8), to: "/tmp/greeting", mode: 0o600)
                #expect(try container.contents(of: "/tmp/greeting") == Array("short".utf8))
                #expect(try listing(container, "/tmp/greeting").hasPrefix("-rw------- "))

                let host = NSTemporaryDirectory() + "swift-lxc-inside-" + UUID().uuidString
                try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: false)
                defer { try? FileManager.default.removeItem(atPath: host) }
                try Data("pushed\n".utf8).write(to: URL(fileURLWithPath: host + "/input.txt"))
                // Into an existing directory: under its own name.
                try container.push(host + "/input.txt", to: "/tmp", mode: 0o600)
                #expect(try container.contents(of: "/tmp/input.txt") == Array("pushed\n".utf8))
                // Out again, into a host directory.
                try FileManager.default.createDirectory(atPath: host + "/out", withIntermediateDirectories: false)
                try container.write(bytes, to: "/tmp/tool", mode: 0o4755)
                try container.pull("/tmp/tool", to: host + "/out")
                #expect(FileManager.default.contents(atPath: host + "/out/tool").map(Array.init) == bytes)
                var info = stat()
                #expect(lstat(host + "/out/tool", &info) == 0 && info.st_mode & 0o7777 == 0o755, "set-user-id is dropped")
            }
        }
    }

    @Test func aLinkInsideLeadsToTheContainersFilesNeverTheHosts() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            defer { try? container.stop() }
            let marker = "swift-lxc-inside-\(UInt32.random(in: 0...UInt32.max))"
            #expect(try container.run(["ln", "-s", "/etc", "/tmp/etc-link"]) == .exited(0))
            try withInsidePath {
                try container.write(Array("inside\n".utf8), to: "/tmp/etc-link/\(marker)")
                #expect(try container.contents(of: "/etc/\(marker)") == Array("inside\n".utf8))
            }
            #expect(!FileManager.default.fileExists(atPath: "/etc/\(marker)"), "the host's /etc is untouched")
        }
    }

    @Test func missingFilesDirectoriesAndTreesSaySo() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            defer { try? container.stop() }
            try withInsidePath {
                let missing = try #require(throws: LXCError.self) { _ = try container.contents(of: "/no/such/file") }
                #expect(missing.kind == .notFound)
                let directory = try #require(throws: LXCError.self) { _ = try container.contents(of: "/etc") }
                #expect(directory.kind == .invalidArgument)
                let noParent = try #require(throws: LXCError.self) { try container.write([1], to: "/no/such/dir/file") }
                #expect(noParent.kind == .notFound)
                let tree = try #require(throws: LXCError.self) { try container.pull("/etc", to: NSTemporaryDirectory()) }
                #expect(tree.kind == .unsupported)
            }
        }
    }
}
