#!/usr/bin/env bash
# Builds the DocC documentation of the LXC module and fails if DocC warns about anything
# (a broken or ambiguous symbol link, a missing article). The archive goes to
# LXC_DOCS_OUTPUT (default /tmp/docc-out); open it with `xcrun docc preview` on a Mac, or
# serve it as static files.
#
# The symbol graph comes from the compiler during a build (`-emit-symbol-graph`), not from
# swift-docc-plugin: only the compiler's graph includes what LXC re-exports from LXCCore
# (ContainerState, LXCError, ExitStatus, …), which the plugin cannot yet ask for
# (swiftlang/swift-docc-plugin#113). The build has a folder of its own, .build-docs.
#
# Methods with a blocking and an `async` form share a name, so a link to one of them needs
# DocC's hash suffix: ``Container/stop()-45hku`` is the blocking stop(). DocC prints the
# suffixes in its "is ambiguous" warning.
set -euo pipefail
cd "$(dirname "$0")/.."

output="${LXC_DOCS_OUTPUT:-/tmp/docc-out}"
build=.build-docs
graphs="$build/symbol-graphs"
log="$(mktemp /tmp/swift-lxc-docs-log.XXXXXX)"
selected="$(mktemp -d /tmp/swift-lxc-docs-graphs.XXXXXX)"
trap 'rm -rf "$log" "$selected"' EXIT

# The compiler writes a module's graph only when it compiles the module: the graphs stay in
# the build folder, beside the build that made them.
mkdir -p "$graphs"
swift build --target LXC --scratch-path "$build" \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$graphs" \
    -Xswiftc -symbol-graph-minimum-access-level -Xswiftc public
cp "$graphs"/LXC.symbols.json "$selected/"
cp "$graphs"/LXC@*.symbols.json "$selected/" 2>/dev/null || true

set +e
docc convert Sources/LXC/LXC.docc --additional-symbol-graph-dir "$selected" \
    --fallback-display-name LXC --fallback-bundle-identifier LXC \
    --output-path "$output" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

if [ "$status" != 0 ]; then
    echo "docs: docc convert failed (exit $status)" >&2
    exit 1
fi
if grep -q "warning:" "$log"; then
    echo "docs: $(grep -c "warning:" "$log") DocC warning(s), listed above" >&2
    exit 1
fi
echo "docs: no warnings; the archive is in $output"
