import Glibc

/// Whether liblxc uses a real Linux security module on this host.
///
/// liblxc picks AppArmor when the kernel has it enabled, SELinux when selinuxfs is mounted,
/// and otherwise its no-op driver. This answers the same question from the same files, for
/// the cases where the no-op driver misbehaves (see ``AttachOptions/lsmLabel``). When in
/// doubt it says enabled, so a label is never dropped on a host that would apply it.
enum LSM {
    static let isEnabled: Bool = {
        if let text = readWholeFile("/sys/module/apparmor/parameters/enabled"), text.hasPrefix("Y") { return true }
        if access("/sys/fs/selinux/enforce", F_OK) == 0 { return true }
        // Neither file readable for a reason other than absence: assume an LSM.
        if access("/sys/module/apparmor/parameters/enabled", F_OK) != 0 && errno != ENOENT { return true }
        return false
    }()
}
