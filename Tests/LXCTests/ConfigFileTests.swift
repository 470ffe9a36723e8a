@testable import LXC
import Glibc
import Testing

@Suite("Configuration files: atomic replacement and include parsing")
struct ConfigFileTests {
    /// A fresh temporary directory, removed with its files when `body` ends.
    static func withDirectory(_ body: (String, Int32) throws -> Void) throws {
        var template = Array("/tmp/swift-lxc-unit.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        let directory = try #require(made)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(fd >= 0)
        defer {
            close(fd)
            for name in entries(directory) { unlink("\(directory)/\(name)") }
            rmdir(directory)
        }
        try body(directory, fd)
    }

    static func entries(_ directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    @Test func replacementWritesTheBytesKeepsTheModeAndLeavesNoTemporaryFile() throws {
        try Self.withDirectory { directory, fd in
            let path = "\(directory)/config"
            try replaceFileAtomically(named: "config", in: fd, with: Array("first\n".utf8), newFileMode: 0o660)
            #expect(readWholeFile(path) == "first\n")
            #expect(chmod(path, 0o604) == 0)
            try replaceFileAtomically(named: "config", in: fd, with: Array("second\n".utf8), newFileMode: 0o660)
            #expect(readWholeFile(path) == "second\n")
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o7777 == 0o604)
            #expect(Self.entries(directory) == ["config"])
        }
    }

    @Test func aLinkAtTheNameIsRefusedAndNotFollowed() throws {
        try Self.withDirectory { directory, fd in
            let target = "\(directory)/target"
            let made = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            try #require(made >= 0)
            close(made)
            #expect(symlink(target, "\(directory)/config") == 0)
            #expect(throws: FileReplacementError.self) {
                try replaceFileAtomically(named: "config", in: fd, with: Array("x".utf8), newFileMode: 0o660)
            }
            #expect(fileSize(target) == 0)
            #expect(Self.entries(directory) == ["config", "target"])
        }
    }

    @Test("lxc.include lines are read as liblxc's parse_line reads them", arguments: [
        ("lxc.include = /a\n", ["/a"]),
        ("  lxc.include=/b  \r\n", ["/b"]),
        ("\tlxc.include\t=\t\"/c d\"\n", ["/c d"]),
        ("lxc.include = '/e'\u{0}lxc.include = /f", ["/e", "/f"]),
        ("# lxc.include = /commented\n", []),
        ("lxc.includes = /not-the-key\nlxc.include =\n", []),
        ("lxc.uts.name = x\nlxc.include = /g\n", ["/g"]),
    ])
    func includeLinesAreFound(text: String, paths: [String]) {
        #expect(Validate.includedPaths(in: Array(text.utf8)) == paths)
    }
}
