import Foundation
import Testing

/// Runs the built `lxcctl` binary as a subprocess.
enum LXCCtlRunner {
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The `lxcctl` next to the test binary (`swift build --build-tests` builds both).
    static let binary: String? = builtProduct("lxcctl")

    /// An executable product of this package built next to the test binary.
    static func builtProduct(_ name: String) -> String? {
        var candidates: [String] = []
        if let first = CommandLine.arguments.first {
            var directory = URL(fileURLWithPath: first).deletingLastPathComponent()
            // The test bundle may be a directory (`*.xctest`) inside the products directory.
            for _ in 0..<4 {
                candidates.append(directory.appendingPathComponent(name).path)
                directory.deleteLastPathComponent()
            }
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/.build/debug/" + name)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs lxcctl with standard input from /dev/null and its output going to files (so a
    /// chatty command can never block on a full pipe), awaiting its end without holding one
    /// of the cooperative pool's threads.
    static func result(of arguments: [String]) async throws -> Result {
        let path = try #require(binary, "lxcctl was not built next to the tests (run `swift build --build-tests`)")
        return try await result(ofProgram: path, arguments)
    }

    /// Runs another program the same way (a wrapper around lxcctl, say).
    static func result(ofProgram path: String, _ arguments: [String]) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("lxcctl-out-\(UUID().uuidString)")
        let errURL = directory.appendingPathComponent("lxcctl-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus,
                      standardOutput: String(decoding: try bytes(of: outURL.path), as: UTF8.self),
                      standardError: String(decoding: try bytes(of: errURL.path), as: UTF8.self))
    }

    /// A whole file, read with plain `read(2)`: Foundation's `Data(contentsOf:)` lost its
    /// buffers under LeakSanitizer here (Swift 6.3, Linux).
    static func bytes(of path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileReadNoSuchFile) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CocoaError(.fileReadUnknown) }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }
}
