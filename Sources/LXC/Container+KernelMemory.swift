// The kernel memory a running container's processes use, where its cgroup reports it.

extension Container {
    /// The kernel memory (slab, stacks, page tables, …) the container's processes use now, as
    /// `lxc-info` shows it as "KMem use"; nil when the cgroup does not report it.
    ///
    /// Reads `memory.kmem.usage_in_bytes` (cgroup v1) or the `kernel` line of `memory.stat`
    /// (cgroup v2, Linux 5.18 and later) through `c->get_cgroup_item`. The corresponding
    /// liblxc call is `c->get_cgroup_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/notFound`` when its memory controller is not enabled.
    public func kernelMemoryUsage() throws -> ByteCount? {
        switch try cgroupVersion(for: .memory) {
        case .v1:
            guard let text = try cgroupItem("memory.kmem.usage_in_bytes") else { return nil }
            return CgroupParsing.integer(text).map { ByteCount($0) }
        case .v2:
            guard let text = try cgroupItem("memory.stat") else { return nil }
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[0] == "kernel", let bytes = UInt64(fields[1]) { return ByteCount(bytes) }
            }
            return nil
        }
    }
}
