#!/usr/bin/env bash
# Runs the whole test suite as an ordinary user on unprivileged containers. Run it as root:
# it prepares the user (scripts/unprivileged.sh setup), copies the checkout into the user's
# home, moves the test run into the user's delegated cgroups (as a login would) and runs the
# build and the tests there as the user with scripts/test.sh (its time limit and hang report
# included), with LXC_REQUIRE_INTEGRATION=1 so that nothing skips for want of containers.
# Arguments go to `swift test` (`--filter SnapshotTests`, say). The exit status is the
# suite's. Tests that cannot work unprivileged say so ("unprivileged skip: <test>:
# <reason>"); they are counted at the end. The user stays prepared (its build is kept, so a
# second run is quicker); undo it all with `bash scripts/unprivileged.sh teardown`.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $(id -u) -eq 0 ]] || { echo "test-unprivileged: run this as root (it prepares a user, then drops to it)" >&2; exit 1; }

user=${LXC_UNPRIVILEGED_USER:-lxcci}
export LXC_UNPRIVILEGED_USER=$user
bash scripts/unprivileged.sh setup

home=$(getent passwd "$user" | cut -d: -f6)
checkout="$home/swift-lxc"
# The sources as they are here (committed or not), without build products.
runuser -u "$user" -- mkdir -p "$checkout"
rsync -a --delete --chown="$user:$user" \
    --exclude=/.build --exclude='/.build-*' --exclude=/.git --exclude=/.swiftpm ./ "$checkout/"

# Package mirrors that root owns (a local git mirror, say) are "dubious" to git for another
# user; the test user trusts them in its own ~/.gitconfig, which teardown removes with it.
if ! runuser -u "$user" -- env HOME="$home" git config --global --get-all safe.directory 2>/dev/null | grep -qx '\*'; then
    runuser -u "$user" -- env HOME="$home" git config --global --add safe.directory '*'
fi

# For an ordinary user the library runs liblxc's create, start, save and destroy one at a time
# (Sources/LXC/Internal/UnprivilegedCalls.swift), and a test's time limit runs while it waits
# for its turn: with every test of the suite started at once, the last in line ran out of
# time. So fewer tests run at once (LXC_UNPRIVILEGED_WIDTH, default 4); the whole run takes
# about as long, since those calls take turns either way.
width=${LXC_UNPRIVILEGED_WIDTH:-4}
swift_bin=$(dirname "$(command -v swift)")
log=$(mktemp /tmp/swift-lxc-unprivileged.XXXXXX.log)
trap 'rm -f "$log"' EXIT
chmod 0644 "$log"

echo "test-unprivileged: building and testing in $checkout as $user"
set +e
# The inner shell moves itself into the user's cgroups while still root, then becomes the user.
bash -c '
    bash scripts/unprivileged.sh enter $$ || exit 1
    exec runuser -u "$0" -- env -i HOME="$1" USER="$0" LOGNAME="$0" PATH="$2:/usr/local/bin:/usr/bin:/bin" \
        LANG=C.UTF-8 LXC_REQUIRE_INTEGRATION="${LXC_REQUIRE_INTEGRATION:-1}" \
        ${LXC_TEST_TIME_LIMIT:+LXC_TEST_TIME_LIMIT="$LXC_TEST_TIME_LIMIT"} \
        bash "$1/swift-lxc/scripts/test.sh" --experimental-maximum-parallelization-width "$3" "${@:4}"
' "$user" "$home" "$swift_bin" "$width" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

skips=$(grep -c '^unprivileged skip: ' "$log" || true)
echo "test-unprivileged: unprivileged skips: $skips (tests that cannot work in an unprivileged container)"
grep '^unprivileged skip: ' "$log" | sed 's/^/  /' || true
echo "test-unprivileged: exit status $status"
exit "$status"
