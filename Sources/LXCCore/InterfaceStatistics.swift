/// The traffic counters of one network interface of a running container, as the kernel
/// keeps them in the container's network namespace (`/proc/<pid>/net/dev`).
public struct InterfaceStatistics: Sendable, Hashable {
    /// The interface's name inside the container.
    public var interface: String
    /// Bytes the interface received.
    public var receivedBytes: ByteCount
    /// Packets the interface received.
    public var receivedPackets: UInt64
    /// Bytes the interface sent.
    public var transmittedBytes: ByteCount
    /// Packets the interface sent.
    public var transmittedPackets: UInt64

    /// The counters of one interface, as the kernel's `/proc/net/dev` gives them.
    public init(interface: String, receivedBytes: ByteCount, receivedPackets: UInt64,
                transmittedBytes: ByteCount, transmittedPackets: UInt64) {
        self.interface = interface
        self.receivedBytes = receivedBytes
        self.receivedPackets = receivedPackets
        self.transmittedBytes = transmittedBytes
        self.transmittedPackets = transmittedPackets
    }

    /// Parses `/proc/net/dev`: two header lines, then
    /// `  eth0: rxbytes rxpackets errs drop fifo frame compressed multicast txbytes txpackets …`.
    package static func parse(procNetDev text: String) -> [InterfaceStatistics] {
        var result: [InterfaceStatistics] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].split(separator: " ").last.map(String.init) ?? ""
            let fields = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
            guard !name.isEmpty, fields.count >= 10 else { continue }
            let numbers = fields.map { UInt64($0) }
            guard let rxBytes = numbers[0], let rxPackets = numbers[1],
                  let txBytes = numbers[8], let txPackets = numbers[9] else { continue }
            result.append(InterfaceStatistics(interface: name, receivedBytes: ByteCount(rxBytes),
                                              receivedPackets: rxPackets, transmittedBytes: ByteCount(txBytes),
                                              transmittedPackets: txPackets))
        }
        return result
    }
}
