import Glibc
import CLXC

// Input checks made before anything reaches liblxc. liblxc itself accepts much of what is
// refused here (a config value with a newline is written into the config file as a new line).

enum Validate {
    /// The longest container name: a container's name is its host name (`lxc.uts.name`), and
    /// the kernel takes host names of at most 64 bytes (`HOST_NAME_MAX`). liblxc's templates
    /// fail on longer names without saying why.
    static let maximumNameLength = 64

    /// A container or snapshot name that liblxc's config syntax and its templates carry
    /// intact: 1 to 64 bytes of letters and digits (of any script), `-`, `_` and `.`, not
    /// starting with `-` or `.`.
    ///
    /// Everything else is refused because something downstream splits or interprets it:
    /// templates pass the name unquoted through the shell (white space splits it into two
    /// paths, `*` and `?` expand), `#` and `=` are config syntax, `:` separates an overlay
    /// root filesystem's layers, a leading `-` reads as a template option, and a leading `.`
    /// is hidden from liblxc's listing (and is where this library keeps its lock files).
    static func name(_ name: String, operation: String, what: String = "container name") throws {
        func refuse(_ why: String) -> LXCError {
            LXCError.invalid(operation, nil, "\(what) \(quoted(name)) \(why)")
        }
        if name.isEmpty { throw LXCError.invalid(operation, nil, "\(what) is empty") }
        if name == "." || name == ".." { throw refuse("is not allowed: it names a directory, not a container") }
        // One pass over the bytes (every handle is made through here): every byte that is
        // not ASCII belongs to a letter or mark of some script, except U+FFFD (EF BF BD),
        // what bytes that are not UTF-8 become, and the Unicode spaces checked below.
        var slash = false, nul = false, control = false, blank = false, other: UInt8?
        var replacement = false
        var contiguous = name
        contiguous.withUTF8 { bytes in
            var previous: (UInt8, UInt8) = (0, 0)
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                    break
                case UInt8(ascii: "/"): slash = true
                case 0: nul = true
                case UInt8(ascii: " "): blank = true
                case ..<0x20, 0x7F: control = true
                case 0x80...:
                    if byte == 0xBD && previous == (0xEF, 0xBF) { replacement = true }
                default:
                    if other == nil { other = byte }
                }
                previous = (previous.1, byte)
            }
        }
        // The first of these that applies is named.
        if slash { throw refuse("contains \"/\"") }
        if nul { throw refuse("contains a NUL byte") }
        if control { throw refuse("contains a control character such as a newline or tab") }
        if blank { throw refuse("contains white space, which liblxc's templates split into two paths") }
        if let other {
            throw refuse("contains \(quoted(String(UnicodeScalar(other)))); a container name is made of letters, digits, \"-\", \"_\" and \".\"")
        }
        if replacement {
            throw refuse("contains U+FFFD, what bytes that are not UTF-8 become in a Swift string; liblxc would get other bytes than the container's directory has")
        }
        if name.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            throw refuse("contains white space, which liblxc's templates split into two paths")
        }
        if name.utf8.first == UInt8(ascii: "-") {
            throw refuse("starts with \"-\", which a template would read as an option")
        }
        if name.utf8.first == UInt8(ascii: ".") {
            throw refuse("starts with \".\"; liblxc does not list such names")
        }
        if name.utf8.count > maximumNameLength {
            throw refuse("is \(name.utf8.count) bytes long; a container's name is its host name, which is at most \(maximumNameLength) bytes")
        }
    }

    /// An lxcpath: absolute, no NUL, no newline, and not something other than a directory.
    static func lxcpath(_ path: String, operation: String) throws {
        try lxcpathText(path, operation: operation)
        try lxcpathIsNoOtherFile(path, operation: operation)
    }

    /// The text of an lxcpath: not empty, absolute, and none of white space, control
    /// characters, config syntax (`#`, `=`), `:` or what a shell interprets.
    static func lxcpathText(_ path: String, operation: String) throws {
        if path.isEmpty { throw LXCError.invalid(operation, nil, "lxcpath is empty") }
        if path.utf8.first != UInt8(ascii: "/") {
            throw LXCError.invalid(operation, nil, "lxcpath \(quoted(path)) is not an absolute path")
        }
        try noBreaks(path, what: "lxcpath", operation: operation, container: nil)
        // One pass over the bytes (every handle checks its lxcpath).
        var contiguous = path
        let (bad, nonASCII) = contiguous.withUTF8 { bytes -> (UInt8?, Bool) in
            var nonASCII = false
            for byte in bytes {
                if byte >= 0x80 { nonASCII = true; continue }
                if byte <= 0x20 || byte == 0x7F || lxcpathRefused.contains(byte) { return (byte, nonASCII) }
            }
            return (nil, nonASCII)
        }
        var shown: String?
        if let bad {
            shown = bad == 0x20 || bad == 0x09 ? "white space" : bad < 0x20 || bad == 0x7F ? "a control character" : quoted(String(UnicodeScalar(bad)))
        } else if nonASCII && path.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            shown = "white space"
        }
        if let shown {
            throw LXCError.invalid(operation, nil, "lxcpath \(quoted(path)) contains \(shown), which liblxc's config syntax or its templates do not carry intact")
        }
    }

    /// What an lxcpath may not contain besides white space and control characters: config
    /// syntax (`#`, `=`), the overlay separator `:`, and what the shell in liblxc's templates
    /// interprets in an unquoted word.
    private static let lxcpathRefused: [UInt8] = Array("#=:'\"\\`$;&|<>*?[](){}!".utf8)

    /// An lxcpath that exists must be a directory (one that does not exist yet is fine).
    static func lxcpathIsNoOtherFile(_ path: String, operation: String) throws {
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFDIR {
            throw LXCError(operation: operation, container: nil,
                           message: "the lxcpath \(quoted(path)) is not a directory", code: ENOTDIR, kind: .invalidArgument)
        }
    }

    /// A path given to liblxc (a config file, say): not empty, no NUL, no newline.
    static func path(_ path: String, what: String, operation: String, container: String?) throws {
        if path.isEmpty { throw LXCError.invalid(operation, container, "\(what) is empty") }
        try noBreaks(path, what: what, operation: operation, container: container)
    }

    /// A configuration key: not empty, and none of newline, NUL, `=` or white space, which
    /// would make it something other than one key in the config file.
    static func configKey(_ key: String, operation: String, container: String?) throws {
        if key.isEmpty { throw LXCError.invalid(operation, container, "configuration key is empty") }
        // Keys are read on hot paths (`configItem`): scan the contiguous UTF-8 once.
        var key = key
        let bad = key.withUTF8 { bytes -> UInt8? in
            for byte in bytes where byte <= UInt8(ascii: " ") || byte == UInt8(ascii: "=") { return byte }
            return nil
        }
        guard let bad else { return }
        if bad == 0 || bad == UInt8(ascii: "\n") || bad == UInt8(ascii: "\r") {
            throw LXCError.invalid(operation, container, "configuration key \(quoted(key)) contains a line break or NUL byte")
        }
        if bad == UInt8(ascii: "=") || bad == UInt8(ascii: " ") || bad == UInt8(ascii: "\t") {
            throw LXCError.invalid(operation, container, "configuration key \(quoted(key)) contains \"=\" or white space")
        }
        throw LXCError.invalid(operation, container, "configuration key \(quoted(key)) contains a control character")
    }

    /// A configuration value: no newline, carriage return or NUL. liblxc writes values into
    /// the config file as they are, so a newline would inject lines of configuration.
    static func configValue(_ value: String, key: String, operation: String, container: String?) throws {
        for byte in value.utf8 where byte == 0 || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            throw LXCError.invalid(
                operation, container,
                "the value for \(key) contains a line break or NUL byte, which would add lines to the configuration file")
        }
    }

    /// A string that is passed as a C string and must not be cut short by a NUL byte or
    /// split by a line break.
    static func noBreaks(_ text: String, what: String, operation: String, container: String?) throws {
        // Over the contiguous UTF-8 (an lxcpath is checked for every handle made).
        var contiguous = text
        let broken = contiguous.withUTF8 { bytes in
            bytes.contains { $0 == 0 || $0 == UInt8(ascii: "\n") }
        }
        if broken {
            throw LXCError.invalid(operation, container, "\(what) \(quoted(text)) contains a line break or NUL byte")
        }
    }

    /// A C string argument (a template argument, say): no NUL byte.
    static func noNUL(_ text: String, what: String, operation: String, container: String?) throws {
        if text.utf8.contains(0) {
            throw LXCError.invalid(operation, container, "\(what) \(quoted(text)) contains a NUL byte")
        }
    }

    /// A timeout in whole seconds for liblxc; nil means "wait for ever" (-1).
    static func timeoutSeconds(_ timeout: Duration?, operation: String, container: String?) throws -> Int32 {
        guard let timeout else { return -1 }
        if timeout < .zero {
            throw LXCError.invalid(operation, container, "timeout \(timeout) is negative")
        }
        let (seconds, attoseconds) = timeout.components
        let rounded = seconds + (attoseconds > 0 ? 1 : 0)
        return Int32(clamping: rounded)
    }
}

