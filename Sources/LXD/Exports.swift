// `import LXD` is enough to use the values LXD's API speaks in (ContainerState, ExitStatus,
// CommandOutput, LXCError, ResourceLimits, …) and the container protocol: they live in
// LXCCore, which has no liblxc, as `LXC` re-exports it for the local backend.
@_exported import LXCCore
