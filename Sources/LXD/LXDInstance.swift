import FoundationEssentials
import Glibc
import LXCCore
import NIOHTTP1

/// An instance (a system container) on an LXD daemon, driven through LXD's REST API.
///
/// It conforms to ``ContainerProtocol``, so a job written against the protocol runs unchanged
/// on a local `LXC.Container` and on an LXD instance. Get one from ``LXDClient/instance(_:)``;
/// the value only names the instance, every property and method asks the daemon.
///
/// Configuration keys are LXD's own (`limits.memory`, `security.nesting`, `user.*`, …), not
/// liblxc's `lxc.*` items.
public struct LXDInstance: ContainerProtocol {
    /// The instance's name on its daemon.
    public let name: String
    /// The connection this instance is reached through.
    public let client: LXDClient

    init(name: String, client: LXDClient) {
        self.name = name
        self.client = client
    }

    var path: String { "/1.0/instances/" + percentEncoded(name, keeping: "") }

    /// Whether the instance exists.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}` (404: it does not exist).
    public var isDefined: Bool {
        get async throws {
            let response = try await client.send("isDefined", name, .GET, path)
            if response.status == 404 { return false }
            guard (200..<300).contains(response.status) else {
                throw client.lxdError("isDefined", name, response)
            }
            return true
        }
    }

    /// The instance's state now: LXD's status (`Running`, `Stopped`, `Frozen`, …) as a
    /// ``ContainerState``; a status the local backend has no name for is `.other(status)`.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/state`.
    public var state: ContainerState {
        get async throws { try await runtimeState("state").state }
    }

    /// The instance's runtime state: status, init's PID, process count, memory, CPU time,
    /// disk use and network interfaces (see ``LXDInstanceState``).
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/state`.
    public func runtimeState() async throws -> LXDInstanceState {
        try await runtimeState("runtimeState")
    }

    func runtimeState(_ what: String) async throws -> LXDInstanceState {
        let state: InstanceStateBody = try await client.call(what, name, .GET, path + "/state")
        return LXDInstanceState(state)
    }

    /// Makes the instance (a container) from an image of the daemon's, by alias or
    /// fingerprint, with the daemon's default profile, where the cluster chooses.
    ///
    /// The same as ``create(from:options:)`` with default ``LXDCreateOptions``.
    /// The corresponding LXD call is `POST /1.0/instances` with
    /// `{"name": …, "type": "container", "source": {"type": "image", "alias": …}}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/alreadyExists`` when the name is taken,
    ///   ``LXCError/Kind/unsupported`` for `.template`: LXD makes instances from images only.
    public func create(from source: ContainerSource) async throws {
        try await create(from: source, options: LXDCreateOptions())
    }

    /// Starts the instance and returns when it runs.
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}/state` with `{"action": "start"}`, awaited.
    public func start() async throws {
        try await changeState("start", action: "start")
    }

    /// Stops the instance at once: its processes are killed.
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}/state` with
    /// `{"action": "stop", "force": true}`, awaited.
    public func stop() async throws {
        try await changeState("stop", action: "stop", force: true)
    }

    /// Asks the instance's init to shut down (LXD sends it `SIGPWR`) and waits for it; nil
    /// waits without a limit.
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}/state` with
    /// `{"action": "stop", "timeout": seconds}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/timedOut`` when it still ran after `timeout`.
    public func shutdown(timeout: Duration?) async throws {
        let seconds = timeout.map { max(1, Int(($0.components.seconds)) + ($0.components.attoseconds > 0 ? 1 : 0)) } ?? -1
        do {
            try await changeState("shutdown", action: "stop", timeout: seconds)
        } catch var error as LXCError where timeout != nil {
            if (try? await state) == .running {
                error.kind = .timedOut
            }
            throw error
        }
    }

    /// Freezes every process of the instance.
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}/state` with `{"action": "freeze"}`, awaited.
    public func freeze() async throws {
        try await changeState("freeze", action: "freeze")
    }

    /// Thaws a frozen instance.
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}/state` with `{"action": "unfreeze"}`, awaited.
    public func unfreeze() async throws {
        try await changeState("unfreeze", action: "unfreeze")
    }

    /// Restarts the instance (forced: its processes are killed).
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}/state` with
    /// `{"action": "restart", "force": true}`, awaited.
    public func restart() async throws {
        try await changeState("restart", action: "restart", force: true)
    }

    func changeState(_ what: String, action: String, force: Bool = false, timeout: Int = -1) async throws {
        let body = try encodeJSON(InstanceStatePut(action: action, timeout: timeout, force: force))
        try await client.perform(what, name, .PUT, path + "/state", body: body)
    }

    /// Waits until the instance is in `state`, asking LXD every 50 ms; false when `timeout`
    /// passed first (nil waits without a limit).
    ///
    /// The corresponding LXD call, repeated, is `GET /1.0/instances/{name}/state`.
    public func wait(for state: ContainerState, timeout: Duration?) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while true {
            if try await self.state == state { return true }
            if let deadline, clock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Deletes the instance, which must be stopped; with `includingSnapshots` false an
    /// instance that has snapshots is refused (LXD would delete them with it).
    ///
    /// The corresponding LXD call is `DELETE /1.0/instances/{name}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/wrongState`` when snapshots are in the way.
    public func destroy(includingSnapshots: Bool) async throws {
        if !includingSnapshots {
            let snapshots = try await snapshotNames("destroy")
            if !snapshots.isEmpty {
                throw LXCError(operation: "destroy", container: name,
                               message: "the instance has snapshots (\(snapshots.joined(separator: ", "))); destroy them, or pass includingSnapshots: true",
                               kind: .wrongState)
            }
        }
        try await client.perform("destroy", name, .DELETE, path)
    }
}

// MARK: Request and response bodies (the part of LXD's API these calls use)

struct InstanceStatePut: Encodable {
    var action: String
    var timeout: Int
    var force: Bool
}
