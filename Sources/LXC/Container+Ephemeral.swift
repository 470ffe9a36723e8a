import Glibc

extension Container {
    /// Whether liblxc destroys the container when it stops (`lxc.ephemeral = 1`), as for a
    /// clone made with ``CloneOptions/ephemeral``.
    ///
    /// The corresponding liblxc call is `c->get_config_item("lxc.ephemeral")`.
    public var isEphemeral: Bool {
        (try? configItem("lxc.ephemeral")) == "1"
    }

    /// Marks a fresh clone ephemeral (`lxc.ephemeral = 1`, saved), as `lxc-copy -e` does;
    /// when that fails the clone is destroyed, so that no lasting copy is left behind.
    func makeEphemeral(_ clone: Container, operation: String) throws {
        do {
            try clone.setConfigItem("lxc.ephemeral", to: "1")
            try clone.saveConfig()
        } catch var error as LXCError {
            try? clone.destroy()
            error.operation = operation
            error.container = name
            error.message = "the clone \(quoted(clone.name)) could not be made ephemeral, and was destroyed: " + error.message
            throw error
        }
    }
}
