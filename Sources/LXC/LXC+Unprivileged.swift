import Glibc

extension LXC {
    /// What the calling user still lacks to run unprivileged containers, in words; empty
    /// when nothing is missing, and always for root.
    ///
    /// Checks that `newuidmap` and `newgidmap` are installed, that the user has subordinate
    /// ids in `/etc/subuid` and `/etc/subgid`, that liblxc's default configuration
    /// (`~/.config/lxc/default.conf`) maps the container's root user and group into them
    /// (`lxc.idmap`), that the user may open `/dev/ptmx` (for the container's console), and
    /// that the process is in cgroups the user owns (one in every
    /// hierarchy, which root makes and hands over). liblxc offers no such check; these are
    /// the conditions its unprivileged start needs.
    public static var unprivilegedSetupProblems: [String] {
        UnprivilegedSetup.problems()
    }
}
