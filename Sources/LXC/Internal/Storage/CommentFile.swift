import CLXC
import Glibc

/// A snapshot's comment in a memory file (`memfd_create`), handed to liblxc by its path
/// `/proc/self/fd/N`. liblxc copies the file into the snapshot; the memory goes with the
/// last descriptor, so nothing is left behind even when the process is killed. The call is
/// made in a forked child (see `Isolated`), which has the same descriptor and so the same
/// path.
struct CommentFile {
    let fd: Int32
    var path: String { "/proc/self/fd/\(fd)" }

    init(text: String, operation: String, container: String) throws {
        let fd = clxc_memfd_create("swift-lxc-comment")
        guard fd >= 0 else {
            let code = errno
            throw LXCError(operation: operation, container: container,
                           message: "could not make a memory file for the comment: \(errnoDescription(code))",
                           code: code, kind: .failed)
        }
        if let code = writeAll(fd: fd, Array(text.utf8)) {
            Glibc.close(fd)
            throw LXCError(operation: operation, container: container,
                           message: "could not write the comment: \(errnoDescription(code))", code: code, kind: .failed)
        }
        self.fd = fd
    }

    func close() {
        Glibc.close(fd)
    }
}
