import Foundation
import LXC
import Testing

@Suite("Listing containers", .integration, .timeLimit(.minutes(3)))
struct ListingTests {
    @Test func definedActiveAndAllAreSortedAndSplitByState() throws {
        try Sandbox.withBlocking { sandbox in
            let names = ["c-b", "c-a", "c-c"].map { "\($0)-\(sandbox.uniqueName("x"))" }
            let containers = try names.map { try sandbox.busybox($0) }
            try containers[0].start()

            #expect(try Container.names(.defined, in: sandbox.lxcpath) == names.sorted())
            #expect(try Container.names(.all, in: sandbox.lxcpath) == names.sorted())
            #expect(try Container.names(.active, in: sandbox.lxcpath) == [names[0]])

            let listed = try Container.list(.all, in: sandbox.lxcpath)
            #expect(listed.map(\.name) == names.sorted())
            #expect(listed.allSatisfy { $0.isDefined && $0.lxcpath == sandbox.lxcpath })
            let active = try Container.list(.active, in: sandbox.lxcpath)
            #expect(active.map(\.name) == [names[0]])
            #expect(active.first?.state == .running)
            // A listed container is a full handle: it can be stopped through.
            try active.first?.stop()
            #expect(containers[0].state == .stopped)
        }
    }

    @Test func anEmptyLXCPathListsNothingAndAMissingOneIsNotFound() throws {
        try Sandbox.withBlocking { (sandbox: Sandbox) throws in
            #expect(try Container.names(.all, in: sandbox.lxcpath).isEmpty)
            let error = #expect(throws: LXCError.self) {
                try Container.list(.defined, in: sandbox.lxcpath + "/missing")
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("/missing") == true)
        }
    }
}
