import AsyncHTTPClient
import FoundationEssentials
import Glibc
import LXCCore
import NIOCore
import NIOPosix
import Synchronization

extension LXDClient {
    /// The daemon's images, with their aliases.
    ///
    /// The corresponding LXD call is `GET /1.0/images?recursion=1`.
    public func images() async throws -> [LXDImage] {
        let bodies: [ImageBody] = try await call("images", nil, .GET, "/1.0/images?recursion=1")
        return bodies.map(LXDImage.init)
    }

    /// The image with this fingerprint (or a unique prefix of one, as LXD accepts).
    ///
    /// The corresponding LXD call is `GET /1.0/images/{fingerprint}`.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/notFound`` when there is no such image.
    public func image(fingerprint: String) async throws -> LXDImage {
        try await image("image", fingerprint: fingerprint)
    }

    func image(_ what: String, fingerprint: String) async throws -> LXDImage {
        let body: ImageBody = try await call(what, nil, .GET, "/1.0/images/" + percentEncoded(fingerprint, keeping: ""))
        return LXDImage(body)
    }

    /// Imports an image from a unified tarball (`metadata.yaml` and `rootfs/` in one
    /// tarball, as `lxc image import FILE` takes it) and, when `alias` is given, names it.
    ///
    /// The tarball is streamed from disk in 1 MiB pieces, read on NIO's thread pool, never
    /// whole in memory. If the alias cannot be made (taken already, say), the image just
    /// imported is deleted again and the error thrown.
    ///
    /// The corresponding LXD calls are `POST /1.0/images` with the tarball as the body
    /// (`Content-Type: application/octet-stream`, `X-LXD-filename`), awaited, then
    /// `POST /1.0/images/aliases` with `{"name": alias, "target": fingerprint}`.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/notFound`` when the file cannot be
    ///   opened, ``LXCError/Kind/alreadyExists`` when the daemon has this image (same
    ///   fingerprint) or the alias already, LXD's message for a tarball it cannot read.
    @discardableResult
    public func importImage(fromTarball path: String, alias: String?) async throws -> LXDImage {
        let what = "importImage"
        let file = try await NIOThreadPool.singleton.runIfActive { try OpenFile(path: path, operation: what) }
        let uploaded: ImageUploaded?
        do {
            var filename = path
            if let slash = filename.lastIndex(of: "/") { filename = String(filename[filename.index(after: slash)...]) }
            // As in perform: the wait follows the answer at once (see OperationExecutor).
            uploaded = try await withTaskExecutorPreference(OperationExecutor.shared) {
                let response = try await send(
                    what, nil, .POST, "/1.0/images",
                    headers: [("Content-Type", "application/octet-stream"), ("X-LXD-filename", filename)],
                    upload: .stream(FileChunks(file: file, chunkSize: 1 << 20), length: .known(file.size)))
                file.close()
                guard (200..<300).contains(response.status) else { throw lxdError(what, nil, response) }
                return try await awaitOperation(startedBy: response, what, nil, as: ImageUploaded.self)
            }
        } catch {
            file.close()
            throw error
        }
        guard let fingerprint = uploaded?.fingerprint, !fingerprint.isEmpty else {
            throw LXCError(operation: what, container: nil,
                           message: "LXD imported \(path) but did not say its fingerprint", kind: .failed)
        }
        if let alias {
            do {
                let body = try encodeJSON(["name": alias, "target": fingerprint, "description": ""])
                let _: Ignored? = try await perform(what, nil, .POST, "/1.0/images/aliases", body: body, as: Ignored.self)
            } catch {
                try? await deleteImage(fingerprint: fingerprint)
                throw error
            }
        }
        return try await image(what, fingerprint: fingerprint)
    }

    /// Deletes the image with this fingerprint, and its aliases with it.
    ///
    /// The corresponding LXD call is `DELETE /1.0/images/{fingerprint}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/notFound`` when there is no such image.
    public func deleteImage(fingerprint: String) async throws {
        try await perform("deleteImage", nil, .DELETE, "/1.0/images/" + percentEncoded(fingerprint, keeping: ""))
    }
}

/// The metadata of a finished image upload.
struct ImageUploaded: Decodable {
    var fingerprint: String?
}

// MARK: Streaming a file as a request body

/// A file opened for reading; closed once, after which reads find it gone. The descriptor is
/// used under the lock only, so that a read after `close` can never reach a descriptor
/// number the process has given to another file meanwhile.
final class OpenFile: Sendable {
    let descriptor: Mutex<Int32>
    let size: Int64
    let path: String
    let operation: String

    /// Opens `path` (blocking: call it on a thread pool).
    init(path: String, operation: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw LXCError(operation: operation, container: nil,
                           message: "cannot open \(path): \(String(cString: strerror(code)))", code: code,
                           kind: code == ENOENT ? .notFound : code == EACCES ? .permissionDenied : .failed)
        }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(fd)
            throw LXCError(operation: operation, container: nil,
                           message: "\(path) is not a regular file", kind: .invalidArgument)
        }
        descriptor = Mutex(fd)
        size = Int64(status.st_size)
        self.path = path
        self.operation = operation
    }

    /// Up to `count` bytes from `offset` (fewer at the end; none past it); blocking.
    func read(at offset: Int64, count: Int) throws -> ByteBuffer {
        try descriptor.withLock { fd in
            guard fd >= 0 else {
                throw LXCError(operation: operation, container: nil, message: "\(path) was closed while being sent", kind: .failed)
            }
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            var done = 0
            while done < count {
                let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { bytes in
                    var result: Int
                    repeat {
                        result = pread(fd, bytes.baseAddress, count - done, off_t(offset) + off_t(done))
                    } while result < 0 && errno == EINTR
                    guard result >= 0 else {
                        let code = errno
                        throw LXCError(operation: operation, container: nil,
                                       message: "cannot read \(path): \(String(cString: strerror(code)))",
                                       code: code, kind: .failed)
                    }
                    return result
                }
                if read == 0 { break }
                done += read
            }
            return buffer
        }
    }

    func close() {
        descriptor.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }
}

/// A file's bytes in chunks, each read on NIO's thread pool (the cooperative pool never blocks).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let file: OpenFile
    let chunkSize: Int

    func makeAsyncIterator() -> Iterator { Iterator(file: file, chunkSize: chunkSize) }

    struct Iterator: AsyncIteratorProtocol {
        let file: OpenFile
        let chunkSize: Int
        var offset: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < file.size else { return nil }
            let (file, offset, count) = (self.file, self.offset, Int(Swift.min(Int64(chunkSize), file.size - self.offset)))
            let chunk = try await NIOThreadPool.singleton.runIfActive { try file.read(at: offset, count: count) }
            guard chunk.readableBytes > 0 else {
                throw LXCError(operation: file.operation, container: nil,
                               message: "\(file.path) became shorter while being sent", kind: .failed)
            }
            self.offset += Int64(chunk.readableBytes)
            return chunk
        }
    }
}
