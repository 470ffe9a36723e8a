import Glibc

/// What a program can do with a container, wherever the container lives: create it, start
/// and stop it, run programs in it and collect what they print, snapshot it, limit it and
/// destroy it.
///
/// Each backend conforms with its own type: the local one, `LXC.Container`, calls liblxc on
/// this host; a remote one speaks to a container manager over the network. A function written
/// against the protocol runs unchanged on either:
///
/// ```swift
/// func smokeTest<C: ContainerProtocol>(_ container: C, from source: ContainerSource) async throws -> String {
///     try await container.create(from: source)
///     try await container.start()
///     let output = try await container.output(of: ["uname", "-n"])
///     try await container.stop()
///     try await container.destroy(includingSnapshots: true)
///     return output.standardOutputString
/// }
/// ```
///
/// Every requirement is `async`: a backend may block on a system call or wait on the network,
/// and neither may hold a thread of Swift's cooperative pool. Errors are thrown as
/// ``LXCError``, whose ``LXCError/Kind`` means the same on every backend. Configuration keys
/// are the backend's own (`lxc.*` items locally); the typed limits are shared.
public protocol ContainerProtocol: Sendable {
    /// What ``snapshots()`` returns for one snapshot.
    associatedtype Snapshot: ContainerSnapshot
    /// What ``streamOutput(of:)`` returns: the program's output as it comes, then its exit.
    associatedtype OutputEvents: AsyncSequence where OutputEvents.Element == CommandOutputEvent

    /// The container's name, unique where it lives.
    var name: String { get }
    /// Whether the container exists (has a configuration).
    var isDefined: Bool { get async throws }
    /// The container's state now.
    var state: ContainerState { get async throws }

    /// Makes the container from a template or an image; see ``ContainerSource``.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/alreadyExists`` when it exists,
    ///   ``LXCError/Kind/unsupported`` for a kind of source this backend cannot use.
    func create(from source: ContainerSource) async throws
    /// Starts the container and returns when it runs.
    func start() async throws
    /// Stops the container at once (its processes are killed).
    func stop() async throws
    /// Asks the container's init to shut down, and waits for it; nil waits without a limit.
    func shutdown(timeout: Duration?) async throws
    /// Freezes every process of the container.
    func freeze() async throws
    /// Thaws a frozen container.
    func unfreeze() async throws
    /// Waits until the container is in `state`; false when `timeout` passed first.
    func wait(for state: ContainerState, timeout: Duration?) async throws -> Bool
    /// Destroys the container, and its snapshots too when `includingSnapshots` is true.
    func destroy(includingSnapshots: Bool) async throws

    /// Runs a program inside the running container, its output going where the backend sends
    /// it (the caller's standard output locally), and returns how it ended.
    func run(_ command: [String]) async throws -> ExitStatus
    /// Runs a program inside the running container and returns what it printed and how it ended.
    func output(of command: [String]) async throws -> CommandOutput
    /// Runs a program inside the running container and delivers its output as it comes.
    func streamOutput(of command: [String]) async throws -> OutputEvents

    /// Takes a snapshot and returns its name.
    func snapshot(comment: String?) async throws -> String
    /// The container's snapshots, oldest first.
    func snapshots() async throws -> [Snapshot]
    /// Puts the container back to a snapshot, under its own name.
    func restoreSnapshotInPlace(_ name: String) async throws
    /// Destroys one snapshot.
    func destroySnapshot(_ name: String) async throws

    /// Copies a file or a directory tree from this host into the container, its files owned by
    /// `owner` (ids inside the container) with `mode` (nil keeps the host file's mode).
    func push(_ hostPath: String, to containerPath: String, owner: FileOwner, mode: mode_t?) async throws
    /// Copies a file or a directory tree out of the container onto this host.
    func pull(_ containerPath: String, to hostPath: String) async throws
    /// Writes bytes into a file inside the container.
    func write(_ bytes: [UInt8], to containerPath: String, mode: mode_t, owner: FileOwner) async throws
    /// The bytes of a file inside the container.
    func contents(of containerPath: String) async throws -> [UInt8]

    /// A configuration item, in the backend's own keys; nil when it is not set.
    func configItem(_ key: String) async throws -> String?
    /// Sets a configuration item, in the backend's own keys.
    func setConfigItem(_ key: String, to value: String) async throws

    /// The memory the running container uses now.
    func memoryUsage() async throws -> ByteCount
    /// The running container's memory limit.
    func memoryLimit() async throws -> ResourceLimit<ByteCount>
    /// Limits the running container's memory.
    func setMemoryLimit(_ limit: ResourceLimit<ByteCount>) async throws
    /// The number of processes in the running container.
    func processCount() async throws -> Int
    /// Limits the number of processes of the running container.
    func setProcessLimit(_ limit: ResourceLimit<Int>) async throws
    /// Sets typed limits: from the container's next start (so they hold from its first
    /// process), at once in the running container, or both.
    func setLimits(_ limits: ResourceLimits, when timing: LimitTiming) async throws
    /// The most memory the running container has used at once since it started.
    func peakMemoryUsage() async throws -> ByteCount
}
