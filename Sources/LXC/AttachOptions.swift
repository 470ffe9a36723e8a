import CLXC
import Glibc

/// How to run a program inside a container: which namespaces to enter, as whom, where, with
/// which environment and file descriptors.
///
/// Every field of liblxc's `lxc_attach_options_t` has a property here. A fresh value equals
/// `LXC_ATTACH_OPTIONS_DEFAULT`, read from liblxc's header itself: move into the container's
/// cgroup, drop the capabilities the container lacks, take its personality and LSM profile,
/// enter all its namespaces, run as its root (or its init's user in a user namespace), keep
/// this process's environment, and share this process's standard input, output and error.
///
/// ```swift
/// var options = AttachOptions()
/// options.workingDirectory = "/tmp"
/// options.environmentPolicy = .clear
/// options.environment = ["LANG": "C.UTF-8"]
/// options.userID = 1000
/// options.groupID = 1000
/// let status = try container.run(["make"], options: options)
/// ```
public struct AttachOptions: Sendable, Hashable {
    /// What liblxc does to the attached process besides entering namespaces
    /// (`LXC_ATTACH_*` flags).
    public struct Flags: OptionSet, Sendable, Hashable {
        /// The `LXC_ATTACH_*` bits.
        public let rawValue: Int32
        /// Flags from `LXC_ATTACH_*` bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Move the process into the container's cgroup. On by default.
        /// The corresponding C flag is `LXC_ATTACH_MOVE_TO_CGROUP`.
        public static let moveToCgroup = Flags(rawValue: Int32(LXC_ATTACH_MOVE_TO_CGROUP))
        /// Drop the capabilities that the container's init does not have. On by default.
        /// The corresponding C flag is `LXC_ATTACH_DROP_CAPABILITIES`.
        public static let dropCapabilities = Flags(rawValue: Int32(LXC_ATTACH_DROP_CAPABILITIES))
        /// Set the personality (architecture) in ``AttachOptions/personality``, or the
        /// container's. On by default. The corresponding C flag is `LXC_ATTACH_SET_PERSONALITY`.
        public static let setPersonality = Flags(rawValue: Int32(LXC_ATTACH_SET_PERSONALITY))
        /// Run the program under the container's LSM (AppArmor, SELinux) profile, from its exec
        /// on. On by default. The corresponding C flag is `LXC_ATTACH_LSM_EXEC`.
        public static let lsmExec = Flags(rawValue: Int32(LXC_ATTACH_LSM_EXEC))
        /// Remount `/proc` and `/sys` in a new mount namespace so that they show the
        /// container's view; for attaching without the container's mount namespace.
        /// The corresponding C flag is `LXC_ATTACH_REMOUNT_PROC_SYS`.
        public static let remountProcSys = Flags(rawValue: Int32(LXC_ATTACH_REMOUNT_PROC_SYS))
        /// Change the LSM profile at once rather than at exec (liblxc marks it unused).
        /// The corresponding C flag is `LXC_ATTACH_LSM_NOW`.
        public static let lsmNow = Flags(rawValue: Int32(LXC_ATTACH_LSM_NOW))
        /// Set `PR_SET_NO_NEW_PRIVS`: exec can no longer gain privileges (setuid binaries do
        /// not). The corresponding C flag is `LXC_ATTACH_NO_NEW_PRIVS`.
        public static let noNewPrivileges = Flags(rawValue: Int32(LXC_ATTACH_NO_NEW_PRIVS))
        /// Give the process a new pseudo terminal as its standard input, output and error.
        /// liblxc then relays between that terminal and this process's controlling terminal
        /// (and copies what the program prints to ``AttachOptions/logFileDescriptor``) until
        /// the program ends, so the attach returns only then; ``AttachOptions/standardInput``
        /// and the other two are not used. The corresponding C flag is `LXC_ATTACH_TERMINAL`.
        public static let terminal = Flags(rawValue: Int32(LXC_ATTACH_TERMINAL))
        /// Use ``AttachOptions/lsmLabel`` as the LSM label; setting that property adds this
        /// flag. The corresponding C flag is `LXC_ATTACH_LSM_LABEL`.
        public static let lsmLabel = Flags(rawValue: Int32(LXC_ATTACH_LSM_LABEL))
        /// Set the supplementary groups in ``AttachOptions/supplementaryGroups``; setting that
        /// property adds this flag. The corresponding C flag is `LXC_ATTACH_SETGROUPS`.
        public static let setGroups = Flags(rawValue: Int32(LXC_ATTACH_SETGROUPS))

