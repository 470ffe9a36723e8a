@testable import LXC
import Glibc
import Testing

@Suite("Input is checked before it reaches liblxc")
struct ValidationTests {
    @Test("Bad container names are refused by Container(name:)", arguments: [
        ("", "empty"),
        (".", "not allowed"),
        ("..", "not allowed"),
        ("a/b", "\"/\""),
        ("/abs", "\"/\""),
        ("nul\u{0}byte", "NUL"),
        ("new\nline", "control character"),
        ("tab\there", "control character"),
        (String(repeating: "x", count: 65), "65 bytes"),
        ("x y", "white space"),
        ("web ", "white space"),
        ("a\u{00A0}b", "white space"),
        ("a#b", "\"#\""),
        ("a=b", "\"=\""),
        ("a:b", "\":\""),
        ("a*", "\"*\""),
        ("$(id)", "\"$\""),
        ("-n", "starts with \"-\""),
        (".hidden", "starts with \".\""),
        (String(decoding: [0x62, 0x61, 0x64, 0xFF], as: UTF8.self), "not UTF-8"),
        ("\u{FFFD}", "not UTF-8"),
        ("del\u{7F}", "control character"),
        // Several problems: the first of /, NUL, control character, U+FFFD is named.
        ("\u{FFFD}\n\u{0}a/b", "\"/\""),
        ("\u{FFFD}\n\u{0}", "NUL"),
        ("\u{FFFD}\n", "control character"),
    ])
    func badNames(name: String, reason: String) throws {
        let error = #expect(throws: LXCError.self) { try Container(name: name, lxcpath: "/tmp") }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.operation == "init")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test("Good names pass", arguments: ["web", "web-1", "a.b", "a_b", "Web2", "ünïcode", "名前", String(repeating: "x", count: 64),
                                         "\u{FFFC}\u{FFFE}\u{EFBF}"])
    func goodNames(name: String) throws {
        try Validate.name(name, operation: "init")
    }

    @Test("Lxcpaths that liblxc's config syntax or its templates cannot carry are refused",
          arguments: ["/tmp/a b", "/tmp/a\tb", "/tmp/a#b", "/tmp/a=b", "/tmp/a:b", "/tmp/a*", "/tmp/$(id)", "/tmp/a\u{2003}b"])
    func lxcpathsThatTemplatesSplitAreRefused(path: String) throws {
        let error = #expect(throws: LXCError.self) { try Container(name: "web", lxcpath: path) }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.message.contains("do not carry intact") == true, "\(error?.message ?? "")")
    }

    @Test("Template options liblxc passes itself are refused in every form getopt reads",
          arguments: ["--path", "--path=/tmp/x", "--pa", "--rootfs=/", "--r", "--name", "--mapped-uid=0", "-p", "-p/tmp/x", "-n"])
    func reservedTemplateOptionsAreRefused(argument: String) throws {
        let error = #expect(throws: LXCError.self) { try Validate.templateArgument(argument, operation: "create", container: "c") }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.message.contains("liblxc passes to the template itself") == true)
    }

    @Test("Ordinary template arguments pass", arguments: ["--dist", "debian", "--release=bookworm", "-a", "amd64", "--", "--variant=default"])
    func ordinaryTemplateArgumentsPass(argument: String) throws {
        try Validate.templateArgument(argument, operation: "create", container: "c")
    }

    @Test("Spellings of one lxcpath are one lock key", arguments: ["/tmp/swift-lxc-nowhere/lp", "/tmp/swift-lxc-nowhere/lp/",
                                                                      "/tmp/swift-lxc-nowhere//lp", "/tmp/swift-lxc-nowhere/lp/.",
                                                                      "/tmp/./swift-lxc-nowhere/x/../lp"])
    func lxcpathSpellingsAreOneKey(path: String) {
        #expect(ContainerLocks.canonical(path) == "/tmp/swift-lxc-nowhere/lp")
    }

    @Test("Relative or empty lxcpaths are refused", arguments: ["", "relative/path", "./here"])
    func badLXCPaths(path: String) throws {
        let error = #expect(throws: LXCError.self) { try Container(name: "web", lxcpath: path) }
        #expect(error?.kind == .invalidArgument)
    }

    @Test("Config keys with line breaks, NUL, = or blanks are refused", arguments: [
        "", "lxc.uts.name\n", "lxc.uts\0.name", "lxc.uts.name = x", "lxc.uts.name=x", "lxc uts",
    ])
    func badKeys(key: String) throws {
        #expect(throws: LXCError.self) { try Validate.configKey(key, operation: "setConfigItem", container: "c") }
    }

    @Test("Config values that would inject lines are refused", arguments: [
        "x\nlxc.mount.entry = /etc etc none bind 0 0", "x\r", "nul\u{0}",
    ])
    func badValues(value: String) throws {
        let error = #expect(throws: LXCError.self) {
            try Validate.configValue(value, key: "lxc.uts.name", operation: "setConfigItem", container: "c")
        }
        #expect(error?.message.contains("lxc.uts.name") == true)
    }

    @Test func ordinaryValuesPass() throws {
        for value in ["", "web", "dir:/var/lib/lxc/web/rootfs", "proc proc proc nodev,noexec,nosuid 0 0", "ü = é"] {
            try Validate.configValue(value, key: "k", operation: "set", container: nil)
        }
    }

    @Test func timeoutsAreWholeSecondsRoundedUp() throws {
        #expect(try Validate.timeoutSeconds(nil, operation: "wait", container: nil) == -1)
        #expect(try Validate.timeoutSeconds(.zero, operation: "wait", container: nil) == 0)
        #expect(try Validate.timeoutSeconds(.seconds(5), operation: "wait", container: nil) == 5)
        #expect(try Validate.timeoutSeconds(.milliseconds(1500), operation: "wait", container: nil) == 2)
        #expect(try Validate.timeoutSeconds(.seconds(Int64.max), operation: "wait", container: nil) == Int32.max)
        let error = #expect(throws: LXCError.self) {
            try Validate.timeoutSeconds(.seconds(-1), operation: "wait", container: "c")
        }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.message.contains("negative") == true)
    }

    @Test func templatesWithSlashesMustBeAbsolutePaths() throws {
        try Validate.template("busybox", operation: "create", container: nil)
        #expect(throws: LXCError.self) { try Validate.template("", operation: "create", container: nil) }
        let relative = #expect(throws: LXCError.self) { try Validate.template("../x", operation: "create", container: nil) }
        #expect(relative?.kind == .invalidArgument)
        let missing = #expect(throws: LXCError.self) { try Validate.template("/no/such/template", operation: "create", container: nil) }
        #expect(missing?.kind == .notFound)
        var path = Array("/tmp/swift-lxc-template.XXXXXX".utf8CString)
        let fd = path.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        #expect(fd >= 0)
        let file = String(decoding: path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(fd); unlink(file) }
        fchmod(fd, 0o644)
        let notExecutable = #expect(throws: LXCError.self) { try Validate.template(file, operation: "create", container: nil) }
        #expect(notExecutable?.kind == .permissionDenied)
        fchmod(fd, 0o755)
        try Validate.template(file, operation: "create", container: nil)
    }

    @Test func quotingEscapesControlCharacters() {
        #expect(quoted("a\nb") == "\"a\\nb\"")
        #expect(quoted("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(quoted("bell\u{7}") == "\"bell\\u{7}\"")
    }
}
