// The one trim of the package (LXC uses it too): configuration lines, cgroup files and
// timestamps all drop the same blanks around a value.

extension BidirectionalCollection {
    /// The collection without the elements at either end for which `isBlank` holds.
    package func trimming(while isBlank: (Element) -> Bool) -> SubSequence {
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

extension StringProtocol {
    /// The text without spaces, tabs and line breaks (`\n`, `\r`, `\r\n`) at either end.
    package func trimmingBlanks() -> SubSequence {
        trimming(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    }
}