        /// The flags liblxc applies by default: the low 16 bits, `LXC_ATTACH_DEFAULT`
        /// (cgroup move, capability drop, personality, LSM exec).
        public static let `default` = Flags(rawValue: Int32(LXC_ATTACH_DEFAULT))
        /// All LSM flags: `LXC_ATTACH_LSM` (exec, now, label).
        public static let lsm: Flags = [.lsmExec, .lsmNow, .lsmLabel]
    }

    /// Kinds of kernel namespace, as the `CLONE_NEW*` flags of `<sched.h>` name them.
    ///
    /// The raw values are the kernel's ABI constants.
    public struct Namespaces: OptionSet, Sendable, Hashable {
        /// The `CLONE_NEW*` bits.
        public let rawValue: Int32
        /// Namespace kinds from `CLONE_NEW*` bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Mounts (`CLONE_NEWNS`).
        public static let mount = Namespaces(rawValue: 0x0002_0000)
        /// Hostname and domain name (`CLONE_NEWUTS`).
        public static let uts = Namespaces(rawValue: 0x0400_0000)
        /// System V IPC and POSIX message queues (`CLONE_NEWIPC`).
        public static let ipc = Namespaces(rawValue: 0x0800_0000)
        /// User and group ids (`CLONE_NEWUSER`).
        public static let user = Namespaces(rawValue: 0x1000_0000)
        /// Process ids (`CLONE_NEWPID`).
        public static let pid = Namespaces(rawValue: 0x2000_0000)
        /// Network devices, addresses, routes (`CLONE_NEWNET`).
        public static let network = Namespaces(rawValue: 0x4000_0000)
        /// The cgroup root (`CLONE_NEWCGROUP`).
        public static let cgroup = Namespaces(rawValue: 0x0200_0000)
        /// Clocks (`CLONE_NEWTIME`).
        public static let time = Namespaces(rawValue: 0x0000_0080)

        /// Every kind above.
        public static let all: Namespaces = [.mount, .uts, .ipc, .user, .pid, .network, .cgroup, .time]
    }

    /// An execution domain for `personality(2)`: what `uname -m` reports and how the kernel
    /// treats the process.
    public struct Personality: RawRepresentable, Sendable, Hashable {
        /// The `PER_*` value of `<sys/personality.h>`.
        public let rawValue: Int
        /// A personality from its `PER_*` value.
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The native domain (`PER_LINUX`).
        public static let linux = Personality(rawValue: 0x0000)
        /// The 32-bit domain (`PER_LINUX32`): `uname -m` says `i686` on x86_64.
        public static let linux32 = Personality(rawValue: 0x0008)
    }

    /// Whether the program starts with this process's environment.
    public enum EnvironmentPolicy: Sendable, Hashable {
        /// Keep this process's environment (`LXC_ATTACH_KEEP_ENV`), the default.
        case keep
        /// Start from an empty environment (`LXC_ATTACH_CLEAR_ENV`), keeping only the
        /// variables in ``AttachOptions/keptEnvironmentVariables``; liblxc then sets `PATH`
        /// to a default unless it was kept.
        case clear
    }

    /// The `LXC_ATTACH_*` flags. Default: ``Flags/default``.
    /// The corresponding C field is `attach_flags`.
    public var flags: Flags

    /// The namespaces to enter, or nil (the default) for every namespace the container has.
    /// A kind the container shares with the host is not entered either way. A caller that is
    /// not root enters the container's user namespace too: its containers are unprivileged,
    /// and only inside their user namespace may it enter the others (liblxc would fail with
    /// "Operation not permitted").
    /// The corresponding C field is `namespaces` (nil is -1).
    public var namespaces: Namespaces?

    /// The personality to set when ``Flags/setPersonality`` is in ``flags``, or nil (the
    /// default) for the container's (`LXC_ATTACH_DETECT_PERSONALITY`).
    /// The corresponding C field is `personality`.
    public var personality: Personality?

    /// The directory the program starts in, or nil (the default) for this process's current
    /// directory when it exists in the container (`/` when not).
    ///
    /// It must be an absolute path inside the container: a relative one is refused with
    /// ``LXCError/Kind/invalidArgument`` before anything runs. One that cannot be entered
    /// makes the run fail with an ``LXCError`` that names it (``LXCError/Kind/notFound``
    /// when it does not exist) and nothing runs; liblxc alone would only log a warning and
    /// run the program in `/`. The corresponding C field is `initial_cwd`.
    public var workingDirectory: String?

