import Glibc

/// A range of subordinate ids a user may map into its containers: a line `name:start:count`
/// of `/etc/subuid` (user ids) or `/etc/subgid` (group ids).
///
/// Root writes these files (`usermod --add-subuids`, or `useradd`, which gives each new user
/// 65536 ids from 100000 on). `newuidmap` and `newgidmap` (Debian: `uidmap`) allow an
/// unprivileged user to map only these ids, and its own.
public struct SubordinateIDRange: Hashable, Sendable, CustomStringConvertible {
    /// The first id of the range.
    public var start: UInt32
    /// How many ids the range has.
    public var count: UInt32

    /// A range of `count` ids from `start`.
    public init(start: UInt32, count: UInt32) {
        self.start = start
        self.count = count
    }

    /// `100000-165535`.
    public var description: String {
        count == 0 ? "\(start) (empty)" : "\(start)-\(UInt64(start) + UInt64(count) - 1)"
    }

    /// The ranges of `kind` that `/etc/subuid` or `/etc/subgid` gives a user: the caller
    /// (its effective uid) when `user` is nil.
    ///
    /// Lines may name the user by name or by uid, as `newuidmap` accepts both.
    ///
    /// - Returns: the ranges in file order; empty when the file does not exist or names none
    ///   for the user.
    public static func ranges(_ kind: IDMap.Kind, for user: String? = nil) -> [SubordinateIDRange] {
        guard let owner = user.map({ ($0, lookUpUID($0)) }) ?? currentUser() else { return [] }
        guard let text = readWholeFile(kind.subordinateFile) else { return [] }
        return parse(text, user: owner.0, uid: owner.1)
    }

    /// Parses the text of `/etc/subuid` or `/etc/subgid`: the ranges of lines whose first
    /// field is `user` or `uid`.
    static func parse(_ text: String, user: String, uid: uid_t?) -> [SubordinateIDRange] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else {
                return nil
            }
            guard fields[0] == user || (uid.map { fields[0] == String($0) } ?? false) else { return nil }
            return SubordinateIDRange(start: start, count: count)
        }
    }

    /// The caller's user name and uid.
    static func currentUser() -> (String, uid_t?)? {
        let uid = geteuid()
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return (String(uid), uid) }
        return (String(cString: name), uid)
    }

    static func lookUpUID(_ user: String) -> uid_t? {
        getpwnam(user).map { $0.pointee.pw_uid }
    }
}
