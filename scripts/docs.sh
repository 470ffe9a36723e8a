#!/usr/bin/env bash
# Builds the DocC documentation of the LXC module and fails if DocC warns about anything
# (a broken or ambiguous symbol link, a missing article). The archive goes to
# LXC_DOCS_OUTPUT (default /tmp/docc-out); open it with `xcrun docc preview` on a Mac, or
# serve it as static files.
#
# Methods with a blocking and an `async` form share a name, so a link to one of them needs
# DocC's hash suffix: ``Container/stop()-45hku`` is the blocking stop(). DocC prints the
# suffixes in its "is ambiguous" warning.
set -euo pipefail
cd "$(dirname "$0")/.."

output="${LXC_DOCS_OUTPUT:-/tmp/docc-out}"
log="$(mktemp /tmp/swift-lxc-docs-log.XXXXXX)"
trap 'rm -f "$log"' EXIT

set +e
swift package --allow-writing-to-directory "$output" \
    generate-documentation --target LXC --output-path "$output" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

if [ "$status" != 0 ]; then
    echo "docs: generate-documentation failed (exit $status)" >&2
    exit 1
fi
if grep -q "warning:" "$log"; then
    echo "docs: $(grep -c "warning:" "$log") DocC warning(s), listed above" >&2
    exit 1
fi
echo "docs: no warnings; the archive is in $output"