    /// The user id to run as, or nil (the default) for root (or the container's init user in a
    /// user namespace). The corresponding C field is `uid`.
    public var userID: uid_t?

    /// The group id to run as, or nil (the default) for root (or the init's group in a user
    /// namespace). The corresponding C field is `gid`.
    public var groupID: gid_t?

    /// The supplementary groups to run with, or nil (the default) to drop them all.
    ///
    /// Setting a list adds ``Flags/setGroups`` to ``flags`` (and nil removes it); the other
    /// flags stay as they are. The corresponding C field is `groups`.
    public var supplementaryGroups: [gid_t]? {
        didSet {
            if supplementaryGroups == nil { flags.remove(.setGroups) } else { flags.insert(.setGroups) }
        }
    }

    /// Keep or clear this process's environment. Default: ``EnvironmentPolicy/keep``.
    /// The corresponding C field is `env_policy`.
    public var environmentPolicy: EnvironmentPolicy

    /// Variables to set in the program's environment, on top of what the policy leaves.
    /// The corresponding C field is `extra_env_vars` (as `NAME=value` strings).
    public var environment: [String: String]

    /// Names of this process's variables to keep when ``environmentPolicy`` is
    /// ``EnvironmentPolicy/clear``. The corresponding C field is `extra_keep_env`.
    public var keptEnvironmentVariables: [String]

    /// The descriptor (of this process) that becomes the program's standard input.
    /// Default 0: this process's own. The corresponding C field is `stdin_fd`.
    ///
    /// liblxc makes the calling process ignore SIGINT and SIGQUIT for good when `stdin_fd` is
    /// 0, so the library passes a duplicate of descriptor 0 instead, unless it is a terminal
    /// (an interactive session, where that is what liblxc intends: Ctrl-C goes to the program).
    public var standardInput: Int32

    /// The descriptor that becomes the program's standard output. Default 1.
    /// ``Container/output(of:options:input:)-2ndrj`` replaces it with a pipe.
    /// The corresponding C field is `stdout_fd`.
    public var standardOutput: Int32

    /// The descriptor that becomes the program's standard error. Default 2.
    /// ``Container/output(of:options:input:)-2ndrj`` replaces it with a pipe.
    /// The corresponding C field is `stderr_fd`.
    public var standardError: Int32

    /// Where liblxc copies what a program with ``Flags/terminal`` prints on its terminal, or
    /// nil (the default) for nowhere. The descriptor stays the caller's to close: liblxc
    /// closes the one it is given when a terminal session ends, so it is given a duplicate.
    /// The corresponding C field is `log_fd`.
    public var logFileDescriptor: Int32?

    /// The LSM label (AppArmor profile, SELinux context) to run under, or nil (the default).
    ///
    /// Setting a label adds ``Flags/lsmLabel`` to ``flags`` (and nil removes it).
    /// The corresponding C field is `lsm_label`.
    ///
    /// On a host where neither AppArmor nor SELinux is enabled, liblxc uses its no-op LSM
    /// driver, which accepts any label and applies none; liblxc 5.0's driver then also
    /// reports descriptor 0 as the label's file, which liblxc closes in the calling process
    /// (this process's standard input). The library therefore does not pass the label to
    /// liblxc on such a host: the program runs exactly as liblxc would run it, and descriptor 0
    /// stays open.
    public var lsmLabel: String? {
        didSet {
            if lsmLabel == nil { flags.remove(.lsmLabel) } else { flags.insert(.lsmLabel) }
        }
    }

