import Glibc

/// The path of the executable `name`, looked up in the directories of `PATH` in order, then
/// in `alsoIn`; nil when none has it (or `PATH` is unset and `alsoIn` is empty).
///
/// The library's one `PATH` search. It only answers whether a program that liblxc runs is
/// there, for a message that names what is missing (criu, newuidmap, mkfs, zfs, …); liblxc
/// does its own search when it runs them. Empty components of `PATH` are skipped.
func executableInPath(_ name: String, alsoIn fallback: [String] = []) -> String? {
    let path = getenv("PATH").map { String(cString: $0) } ?? ""
    let directories = path.split(separator: ":").map(String.init) + fallback
    for directory in directories where !directory.isEmpty {
        let candidate = "\(directory)/\(name)"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}
