/// What ``Container/repairIncomplete(in:)-1e449`` did about one operation that had been
/// interrupted.
public struct RepairedOperation: Sendable, Hashable, CustomStringConvertible {
    /// What became of the interrupted operation.
    public enum Outcome: Sendable, Hashable {
        /// Undone: what it had made so far was removed, and what it had changed put back.
        case undone
        /// Finished: what it had left to do (the rest of a destroy, say) was done.
        case finished
    }

    /// The container the operation was on (for a snapshot, the container it belongs to).
    public var container: String
    /// The lxcpath it is in.
    public var lxcpath: String
    /// The operation: `create`, `copy` (a clone or a restore into a new container),
    /// `snapshot`, `rename`, `destroy`, `destroySnapshot` or `restoreInPlace`; `create` also
    /// for liblxc's own marker of an interrupted create.
    public var operation: String
    /// Undone or finished.
    public var outcome: Outcome
    /// What was done, in words.
    public var details: String

    /// `create of "web" in /srv/lxc: undone: …`.
    public var description: String {
        "\(operation) of \(quoted(container)) in \(lxcpath): \(outcome == .undone ? "undone" : "finished"): \(details)"
    }
}
