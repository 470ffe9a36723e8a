// The value types and the container protocol that every backend shares live in LXCCore;
// `import LXC` brings them along, so code written before the split compiles unchanged.
@_exported import LXCCore

extension LXC {
    /// ``ExitStatus``, reachable as `LXC.ExitStatus` where another imported module has a type
    /// of the same name (Swift Testing has one): the module `LXC` cannot qualify it, because
    /// the name `LXC` means this enum.
    public typealias ExitStatus = LXCCore.ExitStatus
}
