import FoundationEssentials
import Glibc
import LXCCore
import NIOHTTP1

extension LXDInstance {
    /// Copies a file, a symbolic link or a directory tree from this host into the instance;
    /// its files are owned by `owner` (ids inside the instance) with `mode` (nil keeps each
    /// host file's mode). Existing files are overwritten.
    ///
    /// The corresponding LXD call, once a file or directory, is
    /// `POST /1.0/instances/{name}/files?path=…` with `X-LXD-type`, `X-LXD-uid`,
    /// `X-LXD-gid`, `X-LXD-mode` and `Content-Type: application/octet-stream`.
    public func push(_ hostPath: String, to containerPath: String, owner: FileOwner, mode: mode_t?) async throws {
        var info = stat()
        guard lstat(hostPath, &info) == 0 else {
            throw hostError("push", hostPath, errno)
        }
        switch info.st_mode & mode_t(S_IFMT) {
        case mode_t(S_IFDIR):
            try await postFile("push", containerPath, type: "directory", bytes: [],
                               owner: owner, mode: mode ?? (info.st_mode & 0o7777))
            for entry in try directoryEntries("push", hostPath) {
                try await push(hostPath + "/" + entry, to: containerPath + "/" + entry, owner: owner, mode: mode)
            }
        case mode_t(S_IFLNK):
            let target = try readLink("push", hostPath)
            try await postFile("push", containerPath, type: "symlink", bytes: Array(target.utf8),
                               owner: owner, mode: 0o777)
        case mode_t(S_IFREG):
            let bytes = try readHostFile("push", hostPath)
            try await postFile("push", containerPath, type: "file", bytes: bytes,
                               owner: owner, mode: mode ?? (info.st_mode & 0o7777))
        default:
            throw LXCError(operation: "push", container: name,
                           message: "\(hostPath) is neither a file, a directory nor a symbolic link", kind: .unsupported)
        }
    }

    /// Copies a file or a directory tree out of the instance onto this host, with the modes
    /// it has inside; the host's files belong to the caller.
    ///
    /// The corresponding LXD call, once a file or directory, is
    /// `GET /1.0/instances/{name}/files?path=…` (its `X-LXD-type` and `X-LXD-mode` headers).
    public func pull(_ containerPath: String, to hostPath: String) async throws {
        let response = try await client.sendChecked("pull", name, .GET, filesPath(containerPath))
        let mode = response.headers.first(name: "X-LXD-mode").flatMap { mode_t($0, radix: 8) }
        switch response.headers.first(name: "X-LXD-type") ?? "file" {
        case "directory":
            let envelope = try decodeJSON(Envelope<[String]>.self, from: response.body)
            if mkdir(hostPath, mode ?? 0o755) != 0 && errno != EEXIST { throw hostError("pull", hostPath, errno) }
            for entry in envelope.metadata ?? [] {
                try await pull(containerPath + "/" + entry, to: hostPath + "/" + entry)
            }
        case "symlink":
            let target = String(decoding: response.body, as: UTF8.self)
            unlink(hostPath)
            if symlink(target, hostPath) != 0 { throw hostError("pull", hostPath, errno) }
        default:
            try writeHostFile("pull", hostPath, response.body, mode: mode ?? 0o644)
        }
    }

    /// Writes bytes into a file inside the instance, replacing it.
    ///
    /// The corresponding LXD call is `POST /1.0/instances/{name}/files?path=…` with
    /// `X-LXD-type: file`, `X-LXD-uid`, `X-LXD-gid`, `X-LXD-mode`.
    public func write(_ bytes: [UInt8], to containerPath: String, mode: mode_t, owner: FileOwner) async throws {
        try await postFile("write", containerPath, type: "file", bytes: bytes, owner: owner, mode: mode)
    }

    /// The bytes of a file inside the instance.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/files?path=…`.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/notFound`` when there is no such file,
    ///   ``LXCError/Kind/invalidArgument`` for a directory.
    public func contents(of containerPath: String) async throws -> [UInt8] {
        let response = try await client.sendChecked("contents", name, .GET, filesPath(containerPath))
        if response.headers.first(name: "X-LXD-type") == "directory" {
            throw LXCError(operation: "contents", container: name,
                           message: "\(containerPath) is a directory", kind: .invalidArgument)
        }
        return response.body
    }

    /// A file's owner and mode inside the instance, as LXD reports them.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/files?path=…` (its
    /// `X-LXD-uid`, `X-LXD-gid` and `X-LXD-mode` headers).
    public func fileAttributes(of containerPath: String) async throws -> (owner: FileOwner, mode: mode_t) {
        let response = try await client.sendChecked("fileAttributes", name, .GET, filesPath(containerPath))
        guard let uid = response.headers.first(name: "X-LXD-uid").flatMap({ UInt32($0) }),
              let gid = response.headers.first(name: "X-LXD-gid").flatMap({ UInt32($0) }),
              let mode = response.headers.first(name: "X-LXD-mode").flatMap({ mode_t($0, radix: 8) })
        else {
            throw LXCError(operation: "fileAttributes", container: name,
                           message: "LXD's answer lacks the file's owner or mode", kind: .failed)
        }
        return (FileOwner(userID: uid, groupID: gid), mode)
    }

    func filesPath(_ containerPath: String) -> String {
        path + "/files?path=" + percentEncoded(containerPath, keeping: "/")
    }

    func postFile(_ what: String, _ containerPath: String, type: String, bytes: [UInt8],
                  owner: FileOwner, mode: mode_t) async throws {
        // Without this Content-Type LXD writes an empty file.
        let headers = [
            ("Content-Type", "application/octet-stream"),
            ("X-LXD-type", type),
            ("X-LXD-uid", String(owner.userID)),
            ("X-LXD-gid", String(owner.groupID)),
            ("X-LXD-mode", "0" + String(mode & 0o7777, radix: 8)),
            ("X-LXD-write", "overwrite"),
        ]
        _ = try await client.sendChecked(what, name, .POST, filesPath(containerPath), body: bytes, headers: headers)
    }

    func hostError(_ what: String, _ hostPath: String, _ code: Int32) -> LXCError {
        let kind: LXCError.Kind = switch code {
        case ENOENT: .notFound
        case EACCES, EPERM: .permissionDenied
        case EEXIST: .alreadyExists
        default: .failed
        }
        return LXCError(operation: what, container: name,
                        message: "\(hostPath): \(String(cString: strerror(code)))", code: code, kind: kind)
    }

    func readHostFile(_ what: String, _ hostPath: String) throws -> [UInt8] {
        let descriptor = open(hostPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw hostError(what, hostPath, errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw hostError(what, hostPath, errno)
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }

    func writeHostFile(_ what: String, _ hostPath: String, _ bytes: [UInt8], mode: mode_t) throws {
        let descriptor = open(hostPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw hostError(what, hostPath, errno) }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw hostError(what, hostPath, errno)
            }
            offset += written
        }
        fchmod(descriptor, mode)
    }

    func directoryEntries(_ what: String, _ hostPath: String) throws -> [String] {
        guard let directory = opendir(hostPath) else { throw hostError(what, hostPath, errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    func readLink(_ what: String, _ hostPath: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(hostPath, &buffer, buffer.count - 1)
        guard count >= 0 else { throw hostError(what, hostPath, errno) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
