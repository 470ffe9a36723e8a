import CLXC
import Glibc
@testable import LXC
import Testing

@Suite("AttachOptions, ExitStatus and the exec report")
struct AttachOptionsTests {
    // MARK: defaults

    @Test func defaultsEqualLiblxcsOwnMacro() {
        let options = AttachOptions()
        #expect(options.flags == .default)
        // LXC_ATTACH_DEFAULT is the mask of the low 16 bits: the four flags that are on by default.
        #expect(options.flags.isSuperset(of: [.moveToCgroup, .dropCapabilities, .setPersonality, .lsmExec]))
        #expect(options.flags.isDisjoint(with: [.remountProcSys, .lsmNow, .noNewPrivileges, .terminal, .lsmLabel, .setGroups]))
        #expect(options.namespaces == nil)
        #expect(options.personality == nil)
        #expect(options.workingDirectory == nil)
        #expect(options.userID == nil && options.groupID == nil)
        #expect(options.supplementaryGroups == nil)
        #expect(options.environmentPolicy == .keep)
        #expect(options.environment.isEmpty && options.keptEnvironmentVariables.isEmpty)
        #expect(options.standardInput == 0 && options.standardOutput == 1 && options.standardError == 2)
        #expect(options.logFileDescriptor == nil)
        #expect(options.lsmLabel == nil)

        let macro = clxc_attach_options_default()
        options.withCOptions { c in
            #expect(c.pointee.attach_flags == macro.attach_flags)
            #expect(c.pointee.namespaces == macro.namespaces)
            #expect(c.pointee.personality == macro.personality)
            #expect(c.pointee.initial_cwd == nil)
            #expect(c.pointee.uid == macro.uid && c.pointee.gid == macro.gid)
            #expect(c.pointee.env_policy == macro.env_policy)
            #expect(c.pointee.extra_env_vars == nil && c.pointee.extra_keep_env == nil)
            #expect(c.pointee.stdin_fd == macro.stdin_fd)
            #expect(c.pointee.stdout_fd == macro.stdout_fd)
            #expect(c.pointee.stderr_fd == macro.stderr_fd)
            #expect(c.pointee.log_fd == macro.log_fd)
            #expect(c.pointee.lsm_label == nil)
            #expect(c.pointee.groups.size == 0 && c.pointee.groups.list == nil)
        }
    }

    @Test func flagValuesAreLiblxcs() {
        #expect(AttachOptions.Flags.moveToCgroup.rawValue == 0x1)
        #expect(AttachOptions.Flags.dropCapabilities.rawValue == 0x2)
        #expect(AttachOptions.Flags.setPersonality.rawValue == 0x4)
        #expect(AttachOptions.Flags.lsmExec.rawValue == 0x8)
        #expect(AttachOptions.Flags.remountProcSys.rawValue == 0x10000)
        #expect(AttachOptions.Flags.lsmNow.rawValue == 0x20000)
        #expect(AttachOptions.Flags.noNewPrivileges.rawValue == 0x40000)
        #expect(AttachOptions.Flags.terminal.rawValue == 0x80000)
        #expect(AttachOptions.Flags.lsmLabel.rawValue == 0x100000)
        #expect(AttachOptions.Flags.setGroups.rawValue == 0x200000)
        #expect(AttachOptions.Flags.default.rawValue == 0xFFFF)
    }

    // MARK: conversion

    @Test func anOrdinaryCallerAlsoEntersTheUserNamespace() {
        #expect(AttachOptions.cNamespaces(nil, callerIsRoot: true) == -1)
        #expect(AttachOptions.cNamespaces(nil, callerIsRoot: false) == -1)
        #expect(AttachOptions.cNamespaces([.mount], callerIsRoot: true) == 0x0002_0000)
        #expect(AttachOptions.cNamespaces([.mount], callerIsRoot: false) == 0x0002_0000 | 0x1000_0000)
        #expect(AttachOptions.cNamespaces([.user, .uts], callerIsRoot: false) == 0x1000_0000 | 0x0400_0000)
        #expect(AttachOptions.cNamespaces([], callerIsRoot: false) == 0)
    }

    @Test func everyFieldReachesTheCStruct() {
        var options = AttachOptions()
        options.flags.insert(.noNewPrivileges)
        options.namespaces = [.mount, .pid]
        options.personality = .linux32
        options.workingDirectory = "/srv/app"
        options.userID = 1000
        options.groupID = 1001
        options.supplementaryGroups = [10, 20, 30]
        options.environmentPolicy = .clear
        options.environment = ["B": "2", "A": "1=one"]
        options.keptEnvironmentVariables = ["TERM", "LANG"]
        options.standardInput = 7
        options.standardOutput = 8
        options.standardError = 9
        options.logFileDescriptor = 10
        options.lsmLabel = "lxc-container-default"

        options.withCOptions { c in
            let expectedFlags = AttachOptions.Flags.default.rawValue | 0x40000 | 0x200000 | 0x100000
            #expect(c.pointee.attach_flags == expectedFlags)
            // An ordinary user's process enters the user namespace too.
            #expect(c.pointee.namespaces == 0x0002_0000 | 0x2000_0000 | (geteuid() == 0 ? 0 : 0x1000_0000))
            #expect(c.pointee.personality == 0x0008)
            #expect(c.pointee.initial_cwd.map { String(cString: $0) } == "/srv/app")
            #expect(c.pointee.uid == 1000 && c.pointee.gid == 1001)
            #expect(c.pointee.env_policy == LXC_ATTACH_CLEAR_ENV)
            #expect(strings(c.pointee.extra_env_vars) == ["A=1=one", "B=2"])
            #expect(strings(c.pointee.extra_keep_env) == ["TERM", "LANG"])
            #expect(c.pointee.stdin_fd == 7 && c.pointee.stdout_fd == 8 && c.pointee.stderr_fd == 9)
            #expect(c.pointee.log_fd == 10)
            // Without an enabled LSM the label is not passed (liblxc's no-op driver would
            // close descriptor 0 of this process).
            #expect(c.pointee.lsm_label.map { String(cString: $0) } == (LSM.isEnabled ? "lxc-container-default" : nil))
            #expect(c.pointee.groups.size == 3)
            #expect(c.pointee.groups.list.map { Array(UnsafeBufferPointer(start: $0, count: 3)) } == [10, 20, 30])
        }
    }

