import NIOHTTP1

extension LXDClient {
    /// The daemon's instances (in a cluster: the whole cluster's), each with its state, the
    /// member it is on and, when `includingAddresses`, the addresses of those that run.
    ///
    /// Without addresses LXD reads one row per instance from its database and asks each
    /// member for the status of its own; with them it also reads every running instance's
    /// full state (network, memory, disk, processes) on its member, which costs more.
    ///
    /// The corresponding LXD call is `GET /1.0/instances?recursion=2` (with addresses) or
    /// `GET /1.0/instances?recursion=1` (without).
    public func instances(includingAddresses: Bool = true) async throws -> [LXDInstanceSummary] {
        let rows: [InstanceListBody] = try await call(
            "instances", nil, .GET, "/1.0/instances?recursion=" + (includingAddresses ? "2" : "1"))
        return rows.map(LXDInstanceSummary.init)
    }
}
