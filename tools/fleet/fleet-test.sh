#!/bin/bash
# fleet-test.sh (make fleet-test): the fleet on one machine, with faults.
#
# Every host is a network namespace with its own address (hosts.sh): two
# origins (conf/origin.conf), a shield (conf/shield.conf), three edges
# (conf/edge.conf: edge1 and edge2 over both origins, edge3 over the
# shield), steering (conf/steering.conf) over the edges' own reports, a
# Redis master with two replicas and three sentinels, a Redis Cluster of
# six nodes, and a client host.
# The shipped files run with only their addresses changed.  While players
# fetch every playlist and segment through the edges and viewers write
# resume positions, the test
#
#   - kills an origin and cuts its link (the edges and the shield must go
#     on to the title's other origin: no failed segment),
#   - reloads an edge under load (no failed request),
#   - fails the Redis master over with SENTINEL FAILOVER (no acknowledged
#     resume write lost), then kills the master outright (the lost
#     acknowledged writes are counted: README, "What a failover can lose"),
#   - stops (SIGSTOP) the Redis master (media never fails; the API answers
#     within its timeouts and writes again after the failover),
#   - moves the edges and steering to a Redis Cluster (three masters, three
#     replicas) by a reload under load, then kills the master of the
#     viewers' slot and stops another (the cluster promotes their
#     replicas; lost acknowledged writes are counted),
#   - kills the edge steering names for a title (steering stops naming it
#     within the state's max age),
#
# and prints what happened as a table.  Exits non-zero when a bound is
# broken.  FLEET_SHORT=1: shorter phases (CI).  Needs root (namespaces).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD

# network namespaces need root: through sudo otherwise, as
# tools/install-deps.sh does
if [ -z "${FLEET_INNER:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        command -v sudo > /dev/null || { echo "fleet: needs root (network" \
                                         "namespaces) or sudo" >&2; exit 1; }
        exec sudo env FLEET_INNER=1 FLEET_SHORT="${FLEET_SHORT:-}" \
            FLEET_ASAN="${FLEET_ASAN:-}" \
            TEST_NGINX_MEDIA="${TEST_NGINX_MEDIA:-}" \
            TEST_NGINX_BINARY="${TEST_NGINX_BINARY:-}" \
            unshare --net "$0" "$@"
    fi
    exec env FLEET_INNER=1 unshare --net "$0" "$@"
fi

MEDIA=${TEST_NGINX_MEDIA:-$ROOT/build/media}
NGINX=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
[ -n "$MEDIA" ] || MEDIA=$ROOT/build/media
[ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
PHASE=${FLEET_PHASE_SECONDS:-12}
[ -n "${FLEET_SHORT:-}" ] && PHASE=${FLEET_PHASE_SECONDS:-5}
FLEET_DIR=$ROOT/build/fleet
FLEET_NS=fleet$$
STALE=3                     # steering_state_max_age in seconds
HOSTS=()
FAILED=()
ROWS=()

. tools/fleet/hosts.sh

for f in "$MEDIA/demo/360p.mp4" "$ROOT/modules/ngx_stream_playback_module.so" \
         "$ROOT/bin/vodedge-token"; do
    [ -e "$f" ] || { echo "fleet: $f is missing (make all fixtures)" >&2;
                     exit 1; }
done

cleanup() {
    fleet_net_down
}

# wait_for WHAT CMD...: until CMD succeeds, at most 30 s
wait_for() {
    local what=$1 i
    shift
    for i in $(seq 300); do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "fleet: $what: not ready" >&2
    exit 1
}
trap cleanup EXIT

rm -rf "$FLEET_DIR"
mkdir -p "$FLEET_DIR/media" "$FLEET_DIR/out"
OUT=$FLEET_DIR/out

# twelve titles, each the demo's 360p and 720p renditions (links: no copy)
TITLES=()
for i in $(seq -w 0 11); do
    mkdir -p "$FLEET_DIR/media/title-$i"
    ln -s "$MEDIA/demo/360p.mp4" "$MEDIA/demo/720p.mp4" \
        "$FLEET_DIR/media/title-$i/"
    TITLES+=("title-$i")
done

fleet_net_up
for h in client origin1 origin2 shield edge1 edge2 edge3 steer \
         redis1 redis2 redis3 rc1 rc2 rc3 rc4 rc5 rc6; do
    host_add "$h"
done

ORIGINS="server ${HOST_ADDR[origin1]}:8080 max_fails=3 fail_timeout=10s;
        server ${HOST_ADDR[origin2]}:8080 max_fails=3 fail_timeout=10s;"
SHIPPED_ORIGIN='server 127\.0\.0\.1:8080 max_fails=3 fail_timeout=10s;'
# the data nodes want a password (the sentinels none), as a fleet's Redis
# on a shared network must
REDIS_PASS=fleet-$$-$RANDOM$RANDOM
echo "$REDIS_PASS" > "$FLEET_DIR/redis.pass"

SENTINELS="${HOST_ADDR[redis1]}:26379 ${HOST_ADDR[redis2]}:26379"
SENTINELS="$SENTINELS ${HOST_ADDR[redis3]}:26379"

# --- Redis: a master, two replicas, a sentinel beside each -------------

redis_start() {
    local h=$1 p=$FLEET_DIR/$1 extra=()
    mkdir -p "$p"
    [ "$h" = redis1 ] || extra=(--replicaof "${HOST_ADDR[redis1]}" 6379)
    on "$h" redis-server --bind "${HOST_ADDR[$h]}" --port 6379 --save '' \
        --appendonly no --daemonize yes --pidfile "$p/redis.pid" \
        --logfile "$p/redis.log" --dir "$p" --requirepass "$REDIS_PASS" \
        --masterauth "$REDIS_PASS" "${extra[@]}"
    cat > "$p/sentinel.conf" <<EOF
port 26379
bind ${HOST_ADDR[$h]}
dir $p
protected-mode no
sentinel monitor fleet ${HOST_ADDR[redis1]} 6379 2
sentinel auth-pass fleet $REDIS_PASS
sentinel down-after-milliseconds fleet 1000
sentinel failover-timeout fleet 4000
sentinel parallel-syncs fleet 1
EOF
    on "$h" redis-server "$p/sentinel.conf" --sentinel --daemonize yes \
        --pidfile "$p/sentinel.pid" --logfile "$p/sentinel.log"
}

# master: the master's address as the first sentinel that answers says
master() {
    local s
    for s in $SENTINELS; do
        redis-cli -h "${s%:*}" -p 26379 --raw \
            SENTINEL get-master-addr-by-name fleet 2>/dev/null \
            | head -1 | grep . && return 0
    done
    return 1
}

master_host() {
    local a h
    a=$(master)
    for h in redis1 redis2 redis3; do
        [ "${HOST_ADDR[$h]}" = "$a" ] && echo "$h" && return 0
    done
    return 1
}

# master_moved HOST: a sentinel names a master other than HOST
master_moved() {
    local a
    a=$(master) && [ "$a" != "${HOST_ADDR[$1]}" ]
}

for h in redis1 redis2 redis3; do
    redis_start "$h"
done

# settled: the master the sentinels name is the only node that says it
# is a master (a deposed master is demoted only when the sentinels next
# look at it), and every edge has reconnected to it
settled() {
    local m h r n=0
    m=$(master) || return 1
    for h in redis1 redis2 redis3; do
        r=$(REDISCLI_AUTH=$REDIS_PASS redis-cli -h "${HOST_ADDR[$h]}" \
            --raw ROLE 2>/dev/null | head -1) || continue
        [ "$r" = master ] || continue
        [ "${HOST_ADDR[$h]}" = "$m" ] || return 1
        n=$((n + 1))
    done
    [ "$n" = 1 ]
}

# --- a Redis Cluster: three masters, a replica each ---------------------

CLUSTER_NODES=
for h in rc1 rc2 rc3 rc4 rc5 rc6; do
    mkdir -p "$FLEET_DIR/$h"
    on "$h" redis-server --bind "${HOST_ADDR[$h]}" --port 6379 --save '' \
        --appendonly no --daemonize yes --cluster-enabled yes \
        --cluster-config-file nodes.conf --cluster-node-timeout 1000 \
        --cluster-require-full-coverage no \
        --pidfile "$FLEET_DIR/$h/redis.pid" --dir "$FLEET_DIR/$h" \
        --logfile "$FLEET_DIR/$h/redis.log" --requirepass "$REDIS_PASS" \
        --masterauth "$REDIS_PASS"
    CLUSTER_NODES="$CLUSTER_NODES ${HOST_ADDR[$h]}:6379"
done

# cluster_ok: every node's view of the cluster is whole
cluster_ok() {
    local h
    for h in rc1 rc2 rc3 rc4 rc5 rc6; do
        [ -e "$FLEET_DIR/$h/down" ] && continue
        REDISCLI_AUTH=$REDIS_PASS redis-cli -h "${HOST_ADDR[$h]}" \
            CLUSTER INFO 2>/dev/null | grep -q '^cluster_state:ok' \
            || return 1
    done
}

# live_rc: a cluster node that is up
live_rc() {
    local h
    for h in rc1 rc2 rc3 rc4 rc5 rc6; do
        [ -e "$FLEET_DIR/$h/down" ] || { echo "$h"; return 0; }
    done
    return 1
}

# slot_master: the host of the master of the viewers' slot (their keys'
# hash tag is the account, {acct-fleet})
slot_master() {
    local h slot addr
    h=$(live_rc)
    slot=$(REDISCLI_AUTH=$REDIS_PASS redis-cli -h "${HOST_ADDR[$h]}" \
           CLUSTER KEYSLOT '{acct-fleet}')
    addr=$(REDISCLI_AUTH=$REDIS_PASS redis-cli -h "${HOST_ADDR[$h]}" \
           CLUSTER NODES \
           | awk -v s="$slot" '$3 ~ /master/ && $3 !~ /fail/ {
                 for (i = 9; i <= NF; i++) {
                     n = split($i, r, "-");
                     if (n == 1) r[2] = r[1];
                     if (s + 0 >= r[1] + 0 && s + 0 <= r[2] + 0) {
                         split($2, a, ":"); print a[1]; exit
                     }
                 }
             }')
    for h in rc1 rc2 rc3 rc4 rc5 rc6; do
        [ "${HOST_ADDR[$h]}" = "$addr" ] && echo "$h" && return 0
    done
    return 1
}

for h in rc1 rc2 rc3 rc4 rc5 rc6; do
    wait_for "$h" env REDISCLI_AUTH="$REDIS_PASS" redis-cli \
        -h "${HOST_ADDR[$h]}" ping
done
# shellcheck disable=SC2086
REDISCLI_AUTH=$REDIS_PASS redis-cli --cluster create $CLUSTER_NODES \
    --cluster-replicas 1 --cluster-yes > "$FLEET_DIR/cluster-create.log" \
    2>&1 || { cat "$FLEET_DIR/cluster-create.log" >&2; exit 1; }

# --- origins, shield, edges, steering ----------------------------------

# FLEET_ASAN=1: the origins run the packager of `make asan` in the stock
# nginx with ASan preloaded (tools/asan/nginx), their reports in
# $FLEET_DIR/asan; any fails the run, printed.  An origin worker died
# once here of a corrupt heap (glibc's "malloc(): invalid size") with no
# stack to say where.
ORIGIN_NGINX=$NGINX
if [ -n "${FLEET_ASAN:-}" ]; then
    make -C "$ROOT" -j2 asan > "$FLEET_DIR/asan-make.log" 2>&1 \
        || { tail -20 "$FLEET_DIR/asan-make.log" >&2; exit 1; }
    ORIGIN_NGINX=$ROOT/tools/asan/nginx
    export TEST_NGINX_ASAN_DIR=$FLEET_DIR/asan
fi

for h in origin1 origin2; do
    p=$(host_prefix "$h")
    ln -s "$FLEET_DIR/media" "$p/media"
    if [ -n "${FLEET_ASAN:-}" ]; then
        rm "$p/modules"
        ln -s "$ROOT/modules-asan" "$p/modules"
    fi
    subst "$p/conf/origin.conf" \
        'listen 127\.0\.0\.1:8080;(\n\s*listen 127\.0\.0\.\d:8080;)*' \
        "listen ${HOST_ADDR[$h]}:8080;"
    on "$h" "$ORIGIN_NGINX" -p "$p/" -c conf/origin.conf
done

p=$(host_prefix shield)
subst "$p/conf/shield.conf" 'listen 127\.0\.0\.1:8083;' \
    "listen ${HOST_ADDR[shield]}:8083;"
subst "$p/conf/shield.conf" "$SHIPPED_ORIGIN" "$ORIGINS"
on shield "$NGINX" -p "$p/" -c conf/shield.conf

edge_start() {
    on "$1" "$NGINX" -p "$FLEET_DIR/$1/" -c conf/edge.conf
}

for h in edge1 edge2 edge3; do
    p=$(host_prefix "$h")
    "$ROOT/tools/mkgeo.pl" demo "$p/temp/geo" > /dev/null
    subst "$p/conf/edge.conf" 'listen 127\.0\.0\.1:8081;' \
        "listen ${HOST_ADDR[$h]}:8081;"
    if [ "$h" = edge3 ]; then
        subst "$p/conf/edge.conf" "$SHIPPED_ORIGIN" \
            "server ${HOST_ADDR[shield]}:8083 max_fails=3 fail_timeout=10s;"
    else
        subst "$p/conf/edge.conf" "$SHIPPED_ORIGIN" "$ORIGINS"
    fi
    subst "$p/conf/edge.conf" 'playback_redis 127\.0\.0\.1:6379 ' \
        "playback_report $h interval=1s max_connections=1000;
    playback_redis sentinel:fleet $SENTINELS password_file=$FLEET_DIR/redis.pass "
    edge_start "$h"
done

p=$(host_prefix steer)
"$ROOT/tools/mkgeo.pl" demo "$p/temp/geo" > /dev/null
subst "$p/conf/steering.conf" 'listen 127\.0\.0\.1:8082;' \
    "listen ${HOST_ADDR[steer]}:8082;"
subst "$p/conf/steering.conf" 'steering_state_max_age off;' \
    "steering_state_max_age ${STALE}s;
    steering_redis sentinel:fleet $SENTINELS
                   password_file=$FLEET_DIR/redis.pass;
    steering_redis_state on;
    steering_presence_interval 1s;"
{
    echo '{"caches": ['
    for h in edge1 edge2 edge3; do
        echo "  {\"id\": \"$h\", \"url\": \"http://${HOST_ADDR[$h]}:8081\","
        echo "   \"tier\": \"ixp\", \"country\": \"US\", \"capacity_gbps\": 10},"
    done
    echo "  {\"id\": \"origin\", \"url\": \"http://${HOST_ADDR[shield]}:8083\","
    echo '   "tier": "origin", "capacity_gbps": 10}'
    echo ']}'
} > "$p/conf/steering-fleet.json"
on steer "$NGINX" -p "$p/" -c conf/steering.conf

# --- ready: every server answers, the edges have reported --------------


for h in origin1 origin2; do
    wait_for "$h" curl -sf "http://${HOST_ADDR[$h]}:8080/vod/title-00/master.m3u8"
done
wait_for shield curl -sf "http://${HOST_ADDR[shield]}:8083/health"
for h in edge1 edge2 edge3; do
    wait_for "$h" curl -sf "http://${HOST_ADDR[$h]}:8081/health"
done
wait_for "a Redis master" master
wait_for "the Redis Cluster" cluster_ok
for h in edge1 edge2 edge3; do
    wait_for "$h's report" sh -c "REDISCLI_AUTH=$REDIS_PASS redis-cli -h $(master) EXISTS \
        steering:cache:$h | grep -qx 1"
done
sleep 2

MEDIA_TOKEN=$("$ROOT/bin/vodedge-token" --path /vod/ --tier premium \
              --ttl 7200)
API_TOKEN=$("$ROOT/bin/vodedge-token" --sub acct-fleet --profiles p1,p2 \
            --tier premium --ttl 7200)
EDGES="http://${HOST_ADDR[edge1]}:8081 http://${HOST_ADDR[edge2]}:8081"
EDGES="$EDGES http://${HOST_ADDR[edge3]}:8081"

# --- clients ----------------------------------------------------------

STOP=$OUT/stop
CLIENTS=()

# players PHASE TITLE...: one player per edge, all titles, each from a
# title of its own (more titles early in a short phase)
players() {
    local phase=$1 h k=0 list
    shift
    list=("$@")
    for h in edge1 edge2 edge3; do
        on client "$ROOT/tools/fleet/client.sh" play "$OUT/$phase.media" \
            "$STOP" "http://${HOST_ADDR[$h]}:8081" "$MEDIA_TOKEN" \
            "${list[@]:k}" "${list[@]:0:k}" &
        CLIENTS+=($!)
        k=$(( (k + ${#list[@]} / 3) % ${#list[@]} ))
    done
}

# writers PHASE: a viewer per profile writing resume positions, of a
# title of the phase's own (positions count from 1 again, and a heartbeat
# older than the stored one changes nothing)
writers() {
    local phase=$1 pr
    for pr in p1 p2; do
        on client "$ROOT/tools/fleet/client.sh" resume \
            "$OUT/$phase.$pr.resume" "$STOP" "$EDGES" "$API_TOKEN" "$pr" \
            "resume-$phase" &
        CLIENTS+=($!)
    done
}

clients_stop() {
    touch "$STOP"
    wait "${CLIENTS[@]}" 2>/dev/null || true
    CLIENTS=()
    rm -f "$STOP"
}

# stats FILE...: requests, failed (not 200 or 204), p50 and max seconds
stats() {
    cat "$@" 2>/dev/null | sort -k3,3g | awk '
        { n++; if ($2 != 200 && $2 != 204) bad++; t[n] = $3 }
        END {
            if (n == 0) { print "0 0 0 0"; exit }
            printf "%d %d %.3f %.3f\n", n, bad + 0, t[int((n + 1) / 2)],
                   t[n]
        }'
}

# resume_check PHASE: acknowledged writes lost (stored position below the
# last 204) and the longest time between two acknowledged writes
resume_check() {
    local phase=$1 pr last stored lost=0 gap=0 g
    for pr in p1 p2; do
        last=$(awk '$2 == 204 { n = $5 } END { print n + 0 }' \
               "$OUT/$phase.$pr.resume")
        stored=$(curl -s -H "Authorization: Bearer $API_TOKEN" \
                 "http://${HOST_ADDR[edge1]}:8081/api/v1/resume/$pr/resume-$phase" \
                 | grep -o '"position_ms":[0-9]*' | cut -d: -f2)
        stored=${stored:-0}
        [ "$stored" -ge "$last" ] || lost=$((lost + last - stored))
        g=$(awk '$2 == 204 { if (p && $1 - p > g) g = $1 - p; p = $1 }
                 END { printf "%.1f", g }' "$OUT/$phase.$pr.resume")
        gap=$(awk -v a="$gap" -v b="$g" 'BEGIN { print (b > a ? b : a) }')
    done
    echo "$lost $gap"
}

# row NAME "figures" VERDICT: a line of the table
row() {
    ROWS+=("$(printf '%-36s %-52s %s' "$1" "$2" "$3")")
    [ "$3" = ok ] || [ "$3" = counted ] || FAILED+=("$1")
    echo "fleet: $1: $2 $3" >&2
}

media_row() {
    local name=$1 file=$2 n bad p50 max
    read -r n bad p50 max < <(stats "$file")
    local verdict=ok
    { [ "$bad" -eq 0 ] && [ "$n" -gt 0 ]; } || verdict=FAIL
    row "$name" "$n requests, $bad failed, p50 ${p50}s max ${max}s" \
        "$verdict"
}

# 1. steady: every title through every edge; each title on one origin
players steady "${TITLES[@]:0:6}"
sleep "$PHASE"
clients_stop
media_row "steady play (3 edges)" "$OUT/steady.media"
split=$(for h in origin1 origin2; do
            # the edges' and the shield's requests (not the readiness
            # checks this host sent)
            grep -v "^$FLEET_NET\.1 " "$FLEET_DIR/$h/logs/access.log" \
                | grep -o '/vod/title-[0-9]*' | sort -u | sed "s|^|$h |"
        done | awk '{ o[$2] = o[$2] " " $1; c[$1]++ }
                    END { for (t in o) if (split(o[t], x) > 1) both++;
                          printf "%d/%d titles, %d on both",
                                 c["origin1"], c["origin2"], both }')
verdict=ok
[[ $split == *", 0 on both" ]] || verdict=FAIL
row "titles per origin (hash)" "$split" "$verdict"

# 2. an origin dies (killed, then its link cut): new titles play
host_kill origin1
host_cut origin1
players origin-down "${TITLES[@]:6:6}"
sleep "$PHASE"
clients_stop
media_row "origin1 killed, link cut" "$OUT/origin-down.media"
# requests the edges and the shield sent to origin1 first, then to
# origin2 ($upstream_addr lists both); none: the phase proved nothing
moved=$(cat "$FLEET_DIR"/edge*/logs/edge-access.log \
            "$FLEET_DIR"/shield/logs/shield-access.log \
        | grep -c "origin=${HOST_ADDR[origin1]}:8080, " || true)
verdict=ok
[ "$moved" -gt 0 ] || verdict=FAIL
row "  ... moved to the next origin" "$moved requests" "$verdict"
host_uncut origin1
on origin1 "$ORIGIN_NGINX" -p "$FLEET_DIR/origin1/" -c conf/origin.conf

# 3. an edge reloads under load
players reload "${TITLES[@]}"
for i in $(seq "$PHASE"); do
    on edge1 "$NGINX" -p "$FLEET_DIR/edge1/" -c conf/edge.conf -s reload
    sleep 1
done
clients_stop
media_row "edge1 reloaded ${PHASE}x" "$OUT/reload.media"

# 4. Redis: a failover by the sentinels, writes going on
old=$(master_host)
writers failover
sleep 2
redis-cli -h "${HOST_ADDR[redis2]}" -p 26379 SENTINEL FAILOVER fleet \
    > /dev/null
wait_for "a new master" master_moved "$old"
sleep "$PHASE"
clients_stop
wait_for "the failover to settle" settled
sleep 1
read -r n bad p50 max < <(stats "$OUT"/failover.*.resume)
read -r lost gap < <(resume_check failover)
verdict=ok
[ "$lost" -eq 0 ] || verdict=FAIL
row "Redis SENTINEL FAILOVER" "$n writes, $bad refused, $lost acked lost, gap ${gap}s" \
    "$verdict"

# 5. Redis: the master killed outright (its sentinel too), then back as
# a replica
old=$(master_host)
writers kill
sleep 2
host_kill "$old"
wait_for "a new master" master_moved "$old"
sleep "$PHASE"
clients_stop
wait_for "the failover to settle" settled
sleep 1
read -r n bad p50 max < <(stats "$OUT"/kill.*.resume)
read -r lost gap < <(resume_check kill)
row "Redis master killed (kill -9)" \
    "$n writes, $bad refused, $lost acked lost, gap ${gap}s" counted
new=$(master)
rm -f "$FLEET_DIR/$old/redis.pid" "$FLEET_DIR/$old/sentinel.pid"
on "$old" redis-server --bind "${HOST_ADDR[$old]}" --port 6379 --save '' \
    --appendonly no --daemonize yes --pidfile "$FLEET_DIR/$old/redis.pid" \
    --logfile "$FLEET_DIR/$old/redis.log" --dir "$FLEET_DIR/$old" \
    --requirepass "$REDIS_PASS" --masterauth "$REDIS_PASS" \
    --replicaof "$new" 6379
on "$old" redis-server "$FLEET_DIR/$old/sentinel.conf" --sentinel \
    --daemonize yes --pidfile "$FLEET_DIR/$old/sentinel.pid" \
    --logfile "$FLEET_DIR/$old/sentinel.log"
sleep 2

# 6. Redis: the master stopped (SIGSTOP) past the sentinels' patience
old=$(master_host)
players stopped "${TITLES[@]:0:4}"
writers stopped
sleep 1
kill -STOP "$(cat "$FLEET_DIR/$old/redis.pid")"
sleep "$PHASE"
kill -CONT "$(cat "$FLEET_DIR/$old/redis.pid")"
sleep 2
clients_stop
wait_for "the failover to settle" settled
sleep 1
media_row "Redis master SIGSTOPped: media" "$OUT/stopped.media"
read -r n bad p50 max < <(stats "$OUT"/stopped.*.resume)
read -r lost gap < <(resume_check stopped)
verdict=ok
# every call answers within the edge's Redis timeouts (1 s connect,
# 500 ms per command, and one retry), never hangs
awk -v m="$max" 'BEGIN { exit !(m <= 3) }' || verdict=FAIL
row "Redis master SIGSTOPped: API" \
    "$n writes, $bad refused, $lost acked lost, slowest ${max}s" "$verdict"

# 7. the edges and steering move to the Redis Cluster: a reload under
# load, the state written there from then on
players cluster-move "${TITLES[@]:0:4}"
writers cluster-move
sleep 1
for h in edge1 edge2 edge3; do
    subst "$FLEET_DIR/$h/conf/edge.conf" \
        'playback_redis sentinel:fleet [^;]*?password_file=\S+' \
        "playback_redis cluster$CLUSTER_NODES password_file=$FLEET_DIR/redis.pass"
    on "$h" "$NGINX" -p "$FLEET_DIR/$h/" -c conf/edge.conf -s reload
done
subst "$FLEET_DIR/steer/conf/steering.conf" \
    'steering_redis sentinel:fleet [^;]*;' \
    "steering_redis cluster$CLUSTER_NODES
                   password_file=$FLEET_DIR/redis.pass;"
on steer "$NGINX" -p "$FLEET_DIR/steer/" -c conf/steering.conf -s reload
sleep "$PHASE"
clients_stop
media_row "edges moved to the Cluster (reload)" "$OUT/cluster-move.media"
read -r n bad p50 max < <(stats "$OUT"/cluster-move.*.resume)
row "  ... resume writes across the move" "$n writes, $bad refused" counted

# cluster_writes: a resume write answered 204 through every edge
cluster_writes() {
    local e
    for e in $EDGES; do
        [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
             -H "Authorization: Bearer $API_TOKEN" \
             -d '{"position_ms":1,"duration_ms":100000,"updated_at":1}' \
             "$e/api/v1/resume/p1/probe")" = 204 ] || return 1
    done
}
wait_for "the edges on the Cluster" cluster_writes

# slot_moved HOST: the viewers' slot has a live master other than HOST
slot_moved() {
    local m
    m=$(slot_master) && [ -n "$m" ] && [ "$m" != "$1" ]
}

# 8. Cluster: the master of the viewers' slot killed; its replica is
# promoted (cluster-node-timeout 1 s)
victim=$(slot_master)
players ckill "${TITLES[@]:0:4}"
writers ckill
sleep 2
host_kill "$victim"
touch "$FLEET_DIR/$victim/down"
wait_for "a replica promoted" slot_moved "$victim"
sleep "$PHASE"
clients_stop
media_row "Cluster slot master killed: media" "$OUT/ckill.media"
read -r n bad p50 max < <(stats "$OUT"/ckill.*.resume)
read -r lost gap < <(resume_check ckill)
row "Cluster slot master killed: API" \
    "$n writes, $bad refused, $lost acked lost, gap ${gap}s" counted

# 9. Cluster: the slot's new master stopped past the node timeout, then
# back (as a replica of the replica promoted meanwhile)
victim=$(slot_master)
players cstop "${TITLES[@]:0:4}"
writers cstop
sleep 1
kill -STOP "$(cat "$FLEET_DIR/$victim/redis.pid")"
sleep "$PHASE"
kill -CONT "$(cat "$FLEET_DIR/$victim/redis.pid")"
sleep 2
clients_stop
wait_for "the Cluster whole again" cluster_ok
media_row "Cluster slot master stopped: media" "$OUT/cstop.media"
read -r n bad p50 max < <(stats "$OUT"/cstop.*.resume)
read -r lost gap < <(resume_check cstop)
verdict=ok
awk -v m="$max" 'BEGIN { exit !(m <= 3) }' || verdict=FAIL
row "Cluster slot master stopped: API" \
    "$n writes, $bad refused, $lost acked lost, slowest ${max}s" "$verdict"

# 10. an edge dies: steering stops naming it
on client "$ROOT/tools/fleet/client.sh" steer "$OUT/steer" "$STOP" \
    "http://${HOST_ADDR[steer]}:8082" title-00 &
CLIENTS+=($!)
sleep 2
victim=$(tail -1 "$OUT/steer" | awk '{ print $4 }')
killed=$(date +%s.%N)
host_kill "$victim"
sleep $((STALE + 4))
clients_stop
after=$(awk -v k="$killed" -v v="$victim" \
        '$1 > k && $4 != v { printf "%.1f", $1 - k; exit }' "$OUT/steer")
verdict=ok
awk -v a="${after:-99}" -v s="$STALE" 'BEGIN { exit !(a <= s + 2.5) }' \
    || verdict=FAIL
row "edge killed ($victim)" \
    "steering stopped naming it after ${after:-never}s (max age ${STALE}s)" \
    "$verdict"

# the hosts' own metrics (their loopback listeners, as shipped): what
# the edges that lived, an origin and steering counted through it all
# metric HOST PORT NAME[{labels}]: the sum of the series that match
metric() {
    on "$1" curl -s "http://127.0.0.1:$2/metrics" \
        | awk -v m="$3" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'
}
ok_cmds=0 err_cmds=0 conn_err=0
for h in edge2 edge3; do
    ok_cmds=$((ok_cmds + $(metric "$h" 9146 \
        'vodedge_edge_redis_commands_total{result="ok"}')))
    err_cmds=$((err_cmds + $(metric "$h" 9146 \
        'vodedge_edge_redis_commands_total') ))
    conn_err=$((conn_err + $(metric "$h" 9146 \
        'vodedge_edge_redis_connection_errors_total')))
done
err_cmds=$((err_cmds - ok_cmds))
decisions=$(metric steer 9147 'vodedge_steering_decisions_total')
segs=$(metric origin2 9145 'vodedge_packager_requests_total')
verdict=ok
[ "$ok_cmds" -gt 0 ] && [ "$decisions" -gt 0 ] && [ "$segs" -gt 0 ] \
    || verdict=FAIL
row "metrics (edge2+3, origin2, steering)" \
    "redis ok $ok_cmds, failed $err_cmds, conn errors $conn_err; origin2 $segs req; $decisions decisions" \
    "$verdict"

# errors the servers logged, not counting what the faults cause: the
# SIGKILL of a whole host reaches its workers and its master one by one,
# and a master still alive for a moment logs its worker's death
errs=$(cat "$FLEET_DIR"/*/logs/*error.log 2>/dev/null \
       | grep -E '\[(crit|alert|emerg)\]' \
       | grep -cv 'worker process [0-9]* exited on signal 9$' || true)
verdict=ok
[ "$errs" -eq 0 ] || verdict=FAIL
row "crit/alert/emerg log lines" "$errs" "$verdict"

if [ -n "${FLEET_ASAN:-}" ]; then
    reports=$(find "$FLEET_DIR/asan" -name 'report.*' 2>/dev/null | wc -l)
    verdict=ok
    if [ "$reports" -ne 0 ]; then
        verdict=FAIL
        cat "$FLEET_DIR"/asan/report.* >&2
    fi
    row "ASan reports (origins)" "$reports" "$verdict"
fi

echo
printf '%-36s %-52s %s\n' phase figures verdict
printf '%s\n' "${ROWS[@]}"
echo "(phases of ${PHASE}s; logs and request lines in $FLEET_DIR)"

if [ ${#FAILED[@]} -ne 0 ]; then
    echo "fleet: FAILED: ${FAILED[*]}" >&2
    exit 1
fi