/// A string in double quotes with control characters escaped, for messages; past `limit`
/// characters it is cut, with the full length said.
func quoted(_ text: String, limit: Int = 200) -> String {
    var result = "\""
    var shown = 0
    for scalar in text.unicodeScalars {
        shown += 1
        if shown > limit {
            result += "…\" (\(text.utf8.count) bytes)"
            return result
        }
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "\0": result += "\\0"
        case "\"": result += "\\\""
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}

extension Validate {
    /// A template: a name from liblxc's template directory (no `/`), or the absolute path of
    /// an executable script.
    static func template(_ template: String, operation: String, container: String?) throws {
        if template.isEmpty { throw LXCError.invalid(operation, container, "template name is empty") }
        try noBreaks(template, what: "template", operation: operation, container: container)
        guard template.utf8.contains(UInt8(ascii: "/")) else { return }
        if !template.hasPrefix("/") {
            throw LXCError.invalid(operation, container,
                                   "template \(quoted(template)) contains \"/\" but is not an absolute path; give a template name or the absolute path of a template script")
        }
        if !fileExists(template) {
            throw LXCError(operation: operation, container: container,
                           message: "there is no template script at \(quoted(template))", code: ENOENT, kind: .notFound)
        }
        if access(template, X_OK) != 0 {
            throw LXCError(operation: operation, container: container,
                           message: "the template script \(quoted(template)) is not executable", code: EACCES,
                           kind: .permissionDenied)
        }
    }
}

extension Validate {
    /// An lxcpath that a container is about to be written into: if it exists, a directory
    /// the caller may write to. A missing one is made by liblxc, as `lxc-create` does.
    static func writableLXCPath(_ path: String, operation: String, container: String?) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw LXCError(operation: operation, container: container,
                           message: "the lxcpath \(quoted(path)) cannot be read: \(errnoDescription(errno))",
                           code: errno, kind: .failed)
        }
        if info.st_mode & S_IFMT != S_IFDIR {
            throw LXCError(operation: operation, container: container,
                           message: "the lxcpath \(quoted(path)) is not a directory", code: ENOTDIR, kind: .invalidArgument)
        }
        if access(path, W_OK | X_OK) != 0 {
            throw LXCError(operation: operation, container: container,
                           message: "the lxcpath \(quoted(path)) is not writable by this user", code: EACCES,
                           kind: .permissionDenied)
        }
    }
}

