/// A resource limit: a value, or none.
public enum ResourceLimit<Value: Sendable & Hashable>: Sendable, Hashable {
    /// No limit (`max` in cgroup files, a huge number in v1 memory files).
    case unlimited
    /// At most this much.
    case limited(Value)

    /// The limit's value, or nil when there is none.
    public var value: Value? {
        if case .limited(let value) = self { return value }
        return nil
    }

    package func map<T>(_ transform: (Value) -> T) -> ResourceLimit<T> {
        switch self {
        case .unlimited: return .unlimited
        case .limited(let value): return .limited(transform(value))
        }
    }
}
