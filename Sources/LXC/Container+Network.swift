import CLXC
import Glibc

extension Container {
    /// The names of the network interfaces in the running container's network namespace,
    /// loopback included.
    ///
    /// liblxc enters the container's network namespace in a child process and lists its
    /// interfaces. The corresponding liblxc call is `c->get_interfaces`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not
    ///   running; ``LXCError/Kind/failed`` when liblxc cannot list them.
    public func interfaces() throws -> [String] {
        let operation = Operation.interfaces.name
        try requireRunning(operation)
        return try liblxc(.interfaces, \.get_interfaces, .forks) { get, pointer in
            get(pointer)
        } then: { array, call in
            if let array { return takeOwnedCStringArray(array) }
            try requireRunning(operation)
            throw call.failure("liblxc could not list the container's network interfaces")
        }
    }

    /// The IP addresses of the running container, without prefix lengths (`"192.0.2.10"`,
    /// `"2001:db8::1"`).
    ///
    /// liblxc enters the container's network namespace in a child process and lists the
    /// addresses there. The corresponding liblxc call is `c->get_ips`.
    ///
    /// - Parameters:
    ///   - interface: only this interface's addresses; nil for every interface but loopback.
    ///   - family: only this family; nil for both.
    ///   - scope: for IPv6, the scope id the addresses must have: 0 (the default) for global
    ///     addresses, the interface index for link-local ones. Ignored for IPv4.
    /// - Returns: the addresses; empty when there are none.
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a malformed interface
    ///   name or a negative scope; ``LXCError/Kind/wrongState`` when the container is not running.
    public func ipAddresses(interface: String? = nil, family: AddressFamily? = nil, scope: Int32 = 0) throws -> [String] {
        let operation = Operation.ipAddresses.name
        if let interface { try Validate.interfaceName(interface, operation: operation, container: name) }
        if scope < 0 { throw LXCError.invalid(operation, name, "scope \(scope) is negative") }
        try requireRunning(operation)
        let array = try query(.ipAddresses, \.get_ips, .forks) { get, pointer in
            withOptionalCString(interface) { interfacePointer in
                withOptionalCString(family?.liblxcName) { familyPointer in
                    get(pointer, interfacePointer, familyPointer, scope)
                }
            }
        }
        // liblxc returns NULL both for "no addresses" and for a failure it logged.
        if let array { return takeOwnedCStringArray(array) }
        try requireRunning(operation)
        return []
    }

