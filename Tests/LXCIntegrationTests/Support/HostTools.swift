import Foundation
import LXC
import Testing

/// Host-side helpers for the resource, network, device and console tests: running host
/// commands, and looking into a running container from the host (its init's /proc entries),
/// since these tests do not use the attach API.
enum HostTools {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs a host command with standard output and error captured together.
    @discardableResult
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs a host command and fails the test when it fails.
    static func require(_ arguments: [String]) throws {
        let result = try run(arguments)
        if result.status != 0 {
            throw HostCommandFailed(command: arguments, status: result.status, output: result.output)
        }
    }

    /// A network device name of at most 15 bytes that no other test uses.
    static func uniqueLinkName(_ stem: String) -> String {
        stem + String(UInt32.random(in: 0...0xFFFFF), radix: 16)
    }

    /// Whether the host has a network device called `name`.
    static func hostHasLink(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: "/sys/class/net/\(name)")
    }

    /// The cgroup directory of `pid` in the v1 hierarchy of `controller`.
    static func v1Cgroup(of pid: pid_t, controller: String) -> String? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[1].split(separator: ",").contains(Substring(controller)) else { continue }
            return "/sys/fs/cgroup/\(fields[1])\(fields[2])"
        }
        return nil
    }

    /// Polls `condition` every 100 ms for up to `seconds`; returns whether it became true.
    static func eventually(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    /// Removes the busybox template's `udhcpc` line from the container's `rcS`: it would
    /// wipe static addresses.
    static func removeDHCPClient(from container: Container, in sandbox: Sandbox) throws {
        let path = "\(sandbox.lxcpath)/\(container.name)/rootfs/etc/init.d/rcS"
        let script = try String(contentsOfFile: path, encoding: .utf8)
        let kept = script.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("udhcpc") }
        try kept.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

struct HostCommandFailed: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var output: String
    var description: String { "\(command.joined(separator: " ")) exited with \(status): \(output)" }
}

extension HostTools {
    /// Sends one UDP datagram to `address` (port 9, discard) from inside the network
    /// namespace of `pid`, on a thread of its own that enters the namespace (a network
    /// namespace can be entered by one thread of a process) and then ends.
    ///
    /// Host tools such as busybox ping cannot be used for this: they rely on SIGALRM, which
    /// the test runner's threads block and which children inherit blocked.
    static func sendUDP(fromNetworkNamespaceOf pid: pid_t, to address: String, broadcast: Bool = false) throws {
        let outcome = LockedBox<String?>("the sending thread did not run")
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let nsfd = open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC)
            guard nsfd >= 0 else { outcome.set("open netns: \(String(cString: strerror(errno)))"); return }
            defer { close(nsfd) }
            // setns is declared only under _GNU_SOURCE; look it up in libc. CLONE_NEWNET is 0x40000000.
            typealias SetNS = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
                outcome.set("libc has no setns"); return
            }
            let setns = unsafeBitCast(symbol, to: SetNS.self)
            guard setns(nsfd, 0x4000_0000) == 0 else { outcome.set("setns: \(String(cString: strerror(errno)))"); return }
            let socketfd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard socketfd >= 0 else { outcome.set("socket: \(String(cString: strerror(errno)))"); return }
            defer { close(socketfd) }
            var on: Int32 = 1
            if broadcast { setsockopt(socketfd, SOL_SOCKET, SO_BROADCAST, &on, socklen_t(MemoryLayout<Int32>.size)) }
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_port = in_port_t(9).bigEndian
            inet_pton(AF_INET, address, &target.sin_addr)
            let payload = Array("swift-lxc test".utf8)
            let sent = withUnsafePointer(to: &target) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socketfd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            outcome.set(sent == payload.count ? nil : "sendto: \(String(cString: strerror(errno)))")
        }
        thread.start()
        done.wait()
        if let failure = outcome.get() { throw HostCommandFailed(command: ["sendto", address], status: 1, output: failure) }
    }
}

/// A value shared with another thread under a lock.
final class LockedBox<T>: @unchecked Sendable {
    // @unchecked: `value` is only touched while `lock` is held.
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ newValue: T) { lock.lock(); value = newValue; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func update(_ body: (inout T) -> Void) { lock.lock(); body(&value); lock.unlock() }
}
