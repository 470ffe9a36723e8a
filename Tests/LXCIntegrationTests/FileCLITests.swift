import Foundation
import LXC
import Testing

@Suite("lxcctl push, pull and clone --ephemeral", .integration, .timeLimit(.minutes(3)))
struct FileCLITests {
    func lxcctl(_ sandbox: Sandbox, _ arguments: String...) async throws -> LXCCtlRunner.Result {
        try await LXCCtlRunner.result(of: ["--lxcpath", sandbox.lxcpath] + arguments)
    }

    @Test(.privilegedOnly("files a container's root owns belong to its mapped host ids, which an ordinary user may not give"))
    func pushAndPullAFile() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let host = NSTemporaryDirectory() + "swift-lxc-cli-files-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(atPath: host) }
            #expect(FileManager.default.createFile(atPath: host + "/in.txt", contents: Data("pushed\n".utf8)))

            let push = try await lxcctl(sandbox, "push", container.name, host + "/in.txt", "/tmp/", "--mode", "600", "--owner", "5:6")
            #expect(push.status == 0, "\(push.standardError)")
            #expect(try await container.contents(of: "/tmp/in.txt") == Array("pushed\n".utf8))
            var info = stat()
            #expect(lstat(container.rootfsDirectory + "/tmp/in.txt", &info) == 0)
            #expect(info.st_mode & 0o7777 == 0o600 && info.st_uid == 5 && info.st_gid == 6)

            let pull = try await lxcctl(sandbox, "pull", container.name, "/etc/passwd", host)
            #expect(pull.status == 0, "\(pull.standardError)")
            #expect(FileManager.default.contents(atPath: host + "/passwd") == FileManager.default.contents(atPath: container.rootfsDirectory + "/etc/passwd"))
            #expect(FileManager.default.contents(atPath: host + "/passwd") != nil)

            let missing = try await lxcctl(sandbox, "pull", container.name, "/no/such", host)
            #expect(missing.status != 0)
            #expect(missing.standardError.contains("there is no \"/no/such\" inside the container"), "\(missing.standardError)")
            let badOwner = try await lxcctl(sandbox, "push", container.name, host + "/in.txt", "/tmp", "--owner", "root")
            #expect(badOwner.status != 0)
            #expect(badOwner.standardError.contains("UID:GID"), "\(badOwner.standardError)")
        }
    }

    @Test func cloneEphemeralMakesAThrowawayClone() async throws {
        try await Sandbox.with { sandbox in
            try #require(BackingStore.overlay.isAvailable(in: sandbox.lxcpath))
            let base: Container = try await sandbox.busybox()
            let name = sandbox.uniqueName("job")
            let clone = try await lxcctl(sandbox, "clone", base.name, name, "--snapshot", "-e")
            #expect(clone.status == 0, "\(clone.standardError)")
            let job = try Container(name: name, lxcpath: sandbox.lxcpath)
            #expect(job.isDefined && job.isEphemeral)
            #expect(try await lxcctl(sandbox, "start", name).status == 0)
            #expect(try await lxcctl(sandbox, "stop", name).status == 0)
            let directory = "\(sandbox.lxcpath)/\(name)"
            await offPool {
                for _ in 0..<300 where FileManager.default.fileExists(atPath: directory) { usleep(100_000) }
            }
            #expect(!FileManager.default.fileExists(atPath: directory))
            #expect(base.isDefined)
        }
    }
}