    /// Waits until the running container has an IP address (a DHCP lease, or a static
    /// address its init sets up) and returns its addresses.
    ///
    /// Asks ``ipAddresses(interface:family:scope:)-2q1io`` every 100 ms.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/timedOut`` when there is none after `timeout`;
    ///   ``LXCError/Kind/wrongState`` when the container is not running or stops while waiting.
    public func waitForIPAddresses(interface: String? = nil, family: AddressFamily? = nil,
                                   timeout: Duration) throws -> [String] {
        let operation = Operation.waitForIPAddresses.name
        if timeout < .zero { throw LXCError.invalid(operation, name, "timeout \(timeout) is negative") }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let addresses = try ipAddresses(interface: interface, family: family)
            if !addresses.isEmpty { return addresses }
            if clock.now >= deadline {
                var what = family.map { "\($0) address" } ?? "IP address"
                if let interface { what += " on \(interface)" }
                throw LXCError(operation: operation, container: name,
                               message: "the container had no \(what) after \(timeout)",
                               code: ETIMEDOUT, kind: .timedOut)
            }
            usleep(100_000)
        }
    }

    /// Waits for an IP address without blocking the caller's thread; see
    /// ``waitForIPAddresses(interface:family:timeout:)``.
    public func waitForIPAddresses(interface: String? = nil, family: AddressFamily? = nil,
                                   timeout: Duration) async throws -> [String] {
        try await offload { try self.waitForIPAddresses(interface: interface, family: family, timeout: timeout) }
    }

    /// Moves a network device of the host into the running container, under `nameInside`
    /// when given.
    ///
    /// liblxc moves the device into the container's network namespace; it disappears from
    /// the host. The corresponding liblxc call is `c->attach_interface`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a malformed name;
    ///   ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/notFound`` when the host has no such device;
    ///   ``LXCError/Kind/failed`` with liblxc's log lines otherwise.
    public func attachInterface(_ device: String, as nameInside: String? = nil) throws {
        let operation = Operation.attachInterface.name
        try Validate.interfaceName(device, operation: operation, container: name)
        if let nameInside { try Validate.interfaceName(nameInside, operation: operation, container: name) }
        try requireMember(.attachInterface, \.attach_interface)
        try requireRunning(operation)
        if if_nametoindex(device) == 0 {
            throw LXCError(operation: operation, container: name,
                           message: "the host has no network device \(quoted(device))", code: ENODEV, kind: .notFound)
        }
        try liblxc(.attachInterface, \.attach_interface) { attach, pointer in
            attach(pointer, device, nameInside)
        } then: { attached, call in
            if attached { return }
            try requireRunning(operation)
            throw call.failure(
                          "liblxc could not move \(quoted(device)) into the container"
                              + (nameInside.map { " as \(quoted($0))" } ?? ""))
        }
    }

    /// Moves a network device out of the running container back to the host, under
    /// `hostName` when given.
    ///
    /// liblxc enters the container's network namespace, takes the device down and moves it
    /// to the network namespace of the host's pid 1. The corresponding liblxc call is
    /// `c->detach_interface`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a malformed name;
    ///   ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/notFound`` when the container has no such device;
    ///   ``LXCError/Kind/failed`` with liblxc's log lines otherwise.
    public func detachInterface(_ device: String, as hostName: String? = nil) throws {
        let operation = Operation.detachInterface.name
        try Validate.interfaceName(device, operation: operation, container: name)
        if let hostName { try Validate.interfaceName(hostName, operation: operation, container: name) }
        try requireRunning(operation)
        // liblxc forks a child into the container's network namespace to move the device.
        try liblxc(.detachInterface, \.detach_interface, .forks) { detach, pointer in
            detach(pointer, device, hostName)
        } then: { detached, call in
            if detached { return }
            try requireRunning(operation)
            if let present = try? interfaces(), !present.contains(device) {
                throw call.failure(kind: .notFound,
                              "the container has no network device \(quoted(device))")
            }
            throw call.failure(
                          "liblxc could not move \(quoted(device)) out of the container"
                              + (hostName.map { " as \(quoted($0))" } ?? ""))
        }
    }

    /// The traffic counters of the running container's network interfaces, loopback
    /// included.
    ///
    /// Read from `/proc/<init pid>/net/dev`, which shows the container's network namespace;
    /// liblxc has no call for this.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running.
    public func interfaceStatistics() throws -> [InterfaceStatistics] {
        let operation = Operation.interfaceStatistics.name
        guard let pid = initPID, let text = readWholeFile("/proc/\(pid)/net/dev") else {
            try requireRunning(operation)
            throw wrongStateError(operation, "the container's init process went away while its counters were read")
        }
        return InterfaceStatistics.parse(procNetDev: text)
    }

    // MARK: C names

    @available(*, unavailable, renamed: "interfaces()")
    public func get_interfaces() throws -> [String] { try interfaces() }

    @available(*, unavailable, renamed: "ipAddresses(interface:family:scope:)")
    public func get_ips(_ interface: String?, _ family: AddressFamily?, _ scope: Int32) throws -> [String] {
        try ipAddresses(interface: interface, family: family, scope: scope)
    }

    @available(*, unavailable, renamed: "attachInterface(_:as:)")
    public func attach_interface(_ device: String, _ nameInside: String?) throws { try attachInterface(device, as: nameInside) }

    @available(*, unavailable, renamed: "detachInterface(_:as:)")
    public func detach_interface(_ device: String, _ hostName: String?) throws { try detachInterface(device, as: hostName) }
}

extension Validate {
    /// A network interface name: 1 to 15 bytes (IFNAMSIZ − 1), no `/`, `:`, white space,
    /// control characters or NUL.
    static func interfaceName(_ name: String, operation: String, container: String?) throws {
        if name.isEmpty { throw LXCError.invalid(operation, container, "network interface name is empty") }
        if name.utf8.count > 15 {
            throw LXCError.invalid(operation, container, "network interface name \(quoted(name)) is longer than 15 bytes")
        }
        if name == "." || name == ".." {
            throw LXCError.invalid(operation, container, "\(quoted(name)) is not a network interface name")
        }
        for byte in name.utf8 where byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ":") {
            throw LXCError.invalid(operation, container,
                                   "network interface name \(quoted(name)) contains \"/\", \":\", white space or a control character")
        }
    }
}

extension Container {
    // MARK: async forms

    /// Lists the network interfaces without blocking the caller's thread; see ``interfaces()-6qvte``.
    /// liblxc forks to enter the container's network namespace.
    public func interfaces() async throws -> [String] {
        try await offload { try self.interfaces() }
    }

    /// Lists the IP addresses without blocking the caller's thread; see
    /// ``ipAddresses(interface:family:scope:)-2q1io``. liblxc forks to enter the container's
    /// network namespace.
    public func ipAddresses(interface: String? = nil, family: AddressFamily? = nil, scope: Int32 = 0) async throws -> [String] {
        try await offload { try self.ipAddresses(interface: interface, family: family, scope: scope) }
    }

    /// Moves a host device into the container without blocking the caller's thread; see
    /// ``attachInterface(_:as:)-5es4e``.
    public func attachInterface(_ device: String, as nameInside: String? = nil) async throws {
        try await offload { try self.attachInterface(device, as: nameInside) }
    }

    /// Moves a device out of the container without blocking the caller's thread; see
    /// ``detachInterface(_:as:)-4s8ag``.
    public func detachInterface(_ device: String, as hostName: String? = nil) async throws {
        try await offload { try self.detachInterface(device, as: hostName) }
    }
}
