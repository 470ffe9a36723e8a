#!/usr/bin/env bash
# Installs what swift-lxc needs on Debian or Ubuntu: liblxc and its headers, the LXC tools and
# templates, a static busybox for the busybox template, uidmap and rsync for the unprivileged
# run (scripts/test-unprivileged.sh), and tmux for the test of `lxcctl top` on a terminal. Run
# as root. Safe to run again.
set -euo pipefail

packages=(lxc lxc-dev busybox-static iproute2 pkg-config criu uidmap rsync tmux)

if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: run this as root (it installs packages with apt-get)" >&2
    exit 1
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "bootstrap: Swift 6.1 or later must be on the PATH" >&2; exit 1; }
echo "bootstrap: liblxc $(pkg-config --modversion lxc), $(swift --version 2>/dev/null | head -n 1)"
