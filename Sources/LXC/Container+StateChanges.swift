// Watching containers change state, as `lxc-monitor` shows it.
//
// liblxc announces state changes on a per-lxcpath monitor socket, but the functions that
// read it (`lxc_monitor_open`, `lxc_monitor_read_timeout`) are not part of its installed
// public API (`lxc/lxccontainer.h`), so the library asks each container for its state
// (`c->state`) at an interval and reports what changed. A state held for less than the
// interval (a brief STOPPING, say) may go unreported; the state reached is always reported.

extension Container {
    /// The state changes of the containers in an lxcpath, as they happen.
    ///
    /// The first report of each container gives its state when watching began (with
    /// `previous` nil); a container defined later is reported from its first state, and one
    /// that is destroyed is no longer watched. The stream ends when the task consuming it is cancelled. The
    /// corresponding liblxc call is `c->state` on each container, every `interval`.
    ///
    /// - Parameters:
    ///   - lxcpath: where the containers are; liblxc's default when nil.
    ///   - names: only these containers; all of the lxcpath's when nil.
    ///   - interval: how often to ask.
    /// - Returns: a stream of changes; it throws the ``LXCError`` of a listing that failed.
    public static func stateChanges(in lxcpath: String? = nil, names: Set<String>? = nil,
                                    interval: Duration = .milliseconds(100)) -> AsyncThrowingStream<StateChange, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var known: [String: ContainerState] = [:]
                do {
                    while !Task.isCancelled {
                        var seen: Set<String> = []
                        for container in try list(.all, in: lxcpath) where names?.contains(container.name) ?? true {
                            let state = container.state
                            seen.insert(container.name)
                            let previous = known[container.name]
                            if previous != state {
                                known[container.name] = state
                                continuation.yield(StateChange(name: container.name, state: state, previous: previous))
                            }
                        }
                        for name in known.keys where !seen.contains(name) { known[name] = nil }
                        try await Task.sleep(for: interval)
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
