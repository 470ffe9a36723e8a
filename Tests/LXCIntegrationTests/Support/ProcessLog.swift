import LXC

/// Turns for the tests that route liblxc's process-wide log to a file (``LXC/startLogging(_:)``,
/// `LXC.forwardLog`) and the tests that check that an error quotes only its own call's lines.
///
/// While the process-wide log has a file, liblxc ignores every handle's own log descriptor and
/// writes all lines there; errors are then told apart by container name only (as
/// ``LXCError/log`` says), so the two kinds of test must not run at the same moment.
enum ProcessLog {
    private static let turns = Turns()

    /// Runs `body` while no other test that takes a turn runs.
    static func inTurn<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        await turns.acquire()
        do {
            let result = try await body()
            await turns.release()
            return result
        } catch {
            await turns.release()
            throw error
        }
    }

    private actor Turns {
        private var busy = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func acquire() async {
            guard busy else {
                busy = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        /// Hands the turn to the next waiting test, or frees it.
        func release() {
            if waiting.isEmpty {
                busy = false
            } else {
                waiting.removeFirst().resume()
            }
        }
    }
}
