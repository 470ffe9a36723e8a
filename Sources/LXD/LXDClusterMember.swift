/// A member of an LXD cluster, as the cluster reports it.
///
/// Get the members from ``LXDClient/clusterMembers()`` (any member answers for all of them).
public struct LXDClusterMember: Sendable, Hashable {
    /// The member's name in the cluster (LXD's `server_name`), the name a `target` takes.
    public var name: String
    /// The address the other members reach it at, `https://198.51.100.11:8443`.
    public var url: String
    /// LXD's word for its condition: `Online`, `Offline`, `Evacuated`, `Blocked`, …
    public var status: String
    /// Its roles: `database`, `database-leader`, `database-standby`, `event-hub`, …
    public var roles: [String]
    /// LXD's explanation of the status, `Fully operational` for an online member.
    public var message: String
    /// Whether it holds a voting copy of the cluster's database (LXD's `database`); nil when
    /// the daemon does not say.
    public var isDatabase: Bool?
    /// Its architecture, `x86_64`.
    public var architecture: String
    /// Its failure domain (`default` unless one was set).
    public var failureDomain: String

    /// A member with every value given.
    public init(name: String, url: String, status: String, roles: [String], message: String,
                isDatabase: Bool?, architecture: String, failureDomain: String) {
        self.name = name
        self.url = url
        self.status = status
        self.roles = roles
        self.message = message
        self.isDatabase = isDatabase
        self.architecture = architecture
        self.failureDomain = failureDomain
    }

    /// Whether the member is online (its ``status`` is `Online`).
    public var isOnline: Bool { status == "Online" }

    init(_ body: ClusterMemberBody) {
        self.init(name: body.server_name, url: body.url ?? "", status: body.status ?? "",
                  roles: body.roles ?? [], message: body.message ?? "", isDatabase: body.database,
                  architecture: body.architecture ?? "", failureDomain: body.failure_domain ?? "")
    }
}

/// A member as `GET /1.0/cluster/members?recursion=1` returns it.
struct ClusterMemberBody: Decodable {
    var server_name: String
    var url: String?
    var status: String?
    var roles: [String]?
    var message: String?
    var database: Bool?
    var architecture: String?
    var failure_domain: String?
}