    /// go-lxc clears the default flags when groups are given (`&=` for `|=`), which silently
    /// drops the cgroup move, the capability drop and the LSM profile.
    @Test func supplementaryGroupsAddTheirFlagAndKeepTheOthers() {
        var options = AttachOptions()
        options.supplementaryGroups = [5]
        #expect(options.flags == AttachOptions.Flags.default.union(.setGroups))
        options.supplementaryGroups = []
        #expect(options.flags.contains(.setGroups))
        options.withCOptions { c in
            #expect(c.pointee.attach_flags & Int32(LXC_ATTACH_SETGROUPS) != 0)
            #expect(c.pointee.attach_flags & Int32(LXC_ATTACH_MOVE_TO_CGROUP) != 0)
            #expect(c.pointee.groups.size == 0)
        }
        options.supplementaryGroups = nil
        #expect(options.flags == .default)

        options.lsmLabel = "x"
        #expect(options.flags.contains(.lsmLabel))
        options.lsmLabel = nil
        #expect(!options.flags.contains(.lsmLabel))
    }

    // MARK: validation

    static let badOptions: [(String, AttachOptions)] = {
        func make(_ change: (inout AttachOptions) -> Void) -> AttachOptions {
            var options = AttachOptions()
            change(&options)
            return options
        }
        return [
            ("uid -1", make { $0.userID = uid_t.max }),
            ("gid -1", make { $0.groupID = gid_t.max }),
            ("group -1", make { $0.supplementaryGroups = [1, gid_t.max] }),
            ("NUL in cwd", make { $0.workingDirectory = "/a\0b" }),
            ("empty cwd", make { $0.workingDirectory = "" }),
            ("relative cwd", make { $0.workingDirectory = "tmp" }),
            ("= in name", make { $0.environment = ["A=B": "1"] }),
            ("empty name", make { $0.environment = ["": "1"] }),
            ("NUL in value", make { $0.environment = ["A": "x\0y"] }),
            ("kept name with =", make { $0.keptEnvironmentVariables = ["PATH=x"] }),
            ("NUL in label", make { $0.lsmLabel = "a\0" }),
            ("negative stdin", make { $0.standardInput = -3 }),
            ("negative log", make { $0.logFileDescriptor = -1 }),
        ]
    }()

    @Test(arguments: badOptions)
    func badOptionsAreRefused(_ what: String, _ options: AttachOptions) {
        let error = #expect(throws: LXCError.self, "\(what)") {
            try options.validate(operation: "run", container: "c")
        }
        #expect(error?.kind == .invalidArgument)
    }

    @Test func goodOptionsPass() throws {
        var options = AttachOptions()
        options.environment = ["PATH": "/bin", "EMPTY": ""]
        options.userID = 0
        options.supplementaryGroups = []
        try options.validate(operation: "run", container: "c")
    }

    // MARK: exit status

    // MARK: exec report

    @Test func execReportTellsTheFourOutcomesApart() throws {
        func report(_ bytes: [UInt8]) throws -> ExecOutcome {
            var pipe = try PipePair.make(operation: "test", container: "c")
            defer { pipe.closeBoth() }
            if !bytes.isEmpty { _ = bytes.withUnsafeBytes { write(pipe.write, $0.baseAddress, $0.count) } }
            pipe.closeWrite()
            setNonBlocking(pipe.read)
            return ExecReport.read(pipe.read)
        }
        #expect(try report([]) == .failedBeforeExec)
        #expect(try report([0x52]) == .executed)
        var code = ENOENT
        let errnoBytes = withUnsafeBytes(of: &code) { Array($0) }
        #expect(try report([0x52] + errnoBytes) == .execFailed(ENOENT))
        #expect(try report([0x52, 0x44] + errnoBytes) == .workingDirectoryFailed(ENOENT))
    }

    @Test func commandsAreValidatedBeforeAnythingRuns() throws {
        let container = try Container(name: "never-created", lxcpath: "/nonexistent/swift-lxc-tests")
        for command in [[], [""], ["echo", "a\0b"]] {
            let error = #expect(throws: LXCError.self) { try container.run(command) }
            #expect(error?.kind == .invalidArgument)
        }
    }
}

/// The strings of a NULL-terminated C string array.
private func strings(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard let array else { return [] }
    var result: [String] = []
    var index = 0
    while let element = array[index] {
        result.append(String(cString: element))
        index += 1
    }
    return result
}
