import Foundation
import LXC

/// Reading and writing files in a stopped directory-backed container's root filesystem,
/// and in a running container's through its init's `/proc/<pid>/root`.
extension Container {
    /// `<lxcpath>/<name>/rootfs`: the root filesystem of a directory-backed container.
    var rootfsDirectory: String { "\(lxcpath)/\(name)/rootfs" }

    func writeRootfsFile(_ path: String, _ text: String) throws {
        try RootfsFiles.write(text, to: rootfsDirectory + path)
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

/// Changes to files that belong to a container's root. For root that is root; in an
/// unprivileged container it is the first of the user's subordinate ids, and the user may
/// not write those files as itself. So as an ordinary user the change is made as the
/// container's root would make it: in a user namespace with the user's subordinate ranges
/// mapped from 0 (`lxc-usernsexec`, which liblxc installs).
enum RootfsFiles {
    static func write(_ text: String, to path: String) throws {
        guard Integration.unprivileged else {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            return
        }
        try asContainerRoot(["/bin/sh", "-c", "printf %s \"$1\" > \"$0\"", path, text])
    }

    static func remove(_ path: String) throws {
        guard Integration.unprivileged else {
            try FileManager.default.removeItem(atPath: path)
            return
        }
        try asContainerRoot(["/bin/rm", "-r", "--", path])
    }

    /// Removes a tree that holds files of the user and of its containers' root: as root of a
    /// user namespace that maps both the user's subordinate ids and the user itself.
    static func removeTreeOfUserAndContainers(_ path: String) {
        guard let users = SubordinateIDRange.ranges(.user).first, let groups = SubordinateIDRange.ranges(.group).first else {
            return
        }
        _ = try? HostTools.run(["lxc-usernsexec",
                                "-m", "u:0:\(users.start):\(users.count)", "-m", "g:0:\(groups.start):\(groups.count)",
                                "-m", "u:\(users.count):\(getuid()):1", "-m", "g:\(groups.count):\(getgid()):1",
                                "--", "/bin/rm", "-rf", "--", path])
    }

    private static func asContainerRoot(_ command: [String]) throws {
        try HostTools.require(["lxc-usernsexec", "--"] + command)
    }
}
