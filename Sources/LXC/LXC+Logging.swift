import CLXC
import Glibc

extension LXC {
    /// The priorities of liblxc's log, from most to least verbose.
    public enum LogLevel: String, Sendable, Hashable, CaseIterable {
        case trace = "TRACE"
        case debug = "DEBUG"
        case info = "INFO"
        case notice = "NOTICE"
        case warning = "WARN"
        case error = "ERROR"
        case critical = "CRIT"
        case alert = "ALERT"
        case fatal = "FATAL"
    }

    /// Where and how liblxc logs for the whole process; the fields of `struct lxc_log`.
    public struct LogOptions: Sendable, Hashable {
        /// The file liblxc appends its log to. With a file, liblxc logs every container's
        /// messages there and ignores containers' own `lxc.log.file`.
        public var file: String?
        /// The lowest priority that is logged.
        public var level: LogLevel
        /// A container name to put in each line; nil puts the name of the container each
        /// call is about.
        public var name: String?
        /// With no file: the lxcpath under which liblxc makes `<name>/<name>.log`.
        public var lxcpath: String?
        /// The prefix of each line ("lxc" by default).
        public var prefix: String?
        /// Whether to keep errors off standard error.
        public var quiet: Bool

        /// Makes log options; by default errors only, to standard error.
        public init(file: String? = nil, level: LogLevel = .error, name: String? = nil,
                    lxcpath: String? = nil, prefix: String? = nil, quiet: Bool = false) {
            self.file = file
            self.level = level
            self.name = name
            self.lxcpath = lxcpath
            self.prefix = prefix
            self.quiet = quiet
        }
    }

    /// Sets up liblxc's process-wide log.
    ///
    /// liblxc's log is global to the process, and it can be set up once: a second call has
    /// no effect until ``stopLogging()``; after that, a call opens its new file. liblxc takes
    /// the level and `quiet` of the first `lxc_log_init` of the process only, and keeps them
    /// through `lxc_log_close` (its `lxc_loglevel_specified`); a container's own level
    /// (``Container/setLogLevel(_:)``) applies to lines about that container when no file
    /// is given here. When a file is given, errors that the library quotes in ``LXCError``
    /// are read back from it. The corresponding liblxc call is `lxc_log_init`.
    ///
    /// - Throws: ``LXCError`` when liblxc cannot open the log file.
    public static func startLogging(_ options: LogOptions) throws {
        let operation = Operation.startLogging.name
        for (what, value) in [("log file", options.file), ("log name", options.name),
                              ("lxcpath", options.lxcpath), ("log prefix", options.prefix)] {
            if let value { try Validate.noBreaks(value, what: what, operation: operation, container: nil) }
        }
        // Without liblxc's lxc_log_use_global_fd, stopLogging points liblxc's log at the
        // library's memory file; liblxc would answer the next lxc_log_init with "Log already
        // initialized" and success, and never open the new file.
        if let shared = SharedDiagnosticLog.shared, globalLogFile.withLock({ $0 }) == shared.path {
            lxc_log_close()
            globalLogFile.withLock { $0 = nil }
        }
        let result = withOptionalCString(options.file) { file in
            withOptionalCString(options.name) { name in
                withOptionalCString(options.lxcpath) { lxcpath in
                    withOptionalCString(options.prefix) { prefix in
                        options.level.rawValue.withCString { level in
                            var log = lxc_log(name: name, lxcpath: lxcpath, file: file, level: level,
                                              prefix: prefix, quiet: options.quiet)
                            return lxc_log_init(&log)
                        }
                    }
                }
            }
        }
        if result != 0 {
            throw LXCError(operation: operation, container: nil,
                           message: "liblxc could not set up its log" + (options.file.map { " in \(quoted($0))" } ?? ""),
                           code: result < 0 ? -result : result)
        }
        if let file = options.file, file != "none" {
            globalLogFile.withLock { $0 = file }
        }
    }

    /// Closes liblxc's process-wide log file.
    ///
    /// Once a program has given liblxc a log file, liblxc ignores containers' own log
    /// descriptors, even after `lxc_log_close`, until its flag for that
    /// (`lxc_log_use_global_fd`, which liblxc exports but does not declare) is reset; the
    /// library resets it, so that each call's errors quote its own lines again (see
    /// ``LXCError/log``). With a liblxc that lacks the flag, the library points liblxc's log at
    /// a memory file of its own instead, errors only, and failed calls quote the lines that
    /// name their container. The corresponding liblxc call is `lxc_log_close`.
    public static func stopLogging() {
        lxc_log_close()
        if clxc_log_use_container_descriptors() != 0 {
            globalLogFile.withLock { $0 = nil }
            return
        }
        guard let shared = SharedDiagnosticLog.shared else {
            globalLogFile.withLock { $0 = nil }
            return
        }
        let reopened = shared.path.withCString { file in
            "ERROR".withCString { level in
                var log = lxc_log(name: nil, lxcpath: nil, file: file, level: level, prefix: nil, quiet: true)
                return lxc_log_init(&log)
            }
        }
        globalLogFile.withLock { $0 = reopened == 0 ? shared.path : nil }
    }
}
