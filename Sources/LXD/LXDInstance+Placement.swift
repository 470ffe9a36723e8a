import LXCCore
import NIOHTTP1

extension LXDInstance {
    /// Makes the instance (a container) from an image of the daemon's, by alias or
    /// fingerprint, with the profiles, configuration and cluster member of `options`.
    ///
    /// A source that looks like a fingerprint (12 or more lowercase hexadecimal digits) is
    /// taken as one, anything else as an alias.
    ///
    /// The corresponding LXD call is `POST /1.0/instances?target={member}` with
    /// `{"name": …, "type": "container", "source": {"type": "image", "alias": …}, "profiles": …,
    /// "config": …, "ephemeral": …}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/alreadyExists`` when the name is taken,
    ///   ``LXCError/Kind/notFound`` for a missing image or a target that is no member of the
    ///   cluster (LXD's `Cluster member not found`), ``LXCError/Kind/unsupported`` for
    ///   `.template`: LXD makes instances from images only.
    public func create(from source: ContainerSource, options: LXDCreateOptions) async throws {
        let image: String
        switch source {
        case .image(let name): image = name
        case .template(let template, _):
            throw LXCError(operation: "create", container: name,
                           message: "LXD makes instances from images, not from templates (\"\(template)\"): use .image(alias)",
                           kind: .unsupported)
        }
        let isFingerprint = image.utf8.count >= 12 && image.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
        }
        let request = InstanceCreatePost(
            name: name, type: "container",
            source: .init(type: "image", alias: isFingerprint ? nil : image, fingerprint: isFingerprint ? image : nil),
            profiles: options.profiles, config: options.config, ephemeral: options.ephemeral)
        try await client.perform("create", name, .POST, "/1.0/instances" + targetQuery(options.target),
                                 body: try encodeJSON(request))
    }

    /// The cluster member the instance is on; nil on a standalone daemon (which reports `none`).
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}` (its `location`).
    public var location: String? {
        get async throws {
            let body: InstanceLocationBody = try await client.call("location", name, .GET, path)
            return normalisedLocation(body.location)
        }
    }

    /// Moves the stopped instance to another member of the cluster, under the same name;
    /// it stays stopped.
    ///
    /// A running (or frozen) instance is refused, not stopped: moving one that runs would be
    /// a live migration, which needs a working CRIU on both members (LXD 5.0.2 tried one and
    /// failed it on the test machine, leaving the instance where it was). Stop it, move it,
    /// start it again:
    ///
    /// ```swift
    /// try await worker.stop()
    /// try await worker.move(toMember: "n3")
    /// try await worker.start()
    /// ```
    ///
    /// The corresponding LXD calls are `GET /1.0/instances/{name}` (is it stopped, where is
    /// it?), then `POST /1.0/instances/{name}?target={member}` with
    /// `{"name": …, "migration": true}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/wrongState`` when the instance is not
    ///   stopped, ``LXCError/Kind/invalidArgument`` when it is on `member` already,
    ///   ``LXCError/Kind/notFound`` when it or the member does not exist (LXD's
    ///   `Cluster member not found`), and LXD's message for any other failure.
    public func move(toMember member: String) async throws {
        let current: InstanceLocationBody = try await client.call("move", name, .GET, path)
        let status = current.status ?? ""
        guard ContainerState(liblxcName: status) == .stopped else {
            throw LXCError(operation: "move", container: name,
                           message: "the instance is \(status.lowercased()), and only a stopped instance is moved between members (a running one would need live migration); stop it first",
                           kind: .wrongState)
        }
        // LXD would start the migration and fail it ("Target must be different than
        // instance's current location").
        if normalisedLocation(current.location) == member {
            throw LXCError(operation: "move", container: name,
                           message: "the instance is on \(member) already", kind: .invalidArgument)
        }
        let request = InstanceMovePost(name: name, migration: true)
        try await client.perform("move", name, .POST, path + targetQuery(member), body: try encodeJSON(request))
    }

    /// `?target={member}`, or nothing for no member.
    func targetQuery(_ member: String?) -> String {
        member.map { "?target=" + percentEncoded($0, keeping: "") } ?? ""
    }
}

struct InstanceCreatePost: Encodable {
    struct Source: Encodable {
        var type: String
        var alias: String?
        var fingerprint: String?
    }
    var name: String
    var type: String
    var source: Source
    /// Left out when nil, so that LXD applies its default profile.
    var profiles: [String]?
    var config: [String: String]
    var ephemeral: Bool
}

struct InstanceMovePost: Encodable {
    var name: String
    var migration: Bool
}

struct InstanceLocationBody: Decodable {
    var location: String?
    var status: String?
}
