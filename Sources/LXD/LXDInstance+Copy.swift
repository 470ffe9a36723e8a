import FoundationEssentials
import LXCCore
import NIOHTTP1

extension LXDInstance {
    /// Renames the instance, which must be stopped, and returns it under its new name; its
    /// snapshots go with it. This value keeps the old name, which then names no instance.
    ///
    /// The corresponding LXD call is `POST /1.0/instances/{name}` with `{"name": newName}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/wrongState`` when the instance runs (LXD
    ///   refuses: "Renaming of running container not allowed"), ``LXCError/Kind/alreadyExists``
    ///   when the new name is taken, ``LXCError/Kind/invalidArgument`` for a name LXD refuses,
    ///   ``LXCError/Kind/notFound`` when this instance does not exist; each with LXD's message.
    @discardableResult
    public func rename(to newName: String) async throws -> LXDInstance {
        do {
            try await client.perform("rename", name, .POST, path, body: try encodeJSON(["name": newName]))
        } catch var error as LXCError where error.kind == .failed && error.message.lowercased().contains("running") {
            // LXD fails the operation (status 400) with "Renaming of running container not allowed".
            error.kind = .wrongState
            throw error
        }
        return client.instance(newName)
    }

    /// Copies the instance to a new one called `newName` and returns it (stopped), with its
    /// files, its own configuration, devices and profiles, and (unless `includingSnapshots` is
    /// false) its snapshots. The copy is independent of the original.
    ///
    /// The instance's writable part is read and resent with the copy, as LXD's own client
    /// does (without its profiles LXD fails with "No root device could be found"), less its
    /// `volatile.*` keys, which belong to the original (its UUID, its MAC addresses, its
    /// last power state); `volatile.base_image` is kept, as LXD's client keeps it. (LXD
    /// itself adds the source's other keys and devices that the request lacks.)
    ///
    /// A running instance is copied as its files are at that moment (LXD's non-live copy,
    /// which a container allows); what its programs have not yet written is not in the copy.
    /// Stop it first for a consistent copy.
    ///
    /// - Parameters:
    ///   - newName: The copy's name.
    ///   - member: In a cluster, the member the copy is made on (LXD's `target`); nil lets
    ///     LXD place it (on the same member as the original, for a local copy).
    ///   - includingSnapshots: Whether the original's snapshots are copied too (LXD's
    ///     `instance_only` is the opposite).
    ///
    /// The corresponding LXD calls are `GET /1.0/instances/{name}`, then
    /// `POST /1.0/instances[?target=member]` with
    /// `{"name": newName, …, "source": {"type": "copy", "source": name, "instance_only": …}}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/alreadyExists`` when `newName` is taken,
    ///   ``LXCError/Kind/notFound`` when this instance does not exist.
    @discardableResult
    public func copy(to newName: String, member: String? = nil, includingSnapshots: Bool = true) async throws -> LXDInstance {
        let source = try await configuration("copy")
        let request = InstanceCopyPost(
            name: newName, architecture: source.architecture, config: copiedConfig(source.config),
            devices: source.devices, ephemeral: source.ephemeral, profiles: source.profiles,
            description: source.description,
            source: .init(source: name, instanceOnly: !includingSnapshots,
                          baseImage: source.config["volatile.base_image"]))
        return try await createCopy("copy", request, member: member)
    }

    /// Makes a new instance called `newName` from the snapshot `snapshotName` of this
    /// instance and returns it (stopped): the files, configuration, devices and profiles as
    /// they were when the snapshot was taken, without snapshots of its own.
    ///
    /// The snapshot's `volatile.*` keys are left out as in ``copy(to:member:includingSnapshots:)``,
    /// and so is the comment swift-lxc keeps in a snapshot (`user.swift-lxc.comment`).
    ///
    /// The corresponding LXD calls are `GET /1.0/instances/{name}/snapshots/{snapshot}`, then
    /// `POST /1.0/instances[?target=member]` with
    /// `{"name": newName, …, "source": {"type": "copy", "source": "name/snapshot"}}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/notFound`` when there is no such snapshot,
    ///   ``LXCError/Kind/alreadyExists`` when `newName` is taken.
    @discardableResult
    public func copy(snapshot snapshotName: String, to newName: String, member: String? = nil) async throws -> LXDInstance {
        let snapshot: SnapshotWritable = try await client.call(
            "copy", name, .GET, path + "/snapshots/" + percentEncoded(snapshotName, keeping: ""))
        var config = copiedConfig(snapshot.config ?? [:])
        // LXD adds the source's keys the request lacks; an empty value keeps one out.
        config[commentKey] = ""
        let request = InstanceCopyPost(
            name: newName, architecture: snapshot.architecture ?? "", config: config,
            devices: snapshot.devices ?? [:], ephemeral: snapshot.ephemeral ?? false,
            profiles: snapshot.profiles ?? [], description: "",
            source: .init(source: name + "/" + snapshotName, instanceOnly: nil,
                          baseImage: snapshot.config?["volatile.base_image"]))
        return try await createCopy("copy", request, member: member)
    }

    func createCopy(_ what: String, _ request: InstanceCopyPost, member: String?) async throws -> LXDInstance {
        var instancesPath = "/1.0/instances"
        if let member { instancesPath += "?target=" + percentEncoded(member, keeping: "") }
        // The error names the instance that was to be made: that is the one a clash is about.
        try await client.perform(what, request.name, .POST, instancesPath, body: try encodeJSON(request))
        return client.instance(request.name)
    }
}

/// A source's configuration as a copy takes it: without the `volatile.*` keys, which are the
/// source's own, except `volatile.base_image` (LXD's `InstanceIncludeWhenCopying` for a copy
/// that may cross members).
func copiedConfig(_ config: [String: String]) -> [String: String] {
    config.filter { key, _ in key == "volatile.base_image" || !key.hasPrefix("volatile.") }
}

// MARK: Request and response bodies

/// `POST /1.0/instances` for a copy: the writable part of the source, and where it comes from.
struct InstanceCopyPost: Encodable {
    struct Source: Encodable {
        var type = "copy"
        var source: String
        /// Nil for a snapshot, which has no snapshots of its own.
        var instanceOnly: Bool?
        var baseImage: String?

        init(source: String, instanceOnly: Bool?, baseImage: String?) {
            self.source = source
            self.instanceOnly = instanceOnly
            self.baseImage = baseImage
        }

        enum CodingKeys: String, CodingKey {
            case type, source
            case instanceOnly = "instance_only"
            case baseImage = "base-image"
        }
    }
    var name: String
    var type = "container"
    var architecture: String
    var config: [String: String]
    var devices: [String: [String: String]]
    var ephemeral: Bool
    var profiles: [String]
    var description: String
    var source: Source

    init(name: String, architecture: String, config: [String: String], devices: [String: [String: String]],
         ephemeral: Bool, profiles: [String], description: String, source: Source) {
        self.name = name
        self.architecture = architecture
        self.config = config
        self.devices = devices
        self.ephemeral = ephemeral
        self.profiles = profiles
        self.description = description
        self.source = source
    }
}

/// The writable part of a snapshot (`GET /1.0/instances/{name}/snapshots/{snapshot}`).
struct SnapshotWritable: Decodable {
    var architecture: String?
    var config: [String: String]?
    var devices: [String: [String: String]]?
    var ephemeral: Bool?
    var profiles: [String]?
}
