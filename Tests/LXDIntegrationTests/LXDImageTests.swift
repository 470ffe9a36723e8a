import ContainerProtocolChecks
import Foundation
import LXCCore
import LXD
import Testing

@Suite("Images on an LXD daemon", .lxd, .lxdDaemon, .serialized, .timeLimit(.minutes(5)))
struct LXDImageTests {
    @Test func theBusyboxImageIsListedWithItsAlias() async throws {
        let daemon = try LXDDaemon.required()
        let images = try await daemon.client.images()
        let busybox = try #require(images.first { $0.aliases.contains("busybox") })
        #expect(busybox.fingerprint.count == 64)
        #expect(busybox.properties["os"] == "busybox")
        #expect(busybox.description == "busybox (swift-lxc tests)")
        #expect(busybox.size > ByteCount(0))
        #expect(!busybox.architecture.isEmpty)
        #expect(busybox.type == "container")
        #expect(busybox.uploadedAt != nil)
        #expect(busybox.createdAt != nil)
        #expect(try await daemon.client.image(fingerprint: busybox.fingerprint) == busybox)
    }

    @Test func aTarballIsImportedListedUsedAndDeleted() async throws {
        let daemon = try LXDDaemon.required()
        let tarball = daemon.directory + "/import-\(UInt32.random(in: 0...0xFFFFFF)).tar.gz"
        defer { unlink(tarball) }
        try LXDIntegration.script(["tarball", daemon.directory, tarball])
        let (status, sum) = ScriptRunner.run(["/usr/bin/sha256sum", tarball], withStandardError: false)
        #expect(status == 0)
        let sha256 = String(sum.prefix(64))

        let alias = LXDDaemon.uniqueName("imported")
        let instance = daemon.client.instance(LXDDaemon.uniqueName("from-import"))
        var imported: LXDImage?
        do {
            let image = try await daemon.client.importImage(fromTarball: tarball, alias: alias)
            imported = image
            // LXD's fingerprint of a unified tarball is its SHA-256.
            #expect(image.fingerprint == sha256)
            #expect(image.aliases == [alias])
            #expect(image.filename == (tarball as NSString).lastPathComponent)
            #expect(image.properties["os"] == "busybox")
            #expect(image.size == ByteCount(UInt64(try FileManager.default.attributesOfItem(atPath: tarball)[.size] as? Int ?? -1)))

            let listed = try await daemon.client.images()
            #expect(listed.first { $0.fingerprint == image.fingerprint }?.aliases == [alias])
            #expect(listed.contains { $0.aliases.contains("busybox") })

            // The same image again is refused.
            let again = await #expect(throws: LXCError.self) {
                try await daemon.client.importImage(fromTarball: tarball, alias: nil)
            }
            #expect(again?.kind == .alreadyExists)

            try await instance.create(from: .image(image.fingerprint))
            try await instance.start()
            #expect(try await instance.output(of: ["cat", "/etc/hostname"]).status == .exited(0))
            await LXDDaemon.remove(instance)

            try await daemon.client.deleteImage(fingerprint: image.fingerprint)
            imported = nil
            #expect(try await !daemon.client.images().contains { $0.fingerprint == image.fingerprint })
            let gone = await #expect(throws: LXCError.self) { try await daemon.client.deleteImage(fingerprint: image.fingerprint) }
            #expect(gone?.kind == .notFound)
        } catch {
            await LXDDaemon.remove(instance)
            if let imported { try? await daemon.client.deleteImage(fingerprint: imported.fingerprint) }
            throw error
        }
    }

    @Test func anAliasThatIsTakenLeavesNoImageBehind() async throws {
        let daemon = try LXDDaemon.required()
        let tarball = daemon.directory + "/taken-\(UInt32.random(in: 0...0xFFFFFF)).tar.gz"
        defer { unlink(tarball) }
        try LXDIntegration.script(["tarball", daemon.directory, tarball])
        let before = try await daemon.client.images().map(\.fingerprint)
        let error = await #expect(throws: LXCError.self) {
            try await daemon.client.importImage(fromTarball: tarball, alias: "busybox")
        }
        #expect(error?.kind == .alreadyExists)
        #expect(try await daemon.client.images().map(\.fingerprint).sorted() == before.sorted())
    }

    @Test func aMissingTarballIsNotFound() async throws {
        let daemon = try LXDDaemon.required()
        let error = await #expect(throws: LXCError.self) {
            try await daemon.client.importImage(fromTarball: daemon.directory + "/no-such.tar.gz", alias: nil)
        }
        #expect(error?.kind == .notFound)
        let missing = await #expect(throws: LXCError.self) {
            try await daemon.client.image(fingerprint: String(repeating: "0", count: 64))
        }
        #expect(missing?.kind == .notFound)
    }
}
