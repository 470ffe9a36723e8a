/// Bytes a container read from and wrote to block devices.
public struct BlockIOStatistics: Sendable, Hashable {
    /// The counters of one device.
    public struct Device: Sendable, Hashable {
        /// The device.
        public var device: DeviceNumber
        /// Bytes read from it.
        public var readBytes: ByteCount = 0
        /// Bytes written to it.
        public var writtenBytes: ByteCount = 0

        /// The block I/O of one device.
        public init(device: DeviceNumber, readBytes: ByteCount = 0, writtenBytes: ByteCount = 0) {
            self.device = device
            self.readBytes = readBytes
            self.writtenBytes = writtenBytes
        }
    }

    /// The devices the container did I/O on, by device number.
    public var devices: [Device]

    /// Statistics made of per-device counts.
    public init(devices: [Device]) { self.devices = devices }

    /// Bytes read from all devices.
    public var readBytes: ByteCount { ByteCount(devices.reduce(0) { $0 &+ $1.readBytes.bytes }) }
    /// Bytes written to all devices.
    public var writtenBytes: ByteCount { ByteCount(devices.reduce(0) { $0 &+ $1.writtenBytes.bytes }) }
}
