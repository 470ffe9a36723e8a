import Dispatch
import Glibc
import Synchronization

/// Where the repository's files are: the current directory when it is the repository's root,
/// else the tree this file was compiled from.
func repositoryRoot() -> String {
    if access("scripts/lxd.sh", R_OK) == 0, access("Benchmarks/LXDBench/raw_rest.py", R_OK) == 0 {
        return "."
    }
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Benchmarks/LXDBench/Daemon.swift
    return parts.joined(separator: "/")
}

/// A standalone LXD daemon of the benchmark's own, started with `scripts/lxd.sh start DIR`
/// and the busybox image imported with `image DIR`; `stop()` (also on SIGINT, SIGTERM and
/// SIGHUP) runs `scripts/lxd.sh stop DIR`, which shuts it down and removes DIR.
///
/// `@unchecked Sendable`: the signal handlers call `stop()` from another thread; what they
/// touch is `directory` and `script` (constants) and `stopped` (a `Mutex`); `signalSources` is
/// written in `init` only.
final class BenchDaemon: @unchecked Sendable {
    let directory: String
    let script: String
    var socketPath: String { directory + "/unix.socket" }
    private var signalSources: [any DispatchSourceSignal] = []
    private let stopped = Mutex(false)

    init(script: String) throws {
        self.script = script
        var template = Array("/tmp/swift-lxd-bench-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw BenchError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        stopOnSignals()
        note("# starting a standalone LXD daemon in \(directory)")
        guard try runProgram(["bash", script, "start", directory]) == 0 else {
            stop()
            throw BenchError("scripts/lxd.sh start \(directory) failed")
        }
        guard try runProgram(["bash", script, "image", directory]) == 0 else {
            stop()
            throw BenchError("scripts/lxd.sh image \(directory) failed")
        }
    }

    /// Stops the daemon and removes its directory, once.
    func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        note("# stopping the daemon: scripts/lxd.sh stop \(directory)")
        _ = try? runProgram(["bash", script, "stop", directory])
    }

    /// Ctrl-C and the like stop the daemon before the process ends. The signals are ignored
    /// by the default action (and so by the Python sides and scripts started after this,
    /// which inherit that: they end when their input does) and handled on a queue.
    private func stopOnSignals() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                note("# signal \(number): stopping")
                stop()
                _exit(128 + number)
            }
            source.resume()
            signalSources.append(source)
        }
    }
}
