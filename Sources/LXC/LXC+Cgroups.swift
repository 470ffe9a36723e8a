import Glibc

extension LXC {
    /// Which cgroup version holds `controller` for the containers this process starts, or
    /// nil when neither does.
    ///
    /// Read from `/proc/self/cgroup`, as liblxc decides where a container's cgroups go: v1
    /// when a v1 hierarchy has the controller, v2 when this process is in the unified
    /// hierarchy and no v1 hierarchy has it. A "hybrid" host (v1 controllers beside a
    /// cgroup2 mount that holds none) answers v1. A running container's answer is
    /// ``Container/cgroupVersion(for:)``; the two agree unless the container was started by
    /// a process in other cgroups.
    ///
    /// This decides whether typed limits set with ``Container/setLimits(_:when:)`` before a
    /// start are written as `lxc.cgroup.*` (v1) or `lxc.cgroup2.*` (v2) items. liblxc has no
    /// call that answers this; the library reads the file itself.
    public static func cgroupVersion(for controller: CgroupController) -> CgroupVersion? {
        guard let text = readWholeFile("/proc/self/cgroup") else { return nil }
        return CgroupParsing.version(ofController: controller.v1Names, procCgroup: text)
    }
}
