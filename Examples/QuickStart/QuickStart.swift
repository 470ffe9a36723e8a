// The whole life of a container, step by step: create a busybox container in a temporary
// lxcpath, configure it, start it, look at it, stop it and destroy it.
//
//     swift run quickstart            (as root, after scripts/bootstrap.sh)

import Foundation
import LXC

@main
struct QuickStart {
    static func main() async {
        do {
            try await run()
        } catch {
            FileHandle.standardError.write(Data("quickstart: \(error)\n".utf8))
            exit(1)
        }
    }

    static func step(_ text: String) {
        print("==> \(text)")
    }

    static func run() async throws {
        print("swift-lxc quick start, liblxc \(LXC.version)")
        let lxcpath = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-lxc-quickstart-\(getpid())").path
        try FileManager.default.createDirectory(atPath: lxcpath, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: lxcpath) }

        let container = try Container(name: "quickstart", lxcpath: lxcpath)
        step("create \(container) from the busybox template")
        try await container.create(template: "busybox", options: .quiet)
        defer {
            if container.state != .stopped { try? container.stop() }
            if container.isDefined { try? container.destroy() }
        }

        step("configure: no network device, no AppArmor profile, a hostname")
        try container.setConfigItem("lxc.net.0.type", to: "empty")
        try container.setConfigItem("lxc.apparmor.profile", to: "unconfined")
        try container.setConfigItem("lxc.uts.name", to: "hello-from-swift")
        try await container.saveConfig()
        print("    rootfs: \(try container.configItem("lxc.rootfs.path") ?? "?")")

        step("start")
        try await container.start()
        print("    state: \(container.state), init pid: \(container.initPID.map(String.init) ?? "none")")
        print("    hostname inside: \(try container.runningConfigItem("lxc.uts.name") ?? "?")")

        step("run a command inside")
        let uname = try await container.output(of: ["uname", "-n"])
        print("    uname -n printed \(uname.standardOutputString.debugDescription), \(uname.status)")

        step("freeze and thaw")
        try await container.freeze()
        print("    state: \(container.state)")
        try await container.unfreeze()
        print("    state: \(container.state)")

        step("list the lxcpath")
        for listed in try Container.list(.all, in: lxcpath) {
            print("    \(listed.name)  \(listed.state)")
        }

        step("stop")
        try await container.stop()
        print("    state: \(container.state)")

        step("destroy")
        try await container.destroy()
        print("    defined: \(container.isDefined)")
        print("done")
    }
}
