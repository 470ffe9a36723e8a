// attach-descriptor-probe LXCPATH NAME RUNS OUTPUTS [STOPPED FAILURES]
//
// For AttachHazardTests: runs `/bin/true` RUNS times with `Container.run` and OUTPUTS times
// with `Container.output(of:)` in a running container, from this program's only thread, and
// prints how many threads it had before the first run and how many descriptors it had open
// before and after:
//
//     threads=1 before=6 after=8
//
// It has to be a program of its own: liblxc 5.0.2's attach leaks a descriptor only in a
// single-threaded process, and the test runner never is one. With STOPPED and FAILURES it
// then tries FAILURES runs in the stopped container STOPPED, which must each fail (liblxc
// 5.0.2 leaks its /proc/self descriptor on that path). Exits 1 with a message on standard
// error when a run fails, or one that must fail does not.

import Glibc
import LXC

/// The entries of a directory under /proc, without "." and "..".
func entries(_ path: String) -> Int {
    guard let directory = opendir(path) else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        // Up to the NUL only: the record is as long as its name.
        let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
            tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { String(cString: $0) }
        }
        if name != "." && name != ".." { count += 1 }
    }
    return count
}

/// Writes a line to standard error.
func complain(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}

/// Open descriptors, less the one that reads the directory.
func descriptors() -> Int { entries("/proc/self/fd") - 1 }

let arguments = CommandLine.arguments
guard arguments.count == 5 || arguments.count == 7, let runs = Int(arguments[3]), let outputs = Int(arguments[4]),
      arguments.count == 5 || Int(arguments[6]) != nil else {
    complain("usage: attach-descriptor-probe LXCPATH NAME RUNS OUTPUTS [STOPPED FAILURES]")
    exit(2)
}
do {
    let container = try Container(name: arguments[2], lxcpath: arguments[1])
    let threads = entries("/proc/self/task")
    let before = descriptors()
    for _ in 0..<runs {
        let status = try container.run(["/bin/true"])
        if !status.isSuccess { throw LXCError(operation: "probe", container: arguments[2], message: "/bin/true: \(status)") }
    }
    for _ in 0..<outputs {
        let output = try container.output(of: ["/bin/true"])
        if !output.status.isSuccess { throw LXCError(operation: "probe", container: arguments[2], message: "/bin/true: \(output.status)") }
    }
    if arguments.count == 7, let failures = Int(arguments[6]) {
        let stopped = try Container(name: arguments[5], lxcpath: arguments[1])
        for _ in 0..<failures {
            if (try? stopped.run(["/bin/true"])) != nil {
                throw LXCError(operation: "probe", container: arguments[5], message: "a run in a stopped container did not fail")
            }
        }
    }
    print("threads=\(threads) before=\(before) after=\(descriptors())")
} catch {
    complain("attach-descriptor-probe: \(error)")
    exit(1)
}
