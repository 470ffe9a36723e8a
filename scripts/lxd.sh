#!/usr/bin/env bash
# LXD for the tests of the LXD backend, as root, without LXD's own services:
#   bash scripts/lxd.sh install     # Debian's lxd and lxd-client, services kept from starting
#   bash scripts/lxd.sh start DIR   # a standalone daemon with LXD_DIR=DIR (under /tmp), its PID in DIR/lxd.pid
#   bash scripts/lxd.sh image DIR   # a busybox image built offline, imported as "busybox" into that daemon
#   bash scripts/lxd.sh tarball DIR OUT  # that image as a unified tarball OUT (under /tmp), built under DIR, not imported
#   bash scripts/lxd.sh stop DIR    # shuts the daemon down (then kills it by its recorded PID) and removes DIR
# install is safe to run again. The daemon runs in a mount namespace of its own, so that the
# mounts it makes stay invisible to the host, and has no network (`networks: []`).
set -euo pipefail

say() { echo "lxd.sh: $*"; }
die() { echo "lxd.sh: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run this as root"

install_lxd() {
    if command -v lxd >/dev/null && command -v lxc >/dev/null && [[ -x /usr/bin/lxc ]] && dpkg -s lxd lxd-client >/dev/null 2>&1; then
        say "lxd and lxd-client are installed"
        return
    fi
    # Keep the package's services (lxd.service, lxd.socket) from starting: the tests start
    # their own daemons. An existing policy-rc.d is left alone.
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# written by swift-lxc scripts/lxd.sh while installing LXD\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    say "installing lxd and lxd-client"
    local status=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lxd lxd-client >/dev/null || status=$?
    if ((status != 0)); then
        say "apt-get install failed; updating the package lists and trying again"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
        status=0
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lxd lxd-client >/dev/null || status=$?
    fi
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
    ((status == 0)) || die "apt-get install lxd lxd-client failed ($status)"
    say "installed: lxd $(lxd --version)"
}

# The daemon's directory: absolute, under /tmp, so that nothing here touches /var/lib/lxd.
check_dir() {
    local dir=${1:-}
    [[ -n $dir ]] || die "usage: $0 start|image|tarball|stop DIR"
    [[ $dir == /tmp/* ]] || die "DIR must be under /tmp (got $dir)"
    [[ $dir != */../* && $dir != */.. ]] || die "DIR must not contain .. (got $dir)"
}

start() {
    local dir=$1
    check_dir "$dir"
    command -v lxd >/dev/null || die "lxd is not installed (bash $0 install)"
    if [[ -f $dir/lxd.pid ]] && kill -0 "$(<"$dir/lxd.pid")" 2>/dev/null; then
        die "a daemon already runs for $dir (PID $(<"$dir/lxd.pid"))"
    fi
    mkdir -p "$dir"
    chmod 0711 "$dir"
    # The daemon in a mount namespace of its own (propagation slave: it sees the host's
    # mounts, the host does not see its; the dir pool's default source, DIR/storage-pools,
    # is inside it). setsid: it outlives this script's session.
    LXD_DIR=$dir setsid unshare --mount --propagation slave -- \
        lxd --group root --logfile "$dir/lxd.log" </dev/null >>"$dir/lxd.out" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/lxd.pid"
    if ! LXD_DIR=$dir timeout 60 lxd waitready --timeout 50; then
        tail -n 20 "$dir/lxd.log" "$dir/lxd.out" >&2 || true
        kill "$pid" 2>/dev/null || true
        die "the daemon for $dir did not become ready"
    fi
    LXD_DIR=$dir lxd init --preseed <<EOF
config: {}
networks: []
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
EOF
    say "daemon ready: LXD_DIR=$dir, PID $pid, socket $dir/unix.socket"
    echo "$pid"
}

image() {
    local dir=$1
    check_dir "$dir"
    [[ -S $dir/unix.socket ]] || die "no daemon for $dir (bash $0 start $dir)"
    local out=$dir/busybox-image.tar.gz
    tarball "$dir" "$out" >/dev/null
    LXD_DIR=$dir lxc image import "$out" --alias busybox >/dev/null
    rm -f "$out"
    say "image imported into $dir as busybox"
}

# Builds the busybox image as a unified tarball (metadata.yaml and rootfs/) at OUT, in a build
# tree under DIR that is removed afterwards. Each build differs (its metadata records the time
# to the nanosecond), so each has a fingerprint of its own.
tarball() {
    local dir=$1 out=${2:-}
    check_dir "$dir"
    [[ -n $out ]] || die "usage: $0 tarball DIR OUT"
    [[ $out == /tmp/* && $out != */../* ]] || die "OUT must be under /tmp (got $out)"
    local busybox
    busybox=$(command -v busybox) || die "busybox is not installed (apt-get install busybox-static)"
    mkdir -p "$dir"
    local build
    build=$(mktemp -d "$dir/image-build.XXXXXX")
    # Every path below is under the build tree: never an empty prefix that would name the host's files.
    [[ -n $build && -d $build && $build == "$dir"/image-build.* ]] || die "cannot make a build directory under $dir"
    local rootfs=$build/rootfs
    mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var/log,run}
    cp "$busybox" "$rootfs/bin/busybox"
    chmod 0755 "$rootfs/bin/busybox"
    # The applets are made inside the chroot, so their absolute links point at the rootfs' own
    # busybox. From the host, never write through them: they name the host's /bin/busybox.
    chroot "$rootfs" /bin/busybox --install -s
    # Files are written to real paths only (none of them is an applet link).
    rm -f "$rootfs/sbin/init"
    cat >"$rootfs/sbin/init" <<'EOF'
#!/bin/sh
# The busybox image's init (swift-lxc scripts/lxd.sh): SIGPWR (LXD's shutdown), SIGTERM and
# SIGINT end it. A signal that comes before the trap is set is lost (init ignores signals it
# has no handler for), so /run/ready tells when a clean shutdown can be asked for.
trap 'exit 0' PWR TERM INT
rm -f /run/ready
mount -t proc proc /proc 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
: >/run/ready
while :; do sleep 1000 & wait $!; done
EOF
    chmod 0755 "$rootfs/sbin/init"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\n' >"$rootfs/etc/group"
    printf 'busybox\n' >"$rootfs/etc/hostname"
    cat >"$build/metadata.yaml" <<EOF
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: busybox (swift-lxc tests)
  os: busybox
  release: "$(busybox | head -n1 | awk '{ print $2 }')"
  built: "$(date +%s.%N)"
templates: {}
EOF
    tar -C "$build" -czf "$out" metadata.yaml rootfs
    rm -rf "$build"
    say "tarball built: $out"
}

stop() {
    local dir=$1
    check_dir "$dir"
    local pid=""
    [[ -f $dir/lxd.pid ]] && pid=$(<"$dir/lxd.pid")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        # Stops its instances, then itself.
        LXD_DIR=$dir timeout 60 lxd shutdown --timeout 30 >/dev/null 2>&1 || true
        local waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do sleep 0.1; waited=$((waited + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            say "PID $pid is still running; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # Its mounts were in its own namespace and went with it; what is left are files.
    rm -rf "$dir"
    say "stopped and removed $dir"
}

case "${1:-}" in
install) install_lxd ;;
start) start "${2:-}" ;;
image) image "${2:-}" ;;
tarball) tarball "${2:-}" "${3:-}" ;;
stop) stop "${2:-}" ;;
*)
    echo "usage: $0 install|start DIR|image DIR|tarball DIR OUT|stop DIR" >&2
    exit 2
    ;;
esac
