@testable import LXCLogging
import Logging
import Testing

@Suite("liblxc log lines as swift-log records")
struct LogRecordTests {
    @Test func aNamedErrorLine() throws {
        let record = try #require(LiblxcLogRecord(line: #"lxc web 20261123112229.350 ERROR    conf - ../src/lxc/conf.c:lxc_rootfs_init:576 - No such file or directory - Failed to open "/x""#))
        #expect(record.container == "web")
        #expect(record.level == .error)
        #expect(record.category == "conf")
        #expect(record.file == "../src/lxc/conf.c")
        #expect(record.function == "lxc_rootfs_init")
        #expect(record.line == 576)
        #expect(record.message == #"No such file or directory - Failed to open "/x""#)
    }

    @Test func aLineWithoutAContainerAndOtherLevels() throws {
        let record = try #require(LiblxcLogRecord(line: "lxc 20261123112229.350 WARN     start - start.c:f:1 - careful"))
        #expect(record.container == nil)
        #expect(record.level == .warning)
        #expect(LiblxcLogRecord(line: "lxc a b 2026 CRIT x - f:g:1 - m")?.container == "a b")
        #expect(LiblxcLogRecord(line: "lxc a b 2026 CRIT x - f:g:1 - m")?.level == .critical)
        #expect(LiblxcLogRecord(line: "not a log line") == nil)
    }
}
