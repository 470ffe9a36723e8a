import LXCCore

/// An image on an LXD daemon, as ``LXDClient/images()`` lists it.
public struct LXDImage: Sendable, Hashable {
    /// The image's SHA-256 fingerprint (64 hex digits); ``LXDInstance/create(from:)`` takes
    /// it as `.image(fingerprint)`.
    public var fingerprint: String
    /// The names the image is known by (`busybox`, …).
    public var aliases: [String]
    /// The image's properties from its metadata (`description`, `os`, `release`, …).
    public var properties: [String: String]
    /// The `description` property, when the image has one.
    public var description: String? { properties["description"] }
    /// The size of the image's file(s) as stored.
    public var size: ByteCount
    /// The architecture it runs on (`x86_64`, `aarch64`, …).
    public var architecture: String
    /// `container` or `virtual-machine`.
    public var type: String
    /// The name of the file it was imported from, when LXD was told one.
    public var filename: String?
    /// Whether clients that are not trusted may use it.
    public var isPublic: Bool
    /// When the image was made (its metadata's `creation_date`), in UTC.
    public var createdAt: SnapshotDate?
    /// When the image came to this daemon, in UTC.
    public var uploadedAt: SnapshotDate?
    /// When an instance was last made from it, in UTC; nil if never.
    public var lastUsedAt: SnapshotDate?

    /// An image with every value given.
    public init(fingerprint: String, aliases: [String], properties: [String: String], size: ByteCount,
                architecture: String, type: String, filename: String?, isPublic: Bool,
                createdAt: SnapshotDate?, uploadedAt: SnapshotDate?, lastUsedAt: SnapshotDate?) {
        self.fingerprint = fingerprint
        self.aliases = aliases
        self.properties = properties
        self.size = size
        self.architecture = architecture
        self.type = type
        self.filename = filename
        self.isPublic = isPublic
        self.createdAt = createdAt
        self.uploadedAt = uploadedAt
        self.lastUsedAt = lastUsedAt
    }

    init(_ body: ImageBody) {
        self.init(
            fingerprint: body.fingerprint, aliases: (body.aliases ?? []).map(\.name),
            properties: body.properties ?? [:], size: byteCount(body.size ?? 0),
            architecture: body.architecture ?? "", type: body.type ?? "container",
            filename: body.filename.flatMap { $0.isEmpty ? nil : $0 }, isPublic: body.public ?? false,
            createdAt: lxdDate(body.created_at), uploadedAt: lxdDate(body.uploaded_at),
            lastUsedAt: lxdDate(body.last_used_at))
    }
}

/// One of LXD's RFC 3339 times; nil for none and for Go's zero time (`0001-01-01T00:00:00Z`),
/// which LXD gives for "never".
func lxdDate(_ text: String?) -> SnapshotDate? {
    guard let text, let date = SnapshotDate(rfc3339: text), date.year > 1 else { return nil }
    return date
}

/// An image as `GET /1.0/images/{fingerprint}` gives it (the part used here).
struct ImageBody: Decodable {
    struct Alias: Decodable { var name: String }
    var fingerprint: String
    var aliases: [Alias]?
    var properties: [String: String]?
    var size: Int64?
    var architecture: String?
    var type: String?
    var filename: String?
    var `public`: Bool?
    var created_at: String?
    var uploaded_at: String?
    var last_used_at: String?
}
