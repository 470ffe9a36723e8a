/// A container's move from one state to another, as ``Container/stateChanges(in:names:interval:)``
/// reports it.
public struct StateChange: Sendable, Hashable {
    /// The container's name.
    public var name: String
    /// The state it is in now.
    public var state: ContainerState
    /// The state it was in before; nil in the first report of each container, which gives its
    /// state when watching began.
    public var previous: ContainerState?

    /// A change with the given values.
    public init(name: String, state: ContainerState, previous: ContainerState?) {
        self.name = name
        self.state = state
        self.previous = previous
    }
}
