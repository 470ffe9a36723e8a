/// What a new container is made from: ``ContainerProtocol/create(from:)``.
///
/// liblxc builds a root filesystem with a template script; an image server hands out images
/// by alias or fingerprint. A backend that cannot use a kind of source throws
/// ``LXCError/Kind/unsupported`` for it, so a function generic over ``ContainerProtocol``
/// takes the source from its caller.
public enum ContainerSource: Sendable, Hashable {
    /// A liblxc template (`"busybox"`, `"download"`, or a script's absolute path) and the
    /// arguments it is given.
    case template(String, arguments: [String] = [])
    /// An image, by alias or fingerprint, as an image server names it.
    case image(String)
}
