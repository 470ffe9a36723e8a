import CLXC
import Glibc

/// liblxc itself: its version, its global configuration, its API extensions and its log.
///
/// ```swift
/// print(LXC.version)                 // "5.0.2"
/// print(LXC.defaultLXCPath)          // "/var/lib/lxc" for root
/// LXC.hasAPIExtension("mount_injection_file")
/// ```
public enum LXC {
    /// The version of the liblxc the program runs with.
    ///
    /// The corresponding liblxc call is `lxc_get_version`.
    public static var version: String {
        guard let text = lxc_get_version() else { return "" }
        return String(cString: text)
    }

    /// The lxcpath used when none is given: `/var/lib/lxc` for root, `~/.local/share/lxc`
    /// for other users, unless `lxc.conf` says otherwise.
    ///
    /// The corresponding liblxc call is `lxc_get_global_config_item("lxc.lxcpath")`.
    public static var defaultLXCPath: String {
        globalConfigItem("lxc.lxcpath") ?? "/var/lib/lxc"
    }

    /// A value of liblxc's global configuration (`lxc.conf`): `lxc.lxcpath`,
    /// `lxc.default_config`, `lxc.bdev.lvm.vg`, `lxc.bdev.zfs.root`, `lxc.cgroup.use`,
    /// `lxc.cgroup.pattern`.
    ///
    /// The corresponding liblxc call is `lxc_get_global_config_item`.
    ///
    /// - Returns: the value, or nil when the key is unknown or has no value.
    public static func globalConfigItem(_ key: String) -> String? {
        if key.utf8.contains(0) { return nil }
        guard let value = lxc_get_global_config_item(key) else { return nil }
        return String(cString: value)
    }

    /// Whether this liblxc knows the container configuration key `configItem`
    /// (`"lxc.rootfs.path"`, `"lxc.cgroup2"`, `"lxc.net."`, …), exactly as liblxc answers.
    ///
    /// liblxc's `lxc_config_item_is_supported` matches whole keys of its table only: it
    /// answers no for `lxc.arch.nonsense`, and also for indexed and per-controller keys that
    /// its configuration parser accepts under a prefix (`lxc.net.0.type`,
    /// `lxc.cgroup.memory.limit_in_bytes`); ask for the prefix (`lxc.net.`, `lxc.cgroup`) to
    /// learn whether liblxc has such a family of keys. ``Container/setConfigItem(_:to:)``
    /// and its kin take such keys. The corresponding liblxc call is
    /// `lxc_config_item_is_supported`.
    public static func isSupported(configItem: String) -> Bool {
        if configItem.isEmpty || configItem.utf8.contains(0) { return false }
        return lxc_config_item_is_supported(configItem)
    }

    /// Whether this liblxc has the API extension `name` (`"mount_injection_file"`,
    /// `"seccomp_notify"`, `"cgroup2"`, …).
    ///
    /// The corresponding liblxc call is `lxc_has_api_extension`.
    public static func hasAPIExtension(_ name: String) -> Bool {
        if name.utf8.contains(0) { return false }
        return lxc_has_api_extension(name)
    }

    /// The states ``Container/wait(for:timeout:)-cbch`` can wait for, as liblxc lists them.
    ///
    /// The corresponding liblxc call is `lxc_get_wait_states`.
    public static var waitStates: [ContainerState] {
        let count = Int(lxc_get_wait_states(nil))
        guard count > 0 else { return [] }
        return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: count) { buffer in
            guard let base = buffer.baseAddress else { return [] }
            base.initialize(repeating: nil, count: count)
            let filled = Int(lxc_get_wait_states(base))
            return (0..<min(filled, count)).compactMap { index in
                base[index].map { ContainerState(liblxcName: String(cString: $0)) }
            }
        }
    }
}

