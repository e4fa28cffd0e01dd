# hosts.sh: the many-host test's hosts, sourced by fleet-test.sh.
#
# Each host is a network namespace of its own ("$FLEET_NS-<name>") with
# one address on 10.77.0.0/24, joined by a bridge in the namespace the
# test runs in (fleet-test.sh runs itself under `unshare --net`, so the
# bridge and the routes never touch the machine's own network); this
# namespace is 10.77.0.1, the admin's seat.  A host's files live under
# build/fleet/<name>, laid out as the repository root, so the shipped
# conf/*.conf run there as the README runs them, with only their
# addresses changed (render_conf).

FLEET_NET=10.77.0
FLEET_BR=fleetbr0

declare -A HOST_ADDR=(
    [client]=$FLEET_NET.2
    [origin1]=$FLEET_NET.11 [origin2]=$FLEET_NET.12
    [shield]=$FLEET_NET.15
    [edge1]=$FLEET_NET.21 [edge2]=$FLEET_NET.22 [edge3]=$FLEET_NET.23
    [steer]=$FLEET_NET.31
    [redis1]=$FLEET_NET.41 [redis2]=$FLEET_NET.42 [redis3]=$FLEET_NET.43
    [rc1]=$FLEET_NET.51 [rc2]=$FLEET_NET.52 [rc3]=$FLEET_NET.53
    [rc4]=$FLEET_NET.54 [rc5]=$FLEET_NET.55 [rc6]=$FLEET_NET.56
)

fleet_net_up() {
    ip link set lo up
    ip link add "$FLEET_BR" type bridge
    ip addr add "$FLEET_NET.1/24" dev "$FLEET_BR"
    ip link set "$FLEET_BR" up
}

# host_add NAME: its namespace, a veth into the bridge, its address
host_add() {
    local name=$1 ns=$FLEET_NS-$1 i=${#HOSTS[@]}
    ip netns add "$ns"
    ip link add "fv$i" type veth peer name "fp$i"
    ip link set "fp$i" netns "$ns"
    ip link set "fv$i" master "$FLEET_BR" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "fp$i" name eth0
    ip -n "$ns" addr add "${HOST_ADDR[$name]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    HOSTS+=("$name")
}

# on NAME CMD...: run a command on a host
on() {
    local name=$1
    shift
    ip netns exec "$FLEET_NS-$name" "$@"
}

# host_kill NAME: every process of the host, at once (a machine that
# died; its address still answers with resets).  Again until none is
# left: an nginx master that sees its worker die before its own SIGKILL
# lands starts another, which the first list did not name (it lived on,
# orphaned, and kept reporting its edge to steering)
host_kill() {
    local pids i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ip netns pids "$FLEET_NS-$1")
        [ -n "$pids" ] || return 0
        kill -9 $pids 2>/dev/null || true
        sleep 0.05
    done
}

# host_cut NAME / host_uncut NAME: the host's link down and up (packets
# to it vanish: its peers see timeouts, not resets)
host_cut() {
    ip -n "$FLEET_NS-$1" link set eth0 down
}

host_uncut() {
    ip -n "$FLEET_NS-$1" link set eth0 up
    ip -n "$FLEET_NS-$1" addr replace "${HOST_ADDR[$1]}/24" dev eth0
}

fleet_net_down() {
    local h
    for h in "${HOSTS[@]}"; do
        host_kill "$h"
        ip netns del "$FLEET_NS-$h" 2>/dev/null || true
    done
}

# host_prefix NAME: build/fleet/NAME as the repository root (conf/ copied,
# modules/ and bin/ linked, logs/ empty, temp/ with the demo encryption
# secret conf/origin.conf's /drm/ location reads, as tools/demo.sh makes)
host_prefix() {
    local p=$FLEET_DIR/$1
    mkdir -p "$p/logs" "$p/temp/geo"
    (umask 077 && head -c 32 /dev/urandom > "$p/temp/demo-drm.key")
    cp -r "$ROOT/conf" "$p/conf"
    ln -s "$ROOT/modules" "$p/modules"
    echo "$p"
}

# subst FILE PERL-REGEX REPLACEMENT: one edit of a shipped file, which
# must match (the shipped file changed: the test says so, not silently
# running something else)
subst() {
    local file=$1 re=$2 to=$3
    FROM=$re TO=$to perl -0pi -e \
        'my $n = s/$ENV{FROM}/$ENV{TO}/m; die "no match\n" unless $n' \
        "$file" \
        || { echo "fleet: $file: no match for /$re/" >&2; exit 1; }
}