    /// How long the program may run, counted from its start, or nil (the default) for no limit.
    ///
    /// A program started with a limit runs in a session and process group of its own
    /// (`setsid` before its exec), so that everything it starts belongs to that group. When
    /// the limit passes, the whole group gets `SIGTERM`, and `SIGKILL` once
    /// ``terminationGrace`` has passed too (or at once, when the program itself has ended by
    /// then); the call then throws ``LXCError`` with kind ``LXCError/Kind/timedOut``.
    /// ``Container/output(of:options:input:)-2ndrj`` puts what the program printed until then
    /// in ``LXCError/partialOutput``; a stream delivers what was printed as events before it
    /// throws; ``Container/spawn(_:options:)-5bnc6``'s process throws from
    /// ``AttachedProcess/wait()-2nwfb``. A process that leaves the group (a daemon that calls
    /// `setsid` itself) is not reached. ``Container/attach(options:payload:_:)`` and
    /// ``Container/runShell(options:)-2iy0b`` ignore the limit.
    ///
    /// A deadline of ``LXC/withDeadline(_:isolation:_:)`` or ``LXC/withTimeout(_:isolation:_:)``
    /// does the same for the `async` forms; the sooner of the two applies.
    ///
    /// ```swift
    /// var options = AttachOptions()
    /// options.timeLimit = .seconds(5)
    /// options.terminationGrace = .seconds(1)
    /// let result = try container.output(of: ["make", "test"], options: options)
    /// ```
    ///
    /// liblxc has no such field: the library starts the timer when `c->attach` returns, on a
    /// thread of its own (so the limit holds also for a blocking call made from a thread of
    /// Swift's cooperative pool while every other pool thread is blocked too).
    public var timeLimit: Duration?

    /// How long a program whose time limit passed may take to end after `SIGTERM` before
    /// its process group gets `SIGKILL`. Default: 2 seconds. Zero sends `SIGKILL` at once.
    ///
    /// liblxc has no such field.
    public var terminationGrace: Duration

    /// Options equal to liblxc's `LXC_ATTACH_OPTIONS_DEFAULT`.
    public init() {
        let defaults = clxc_attach_options_default()
        flags = Flags(rawValue: defaults.attach_flags)
        namespaces = defaults.namespaces == -1 ? nil : Namespaces(rawValue: defaults.namespaces)
        personality = defaults.personality == Self.detectPersonality ? nil : Personality(rawValue: defaults.personality)
        workingDirectory = defaults.initial_cwd.map { String(cString: $0) }
        userID = defaults.uid == uid_t.max ? nil : defaults.uid
        groupID = defaults.gid == gid_t.max ? nil : defaults.gid
        environmentPolicy = defaults.env_policy == LXC_ATTACH_CLEAR_ENV ? .clear : .keep
        environment = [:]
        keptEnvironmentVariables = []
        standardInput = defaults.stdin_fd
        standardOutput = defaults.stdout_fd
        standardError = defaults.stderr_fd
        logFileDescriptor = defaults.log_fd < 0 ? nil : defaults.log_fd
        // Assigned in the initialiser, so the observers do not run: the defaults keep liblxc's flags.
        lsmLabel = nil
        supplementaryGroups = nil
        timeLimit = nil
        terminationGrace = .seconds(2)
    }

    /// `LXC_ATTACH_DETECT_PERSONALITY` (`~0L`).
    static let detectPersonality = -1
}

extension AttachOptions {
    /// Refuses what liblxc would misread: NUL bytes, environment names with `=`, the
    /// "unset" id sentinel given as an id.
    func validate(operation: String, container: String?) throws {
        if let workingDirectory {
            try Validate.noNUL(workingDirectory, what: "working directory", operation: operation, container: container)
            if workingDirectory.isEmpty {
                throw LXCError.invalid(operation, container, "working directory is empty")
            }
            if !workingDirectory.hasPrefix("/") {
                throw LXCError.invalid(operation, container,
                                       "working directory \(quoted(workingDirectory)) is relative: give an absolute path inside the container, such as \(quoted("/" + workingDirectory))")
            }
        }
        if userID == uid_t.max {
            throw LXCError.invalid(operation, container,
                                   "user id \(uid_t.max) is not a user id: it is (uid_t)-1, which liblxc reads as \"unset\"; use nil for the default user")
        }
        if groupID == gid_t.max {
            throw LXCError.invalid(operation, container,
                                   "group id \(gid_t.max) is not a group id: it is (gid_t)-1, which liblxc reads as \"unset\"; use nil for the default group")
        }
        if let supplementaryGroups, supplementaryGroups.contains(gid_t.max) {
            throw LXCError.invalid(operation, container, "supplementary group id \(gid_t.max) is not a group id")
        }
        for (name, value) in environment {
            try Self.validateVariableName(name, operation: operation, container: container)
            try Validate.noNUL(value, what: "value of environment variable \(name)", operation: operation, container: container)
        }
        for name in keptEnvironmentVariables {
            try Self.validateVariableName(name, operation: operation, container: container)
        }
        if let lsmLabel {
            try Validate.noNUL(lsmLabel, what: "LSM label", operation: operation, container: container)
            if lsmLabel.isEmpty { throw LXCError.invalid(operation, container, "LSM label is empty") }
        }
        for (what, fd) in [("standard input", standardInput), ("standard output", standardOutput),
                           ("standard error", standardError)] where fd < 0 {
            throw LXCError.invalid(operation, container, "\(what) descriptor \(fd) is negative")
        }
        if let logFileDescriptor, logFileDescriptor < 0 {
            throw LXCError.invalid(operation, container, "log descriptor \(logFileDescriptor) is negative")
        }
        if let timeLimit, timeLimit < .zero {
            throw LXCError.invalid(operation, container, "time limit \(timeLimit) is negative")
        }
        if terminationGrace < .zero {
            throw LXCError.invalid(operation, container, "termination grace period \(terminationGrace) is negative")
        }
    }

