#!/usr/bin/env bash
# Runs the whole test suite: the pure tests, and the integration tests on real containers
# (as root; without root or liblxc they skip and say why, unless LXC_REQUIRE_INTEGRATION=1).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --disable-xctest
