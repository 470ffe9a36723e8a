import Foundation

/// A progress line with the elapsed time for long work (create, clone, snapshot, destroy),
/// on standard error when it is a terminal; nothing on a pipe or a file, or when the caller
/// prints JSON.
///
/// The line is redrawn every second ("creating web… 3 s") and erased when the work ends.
func withProgress<T: Sendable>(_ label: String, shown: Bool = true, _ work: @Sendable () async throws -> T) async throws -> T {
    guard shown, isatty(STDERR_FILENO) == 1 else { return try await work() }
    let start = ContinuousClock.now
    let ticker = Task {
        var drawn = false
        while !Task.isCancelled {
            let elapsed = (ContinuousClock.now - start).components.seconds
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(label)… \(elapsed) s".utf8))
            drawn = true
            try? await Task.sleep(for: .seconds(1))
        }
        return drawn
    }
    defer {
        ticker.cancel()
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
    return try await work()
}
