#!/usr/bin/env bash
# Runs the whole test suite: the pure tests, and the integration tests on real containers
# (as root; without root or liblxc they skip and say why, unless LXC_REQUIRE_INTEGRATION=1).
#
# The suite takes about two minutes on two cores. A run that hangs is stopped after
# LXC_TEST_TIME_LIMIT seconds (default 1200), and the tests that had started and not
# finished are named, so that a hang costs minutes and says where it is. Arguments go to
# `swift test` (`--filter SnapshotTests`, say).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests

limit="${LXC_TEST_TIME_LIMIT:-1200}"
log="$(mktemp /tmp/swift-lxc-test-log.XXXXXX)"
trap 'rm -f "$log"' EXIT

# run_tests ARGS: swift test with ARGS under the time limit; on a timeout, the tests that
# started and did not finish are listed.
run_tests() {
    set +e
    timeout --kill-after=30 "$limit" swift test --disable-xctest "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        # swift test's test process may outlive it: stop the ones this checkout built.
        for pid in $(pgrep -f "^$PWD/.build/.*/swift-lxcPackageTests.xctest" || true); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        echo
        echo "The test run did not finish within ${limit} s and was stopped. Started and not finished:"
        # Swift Testing prints "◇ Test NAME started." and "✔/✘ Test NAME passed/failed/skipped ...".
        awk '
            /◇ Test case / { next }
            /◇ Test run started/ { next }
            /◇ Test .* started\.$/ { sub(/^.*◇ Test /, ""); sub(/ started\.$/, ""); open[$0] = 1; next }
            / Test .* (passed|failed|skipped)/ {
                line = $0; sub(/^[^T]*Test /, "", line)
                sub(/ (passed|failed|skipped).*$/, "", line); sub(/ with [0-9]+ test cases?$/, "", line)
                delete open[line]
            }
            END { for (name in open) print "  " name }
        ' "$log"
    fi
    return "$status"
}

status=0
if [ "$#" -gt 0 ]; then
    run_tests "$@" || status=$?
else
    # The local suites, then the LXD suites: each LXD suite starts daemons of its own (seven
    # standalone ones and two 3-member clusters), and beside the local suites' containers
    # they would load the 2 cores of a CI machine several times over.
    echo "test.sh: the local backend and the shared core"
    run_tests --skip LXDIntegrationTests || status=$?
    # One suite at a time: LXD 5.0 drops a short program's websocket output now and then
    # when its host is busy (canonical/lxd#11890), which nine suites at once made it.
    echo "test.sh: the LXD backend, against daemons of its own, one suite at a time"
    run_tests --filter LXDIntegrationTests --no-parallel || status=$?
fi
exit "$status"
