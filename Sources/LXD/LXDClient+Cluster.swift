import NIOHTTP1

extension LXDClient {
    /// The members of the cluster this daemon belongs to, with their status and roles.
    ///
    /// The corresponding LXD call is `GET /1.0/cluster/members?recursion=1`.
    ///
    /// - Throws: ``LXCError`` with LXD's message when the daemon is not part of a cluster
    ///   (LXD answers 500, `Server is not clustered`: ``LXCError/Kind/failed``).
    public func clusterMembers() async throws -> [LXDClusterMember] {
        let members: [ClusterMemberBody] = try await call("clusterMembers", nil, .GET, "/1.0/cluster/members?recursion=1")
        return members.map(LXDClusterMember.init)
    }
}

/// LXD's `location` of an instance, nil where it means none: a standalone daemon reports
/// `none` (or nothing).
func normalisedLocation(_ location: String?) -> String? {
    guard let location, !location.isEmpty, location != "none" else { return nil }
    return location
}
