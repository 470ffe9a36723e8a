import CLXC
import Glibc

/// liblxc calls made in a single-threaded child process.
///
/// liblxc makes some helper processes (rsync for a directory copy, mkfs for a loop file, the
/// user-namespace helpers) with a raw `clone3` system call that skips glibc's fork handlers.
/// In this multi-threaded process such a helper inherits the locks other threads held at
/// that moment (stdio's list of open files, a malloc arena) and can wait for one of them for
/// ever: a snapshot hung so while a test on another thread opened a file. The calls that can
/// reach those helpers (create, clone and so snapshot and restore, rename, the destroys) are
/// therefore made in a child made by `fork()`, which has one thread and glibc's locks reset;
/// the child reports the result through a pipe and exits. What the call logs reaches the
/// call's own log (the child's copy of the handle's log descriptor is pointed there by the
/// fork handler of Diagnostics.swift), and the on-disk result is the same;
/// the parent's handle is not changed by the call, so callers reload it where liblxc would
/// have changed it. See `isolated.h`.
enum Isolated {
    /// What the child reported, or why it did not.
    struct Outcome {
        /// The call's return value: 1 for true, 0 for false; a snapshot's number or -1.
        var value: Int32 = 0
        /// `c->error_num` after the call.
        var errorNumber: Int32 = 0
        /// `c->error_string` after the call, if set.
        var errorString: String?
        /// Why the child did not report: it could not be made, or it died.
        var problem: String?

        var succeeded: Bool { problem == nil && value == 1 }
    }

    static func create(_ pointer: UnsafeMutablePointer<lxc_container>, template: String, backingStore: String,
                       specs: UnsafeMutablePointer<bdev_specs>?, flags: Int32, arguments: [String]) -> Outcome {
        withCStringArray(arguments) { argv in
            template.withCString { templateName in
                backingStore.withCString { type in
                    var call = clxc_isolated_call()
                    call.operation = Int32(CLXC_ISOLATED_CREATE.rawValue)
                    call.name = templateName
                    call.bdevtype = type
                    call.specs = specs
                    call.flags = flags
                    call.arguments = argv
                    return run(pointer, &call)
                }
            }
        }
    }

    static func clone(_ pointer: UnsafeMutablePointer<lxc_container>, newName: String, lxcpath: String, flags: Int32,
                      backingStore: String?, size: UInt64, hookArguments: [String]) -> Outcome {
        newName.withCString { name in
            lxcpath.withCString { path in
                withOptionalCString(backingStore) { type in
                    let body = { (arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Outcome in
                        var call = clxc_isolated_call()
                        call.operation = Int32(CLXC_ISOLATED_CLONE.rawValue)
                        call.name = name
                        call.path = path
                        call.flags = flags
                        call.bdevtype = type
                        call.newsize = size
                        call.arguments = arguments
                        return run(pointer, &call)
                    }
                    return hookArguments.isEmpty ? body(nil) : withCStringArray(hookArguments) { body($0) }
                }
            }
        }
    }

    static func snapshot(_ pointer: UnsafeMutablePointer<lxc_container>, commentFile: String?) -> Outcome {
        withOptionalCString(commentFile) { file in
            var call = clxc_isolated_call()
            call.operation = Int32(CLXC_ISOLATED_SNAPSHOT.rawValue)
            call.path = file
            var outcome = run(pointer, &call)
            if outcome.problem != nil { outcome.value = -1 }
            return outcome
        }
    }

    static func restoreSnapshot(_ pointer: UnsafeMutablePointer<lxc_container>, _ snapshot: String, as newName: String) -> Outcome {
        snapshot.withCString { snapshotName in
            newName.withCString { name in
                var call = clxc_isolated_call()
                call.operation = Int32(CLXC_ISOLATED_SNAPSHOT_RESTORE.rawValue)
                call.path = snapshotName
                call.name = name
                return run(pointer, &call)
            }
        }
    }

    static func destroySnapshot(_ pointer: UnsafeMutablePointer<lxc_container>, _ snapshot: String) -> Outcome {
        snapshot.withCString { name in
            var call = clxc_isolated_call()
            call.operation = Int32(CLXC_ISOLATED_SNAPSHOT_DESTROY.rawValue)
            call.name = name
            return run(pointer, &call)
        }
    }

    static func destroyAllSnapshots(_ pointer: UnsafeMutablePointer<lxc_container>) -> Outcome {
        var call = clxc_isolated_call()
        call.operation = Int32(CLXC_ISOLATED_SNAPSHOT_DESTROY_ALL.rawValue)
        return run(pointer, &call)
    }

    static func rename(_ pointer: UnsafeMutablePointer<lxc_container>, to newName: String) -> Outcome {
        newName.withCString { name in
            var call = clxc_isolated_call()
            call.operation = Int32(CLXC_ISOLATED_RENAME.rawValue)
            call.name = name
            return run(pointer, &call)
        }
    }

    static func destroy(_ pointer: UnsafeMutablePointer<lxc_container>, includingSnapshots: Bool) -> Outcome {
        var call = clxc_isolated_call()
        call.operation = Int32((includingSnapshots ? CLXC_ISOLATED_DESTROY_WITH_SNAPSHOTS : CLXC_ISOLATED_DESTROY).rawValue)
        return run(pointer, &call)
    }

    /// A start that does not daemonize: liblxc runs the container's monitor in the calling
    /// process until the container stops, and starts the container's init with a raw clone.
    /// The child is that monitor here; the call returns when the container stopped.
    static func startInForeground(_ pointer: UnsafeMutablePointer<lxc_container>, useInit: Bool,
                                  arguments: [String]) -> Outcome {
        let body = { (argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Outcome in
            var call = clxc_isolated_call()
            call.operation = Int32(CLXC_ISOLATED_START.rawValue)
            call.flags = useInit ? 1 : 0
            call.arguments = argv
            return run(pointer, &call)
        }
        return arguments.isEmpty ? body(nil) : withCStringArray(arguments) { body($0) }
    }

    /// Forks, makes the call in the child, waits for it. Only the fork excludes starts
    /// (``ForkGate``): a child is never born while a start has moved this process into a
    /// monitor cgroup, and a long call does not hold starts back.
    private static func run(_ pointer: UnsafeMutablePointer<lxc_container>, _ call: inout clxc_isolated_call) -> Outcome {
        var child: pid_t = -1
        var reportFD: Int32 = -1
        var outcome = Outcome()
        let spawnError = ForkGate.asFork { clxc_isolated_spawn(pointer, &call, &child, &reportFD) }
        if spawnError != 0 {
            outcome.problem = "the process that makes liblxc's call could not be made: \(errnoDescription(spawnError))"
            outcome.errorNumber = spawnError
            return outcome
        }
        var result = clxc_isolated_result()
        let waitError = clxc_isolated_wait(child, reportFD, &result)
        if waitError != 0 {
            outcome.problem = "the process that made liblxc's call could not be waited for: \(errnoDescription(waitError))"
            outcome.errorNumber = waitError
            return outcome
        }
        guard result.reported != 0 else {
            let status = result.status
            if clxc_wifsignaled(status) != 0 {
                outcome.problem = "the process that made liblxc's call was killed by signal \(clxc_wtermsig(status))"
            } else {
                outcome.problem = "the process that made liblxc's call exited with code \(clxc_wexitstatus(status)) before it reported"
            }
            return outcome
        }
        outcome.value = result.value
        outcome.errorNumber = result.error_num
        outcome.errorString = withUnsafeBytes(of: result.error_string) { bytes in
            let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? nil : text
        }
        return outcome
    }
}
