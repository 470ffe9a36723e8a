import Foundation
import LXC
import Testing

/// Whether real containers can run here, and why not.
///
/// Integration tests need root, or an ordinary user prepared for unprivileged containers
/// (subordinate ids, delegated cgroups, an id map in `~/.config/lxc/default.conf`: what
/// `scripts/unprivileged.sh setup` makes), and liblxc, the busybox template and a static
/// busybox. Without them they are skipped with the reason, unless `LXC_REQUIRE_INTEGRATION=1`
/// is set: then they run, and fail with the reason, so that a green CI run always means
/// containers ran.
enum Integration {
    static let required = ProcessInfo.processInfo.environment["LXC_REQUIRE_INTEGRATION"] == "1"

    /// Whether the tests run as an ordinary user, on unprivileged containers.
    static let unprivileged = geteuid() != 0

    /// Why integration tests cannot run here, or nil when they can.
    static let missing: String? = {
        if unprivileged {
            let problems = LXC.unprivilegedSetupProblems
            if !problems.isEmpty {
                let user = ProcessInfo.processInfo.environment["USER"] ?? String(geteuid())
                return "integration tests run as root, or as a user prepared for unprivileged containers "
                    + "(as root: bash scripts/unprivileged.sh setup, then bash scripts/test-unprivileged.sh, or "
                    + "bash scripts/unprivileged.sh enter PID for a process of the user's); \(user) is not root and lacks: "
                    + problems.joined(separator: "; ")
            }
        }
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

/// The tests skipped because they run unprivileged, each printed as it is skipped
/// (`unprivileged skip: <test>: <reason>`), so that the run's output can count them.
enum UnprivilegedSkips {
    static let prefix = "unprivileged skip: "

    static func record(_ test: String, _ reason: String) {
        print("\(prefix)\(test): \(reason)")
    }
}

/// Skips a test that cannot work in an unprivileged container, saying why and counting it.
struct PrivilegedOnlyTrait: TestTrait {
    var reason: String

    func prepare(for test: Test) async throws {
        guard Integration.unprivileged else { return }
        UnprivilegedSkips.record(test.name, reason)
        try await ConditionTrait.disabled(Comment(rawValue: "unprivileged: \(reason)")).prepare(for: test)
    }
}

extension Trait where Self == PrivilegedOnlyTrait {
    /// Runs the test as root only; as an ordinary user it is skipped with `reason` (what an
    /// unprivileged container cannot do), and the skip is printed and counted.
    static func privilegedOnly(_ reason: String) -> Self {
        PrivilegedOnlyTrait(reason: reason)
    }
}
