// For LXDBackendTests: an LXD create and a program's run whose answers arrive while every
// thread of this process's cooperative pool is blocked for 8 s. LXD forgets an operation
// 5 s after it ended, so a client that needs a pool thread to ask for the operation's end
// fails with "Operation not found". A program of its own, so that blocking the pool does not
// stall the test process's other suites.
//
//     busy-pool-probe SOCKET INSTANCE
//
// Prints "create: ok" or "create: ERROR", then "run: OUTPUT" or "run: ERROR"; deletes the
// instance; exits 0 when both worked.

import Glibc
import LXD

/// Runs `body` in a task of the pool and, once its request is out, blocks every thread of
/// the pool for 8 s (deliberately: one sleeping task per thread).
func whileThePoolIsBusy<T: Sendable>(after delay: Duration,
                                     _ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
    let work = Task { try await body() }
    try? await Task.sleep(for: delay)
    let width = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    let blockers = (0..<width).map { _ in Task.detached { _ = usleep(8_000_000) } }
    let result = await work.result
    for blocker in blockers { await blocker.value }
    return result
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    print("usage: busy-pool-probe SOCKET INSTANCE")
    exit(64)
}
let instance = LXDClient(socketPath: arguments[1]).instance(arguments[2])
var succeeded = true

let created = await whileThePoolIsBusy(after: .milliseconds(1)) { try await instance.create(from: .image("busybox")) }
switch created {
case .success: print("create: ok")
case .failure(let error): print("create: \(error)"); succeeded = false
}
if succeeded {
    do {
        try await instance.start()
        var options = LXDExecOptions()
        options.timeLimit = .seconds(60)     // the websocket path
        let execOptions = options
        let ran = await whileThePoolIsBusy(after: .milliseconds(20)) {
            try await instance.output(of: ["echo", "done"], options: execOptions)
        }
        switch ran {
        case .success(let output): print("run: \(output.standardOutputString)", terminator: "")
        case .failure(let error): print("run: \(error)"); succeeded = false
        }
    } catch {
        print("start: \(error)")
        succeeded = false
    }
}
try? await instance.stop()
try? await instance.destroy(includingSnapshots: true)
exit(succeeded ? 0 : 1)
