import Foundation
import LXC

/// Reading and writing files in a stopped directory-backed container's root filesystem,
/// and in a running container's through its init's `/proc/<pid>/root`.
extension Container {
    /// `<lxcpath>/<name>/rootfs`: the root filesystem of a directory-backed container.
    var rootfsDirectory: String { "\(lxcpath)/\(name)/rootfs" }

    func writeRootfsFile(_ path: String, _ text: String) throws {
        try text.write(toFile: rootfsDirectory + path, atomically: false, encoding: .utf8)
    }

    func readRootfsFile(_ path: String) -> String? {
        try? String(contentsOfFile: rootfsDirectory + path, encoding: .utf8)
    }

    /// A file as the running container's init sees it.
    func readFileInside(_ path: String) -> String? {
        guard let pid = initPID else { return nil }
        return try? String(contentsOfFile: "/proc/\(pid)/root\(path)", encoding: .utf8)
    }
}
