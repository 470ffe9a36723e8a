import CLXC
import Glibc

extension Container {
    /// The containers in an lxcpath, sorted by name, each as a `Container` with its
    /// configuration loaded.
    ///
    /// The corresponding liblxc calls are `list_defined_containers`,
    /// `list_active_containers` and `list_all_containers`; the handles they make become the
    /// returned containers.
    ///
    /// - Parameters:
    ///   - filter: defined, active (running) or all containers.
    ///   - lxcpath: the lxcpath; liblxc's global `lxc.lxcpath` when nil.
    /// - Throws: ``LXCError`` for a bad lxcpath or when liblxc cannot list it.
    public static func list(_ filter: ListFilter = .all, in lxcpath: String? = nil) throws -> [Container] {
        var handles: UnsafeMutablePointer<UnsafeMutablePointer<lxc_container>?>?
        let count = try callList(filter, lxcpath, operation: "list", names: nil, containers: &handles)
        guard let handles else { return [] }
        defer { free(handles) }
        var result: [Container] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            if let pointer = handles[index] {
                result.append(Container(adopting: Handle(owning: pointer)))
            }
        }
        return result.sorted { strcmpOrder($0.name, $1.name) }
    }

    /// The names of the containers in an lxcpath, sorted by name.
    ///
    /// The corresponding liblxc calls are `list_defined_containers`,
    /// `list_active_containers` and `list_all_containers`.
    ///
    /// - Throws: ``LXCError`` for a bad lxcpath or when liblxc cannot list it.
    public static func names(_ filter: ListFilter = .all, in lxcpath: String? = nil) throws -> [String] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = try callList(filter, lxcpath, operation: "names", names: &names, containers: nil)
        return takeOwnedCStringArray(names, count: count).sorted(by: strcmpOrder)
    }

    private static func callList(
        _ filter: ListFilter,
        _ lxcpath: String?,
        operation: String,
        names: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
        containers: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<lxc_container>?>?>?
    ) throws -> Int {
        if let lxcpath { try Validate.lxcpath(lxcpath, operation: operation) }
        errno = 0
        let count = withOptionalCString(lxcpath) { path -> Int32 in
            switch filter {
            case .defined: list_defined_containers(path, names, containers)
            case .active: list_active_containers(path, names, containers)
            case .all: list_all_containers(path, names, containers)
            }
        }
        if count < 0 {
            let code = errno
            throw LXCError(operation: operation, container: nil,
                           message: "liblxc could not list the containers in \(quoted(lxcpath ?? LXC.defaultLXCPath))"
                               + (code != 0 ? ": \(errnoDescription(code))" : ""),
                           code: code != 0 ? code : nil, kind: code == ENOENT ? .notFound : .failed)
        }
        return Int(count)
    }
}
