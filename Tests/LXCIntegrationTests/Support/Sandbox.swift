import Foundation
import LXC
import Synchronization
import Testing

/// A temporary lxcpath of one test, with unique container names, removed with everything in
/// it when the test ends, whether it passed or not.
final class Sandbox: Sendable {
    let lxcpath: String
    /// Every name handed out, so that what the containers left in the cgroup tree can go too.
    private let names = Mutex<[String]>([])

    private init(lxcpath: String) {
        self.lxcpath = lxcpath
    }

    /// Runs `body` with a fresh lxcpath and removes it afterwards, stopping and destroying
    /// every container in it first.
    /// The clean-up runs on a thread of its own: for an ordinary user, liblxc's destroys take
    /// turns (see the library's UnprivilegedCalls), and a wait for its turn must not hold one
    /// of the few threads that run every async test.
    static func with<R>(_ body: (Sandbox) async throws -> R) async throws -> R {
        let sandbox = try make()
        let result: Result<R, any Error>
        do {
            result = .success(try await body(sandbox))
        } catch {
            result = .failure(error)
        }
        await offPool { sandbox.removeEverything() }
        return try result.get()
    }

    /// ``withBlocking(_:)`` on a thread of its own, for a long test of blocking calls: a
    /// test function runs on one of the cooperative pool's threads (two on a two-core
    /// machine), and one that blocks it for minutes starves the async tests beside it.
    static func withBlockingOffPool<R: Sendable>(_ body: @escaping @Sendable (Sandbox) throws -> R) async throws -> R {
        try await offPool { try withBlocking(body) }
    }

    /// The same for a test that uses the blocking forms of the API.
    static func withBlocking<R>(_ body: (Sandbox) throws -> R) throws -> R {
        let sandbox = try make()
        defer { sandbox.removeEverything() }
        return try body(sandbox)
    }

    private static func make() throws -> Sandbox {
        try Integration.requireAvailable()
        var template = Array("/tmp/swift-lxc-test.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        guard let made else {
            throw IntegrationUnavailable(reason: "cannot make a temporary directory: \(String(cString: strerror(errno)))")
        }
        // An unprivileged container's root (a subordinate uid) must pass through the lxcpath
        // on the way to its root filesystem; mkdtemp makes it 0700.
        if chmod(made, 0o711) != 0 {
            throw IntegrationUnavailable(reason: "cannot open \(made) to containers: \(String(cString: strerror(errno)))")
        }
        return Sandbox(lxcpath: made)
    }

    /// A name no other test uses.
    func uniqueName(_ stem: String = "t") -> String {
        let name = "\(stem)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        names.withLock { $0.append(name) }
        return name
    }

    /// A handle for a container in this sandbox (not created).
    func container(_ name: String? = nil) throws -> Container {
        try Container(name: name ?? uniqueName(), lxcpath: lxcpath)
    }

    /// A container that is not created yet, with configuration items set and saved (liblxc's
    /// workflow before `create`). For an ordinary user the default configuration, with its
    /// id maps, is loaded first, as `create` itself would.
    func containerWithSavedConfig(_ items: [(String, String)], name: String? = nil) throws -> Container {
        let container = try container(name)
        if Integration.unprivileged, let defaults = LXC.globalConfigItem("lxc.default_config") {
            try container.loadConfig(from: defaults)
        }
        for (key, value) in items { try container.setConfigItem(key, to: value) }
        try container.saveConfig()
        return container
    }

    /// Creates a busybox container that can start here: no network device (there is no
    /// lxcbr0) and no AppArmor profile.
    func busybox(_ name: String? = nil) throws -> Container {
        let container = try container(name)
        try container.create(template: "busybox", options: .quiet)
        try makeStartable(container)
        return container
    }

    /// The same through the async form of `create`.
    func busybox(_ name: String? = nil) async throws -> Container {
        let container = try container(name)
        try await container.create(template: "busybox", options: .quiet)
        try await offPool { try self.makeStartable(container) }
        return container
    }

    private func makeStartable(_ container: Container) throws {
        try container.setConfigItem("lxc.net.0.type", to: "empty")
        try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
        try container.saveConfig()
    }

    /// Stops and destroys every container in the lxcpath, then removes the directory.
    func removeEverything() {
        let names = (try? Container.names(.all, in: lxcpath)) ?? []
        for name in names {
            guard let container = try? Container(name: name, lxcpath: lxcpath) else { continue }
            if container.state == .frozen { try? container.unfreeze() }
            if container.state != .stopped { try? container.stop() }
            if container.isDefined { try? container.destroy(includingSnapshots: true) }
        }
        try? FileManager.default.removeItem(atPath: lxcpath)
        if Integration.unprivileged && FileManager.default.fileExists(atPath: lxcpath) {
            // A container liblxc could not destroy (a test broke it on purpose, or gave it a
            // map the user may not use) leaves files of the container's root, which the user
            // may not remove as itself.
            RootfsFiles.removeTreeOfUserAndContainers(lxcpath)
        }
        removeMonitorCgroups(alsoOf: names)
    }

    /// Removes the empty `lxc.monitor.<name>` cgroups that this sandbox's containers left
    /// (a start that failed on purpose, a client killed mid-start): the library removes them
    /// too, but its retries end with the test process.
    private func removeMonitorCgroups(alsoOf listed: [String]) {
        let given = Set(names.withLock { $0 } + listed)
        let manager = FileManager.default
        let roots = ((try? manager.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []).map { "/sys/fs/cgroup/" + $0 }
        // An unprivileged user's containers hang below the cgroups the process is in.
        for root in Set(roots + ["/sys/fs/cgroup"] + Cgroups.own()) {
            for entry in (try? manager.contentsOfDirectory(atPath: root)) ?? [] where entry.hasPrefix("lxc.monitor.") {
                let owner = String(entry.dropFirst("lxc.monitor.".count))
                guard given.contains(where: { owner == $0 || owner.hasPrefix($0 + "-") }) else { continue }
                // Deepest first; rmdir leaves a cgroup that still has processes.
                let directory = root + "/" + entry
                let inner = ((manager.subpaths(atPath: directory)) ?? []).map { directory + "/" + $0 }
                for path in inner.sorted(by: { $0.count > $1.count }) + [directory] { rmdir(path) }
            }
        }
    }
}

/// Runs a blocking call on a thread of its own and awaits it, so that async tests do not
/// hold one of the cooperative pool's threads (two on a two-core machine) while it blocks.
func offPool<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The same for a call that cannot fail.
func offPool(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { continuation in
        Thread {
            body()
            continuation.resume()
        }.start()
    }
}
