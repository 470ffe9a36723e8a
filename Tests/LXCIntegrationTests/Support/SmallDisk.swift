import Foundation
import LXC
import Synchronization
import Testing

/// A small tmpfs mounted inside a sandbox's lxcpath, to be used as an lxcpath of its own and
/// filled to the last byte. Mounting needs root: tests that use it are `.privilegedOnly`.
struct SmallDisk {
    let path: String

    /// Mounts a tmpfs of `megabytes` at `<sandbox lxcpath>/small-disk`.
    static func mount(in sandbox: Sandbox, megabytes: Int) throws -> SmallDisk {
        let path = sandbox.lxcpath + "/small-disk"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try HostTools.require(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0711", "tmpfs", path])
        return SmallDisk(path: path)
    }

    /// Writes a file until the disk has no byte left; returns its path.
    @discardableResult
    func fill() throws -> String {
        let filler = path + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        for chunk in [1 << 20, 4096, 1] {
            let bytes = [UInt8](repeating: 0x78, count: chunk)
            while true {
                let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, chunk) }
                if written < 0 && errno == EINTR { continue }
                if written < 0 && errno == ENOSPC { break }
                guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            }
        }
        return filler
    }

    /// Unmounts the disk and everything on it.
    func unmount() {
        _ = try? HostTools.run(["umount", "-l", path])
        rmdir(path)
    }
}

/// Runs a blocking call on a thread of its own and waits for it at most `limit`: the result,
/// or nil when it has not returned by then (the thread is left to its call). A guard against
/// a call that would never return, so that such a regression fails its test instead of
/// hanging the suite; the limit is far above what the call needs, not a timing assertion.
func resultUnlessHung<R: Sendable>(_ limit: Duration = .seconds(30),
                                   _ body: @escaping @Sendable () throws -> R) async -> Result<R, any Error>? {
    let pending = Mutex<CheckedContinuation<Result<R, any Error>?, Never>?>(nil)
    let finish: @Sendable (Result<R, any Error>?) -> Void = { result in
        pending.withLock { continuation in
            continuation?.resume(returning: result)
            continuation = nil
        }
    }
    return await withCheckedContinuation { continuation in
        pending.withLock { $0 = continuation }
        Thread { finish(Result { try body() }) }.start()
        Task {
            try? await Task.sleep(for: limit)
            finish(nil)
        }
    }
}
