import CLXC
import Glibc

// Listing reads the lxcpath itself for the defined containers and asks liblxc only for the
// active ones.
//
// liblxc's `list_defined_containers` (which `list_all_containers` calls too) adds each name to
// its array and sorts the whole array again after every addition, so it grows faster than
// linearly: 0.17, 0.98 and 10.1 ms for 50, 200 and 800 containers. Its rule for "defined" is
// simple and is followed here exactly: an entry of the lxcpath whose name does not start with
// `.` and for which `<lxcpath>/<name>/config` exists (`stat` succeeds). The names are then
// sorted once, byte by byte like its `strcmp`. Active containers are found by liblxc from the
// command sockets in `/proc/net/unix`, including hashed socket names that only the monitor
// can resolve, so that part stays liblxc's; it costs in proportion to the running containers.

extension Container {
    /// The containers in an lxcpath, sorted by name, each as a `Container` with its
    /// configuration loaded.
    ///
    /// Returns what liblxc's `list_defined_containers`, `list_active_containers` and
    /// `list_all_containers` return, in the same order. The defined containers are found by
    /// reading the lxcpath directly (see ``names(_:in:)``), and each handle is made with
    /// `lxc_container_new`; the active ones come from `list_active_containers`. A container
    /// whose configuration liblxc cannot load is left out, as liblxc's defined listing leaves
    /// it out (liblxc 5.0's `list_all_containers` fails as a whole instead; its names-only
    /// form, and ``names(_:in:)``, still list it).
    ///
    /// - Parameters:
    ///   - filter: defined, active (running) or all containers.
    ///   - lxcpath: the lxcpath; liblxc's global `lxc.lxcpath` when nil.
    /// - Throws: ``LXCError`` for a bad lxcpath or when the lxcpath cannot be read.
    public static func list(_ filter: ListFilter = .all, in lxcpath: String? = nil) throws -> [Container] {
        let path = try listedLXCPath(lxcpath, operation: Operation.list.name)
        switch filter {
        case .active:
            return try activeContainers(in: path)
        case .defined:
            // liblxc checks each handle once more with `is_defined` for this filter.
            return try definedNames(in: path, operation: Operation.list.name).compactMap { name in
                guard let handle = newListedHandle(name, in: path) else { return nil }
                let container = Container(adopting: handle)
                return container.isDefined ? container : nil
            }
        case .all:
            return try allNames(in: path, operation: Operation.list.name).compactMap { name in
                newListedHandle(name, in: path).map(Container.init(adopting:))
            }
        }
    }

    /// The names of the containers in an lxcpath, sorted by name.
    ///
    /// Returns exactly what liblxc's `list_defined_containers`, `list_active_containers` and
    /// `list_all_containers` return, in the same order, but grows linearly with the number of
    /// containers, where liblxc's own defined listing re-sorts its array after every name.
    /// Defined containers are the entries of the lxcpath that do not start with `.` and hold a
    /// `config` file; active ones are found by `list_active_containers`.
    ///
    /// - Throws: ``LXCError`` for a bad lxcpath or when the lxcpath cannot be read (kind
    ///   ``LXCError/Kind/notFound`` when it does not exist).
    public static func names(_ filter: ListFilter = .all, in lxcpath: String? = nil) throws -> [String] {
        let path = try listedLXCPath(lxcpath, operation: Operation.names.name)
        switch filter {
        case .defined: return try definedNames(in: path, operation: Operation.names.name)
        case .active: return try activeNames(in: path)
        case .all: return try allNames(in: path, operation: Operation.names.name)
        }
    }

    private static func listedLXCPath(_ lxcpath: String?, operation: String) throws -> String {
        if let lxcpath {
            try Validate.lxcpath(lxcpath, operation: operation)
            return lxcpath
        }
        return LXC.defaultLXCPath
    }

