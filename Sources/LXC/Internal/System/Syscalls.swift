import Glibc

// The one way the library retries a system call that a signal interrupted.
//
// swift-system funnels every call through `valueOrErrno(retryOnInterrupt:)`. This library's
// callers read `errno` themselves, C style, so the helper keeps that shape: it returns the
// call's own result and leaves `errno` as the last run set it. Every `EINTR` loop in the
// module is this function; what remains spelled out are event loops in which `EINTR` means
// "look again" (the `poll` of `CaptureLoop.step`) and `close`, which must not be retried on
// Linux.

/// Runs a system call again for as long as it fails with `EINTR`; the result of the last run
/// (with `errno` as that run left it).
///
/// ```swift
/// let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
/// if fd < 0 { throw … errno … }
/// ```
@inline(__always)
func retryingOnInterrupt<Result: BinaryInteger>(_ call: () -> Result) -> Result {
    var result: Result
    repeat {
        result = call()
    } while result < 0 && errno == EINTR
    return result
}
