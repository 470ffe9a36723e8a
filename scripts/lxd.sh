#!/usr/bin/env bash
# LXD for the tests of the LXD backend, as root, without LXD's own services:
#   bash scripts/lxd.sh install     # Debian's lxd and lxd-client, services kept from starting
#   bash scripts/lxd.sh start DIR   # a standalone daemon with LXD_DIR=DIR (under /tmp), its PID in DIR/lxd.pid
#   bash scripts/lxd.sh image DIR   # a busybox image built offline, imported as "busybox" into that daemon
#   bash scripts/lxd.sh tarball DIR OUT  # that image as a unified tarball OUT (under /tmp), built under DIR, not imported
#   bash scripts/lxd.sh stop DIR    # shuts the daemon down (then kills it by its recorded PID) and removes DIR
#   bash scripts/lxd.sh cluster-start DIR  # a 3-member cluster n1..n3 (LXD_DIR=DIR/n1 …), busybox imported
#   bash scripts/lxd.sh cluster-stop DIR   # shuts the members down (then kills them by PID), removes
#                                          # their network namespaces and DIR
# install is safe to run again. The daemon runs in a mount namespace of its own, so that the
# mounts it makes stay invisible to the host, and has no network (`networks: []`). The cluster's
# members each have a mount and a network namespace of their own, joined by veths to a bridge
# in a further namespace; their addresses (198.51.100.0/24) exist inside those namespaces only.
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
    [[ -n $dir ]] || die "usage: $0 start|image|tarball|stop|cluster-start|cluster-stop DIR"
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


# MARK: A 3-member cluster in network namespaces

# The cluster's network, 198.51.100.0/24 (TEST-NET-2), lives only in namespaces made here:
# an address of it on a host interface would route the members' traffic through the host's
# own interfaces, and off the machine.
cluster_subnet=198.51.100
cluster_members=(n1 n2 n3)

check_subnet_unused() {
    if ip -4 -o addr show | awk '{ print $4 }' | grep -q "^${cluster_subnet//./\\.}\."; then
        die "$cluster_subnet.0/24 is on a host interface; the cluster's network must exist only in its own namespaces"
    fi
    if ip -4 route show | grep -q "^${cluster_subnet//./\\.}\."; then
        die "the host has a route into $cluster_subnet.0/24; the cluster's network must exist only in its own namespaces"
    fi
}

# Namespace names unique per DIR (a short hash of it), so that clusters in several
# directories do not meet, and cluster-stop removes exactly its own.
cluster_netns_prefix() {
    echo "slxc-$(printf %s "$1" | sha256sum | cut -c1-8)"
}

# Runs "$@" in member $2's network namespace (nsenter, not `ip netns exec`: that remounts /sys
# and hides /sys/fs/cgroup from LXD).
in_member_netns() {
    local dir=$1 member=$2
    shift 2
    nsenter --net="/run/netns/$(cluster_netns_prefix "$dir")-$member" -- "$@"
}

cluster_preseed_first() {
    local address=$1
    cat <<EOF
config:
  core.https_address: $address:8443
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
cluster:
  server_name: n1
  enabled: true
EOF
}

cluster_preseed_join() {
    local member=$1 address=$2 token=$3
    cat <<EOF
cluster:
  enabled: true
  server_name: $member
  server_address: $address:8443
  cluster_token: $token
  member_config:
  - entity: storage-pool
    name: default
    key: source
    value: ""
EOF
}

