/// What every backend tells about one snapshot of a container.
public protocol ContainerSnapshot: Sendable, Hashable {
    /// The snapshot's name, as ``ContainerProtocol/restoreSnapshotInPlace(_:)`` takes it.
    var name: String { get }
    /// When the snapshot was taken, when the backend recorded it.
    var date: SnapshotDate? { get }
    /// The comment given when it was taken, if any.
    var comment: String? { get }
}
