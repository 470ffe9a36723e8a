/// The owner of a file inside a container: a user id and a group id as the container's own
/// programs see them.
///
/// In an unprivileged container these are not the ids on the host: the container's id maps
/// (`Container.idMaps()`) shift them, so that a file the container's root owns belongs to
/// its mapped id (100000, say) on the host. `Container.push(_:to:owner:mode:)` and
/// `Container.write(_:to:mode:owner:)` take the ids inside and write the mapped ones.
///
/// ```swift
/// try container.write(Array("hello\n".utf8), to: "/home/app/greeting",
///                     owner: FileOwner(userID: 1000, groupID: 1000))
/// ```
public struct FileOwner: Hashable, Sendable, CustomStringConvertible {
    /// The user id inside the container.
    public var userID: UInt32
    /// The group id inside the container.
    public var groupID: UInt32

    /// An owner given by its ids inside the container.
    public init(userID: UInt32, groupID: UInt32) {
        self.userID = userID
        self.groupID = groupID
    }

    /// The container's root: user and group 0 inside it.
    public static let root = FileOwner(userID: 0, groupID: 0)

    /// `1000:1000`.
    public var description: String { "\(userID):\(groupID)" }
}
