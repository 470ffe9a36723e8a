import CLXC
import Glibc

// Conversions between Swift strings and the C strings and string arrays of liblxc.
// Everything that liblxc allocates for us is freed here, exactly once.

/// Takes a string that liblxc allocated with `malloc`, converts it and frees it.
func takeOwnedCString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { free(pointer) }
    return String(cString: pointer)
}

/// Converts a NULL-terminated array of `malloc`ed strings (as `get_interfaces` returns) and
/// frees every string and the array.
func takeOwnedCStringArray(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard let array else { return [] }
    defer { free(array) }
    var result: [String] = []
    var index = 0
    while let element = array[index] {
        result.append(String(cString: element))
        free(element)
        index += 1
    }
    return result
}

/// Converts the first `count` `malloc`ed strings of an array (as `list_*_containers` return)
/// and frees every string and the array.
func takeOwnedCStringArray(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int) -> [String] {
    guard let array else { return [] }
    defer { free(array) }
    var result: [String] = []
    result.reserveCapacity(count)
    for index in 0..<count {
        if let element = array[index] {
            result.append(String(cString: element))
            free(element)
        }
    }
    return result
}

/// Calls `body` with a NULL-terminated `char *[]` holding copies of `strings`; the copies
/// live until `body` returns. An empty array is passed as a one-element array holding NULL.
func withCStringArray<R>(
    _ strings: [String],
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> R
) rethrows -> R {
    let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
    defer { array.deallocate() }
    for (index, string) in strings.enumerated() {
        array[index] = strdup(string)
    }
    array[strings.count] = nil
    defer {
        for index in 0..<strings.count { free(array[index]) }
    }
    return try body(array)
}

/// Calls `body` with the C string of `string`, or with NULL when it is nil.
func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let string else { return try body(nil) }
    return try string.withCString { try body($0) }
}

/// Reads a string from a liblxc getter of the `int f(..., char *retv, int inlen)` shape
/// (`get_config_item`, `get_keys`, `get_cgroup_item`).
///
/// Those getters return the full length of the value, without its NUL, whatever `inlen` was;
/// a negative return is a failure. The first call goes into a stack buffer, which holds almost
/// every value, so most reads are a single call into liblxc. A longer value is read again into
/// a buffer of the size liblxc reported, and again if it grew in between.
func readSizedCString(_ getter: (UnsafeMutablePointer<CChar>, Int32) -> Int32) -> String? {
    let stackCapacity = 512
    let first: (length: Int32, value: String?) = withUnsafeTemporaryAllocation(of: CChar.self, capacity: stackCapacity) { buffer in
        guard let base = buffer.baseAddress else { return (-1, nil) }
        base[0] = 0
        let length = getter(base, Int32(stackCapacity))
        if length < 0 { return (length, nil) }
        if Int(length) < stackCapacity { return (length, String(cString: base)) }
        return (length, nil)
    }
    if first.length < 0 { return nil }
    if let value = first.value { return value }

    var needed = Int(first.length) + 1
    while true {
        let capacity = needed
        let attempt: (length: Int32, value: String?) = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            guard let base = buffer.baseAddress else { return (-1, nil) }
            base[0] = 0
            let length = getter(base, Int32(clamping: capacity))
            if length < 0 { return (length, nil) }
            if Int(length) < capacity { return (length, String(cString: base)) }
            return (length, nil)
        }
        if attempt.length < 0 { return nil }
        if let value = attempt.value { return value }
        needed = Int(attempt.length) + 1
    }
}

/// Orders strings the way liblxc's `strcmp` does: byte by byte in UTF-8.
func strcmpOrder(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}
