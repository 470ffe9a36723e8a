#!/usr/bin/env bash
# The resident-memory floor under the benchmark's peak RSS: what a program that does nothing
# takes on this machine, before any of swift-lxc's code runs. Builds four tiny programs in a
# temporary directory and prints the peak RSS (VmHWM) each reaches at the end of main, split
# into anonymous memory and pages of mapped files (the binary and its shared libraries):
#
#   c_empty        C, nothing linked but libc
#   c_liblxc       C, linked with liblxc (calls lxc_get_version)
#   swift_liblxc   Swift, linked with liblxc, the Swift runtime as shared libraries (the default)
#   swift_static   the same with --static-swift-stdlib (-static-stdlib)
#
# Needs gcc, swiftc and liblxc's headers (scripts/bootstrap.sh installs them). Run from anywhere:
#   bash scripts/rss-floor.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/swift-lxc-rss-floor.XXXXXX)"
trap 'rm -rf "$work"' EXIT

cat > "$work/floor.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#ifdef WITH_LXC
#include <lxc/lxccontainer.h>
#endif
int main(void) {
#ifdef WITH_LXC
    volatile const char *version = lxc_get_version();
    (void)version;
#endif
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long peak = 0, anon = 0, file = 0;
    while (status && fgets(line, sizeof(line), status)) {
        sscanf(line, "VmHWM: %ld", &peak);
        sscanf(line, "RssAnon: %ld", &anon);
        sscanf(line, "RssFile: %ld", &file);
    }
    printf("peak_kib=%ld anon_kib=%ld file_kib=%ld\n", peak, anon, file);
    return 0;
}
EOF

cat > "$work/floor.swift" <<'EOF'
import CLXC
import Glibc

_ = lxc_get_version()
var peak = 0, anon = 0, file = 0
if let status = fopen("/proc/self/status", "r") {
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, status) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard fields.count >= 2, let value = Int(fields[1]) else { continue }
        switch fields[0] {
        case "VmHWM:": peak = value
        case "RssAnon:": anon = value
        case "RssFile:": file = value
        default: break
        }
    }
    fclose(status)
}
print("peak_kib=\(peak) anon_kib=\(anon) file_kib=\(file)")
EOF

gcc -O2 -o "$work/c_empty" "$work/floor.c"
gcc -O2 -DWITH_LXC -o "$work/c_liblxc" "$work/floor.c" $(pkg-config --cflags --libs lxc)
swiftc -O -I "$root/Sources/CLXC" -o "$work/swift_liblxc" "$work/floor.swift" 2>/dev/null
swiftc -O -static-stdlib -I "$root/Sources/CLXC" -o "$work/swift_static" "$work/floor.swift" 2>/dev/null

echo "# peak RSS at the end of main of a program that does nothing (KiB), $(uname -r)"
for program in c_empty c_liblxc swift_liblxc swift_static; do
    echo "rss_floor program=$program $("$work/$program")"
done