cluster_start() {
    local dir=$1
    check_dir "$dir"
    command -v lxd >/dev/null || die "lxd is not installed (bash $0 install)"
    command -v nsenter >/dev/null || die "nsenter is missing (util-linux)"
    check_subnet_unused
    [[ ! -e $dir/netns ]] || die "$dir already holds a cluster (bash $0 cluster-stop $dir)"
    local started=$SECONDS prefix
    prefix=$(cluster_netns_prefix "$dir")
    mkdir -p "$dir"
    chmod 0711 "$dir"
    # Each namespace's name is recorded before it is made, so that cluster-stop after a
    # failure half-way removes what exists.
    local bridge_ns=$prefix-br
    echo "$bridge_ns" >>"$dir/netns"
    ip netns add "$bridge_ns"
    ip -n "$bridge_ns" link set lo up
    ip -n "$bridge_ns" link add br0 type bridge
    ip -n "$bridge_ns" link set br0 up
    local index=0 member ns address
    for member in "${cluster_members[@]}"; do
        index=$((index + 1))
        ns=$prefix-$member
        address=$cluster_subnet.$((10 + index))
        echo "$ns" >>"$dir/netns"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # The pair is made inside the bridge's namespace with one end moved into the member's:
        # neither end ever exists in the host's namespace.
        ip -n "$bridge_ns" link add "v$member" type veth peer name eth0 netns "$ns"
        ip -n "$bridge_ns" link set "v$member" master br0 up
        ip -n "$ns" addr add "$address/24" dev eth0
        ip -n "$ns" link set eth0 up
        mkdir -p "$dir/$member"
        chmod 0711 "$dir/$member"
        # The daemon in its member's network namespace and a mount namespace of its own;
        # nsenter, unshare and setsid each exec the next, so $! is lxd's PID.
        LXD_DIR=$dir/$member setsid nsenter --net="/run/netns/$ns" -- unshare --mount --propagation slave -- \
            lxd --group root --logfile "$dir/$member/lxd.log" </dev/null >>"$dir/$member/lxd.out" 2>&1 &
        echo "$!" >"$dir/$member/lxd.pid"
    done
    for member in "${cluster_members[@]}"; do
        if ! LXD_DIR=$dir/$member timeout 60 lxd waitready --timeout 50; then
            tail -n 20 "$dir/$member/lxd.log" "$dir/$member/lxd.out" >&2 || true
            die "member $member ($dir/$member) did not become ready"
        fi
    done
    LXD_DIR=$dir/n1 in_member_netns "$dir" n1 lxd init --preseed < <(cluster_preseed_first "$cluster_subnet.11")
    index=1
    local token
    for member in "${cluster_members[@]:1}"; do
        index=$((index + 1))
        token=$(LXD_DIR=$dir/n1 lxc cluster add "$member" --quiet | tail -n 1)
        [[ -n $token ]] || die "n1 gave no join token for $member"
        # The join runs inside the joining member's namespace: its client talks to n1 there.
        LXD_DIR=$dir/$member in_member_netns "$dir" "$member" \
            lxd init --preseed < <(cluster_preseed_join "$member" "$cluster_subnet.$((10 + index))" "$token")
    done
    # The image once, into the cluster (its database is shared; the members fetch it from each other).
    image "$dir/n1"
    say "cluster ready in $((SECONDS - started)) s: members ${cluster_members[*]}, sockets $dir/nX/unix.socket"
}

cluster_stop() {
    local dir=$1
    check_dir "$dir"
    local member pid
    local -a pids=()
    for member in "${cluster_members[@]}"; do
        pid=""
        [[ -f $dir/$member/lxd.pid ]] && pid=$(<"$dir/$member/lxd.pid")
        [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && pids+=("$pid")
    done
    # All members at once: a member that shuts down waits for the others of the database.
    for member in "${cluster_members[@]}"; do
        if [[ -S $dir/$member/unix.socket && -f $dir/$member/lxd.pid ]] && kill -0 "$(<"$dir/$member/lxd.pid")" 2>/dev/null; then
            LXD_DIR=$dir/$member timeout 60 lxd shutdown --timeout 30 >/dev/null 2>&1 &
        fi
    done
    wait
    for pid in "${pids[@]}"; do
        local waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do sleep 0.1; waited=$((waited + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            say "PID $pid is still running; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    # Deleting a namespace deletes the veth ends in it (and so their peers) and the bridge.
    local ns
    if [[ -f $dir/netns ]]; then
        while read -r ns; do
            [[ -n $ns && -e /run/netns/$ns ]] && ip netns delete "$ns"
        done <"$dir/netns"
    fi
    rm -rf "$dir"
    say "stopped the cluster and removed $dir"
}

case "${1:-}" in
install) install_lxd ;;
start) start "${2:-}" ;;
image) image "${2:-}" ;;
tarball) tarball "${2:-}" "${3:-}" ;;
stop) stop "${2:-}" ;;
cluster-start) cluster_start "${2:-}" ;;
cluster-stop) cluster_stop "${2:-}" ;;
*)
    echo "usage: $0 install|start DIR|image DIR|tarball DIR OUT|stop DIR|cluster-start DIR|cluster-stop DIR" >&2
    exit 2
    ;;
esac
