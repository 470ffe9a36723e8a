import Foundation
import LXC
import Testing

/// Whether real containers can run here, and why not.
///
/// Integration tests need root, liblxc, the busybox template and a static busybox. Without
/// them they are skipped with the reason, unless `LXC_REQUIRE_INTEGRATION=1` is set: then
/// they run, and fail with the reason, so that a green CI run always means containers ran.
enum Integration {
    static let required = ProcessInfo.processInfo.environment["LXC_REQUIRE_INTEGRATION"] == "1"

    /// Why integration tests cannot run here, or nil when they can.
    static let missing: String? = {
        if geteuid() != 0 { return "integration tests need root (they create and start real containers)" }
        let templates = ["/usr/share/lxc/templates/lxc-busybox", "/usr/local/share/lxc/templates/lxc-busybox"]
        if !templates.contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return "liblxc's busybox template is not installed (apt-get install lxc)"
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let hasBusybox = path.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/busybox")
        }
        if !hasBusybox { return "busybox is not installed (apt-get install busybox-static)" }
        return nil
    }()

    /// Run the test when containers can run here, or when they are required (and the test
    /// then fails with the reason).
    static var enabled: Bool { missing == nil || required }

    static var skipReason: Comment {
        Comment(rawValue: "skipped: \(missing ?? "") (set LXC_REQUIRE_INTEGRATION=1 to make this a failure)")
    }

    /// Throws the reason when containers cannot run here.
    static func requireAvailable() throws {
        if let missing { throw IntegrationUnavailable(reason: missing) }
    }
}

struct IntegrationUnavailable: Error, CustomStringConvertible {
    var reason: String
    var description: String { "integration tests required (LXC_REQUIRE_INTEGRATION=1) but cannot run: \(reason)" }
}

extension Trait where Self == ConditionTrait {
    /// Enables a test when real containers can run here (see ``Integration``).
    static var integration: Self {
        .enabled(if: Integration.enabled, Integration.skipReason)
    }
}