    /// The defined and the active names, merged without duplicates and sorted.
    private static func allNames(in lxcpath: String, operation: String) throws -> [String] {
        let defined = try definedNames(in: lxcpath, operation: operation)
        let active = try activeNames(in: lxcpath)
        if active.isEmpty { return defined }
        var merged = defined
        merged.reserveCapacity(defined.count + active.count)
        for name in active where !defined.sortedContains(name) {
            merged.append(name)
        }
        return merged.count == defined.count ? defined : merged.sorted(by: strcmpOrder)
    }

    /// Reads the lxcpath: every entry not starting with `.` with a `config` file inside.
    static func definedNames(in lxcpath: String, operation: String) throws -> [String] {
        guard let directory = opendir(lxcpath) else {
            throw listingError(operation, lxcpath, code: errno)
        }
        defer { closedir(directory) }
        let directoryFD = dirfd(directory)
        var names: [String] = []
        let nameCapacity = MemoryLayout.size(ofValue: dirent().d_name)
        // Room for the longest entry name, "/config" and the NUL.
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: nameCapacity + 8) { buffer in
            guard let configPath = buffer.baseAddress else {
                throw listingError(operation, lxcpath, code: ENOMEM)
            }
            while true {
                errno = 0
                guard let entry = readdir(directory) else {
                    if errno != 0 { throw listingError(operation, lxcpath, code: errno) }
                    break
                }
                let hasConfig = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                    tuple.withMemoryRebound(to: CChar.self, capacity: nameCapacity) { name -> Bool in
                        if name[0] == 0x2E { return false }  // ".", ".." and hidden entries
                        let length = strnlen(name, nameCapacity - 1)
                        configPath.update(from: name, count: length)
                        "/config".withCString { suffix in
                            (configPath + length).update(from: suffix, count: 8)
                        }
                        var status = stat()
                        return fstatat(directoryFD, configPath, &status, 0) == 0
                    }
                }
                if hasConfig {
                    let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                        tuple.withMemoryRebound(to: CChar.self, capacity: nameCapacity) { String(cString: $0) }
                    }
                    names.append(name)
                }
            }
        }
        names.sort(by: strcmpOrder)
        return names
    }

    /// liblxc's `list_active_containers`, names only.
    private static func activeNames(in lxcpath: String) throws -> [String] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        errno = 0
        let count = list_active_containers(lxcpath, &names, nil)
        if count < 0 { throw listingError("names", lxcpath, code: errno) }
        return takeOwnedCStringArray(names, count: Int(count)).sorted(by: strcmpOrder)
    }

    /// liblxc's `list_active_containers` with the handles it makes.
    private static func activeContainers(in lxcpath: String) throws -> [Container] {
        var handles: UnsafeMutablePointer<UnsafeMutablePointer<lxc_container>?>?
        errno = 0
        let count = list_active_containers(lxcpath, nil, &handles)
        if count < 0 { throw listingError("list", lxcpath, code: errno) }
        guard let handles else { return [] }
        defer { free(handles) }
        var result: [Container] = []
        result.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            if let pointer = handles[index] {
                result.append(Container(adopting: Handle(owning: pointer)))
            }
        }
        return result.sorted { strcmpOrder($0.name, $1.name) }
    }

    /// A handle for a listed name, or nil when liblxc cannot load it (liblxc's list functions
    /// skip such containers too).
    private static func newListedHandle(_ name: String, in lxcpath: String) -> Handle? {
        name.withCString { name in lxcpath.withCString { lxc_container_new(name, $0) } }.map(Handle.init(owning:))
    }

    private static func listingError(_ operation: String, _ lxcpath: String, code: Int32) -> LXCError {
        LXCError(operation: operation, container: nil,
                 message: "cannot list the containers in \(quoted(lxcpath))"
                     + (code != 0 ? ": \(errnoDescription(code))" : ""),
                 code: code != 0 ? code : nil, kind: code == ENOENT ? .notFound : .failed)
    }
}

extension Array where Element == String {
    /// Whether a sorted (``strcmpOrder``) array holds `name`, by binary search.
    fileprivate func sortedContains(_ name: String) -> Bool {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].utf8.elementsEqual(name.utf8) { return true }
            if strcmpOrder(self[middle], name) { low = middle + 1 } else { high = middle }
        }
        return false
    }
}