    static func validateVariableName(_ name: String, operation: String, container: String?) throws {
        if name.isEmpty { throw LXCError.invalid(operation, container, "an environment variable name is empty") }
        if name.utf8.contains(UInt8(ascii: "=")) || name.utf8.contains(0) {
            throw LXCError.invalid(operation, container,
                                   "environment variable name \(quoted(name)) contains \"=\" or a NUL byte")
        }
    }

    /// The `NAME=value` strings of ``environment``, sorted by name so that runs are repeatable.
    var environmentAssignments: [String] {
        environment.sorted { strcmpOrder($0.key, $1.key) }.map { "\($0.key)=\($0.value)" }
    }

    /// The C `namespaces` value for `namespaces`: -1 for all; for a caller that is not root,
    /// a chosen set gains the user namespace (see ``namespaces``).
    static func cNamespaces(_ namespaces: Namespaces?, callerIsRoot: Bool) -> Int32 {
        guard let namespaces else { return -1 }
        return (namespaces.isEmpty || callerIsRoot ? namespaces : namespaces.union(.user)).rawValue
    }

    /// Calls `body` with the C form of these options, starting from liblxc's own default
    /// value so that fields this library does not know (added by a later liblxc) stay set.
    /// Every string and array lives until `body` returns.
    func withCOptions<R>(_ body: (UnsafeMutablePointer<lxc_attach_options_t>) throws -> R) rethrows -> R {
        var options = clxc_attach_options_default()
        options.attach_flags = flags.rawValue
        // The caller's euid matters only for namespaces picked by hand (one system call less
        // for the default).
        options.namespaces = namespaces == nil ? -1 : Self.cNamespaces(namespaces, callerIsRoot: geteuid() == 0)
        options.personality = personality?.rawValue ?? Self.detectPersonality
        options.uid = userID ?? uid_t.max
        options.gid = groupID ?? gid_t.max
        options.env_policy = environmentPolicy == .clear ? LXC_ATTACH_CLEAR_ENV : LXC_ATTACH_KEEP_ENV
        options.stdin_fd = standardInput
        options.stdout_fd = standardOutput
        options.stderr_fd = standardError
        if let logFileDescriptor {
            // With a terminal, liblxc closes `log_fd` in this process when the session ends
            // (measured with liblxc 5.0.2). Giving it a duplicate keeps the caller's
            // descriptor open, so the caller's own close cannot hit a descriptor number that
            // another thread has been given in the meantime. Without a terminal liblxc leaves
            // `log_fd` alone, and the caller's descriptor is passed as it is.
            options.log_fd = flags.contains(.terminal)
                ? fcntl(logFileDescriptor, F_DUPFD_CLOEXEC, 3)
                : logFileDescriptor
        }

        let cwd = workingDirectory.map { strdup($0) }
        let label = (LSM.isEnabled ? lsmLabel : nil).map { strdup($0) }
        defer {
            free(cwd ?? nil)
            free(label ?? nil)
        }
        options.initial_cwd = cwd ?? nil
        options.lsm_label = label ?? nil

        let groups = supplementaryGroups ?? []
        let groupList = UnsafeMutablePointer<gid_t>.allocate(capacity: max(groups.count, 1))
        defer { groupList.deallocate() }
        groupList.initialize(from: groups, count: groups.count)
        if supplementaryGroups != nil {
            options.groups = lxc_groups_t(size: groups.count, list: groupList)
        }

        let assignments = environmentAssignments
        let keep = keptEnvironmentVariables
        return try withCStringArray(assignments) { extraEnv in
            try withCStringArray(keep) { extraKeep in
                options.extra_env_vars = assignments.isEmpty ? nil : extraEnv
                options.extra_keep_env = keep.isEmpty ? nil : extraKeep
                return try body(&options)
            }
        }
    }
}
