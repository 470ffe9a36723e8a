import Glibc

/// The files this library keeps in an lxcpath, in its directory `<lxcpath>/.swift-lxc`: lock
/// files (``ContainerLocks``), the intents of operations under way (``Intent``) and the
/// configuration a `create` found saved before it (put back if the create fails or is
/// interrupted). The directory's name starts with `.`, so liblxc and this library's listing
/// never take it for a container, and container names may not start with `.`.
enum LibraryFiles {
    static let directoryName = ".swift-lxc"

    enum Kind: String {
        case lock, intent
        /// The intent of a snapshot being taken or destroyed: it makes the snapshot, not
        /// the container, incomplete.
        case snapshotIntent = "snapshot-intent"
        case savedConfig = "saved-config"
    }

    /// `<lxcpath>/.swift-lxc/<name>.<kind>`, making the directory when it is missing; nil
    /// when the lxcpath itself does not exist.
    static func path(of kind: Kind, name: String, in lxcpath: String, operation: String, container: String?) throws -> String? {
        let directory = lxcpath + "/" + directoryName
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            let code = errno
            if code == ENOENT { return nil }
            throw LXCError(operation: operation, container: container,
                           message: "the directory \(quoted(directory)) for this library's lock and journal files cannot be made: \(errnoDescription(code))",
                           code: code, kind: code == EACCES || code == EPERM || code == EROFS ? .permissionDenied : .failed)
        }
        return existingPath(of: kind, name: name, in: lxcpath)
    }

    /// The same path, without making anything.
    static func existingPath(of kind: Kind, name: String, in lxcpath: String) -> String {
        "\(lxcpath)/\(directoryName)/\(name).\(kind.rawValue)"
    }
}
