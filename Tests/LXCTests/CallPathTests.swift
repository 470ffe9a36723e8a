import CLXC
import Testing
@testable import LXC

/// The table behind the call path's messages (Internal/Calls/LiblxcCall.swift).
@Suite struct CallPathTests {
    @Test func memberNamesAreLiblxcsOwn() {
        #expect(LiblxcMember.cName(\lxc_container.start) == "c->start")
        #expect(LiblxcMember.cName(\lxc_container.reboot2) == "c->reboot2")
        #expect(LiblxcMember.cName(\lxc_container.destroy_with_snapshots) == "c->destroy_with_snapshots")
        #expect(LiblxcMember.cName(\lxc_container.umount) == "c->umount")
    }

    @Test func operationNamesAreThoseErrorsCarry() {
        #expect(Operation.setConfigItem.name == "setConfigItem")
        #expect(Operation.initializer.name == "init")
        #expect(Operation(named: "rename", or: .clone) == .rename)
        #expect(Operation(named: "no such operation", or: .clone) == .clone)
    }

    @Test func aStartSucceedsOnTrueOrZero() {
        #expect(CallKind.reportsSuccess(true))
        #expect(!CallKind.reportsSuccess(false))
        #expect(CallKind.reportsSuccess(Int32(0)))
        #expect(!CallKind.reportsSuccess(Int32(-1)))
    }
}
