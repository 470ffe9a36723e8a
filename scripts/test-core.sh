#!/usr/bin/env bash
# What must work where liblxc cannot be found, checked with liblxc's headers, library and
# pkg-config file hidden by empty mounts in a mount namespace of this script's own (as root;
# the host is not changed):
# 1. LXCCore (what every backend shares) builds and passes its tests: the two are copied into
#    a package of their own, and the test binary is checked not to link liblxc.
# 2. The LXD client builds from this package as a user on a laptop would build it (a program
#    that uses only the LXD product: Examples/ClusterJobRunner), and does not link liblxc.
#    The build goes to the folder of scripts/symbol-graphs.sh, so scripts/docs.sh finds LXD
#    built.
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

repo="$PWD"

run() {
    swift build --package-path "$work" --build-tests
    swift test --package-path "$work" --skip-build --disable-xctest
    local binary
    binary="$(find "$work/.build" -name 'swift-lxc-corePackageTests.xctest' -type f | head -n 1)"
    if ldd "$binary" | grep -q liblxc; then
        echo "test-core: the LXCCore tests link liblxc" >&2
        exit 1
    fi
    cd "$repo"
    source scripts/symbol-graphs.sh
    swift build --product cluster-job-runner --scratch-path "$symbol_build" "${symbol_flags[@]}"
    binary="$(swift build --product cluster-job-runner --scratch-path "$symbol_build" --show-bin-path)/cluster-job-runner"
    if ldd "$binary" | grep -q liblxc; then
        echo "test-core: cluster-job-runner (the LXD client) links liblxc" >&2
        exit 1
    fi
    echo "test-core: the LXD client built without liblxc ($binary)"
}

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
    echo "test-core: not root, so liblxc stays visible; neither build uses a target that needs it"
    run
    exit 0
fi
export -f run
export work repo
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
    echo "test-core: liblxc hidden; building and testing LXCCore alone, then building the LXD client"
    run
'
