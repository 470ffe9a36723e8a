@testable import LXC
import Testing

@Suite("Reading liblxc's log lines")
struct LogParsingTests {
    let sample = """
    lxc web 20261123112229.350 ERROR    conf - ../src/lxc/conf.c:lxc_rootfs_init:576 - No such file or directory - Failed to open "/tmp/x"
    lxc web 20261123112229.350 WARN     start - ../src/lxc/start.c:lxc_init:800 - Something to warn about
    lxc other 20261123112229.351 ERROR    start - ../src/lxc/start.c:__lxc_start:2079 - Not about web
    lxc web 20261123112229.352 ERROR    lxccontainer - ../src/lxc/lxccontainer.c:wait_on_daemonized_start:878 - Received container state "ABORTING" instead of "RUNNING"
    lxc webserver 20261123112229.353 ERROR    start - ../src/lxc/start.c:x:1 - Not about web either
    lxc web 20261123112229.354 CRIT     start - ../src/lxc/start.c:x:2 - Critical - with dashes - inside
    garbage line
    """

    @Test func keepsErrorLinesOfTheContainerWithoutTheirPrefix() {
        let lines = LiblxcLogLine.errors(in: sample, container: "web")
        #expect(lines == [
            "No such file or directory - Failed to open \"/tmp/x\"",
            "Received container state \"ABORTING\" instead of \"RUNNING\"",
            "Critical - with dashes - inside",
        ])
    }

    @Test func namesWithSpacesAreMatchedWhole() {
        let text = "lxc my box 20261123112229.350 ERROR    conf - c.c:f:1 - boom\n"
        #expect(LiblxcLogLine.errors(in: text, container: "my box") == ["boom"])
        #expect(LiblxcLogLine.errors(in: text, container: "my").isEmpty)
    }

    /// A call's own log (its handle's file, its forked processes' file) is read whole: lines
    /// of any name, and lines liblxc wrote outside a handle's call, which carry no name.
    @Test func ownLogsKeepEverySevereLineWithItsTimestamp() {
        let text = """
        lxc snap0 20261123112229.351 ERROR    lxccontainer - l.c:f:1 - about the clone the call made
        lxc 20261123112229.352 ERROR    start - s.c:g:2 - without a name
        lxc web 20261123112229.353 WARN     start - s.c:h:3 - only a warning
        """
        let entries = LiblxcLogLine.severeEntries(in: text, container: nil)
        #expect(entries.map(\.message) == ["about the clone the call made", "without a name"])
        #expect(entries.map(\.timestamp) == ["20261123112229.351", "20261123112229.352"])
        #expect(LiblxcLogLine.severeEntries(in: text, container: "web").isEmpty)
    }
}
