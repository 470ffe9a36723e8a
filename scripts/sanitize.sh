#!/usr/bin/env bash
# Runs the test suite under a sanitizer, as root, each in a build folder of its own:
#   bash scripts/sanitize.sh thread   # Thread Sanitizer: data races in our code
#   bash scripts/sanitize.sh leaks    # Address Sanitizer with LeakSanitizer: leaks and memory errors
# Leaks that liblxc itself makes are suppressed in scripts/lsan.supp, with the reasons.
# Tests run one at a time (--no-parallel): sanitized code is several times slower, and with
# the synchronous tests holding the cooperative pool's threads (one per core) the async tests
# waited past their time limits.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
thread)
    swift build --build-tests --sanitize=thread --scratch-path .build-tsan
    TSAN_OPTIONS="halt_on_error=0" swift test --sanitize=thread --scratch-path .build-tsan --disable-xctest --no-parallel
    ;;
leaks)
    swift build --build-tests --sanitize=address --scratch-path .build-asan
    ASAN_OPTIONS="detect_leaks=1" LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=1" \
        swift test --sanitize=address --scratch-path .build-asan --disable-xctest --no-parallel
    ;;
*)
    echo "usage: $0 thread|leaks" >&2
    exit 2
    ;;
esac
