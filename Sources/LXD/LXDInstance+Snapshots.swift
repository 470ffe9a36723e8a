import FoundationEssentials
import Glibc
import LXCCore
import NIOHTTP1

/// The configuration key that carries a snapshot's comment.
let commentKey = "user.swift-lxc.comment"

extension LXDInstance {
    /// Takes a snapshot named `snapN` (the first N free) and returns its name.
    ///
    /// A comment is kept in the snapshot's configuration: it is set on the instance as
    /// `user.swift-lxc.comment` for the moment of the snapshot, then removed again.
    ///
    /// The corresponding LXD call is `POST /1.0/instances/{name}/snapshots` with `{"name": …}`, awaited.
    public func snapshot(comment: String?) async throws -> String {
        let taken = Set(try await snapshotNames("snapshot"))
        var index = 0
        while taken.contains("snap\(index)") { index += 1 }
        let snapshotName = "snap\(index)"
        if let comment { try await changeConfig("snapshot") { $0[commentKey] = comment } }
        do {
            let body = try encodeJSON(SnapshotsPost(name: snapshotName, stateful: false))
            try await client.perform("snapshot", name, .POST, path + "/snapshots", body: body)
        } catch {
            if comment != nil { try? await changeConfig("snapshot") { $0[commentKey] = nil } }
            throw error
        }
        if comment != nil { try await changeConfig("snapshot") { $0[commentKey] = nil } }
        return snapshotName
    }

    /// The instance's snapshots, oldest first.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/snapshots?recursion=1`.
    public func snapshots() async throws -> [LXDSnapshot] {
        let bodies: [SnapshotBody] = try await client.call("snapshots", name, .GET, path + "/snapshots?recursion=1")
        let snapshots = bodies.map { body in
            var name = body.name
            if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
            return LXDSnapshot(name: name, date: body.created_at.flatMap(SnapshotDate.init(rfc3339:)),
                               comment: body.config?[commentKey])
        }
        return snapshots.sorted { ($0.date?.secondsSinceEpoch ?? 0, $0.name) < ($1.date?.secondsSinceEpoch ?? 0, $1.name) }
    }

    func snapshotNames(_ what: String) async throws -> [String] {
        let urls: [String] = try await client.call(what, name, .GET, path + "/snapshots")
        return urls.map { url in
            var name = url
            if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
            return percentDecoded(name)
        }
    }

    /// Puts the instance back to the snapshot `snapshotName`, under its own name; the
    /// instance must be stopped.
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}` with `{"restore": …}`, awaited.
    public func restoreSnapshotInPlace(_ snapshotName: String) async throws {
        let body = try encodeJSON(["restore": snapshotName])
        try await client.perform("restoreSnapshotInPlace", name, .PUT, path, body: body)
        // The snapshot's comment came back with its configuration; it is not the instance's.
        if try await configItem(commentKey) != nil {
            try await changeConfig("restoreSnapshotInPlace") { $0[commentKey] = nil }
        }
    }

    /// Destroys one snapshot.
    ///
    /// The corresponding LXD call is `DELETE /1.0/instances/{name}/snapshots/{snapshot}`, awaited.
    public func destroySnapshot(_ snapshotName: String) async throws {
        try await client.perform("destroySnapshot", name, .DELETE,
                                     path + "/snapshots/" + percentEncoded(snapshotName, keeping: ""))
    }
}

struct SnapshotsPost: Encodable {
    var name: String
    var stateful: Bool
}

struct SnapshotBody: Decodable {
    var name: String
    var created_at: String?
    var config: [String: String]?
}
