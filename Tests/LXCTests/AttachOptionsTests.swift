@testable import LXC
import Testing

@Suite("AttachOptions")
struct AttachOptionsTests {
    @Test func placeholder() { #expect(AttachOptions().flags == .default) }
}
