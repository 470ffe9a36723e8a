import LXCCore
import Testing

@Suite("Byte counts, CPU weights, interface counters")
struct UnitTests {
    @Test func cpuWeightConvertsAsTheKernelDoes() {
        #expect(CPUWeight.shares(1024).weight == 100)
        #expect(CPUWeight.weight(100).shares == 1024)
        #expect(CPUWeight.weight(200).shares == 2048)
        #expect(CPUWeight.shares(2).weight == 1)
        #expect(CPUWeight.weight(10_000).shares == 102_400)
        #expect(CPUWeight.shares(1_000_000).shares == 262_144)
        #expect(CPUWeight.weight(0).weight == 1)
    }

    @Test func byteCountsPrintInBinaryUnits() {
        #expect(ByteCount(512).description == "512 bytes")
        #expect(ByteCount(901_120).description == "880 KiB")
        #expect(ByteCount.mebibytes(1536).description == "1.5 GiB")
        #expect(ByteCount.kibibytes(1) == 1024)
    }

    @Test func procNetDevCounters() {
        let recorded = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
              eth0:    1296      16    0    0    0     0          0         0      726       9    0    0    0     0       0          0

            """
        let counters = InterfaceStatistics.parse(procNetDev: recorded)
        #expect(counters.map(\.interface) == ["lo", "eth0"])
        #expect(counters[1] == InterfaceStatistics(interface: "eth0", receivedBytes: 1296, receivedPackets: 16,
                                                   transmittedBytes: 726, transmittedPackets: 9))
    }
}
