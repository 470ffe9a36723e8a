#!/usr/bin/env bash
# Prepares this machine for unprivileged containers, as root, and undoes it:
#   bash scripts/unprivileged.sh setup      # user, subordinate ids, delegated cgroups, default.conf
#   bash scripts/unprivileged.sh teardown   # removes all of it again
#   bash scripts/unprivileged.sh cgroups    # prints the user's cgroup directories, one a line
#   bash scripts/unprivileged.sh enter PID  # moves PID into the user's cgroups (what a login would do)
# Both setup and teardown are safe to run again. The user is LXC_UNPRIVILEGED_USER (default
# lxcci). Its cgroups are named after it, one in every hierarchy, below the cgroup the caller
# is in (on a plain host: at the top of each hierarchy), owned by the user.
set -euo pipefail

user=${LXC_UNPRIVILEGED_USER:-lxcci}
range=65536

say() { echo "unprivileged: $*"; }
die() { echo "unprivileged: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run this as root"

# Every cgroup hierarchy, as "MOUNTPOINT TYPE OPTIONS".
hierarchies() {
    awk '$3 == "cgroup" || $3 == "cgroup2" { print $2, $3, $4 }' /proc/self/mounts
}

# The path of this process's cgroup inside the hierarchy mounted at $1 (type $2, options $3).
own_cgroup() {
    local type=$2 options=$3 id controllers path all controller
    while IFS=: read -r id controllers path; do
        if [[ $type == cgroup2 ]]; then
            [[ $id == 0 && -z $controllers ]] && { echo "$path"; return; }
            continue
        fi
        [[ -n $controllers ]] || continue
        all=1
        IFS=, read -ra list <<<"$controllers"
        for controller in "${list[@]}"; do [[ ",$options," == *",$controller,"* ]] || all=0; done
        ((all)) && { echo "$path"; return; }
    done </proc/self/cgroup
    return 1
}

# The user's cgroup directory in each hierarchy, as "MOUNTPOINT TYPE DIRECTORY".
user_cgroups() {
    local mountpoint type options path
    while read -r mountpoint type options; do
        path=$(own_cgroup "$mountpoint" "$type" "$options") || continue
        path=${path%/}
        # Already inside the user's cgroup (setup run again from a process that entered it).
        [[ $path == */"$user" ]] || path="$path/$user"
        echo "$mountpoint $type $mountpoint$path"
    done < <(hierarchies)
}

# The first subordinate id free in $1 (/etc/subuid or /etc/subgid), at 100000 or above.
first_free_id() {
    awk -F: -v low=100000 'BEGIN { next_free = low } { end = $2 + $3; if (end > next_free) next_free = end } END { print next_free }' "$1"
}

# Whether the user's range in $1 (/etc/subuid or /etc/subgid) overlaps another owner's there
# (LXD's package adds root:100000:10000001 when that is free, or after the ranges it finds).
overlaps_other() {
    awk -F: -v user="$user" '
        $1 == user && !found { start = $2; end = $2 + $3; found = 1; next }
        { starts[NR] = $2; ends[NR] = $2 + $3 }
        END {
            if (!found) exit 1
            for (i in starts) if (start < ends[i] && starts[i] < end) exit 0
            exit 1
        }' "$1"
}

setup() {
    if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
        say "installing uidmap (newuidmap, newgidmap)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq uidmap >/dev/null
    fi
    touch /etc/subuid /etc/subgid

    if ! id "$user" >/dev/null 2>&1; then
        say "adding user $user"
        useradd --create-home --shell /bin/bash --comment "swift-lxc unprivileged tests" "$user"
    fi
    local home
    home=$(getent passwd "$user" | cut -d: -f6)
    # The container's root (a subordinate uid) must be able to reach the rootfs below it.
    chmod 0711 "$home"

    local file ids old
    for file in /etc/subuid /etc/subgid; do
        # Ranges shared with another owner (LXD's root) are given up and allocated anew.
        if overlaps_other "$file"; then
            old=$(grep -m1 "^$user:" "$file" | awk -F: '{ print $2 "-" $2 + $3 - 1 }')
            say "$user's ids $old in $file overlap another owner's; moving them"
            if [[ $file == /etc/subuid ]]; then
                usermod --del-subuids "$old" "$user"
            else
                usermod --del-subgids "$old" "$user"
            fi
        fi
        if ! grep -q "^$user:" "$file"; then
            ids=$(first_free_id "$file")
            say "giving $user the ids $ids-$((ids + range - 1)) in $file"
            if [[ $file == /etc/subuid ]]; then
                usermod --add-subuids "$ids-$((ids + range - 1))" "$user"
            else
                usermod --add-subgids "$ids-$((ids + range - 1))" "$user"
            fi
        fi
    done
    local uid_start uid_count gid_start gid_count
    IFS=: read -r _ uid_start uid_count < <(grep -m1 "^$user:" /etc/subuid)
    IFS=: read -r _ gid_start gid_count < <(grep -m1 "^$user:" /etc/subgid)

    local mountpoint type directory parent
    while read -r mountpoint type directory; do
        if [[ ! -d $directory ]]; then
            mkdir "$directory"
        fi
        parent=$(dirname "$directory")
        if [[ -f $directory/cpuset.cpus && -z $(<"$directory/cpuset.cpus") ]]; then
            cat "$parent/cpuset.cpus" >"$directory/cpuset.cpus"
            cat "$parent/cpuset.mems" >"$directory/cpuset.mems"
        fi
        if [[ $type == cgroup2 ]]; then
            chown "$user:" "$directory" "$directory/cgroup.procs" "$directory/cgroup.subtree_control" \
                "$directory/cgroup.threads"
        else
            chown -R "$user:" "$directory"
        fi
    done < <(user_cgroups)
    say "$user's cgroups: $(user_cgroups | awk '{ printf "%s ", $3 }')"

    local config="$home/.config/lxc/default.conf"
    runuser -u "$user" -- mkdir -p "$home/.config/lxc" "$home/.local/share/lxc"
    cat >"$config.new" <<EOF
# Written by swift-lxc's scripts/unprivileged.sh: an unprivileged container's root is
# mapped to $user's subordinate ids.
lxc.idmap = u 0 $uid_start $uid_count
lxc.idmap = g 0 $gid_start $gid_count
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
EOF
    chown "$user:" "$config.new"
    mv "$config.new" "$config"
    say "ready: $user (uids $uid_start+$uid_count, gids $gid_start+$gid_count), $config"
}

# Moves process $1 into the user's cgroups (as a login into a delegated session would).
enter() {
    local pid=$1 mountpoint type directory
    [[ -n $pid ]] || die "usage: $0 enter PID"
    while read -r mountpoint type directory; do
        [[ -d $directory ]] || die "$directory is missing: run '$0 setup' first"
        echo "$pid" >"$directory/cgroup.procs"
    done < <(user_cgroups)
}

teardown() {
    local mountpoint type options directory left=0
    # Every cgroup named after the user in every hierarchy, deepest first.
    while read -r mountpoint type options; do
        while read -r directory; do
            # Its children first (what liblxc left behind for stopped containers).
            find "$directory" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
            if ! rmdir "$directory" 2>/dev/null; then
                echo "unprivileged: $directory still has processes in it; not removed" >&2
                left=1
            fi
        done < <(find "$mountpoint" -mindepth 1 -type d -name "$user" -user "$user" 2>/dev/null | sort -r)
    done < <(hierarchies)

    if id "$user" >/dev/null 2>&1; then
        if pgrep -u "$user" >/dev/null; then
            echo "unprivileged: $user still runs processes (pgrep -u $user); stop them first" >&2
            exit 1
        fi
        grep -q "^$user:" /etc/subuid && usermod --del-subuids "$(grep -m1 "^$user:" /etc/subuid | awk -F: '{ print $2 "-" $2 + $3 - 1 }')" "$user"
        grep -q "^$user:" /etc/subgid && usermod --del-subgids "$(grep -m1 "^$user:" /etc/subgid | awk -F: '{ print $2 "-" $2 + $3 - 1 }')" "$user"
        say "removing user $user and its home"
        userdel --remove "$user" 2>/dev/null || userdel "$user"
    fi
    ((left == 0)) || exit 1
    say "removed"
}

case "${1:-}" in
setup) setup ;;
teardown) teardown ;;
cgroups) user_cgroups | awk '{ print $3 }' ;;
enter) enter "${2:-}" ;;
*)
    echo "usage: $0 setup|teardown|cgroups|enter PID" >&2
    exit 2
    ;;
esac
