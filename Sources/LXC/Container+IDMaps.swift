import CLXC
import Glibc

extension Container {
    /// The container's id maps (`lxc.idmap`), as loaded on this handle; empty for a
    /// privileged container.
    ///
    /// The corresponding liblxc call is `c->get_config_item("lxc.idmap")`.
    ///
    /// - Throws: ``LXCError/Kind/failed`` when liblxc gives a line that is not an id map.
    public func idMaps() throws -> [IDMap] {
        let operation = Operation.idMaps.name
        let text = try query(.idMaps, \.get_config_item) { get, pointer in
            readSizedCString { buffer, length in get(pointer, "lxc.idmap", buffer, length) }
        } ?? ""
        return try text.split(separator: "\n").map { line in
            do {
                return try IDMap(configValue: String(line))
            } catch let error as LXCError {
                throw LXCError(operation: operation, container: name,
                               message: "liblxc gave an lxc.idmap line that does not parse: \(error.message)")
            }
        }
    }

    /// Replaces the container's id maps (`lxc.idmap`) on this handle; ``saveConfig(to:)-6j074``
    /// writes them to the configuration file. An empty list makes the container privileged.
    ///
    /// Maps of one kind must not overlap, inside the container or on the host. Set before
    /// ``create(template:backingStore:specs:options:arguments:)-vs3``, they also decide who owns the
    /// root filesystem it makes; on a handle with no configuration yet, liblxc's default one
    /// is loaded first, as `create` would. The corresponding liblxc calls are `c->clear_config_item("lxc.idmap")`, then
    /// `c->set_config_item("lxc.idmap", …)` for each map.
    ///
    /// - Throws: ``LXCError/Kind/invalidArgument`` for overlapping maps (nothing changes);
    ///   ``LXCError/Kind/failed`` when liblxc refuses a map, with its log lines (the maps
    ///   set before it are then kept, the earlier ones gone: set them again or reload).
    public func setIDMaps(_ maps: [IDMap]) throws {
        let operation = Operation.setIDMaps.name
        if let overlap = IDMap.firstOverlap(in: maps) {
            throw LXCError.invalid(operation, name, "the id maps \(quoted(overlap.0.configValue)) and "
                + "\(quoted(overlap.1.configValue)) overlap")
        }
        // Before create there is no configuration yet: start from liblxc's default one, as
        // create itself would, so that the maps join it rather than replace it.
        try loadDefaultConfigIfNeeded(handle, operation: .setIDMaps)
        try clearConfigItem("lxc.idmap")
        for map in maps {
            do {
                try setConfigItem("lxc.idmap", to: map.configValue)
            } catch var error as LXCError {
                error.operation = operation
                throw error
            }
        }
    }

    /// Whether the container's configuration maps its ids into a user namespace (it has
    /// `lxc.idmap` lines), which makes it an unprivileged container.
    public var isUnprivileged: Bool {
        ((try? idMaps()) ?? []).contains { $0.mapsRoot }
    }
}

extension IDMap {
    /// Two maps of one kind whose container ranges or host ranges overlap, or nil.
    static func firstOverlap(in maps: [IDMap]) -> (IDMap, IDMap)? {
        func overlaps(_ a: UInt32, _ b: UInt32, _ count: UInt32, _ otherCount: UInt32) -> Bool {
            UInt64(a) < UInt64(b) + UInt64(otherCount) && UInt64(b) < UInt64(a) + UInt64(count)
        }
        for (index, first) in maps.enumerated() {
            for second in maps[(index + 1)...] where second.kind == first.kind {
                if overlaps(first.containerID, second.containerID, first.count, second.count)
                    || overlaps(first.hostID, second.hostID, first.count, second.count) {
                    return (first, second)
                }
            }
        }
        return nil
    }
}
