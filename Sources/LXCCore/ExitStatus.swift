import Glibc

/// How a program run inside a container ended: it exited with a code, or a signal killed it.
///
/// Decoded from the raw `waitpid` status with `WIFEXITED`/`WEXITSTATUS` and
/// `WIFSIGNALED`/`WTERMSIG`. An exit code of 255 is an exit code like any other: attach
/// failures are thrown as ``LXCError``, never folded into the status.
///
/// ```swift
/// switch try container.run(["grep", "-q", "root", "/etc/passwd"]) {
/// case .exited(0): print("found")
/// case .exited(let code): print("grep said", code)
/// case .signaled(let signal): print("killed by signal", signal)
/// }
/// ```
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The program exited by itself (or returned from `main`) with this code, 0 to 255.
    case exited(Int32)
    /// A signal ended the program: `.signaled(9)` is `SIGKILL`.
    case signaled(Int32)

    /// Decodes a raw status as `waitpid` reports it.
    ///
    /// A status that is neither an exit nor a signal death (`waitpid` reports stops only when
    /// asked with `WUNTRACED`, which this library never does) is kept as `.exited` of the raw
    /// value's high byte, as `WEXITSTATUS` reads it.
    public init(waitStatus: Int32) {
        // The layout of <sys/wait.h>'s macros on Linux: the low 7 bits are the terminating
        // signal (0 for a normal exit, 0x7f for a stopped child), bits 8-15 the exit code.
        let signal = waitStatus & 0x7f
        if signal != 0 && signal != 0x7f {
            self = .signaled(signal)
        } else {
            self = .exited((waitStatus >> 8) & 0xff)
        }
    }

    /// Whether the program exited with code 0.
    public var isSuccess: Bool { self == .exited(0) }

    /// `exited with code 7` or `killed by signal 9 (SIGKILL)`.
    public var description: String {
        switch self {
        case .exited(let code):
            return "exited with code \(code)"
        case .signaled(let signal):
            if let name = Self.signalName(signal) { return "killed by signal \(signal) (\(name))" }
            return "killed by signal \(signal)"
        }
    }

    package static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case SIGHUP: return "SIGHUP"
        case SIGINT: return "SIGINT"
        case SIGQUIT: return "SIGQUIT"
        case SIGILL: return "SIGILL"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGPIPE: return "SIGPIPE"
        case SIGALRM: return "SIGALRM"
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        case SIGUSR2: return "SIGUSR2"
        default: return nil
        }
    }
}