extension Validate {
    /// The options liblxc passes to every template itself (`--path`, `--name`, `--rootfs`,
    /// and for an unprivileged container `--mapped-uid`, `--mapped-gid`). A template that
    /// got one of them twice would take the caller's, and `--path` or `--rootfs` would then
    /// make it write outside the container's directory.
    static let reservedTemplateOptions = ["path", "name", "rootfs", "mapped-uid", "mapped-gid"]

    /// A template argument: no NUL, and not one of ``reservedTemplateOptions`` in any form
    /// `getopt` reads as one (`--path x`, `--path=x`, an abbreviation such as `--pa`, or the
    /// short `-p` and `-n` of liblxc's own templates).
    static func templateArgument(_ argument: String, operation: String, container: String?) throws {
        try noNUL(argument, what: "template argument", operation: operation, container: container)
        var option: Substring?
        if argument.hasPrefix("--") {
            let body = argument.dropFirst(2).prefix { $0 != "=" }
            if !body.isEmpty { option = reservedTemplateOptions.first { $0.hasPrefix(body) }.map { Substring($0) } }
        } else if argument.hasPrefix("-p") || argument.hasPrefix("-n") {
            option = argument.hasPrefix("-p") ? "path" : "name"
        }
        if let option {
            throw LXCError.invalid(operation, container,
                                   "template argument \(quoted(argument)) sets --\(option), which liblxc passes to the template itself (the container's own \(option == "name" ? "name" : "directory")); it is not taken from the caller")
        }
    }
}

extension Validate {
    /// Whether liblxc's configuration parser takes `key`: a key of liblxc's table
    /// (`lxc_config_item_is_supported`), or one under a key of it that names a family of keys
    /// (`lxc.net.0.type` under `lxc.net.`, `lxc.cgroup.memory.limit_in_bytes` under
    /// `lxc.cgroup`), as liblxc's `lxc_get_config` matches them. Used only to tell an unknown
    /// key from another failure after liblxc refused a call; ``LXC/isSupported(configItem:)``
    /// gives liblxc's own exact answer. It does not check the part after the prefix.
    static func configKeyIsKnown(_ key: String) -> Bool {
        if key.isEmpty || key.utf8.contains(0) { return false }
        if lxc_config_item_is_supported(key) { return true }
        var prefix = Substring(key)
        while let dot = prefix.lastIndex(of: ".") {
            // "lxc." names a family of keys only with more after it ("lxc.net.").
            if prefix[..<dot].contains("."), lxc_config_item_is_supported(String(prefix[...dot])) { return true }
            prefix = prefix[..<dot]
            // "lxc" alone is not a key; stop before it.
            if !prefix.contains(".") { return false }
            if lxc_config_item_is_supported(String(prefix)) { return true }
        }
        return false
    }
}
