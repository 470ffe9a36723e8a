import Glibc

/// `Container` is the local backend of ``ContainerProtocol``: each requirement is the
/// container's own method of the same name, with default options where the local method
/// takes more (templates' arguments, ``AttachOptions``).
extension Container: ContainerProtocol {
    /// Creates the container from a liblxc template, with the directory backing store and a
    /// quiet template; see ``create(template:backingStore:specs:options:arguments:)-vs3``.
    ///
    /// - Throws: ``LXCError`` as `create(template:…)` does, and ``LXCError/Kind/unsupported``
    ///   for ``ContainerSource/image(_:)``: liblxc makes containers from templates (the
    ///   `download` template fetches images: `.template("download", arguments: ["--dist", …])`).
    public func create(from source: ContainerSource) async throws {
        switch source {
        case .template(let template, let arguments):
            try await create(template: template, options: .quiet, arguments: arguments)
        case .image(let image):
            throw LXCError(operation: "create", container: name,
                           message: "liblxc makes containers from templates, not images such as \(quoted(image)); use .template(\"download\", arguments: […]) for an image server",
                           code: EOPNOTSUPP, kind: .unsupported)
        }
    }

    /// Starts the container with its configured init; see ``start(useInit:arguments:)-6gzbz``.
    public func start() async throws {
        try await start(useInit: false, arguments: [])
    }

    /// Runs a program with default ``AttachOptions``; see ``run(_:options:)-17daq``.
    public func run(_ command: [String]) async throws -> ExitStatus {
        try await run(command, options: AttachOptions())
    }

    /// Runs a program with default ``AttachOptions`` and collects its output; see
    /// ``output(of:options:input:)-2ndrj``.
    public func output(of command: [String]) async throws -> CommandOutput {
        try await output(of: command, options: AttachOptions(), input: nil)
    }

    /// Runs a program with default ``AttachOptions`` and streams its output; see
    /// ``streamOutput(of:options:input:)``.
    public func streamOutput(of command: [String]) async throws -> CommandOutputStream {
        try await streamOutput(of: command, options: AttachOptions(), input: nil)
    }
}

extension Snapshot: ContainerSnapshot {}
