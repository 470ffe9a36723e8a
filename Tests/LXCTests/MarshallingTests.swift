@testable import LXC
import Glibc
import Testing

@Suite("C marshalling")
struct MarshallingTests {
    /// A fake liblxc getter: returns the full length and fills at most `length - 1` bytes.
    func getter(for value: String) -> (UnsafeMutablePointer<CChar>, Int32) -> Int32 {
        { buffer, length in
            let bytes = Array(value.utf8)
            let count = min(bytes.count, Int(length) - 1)
            for index in 0..<count { buffer[index] = CChar(bitPattern: bytes[index]) }
            buffer[count] = 0
            return Int32(bytes.count)
        }
    }

    @Test("Sized reads return the whole value, whatever its length", arguments: [0, 1, 511, 512, 513, 4096, 100_000])
    func sizedReads(length: Int) {
        let value = String((0..<length).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        #expect(readSizedCString(getter(for: value)) == value)
    }

    @Test func aValueThatGrowsBetweenCallsIsReadAgain() {
        var calls = 0
        let value = readSizedCString { buffer, length in
            calls += 1
            // Each call reports a value longer than the buffer it was given, three times.
            let text = String(repeating: "z", count: calls < 4 ? Int(length) + 10 : 20)
            return self.getter(for: text)(buffer, length)
        }
        #expect(value == String(repeating: "z", count: 20))
        #expect(calls == 4)
    }

    @Test func failuresAreNil() {
        #expect(readSizedCString { _, _ in -1 } == nil)
    }

    @Test func cStringArraysRoundTripAndAreNULLTerminated() {
        let strings = ["a", "", "ünï", "with space"]
        let back: [String] = withCStringArray(strings) { array in
            var result: [String] = []
            var index = 0
            while let element = array[index] {
                result.append(String(cString: element))
                index += 1
            }
            return result
        }
        #expect(back == strings)
        withCStringArray([]) { array in #expect(array[0] == nil) }
    }

    @Test func ownedArraysAreConvertedAndFreed() {
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 3)
        array[0] = strdup("eth0")
        array[1] = strdup("lo")
        array[2] = nil
        // `free`s every element and the array: a double free would crash the test run.
        #expect(takeOwnedCStringArray(array) == ["eth0", "lo"])
        #expect(takeOwnedCStringArray(nil) == [])
    }

    @Test func namesSortLikeStrcmp() {
        let names = ["b", "B", "a-2", "a", "ä", "a10", "a2"]
        let sorted = names.sorted(by: strcmpOrder)
        let byStrcmp = names.sorted { strcmp($0, $1) < 0 }
        #expect(sorted == byStrcmp)
    }
}
