import Glibc

/// One snapshot of a container, as ``Container/snapshots()-lc7k`` lists it.
///
/// liblxc keeps each snapshot as a stopped container named `snap<N>` in the snapshot
/// directory (``lxcpath``, usually `<lxcpath>/<name>/snaps`), with its creation time in a
/// file `ts` and its comment, if any, in a file `comment`.
public struct Snapshot: Sendable, Hashable, CustomStringConvertible {
    /// The snapshot's name: `"snap0"`, `"snap1"`, …
    public var name: String
    /// When the snapshot was made, as liblxc wrote it: `"YYYY:MM:DD HH:MM:SS"` in the
    /// host's local time; empty when liblxc found no timestamp.
    public var timestamp: String
    /// ``timestamp`` taken apart, or nil when it is missing or not in liblxc's format.
    public var date: SnapshotDate?
    /// The path of the snapshot's comment file. liblxc names it whether or not the file
    /// exists (a snapshot made without a comment has none).
    public var commentPath: String?
    /// The text of the comment file, or nil when there is none.
    public var comment: String?
    /// The directory that holds the snapshot, as an lxcpath: the snapshot itself is the
    /// container ``name`` in it.
    public var lxcpath: String
    /// Whether the snapshot is whole. It is not when the snapshot or its destruction was
    /// interrupted (its process killed): liblxc had not yet written its time, or the
    /// snapshot is marked as being made or destroyed. An incomplete snapshot is not
    /// restored; ``Container/repairIncomplete(in:)-1e449`` removes it.
    public var isComplete: Bool = true

    /// Makes a snapshot description (liblxc makes them; this is for tests and callers that
    /// describe snapshots themselves).
    public init(name: String, timestamp: String, commentPath: String?, comment: String?, lxcpath: String) {
        self.name = name
        self.timestamp = timestamp
        self.date = SnapshotDate(liblxcTimestamp: timestamp)
        self.commentPath = commentPath
        self.comment = comment
        self.lxcpath = lxcpath
    }

    /// The number in a name liblxc gave (`"snap12"` → 12), or nil for any other name.
    public var number: Int? { Snapshot.number(of: name) }

    /// `snap0 (2026:11:23 11:40:02) "comment"`.
    public var description: String {
        var text = "\(name) (\(timestamp))"
        if let comment { text += " " + quoted(comment) }
        if !isComplete { text += " (incomplete)" }
        return text
    }

    /// The number in `snap<N>`: digits only, no sign, no leading zero unless `N` is 0.
    static func number(of name: String) -> Int? {
        guard name.hasPrefix("snap") else { return nil }
        let digits = name.utf8.dropFirst(4)
        guard !digits.isEmpty, digits.count <= 9,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        if digits.count > 1 && digits.first == UInt8(ascii: "0") { return nil }
        return Int(Substring(name.dropFirst(4)))
    }

    /// Orders snapshots as liblxc numbered them (`snap2` before `snap10`); names liblxc did
    /// not give come last, by name.
    static func listOrder(_ lhs: Snapshot, _ rhs: Snapshot) -> Bool {
        switch (lhs.number, rhs.number) {
        case let (left?, right?): return left < right
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return strcmpOrder(lhs.name, rhs.name)
        }
    }
}

