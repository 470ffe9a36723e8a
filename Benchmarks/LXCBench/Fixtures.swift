import Glibc
import LXC

/// A temporary lxcpath for the benchmark, removed at the end.
struct BenchLXCPath {
    let path: String

    init() throws {
        var template = Array("/tmp/swift-lxc-bench.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let result = mkdtemp(base) else { return nil }
            return String(cString: result)
        }
        guard let made else { throw BenchError("cannot make a temporary directory") }
        path = made
    }

    /// Defines `count` containers by writing their config files, sharing one root filesystem:
    /// listing reads configurations, not root filesystems, and 1,000 busybox creates would
    /// take minutes.
    func defineMany(_ count: Int, in subdirectory: String, rootfs: String) throws -> String {
        let directory = path + "/" + subdirectory
        mkdir(directory, 0o755)
        for index in 0..<count {
            let name = "c" + String(index + 100_000)
            mkdir(directory + "/" + name, 0o755)
            let config = """
                lxc.uts.name = \(name)
                lxc.rootfs.path = dir:\(rootfs)
                lxc.net.0.type = empty
                lxc.apparmor.profile = unconfined

                """
            guard writeFile(directory + "/" + name + "/config", config) else {
                throw BenchError("cannot write a config file in \(directory)")
            }
        }
        return directory
    }

    func remove() {
        // Every container the benchmark made is stopped and destroyed by then; what is left
        // are config-only directories and the temporary tree.
        _ = system("rm -rf '\(path)'")
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func writeFile(_ path: String, _ text: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    return write(fd, bytes, bytes.count) == bytes.count
}

/// A whole file read with read(2): /proc files report a size of 0.
func readText(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count < 0 { return nil }
        if count == 0 { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Removes the `lxc.monitor.<prefix>*` cgroups that the C floor's starts leave behind (the
/// C program does not move its process back out of them, as the library does).
func removeMonitorCgroups(prefix: String) {
    _ = system("for d in /sys/fs/cgroup/lxc.monitor.\(prefix)* /sys/fs/cgroup/*/lxc.monitor.\(prefix)*; do [ -d \"$d\" ] && rmdir \"$d\" 2>/dev/null; done; true")
}

/// A busybox container ready to start.
func makeBusybox(_ name: String, in lxcpath: String) throws -> Container {
    let container = try Container(name: name, lxcpath: lxcpath)
    try container.create(template: "busybox", options: .quiet)
    try container.setConfigItem("lxc.net.0.type", to: "empty")
    try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
    try container.saveConfig()
    return container
}
