import LXCCore

/// The events of an LXD daemon (in a cluster: of every member), as they happen; an
/// `AsyncSequence` of ``LXDEvent`` that ``LXDClient/events(_:)`` returns.
///
/// It reads one websocket, so it is iterated once. Ending the iteration (leaving the loop,
/// or cancelling the task that iterates) closes the websocket; so does dropping the sequence
/// unread. A websocket that the daemon closes ends the iteration.
public struct LXDEvents: AsyncSequence, Sendable {
    /// One event.
    public typealias Element = LXDEvent

    let socket: LXDWebSocket

    /// The iterator over the events; make one only (the sequence reads one websocket).
    public func makeAsyncIterator() -> Iterator {
        Iterator(socket: socket)
    }

    /// Reads the next event off the websocket; closes it when released.
    public struct Iterator: AsyncIteratorProtocol {
        final class Closer {
            let socket: LXDWebSocket
            init(socket: LXDWebSocket) { self.socket = socket }
            deinit { socket.close() }
        }

        let closer: Closer
        var messages: AsyncThrowingStream<LXDWebSocket.Message, any Error>.Iterator

        init(socket: LXDWebSocket) {
            closer = Closer(socket: socket)
            messages = socket.messages.makeAsyncIterator()
        }

        /// The next event, nil once the daemon closed the websocket or the task was cancelled.
        public mutating func next() async throws -> LXDEvent? {
            while let message = try await messages.next() {
                guard case .text(let bytes) = message,
                      let body = try? decodeJSON(EventBody.self, from: bytes) else { continue }
                return body.event
            }
            return nil
        }
    }
}

extension LXDClient {
    /// Subscribes to the daemon's events of `types` (by default lifecycle events: instances
    /// created, started, stopped, deleted, …). Returns once LXD has accepted the websocket.
    ///
    /// LXD 5.0 registers the listener just after accepting the websocket (`lxd/events.go`),
    /// so an event of the first milliseconds after the return may not be delivered; LXD's
    /// own client has the same gap. Events of calls made after the return and lasting
    /// longer than that (a start, a stop) are delivered.
    ///
    /// In a cluster, a member's feed carries the events of every member, each with its
    /// ``LXDEvent/location``.
    ///
    /// The corresponding LXD call is `GET /1.0/events?type=…`, upgraded to a websocket.
    public func events(_ types: Set<LXDEventType> = [.lifecycle]) async throws -> LXDEvents {
        let names = types.map(\.rawValue).sorted().joined(separator: ",")
        let socket = try await openWebSocket("events", nil, path: "/1.0/events?type=" + percentEncoded(names, keeping: ","))
        return LXDEvents(socket: socket)
    }
}
