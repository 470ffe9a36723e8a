import Foundation
import LXCCore
@testable import LXD
import Testing

@Suite("LXD's events and the cancellation of awaited operations", .lxd, .lxdDaemon, .serialized,
       .timeLimit(.minutes(5)))
struct LXDEventsTests {
    @Test func startingAndStoppingAnInstanceShowsItsLifecycleEventsInOrder() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("events", started: false) { instance in
            let events = try await daemon.client.events()
            try await instance.start()
            try await instance.stop()
            let source = "/1.0/instances/" + instance.name
            var actions: [String] = []
            for try await event in events where event.source == source {
                #expect(event.type == .lifecycle)
                #expect(!event.timestamp.isEmpty)
                if let action = event.action { actions.append(action) }
                if event.action == "instance-stopped" { break }
            }
            #expect(actions.first == "instance-started")
            #expect(actions.last == "instance-stopped")
        }
    }

    @Test func cancellingTheTaskEndsTheIteration() async throws {
        let daemon = try LXDDaemon.required()
        let events = try await daemon.client.events([.lifecycle, .operation])
        let reader = Task {
            var count = 0
            for try await _ in events { count += 1 }
            return count
        }
        reader.cancel()
        // The iteration ends (without an event it would wait for ever).
        _ = try await reader.value
    }

    struct OperationSummary: Decodable {
        var id: String
        var `class`: String
        var description: String
        var status: String
        var may_cancel: Bool
    }

    func runningOperations(_ client: LXDClient) async throws -> [OperationSummary] {
        let all: [String: [OperationSummary]] = try await client.call("test", nil, .GET, "/1.0/operations?recursion=1")
        return all["running"] ?? []
    }

    /// Polls until an operation matching `matching` runs (the awaited call has started it).
    func waitForRunning(_ client: LXDClient, _ matching: (OperationSummary) -> Bool) async throws -> OperationSummary? {
        for _ in 0..<200 {
            if let found = try await runningOperations(client).first(where: matching) { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func cancellingTheAwaitingTaskCancelsACancellableOperation() async throws {
        let daemon = try LXDDaemon.required()
        let client = daemon.client
        // A trust token is an operation that runs until the token is used, and LXD lets it be
        // cancelled; LXD issues tokens only when it listens on the network (loopback here).
        let port = Int.random(in: 20000...40000)
        try await client.perform("test", nil, .PATCH, "/1.0",
                                 body: Array(#"{"config": {"core.https_address": "127.0.0.1:\#(port)"}}"#.utf8))
        let body = Array(#"{"name": "cancel-test", "type": "client", "token": true}"#.utf8)
        let waiting = Task { try await client.perform("trust token", nil, .POST, "/1.0/certificates", body: body) }
        let token = try await waitForRunning(client) { $0.class == "token" }
        let operation = try #require(token)
        #expect(operation.may_cancel)
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        // LXD cancelled it: no longer running (Cancelled, or gone).
        let response = try await client.send("test", nil, .GET, "/1.0/operations/" + operation.id)
        if response.status == 200 {
            let after: OperationSummary = try await client.call("test", nil, .GET, "/1.0/operations/" + operation.id)
            #expect(after.status == "Cancelled")
        } else {
            #expect(response.status == 404)
        }
        try await client.perform("test", nil, .PATCH, "/1.0", body: Array(#"{"config": {"core.https_address": ""}}"#.utf8))
    }

    @Test func cancellingTheWaitForAnOperationLXDCannotCancelEndsTheTaskAndLeavesTheOperation() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("nocancel") { instance in
            // An exec with recorded output is awaited with /wait; LXD 5.0 cannot cancel it.
            let waiting = Task { try await instance.output(of: ["sleep", "3600"]) }
            let exec = try await waitForRunning(daemon.client) { $0.description == "Executing command" }
            let operation = try #require(exec)
            #expect(!operation.may_cancel)
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            // The wait was abandoned; the program runs on until the instance stops.
            let after: OperationSummary = try await daemon.client.call("test", nil, .GET, "/1.0/operations/" + operation.id)
            #expect(after.status == "Running")
        }
    }
}
