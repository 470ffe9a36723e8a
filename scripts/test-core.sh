#!/usr/bin/env bash
# Builds LXCCore (what every backend shares) and runs its tests where liblxc cannot be found:
# the two are copied into a package of their own, and, as root, liblxc's headers, library and
# pkg-config file are hidden by empty mounts in a mount namespace of this script's own (the
# host is not changed). The test binary is then checked not to link liblxc.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d /tmp/swift-lxc-core.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources" "$work/Tests"
cp -R Sources/LXCCore "$work/Sources/"
cp -R Tests/LXCCoreTests "$work/Tests/"
cat > "$work/Package.swift" <<'EOF'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "swift-lxc-core",
    targets: [
        .target(name: "LXCCore"),
        .testTarget(name: "LXCCoreTests", dependencies: ["LXCCore"]),
    ],
    swiftLanguageModes: [.v6]
)
EOF

run() {
    swift build --package-path "$work" --build-tests
    swift test --package-path "$work" --skip-build --disable-xctest
    local binary
    binary="$(find "$work/.build" -name 'swift-lxc-corePackageTests.xctest' -type f | head -n 1)"
    if ldd "$binary" | grep -q liblxc; then
        echo "test-core: the LXCCore tests link liblxc" >&2
        exit 1
    fi
}

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
    echo "test-core: not root, so liblxc stays visible; the package has no target that uses it"
    run
    exit 0
fi
export -f run
export work
unshare --mount --propagation private bash -euo pipefail -c '
    empty="$work/empty"
    mkdir -p "$empty"
    for path in /usr/include/lxc /usr/lib/*/liblxc.so* /usr/lib/*/pkgconfig/lxc.pc /usr/share/pkgconfig/lxc.pc; do
        [ -e "$path" ] || continue
        if [ -d "$path" ]; then mount --bind "$empty" "$path"; else mount --bind /dev/null "$path"; fi
    done
    if pkg-config --exists lxc 2>/dev/null || [ -s /usr/include/lxc/lxccontainer.h ]; then
        echo "test-core: liblxc is still visible" >&2
        exit 1
    fi
    echo "test-core: liblxc hidden; building and testing LXCCore alone"
    run
'
