import Foundation
import LXC

/// A library error told in the command line's words.
///
/// The library names its operations and the Swift calls that would help
/// (`destroy(includingSnapshots: true)`); a command-line user typed a subcommand and flags.
/// The message starts with the subcommand (`lxcctl destroy: `), names the container, and the
/// library's advice is put in the flags and subcommands that do the same.
enum CLIError {
    /// One line: `lxcctl <subcommand>: container "NAME": <message>`.
    static func render(_ error: LXCError, command: String) -> String {
        var text = "lxcctl" + (command.isEmpty ? "" : " " + command) + ": "
        if let container = error.container, !error.message.contains("\"\(container)\"") {
            text += "container \"\(container)\": "
        }
        text += translate(error.message, command: command, container: error.container)
        if !error.log.isEmpty {
            text += " (liblxc: " + error.log.joined(separator: "; ") + ")"
        }
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    /// The library's advice in Swift terms, put in the CLI's.
    static func translate(_ message: String, command: String, container: String?) -> String {
        let name = container ?? "NAME"
        var text = message
        let replacements: [(String, String)] = [
            ("destroy(includingSnapshots: true) destroys them too", "lxcctl destroy \(name) --snapshots destroys them too"),
            ("call restoreSnapshotInPlace(_:) to replace the container (it keeps the container when the restore fails), or give another name",
             "leave out the new name (lxcctl snapshot restore \(name) SNAPSHOT) to replace the container, or give another name"),
            ("Container.repairIncomplete(in:) removes it", "lxcctl repair removes it"),
            ("repairIncomplete() finishes or removes it", "lxcctl repair finishes or removes it"),
            ("see setIDMaps(_:)", "set lxc.idmap with lxcctl config set"),
        ]
        for (swift, cli) in replacements { text = text.replacingOccurrences(of: swift, with: cli) }
        // "… which restoreSnapshotInPlace("snap1") or restoreSnapshot("snap1", as:) brings back"
        if let range = text.range(of: #"restoreSnapshotInPlace\("([^"]+)"\) or restoreSnapshot\("[^"]+", as:\)"#, options: .regularExpression) {
            let snapshot = text[range].split(separator: "\"")[1]
            text.replaceSubrange(range, with: "lxcctl snapshot restore \(name) \(snapshot)")
        }
        return text
    }
}
