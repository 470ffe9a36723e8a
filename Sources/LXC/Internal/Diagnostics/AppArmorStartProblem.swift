/// Explains a start that failed in liblxc's AppArmor setup, from the lines liblxc logged.
enum AppArmorStartProblem {
    /// What to do about a start whose log shows an AppArmor failure, or nil.
    ///
    /// liblxc's lines: "Cannot use generated profile: apparmor_parser not available",
    /// "Failed to load generated AppArmor profile", "Failed to change AppArmor profile to
    /// <label>" (the profile is not loaded), "Already AppArmor confined, but new label
    /// requested" (inside a confined container), "Failed to run apparmor_parser".
    static func explanation(_ log: [String]) -> String? {
        let markers = ["apparmor_parser not available", "Failed to load generated AppArmor profile",
                       "Failed to change AppArmor profile", "Already AppArmor confined", "Failed to run apparmor_parser"]
        guard log.contains(where: { line in markers.contains { line.contains($0) } }) else { return nil }
        return "liblxc could not put the container under its AppArmor profile (lxc.apparmor.profile): "
            + "AppArmor is enabled in this kernel, but the profile cannot be loaded here (no apparmor_parser, "
            + "liblxc's profiles not installed, or this process is itself confined); install them (apparmor, "
            + "lxc's profiles), or run the container without one: lxc.apparmor.profile = unconfined"
    }
}
