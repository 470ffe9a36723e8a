#!/usr/bin/env bash
# Builds the DocC documentation of the LXC module (the local backend, with what it re-exports
# from LXCCore) and of the LXD module (the LXD client), and fails if DocC warns about
# anything (a broken or ambiguous symbol link, a missing article). The archives go to
# LXC_DOCS_OUTPUT/LXC and LXC_DOCS_OUTPUT/LXD (default /tmp/docc-out); open them with
# `xcrun docc preview` on a Mac, or serve them as static files.
#
# The symbol graph comes from the compiler during a build (`-emit-symbol-graph`), not from
# swift-docc-plugin: only the compiler's graph includes what LXC re-exports from LXCCore
# (ContainerState, LXCError, ExitStatus, …), which the plugin cannot yet ask for
# (swiftlang/swift-docc-plugin#113). The build has a folder of its own, .build-docs.
#
# Methods with a blocking and an `async` form share a name, so a link to one of them needs
# DocC's hash suffix: ``Container/stop()-45hku`` is the blocking stop(). DocC prints the
# suffixes in its "is ambiguous" warning.
#
# The build folder is .build-docs (scripts/symbol-graphs.sh); when scripts/test-core.sh ran
# before, LXD is built there already (with liblxc hidden).
set -euo pipefail
cd "$(dirname "$0")/.."

output="${LXC_DOCS_OUTPUT:-/tmp/docc-out}"
log="$(mktemp /tmp/swift-lxc-docs-log.XXXXXX)"
selected="$(mktemp -d /tmp/swift-lxc-docs-graphs.XXXXXX)"
trap 'rm -rf "$log" "$selected"' EXIT

# The compiler writes a module's graph only when it compiles the module: the graphs stay in
# the build folder, beside the build that made them.
source scripts/symbol-graphs.sh
for target in LXC LXD; do
    swift build --target "$target" --scratch-path "$symbol_build" "${symbol_flags[@]}"
done

# convert MODULE: the catalog Sources/MODULE/MODULE.docc with MODULE's graph (and its
# extensions of other modules' types), into $output/MODULE.
convert() {
    local module=$1
    rm -rf "$selected"/*
    cp "$symbol_graphs/$module.symbols.json" "$selected/"
    cp "$symbol_graphs/$module"@*.symbols.json "$selected/" 2>/dev/null || true
    set +e
    docc convert "Sources/$module/$module.docc" --additional-symbol-graph-dir "$selected" \
        --fallback-display-name "$module" --fallback-bundle-identifier "$module" \
        --output-path "$output/$module" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    if [ "$status" != 0 ]; then
        echo "docs: docc convert of $module failed (exit $status)" >&2
        exit 1
    fi
    if grep -q "warning:" "$log"; then
        echo "docs: $(grep -c "warning:" "$log") DocC warning(s) in $module, listed above" >&2
        exit 1
    fi
}
convert LXC
convert LXD
echo "docs: no warnings; the archives are in $output/LXC and $output/LXD"
