#!/bin/bash
# test.sh: THE test command (what .ci/run and `make test` call).
#
#   tools/test.sh                 everything, from a fresh clone
#   FUZZ_SECONDS=10 tools/test.sh shorter fuzzing
#   SKIP_DEPS=1 tools/test.sh     do not run tools/install-deps.sh
#
# Sections, in order: deps, style, build, symbols (tools/check-symbols.sh),
# unit, prove (Test::Nginx suites under t/),
# asan (the same suites against the modules built with ASan and UBSan:
# tools/asan/run.sh), mutate (tools/mutate.sh: breakages the suites must
# catch), fuzz, media check (tools/check-media.sh: the core through
# bin/vodpkg),
# origin checks (tools/check-origin.sh: every stream through nginx, with and
# without threads), npm (e2e's packages, downloaded in the background since
# deps), shipped-confs (tools/check-confs.sh), fleet (the
# many-host test, tools/fleet/fleet-test.sh), the demo title,
# e2e, e2e-audio, e2e-steering and e2e-drm (real players in chromium), demo
# (tools/check-demo.sh).  A failing section
# does not stop the later ones; the last
# line is "N passed, M failed" over the sections, and the exit status is
# non-zero when any failed.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

# 30 s per target (17 of them, two at a time): the whole run must stay
# well under CI's 90 minutes, which it went over on 2026-12-05 (40 s
# each, one at a time); make fuzz alone defaults to 60
export FUZZ_SECONDS=${FUZZ_SECONDS:-30}
export TEST_NGINX_MEDIA=${TEST_NGINX_MEDIA:-$ROOT/build/media}
export TEST_NGINX_LOAD_MODULES=${TEST_NGINX_LOAD_MODULES:-$ROOT/modules/ngx_vod_package_module.so $ROOT/modules/ngx_stream_playback_module.so $ROOT/modules/ngx_steering_module.so}
export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}

# section NAME CMD...: a failing section does not stop the later ones
. tools/section.sh
start_all=$(date +%s)

# e2e's npm packages download in the background while the rest builds
# and runs (the registry sets their pace, not the CPU: two minutes in
# CI); section npm waits for them before the first section that serves
# e2e/ (shipped-confs)
npm_pid=
if [ -z "${SKIP_DEPS:-}" ]; then
    section deps env SKIP_NPM=1 tools/install-deps.sh
    ONLY_NPM=1 tools/install-deps.sh > "$SECTION_LOGS/npm.out" 2>&1 &
    npm_pid=$!
fi

section style tools/check-style.sh
# every breakage of tools/mutations.txt still applies (a second: mutate
# would find out after twenty minutes)
section mutations-apply tools/mutate.sh -c
section build make -j2 all fixtures
# each module .so exports only the loader's symbols, its ngx_module_t and
# its public C API (tools/check-symbols.sh)
section symbols tools/check-symbols.sh
# the build where FFmpeg's development files are missing still works and
# refuses thumbnails: it broke unseen once (t/016 on that build)
section no-ffmpeg sh -c 'make -j2 noav && TEST_NGINX_LOAD_MODULES="$(ls "$PWD"/modules-noav/*.so | tr "\n" " ")" prove -I t/lib t/016-thumbnail-config.t'
section unit make -j2 unit
# two files at a time, each in a network and PID namespace of its own
# (tools/test-file.sh), where tools/isolate.sh can make them (root or user
# namespaces); one at a time elsewhere
if tools/isolate.sh -c; then
    section prove prove -j2 --exec tools/test-file.sh -r t/
else
    section prove prove -I t/lib -r t/
fi
# the suites again, the modules built with ASan and UBSan (make asan) in
# the stock nginx with libasan preloaded; a sanitizer report fails it
section asan tools/asan/run.sh
# deliberate breakages of the modules (tools/mutations.txt), one at a time
# in each of two copies under build/mutate: the suites each names must
# fail (they stop at their first failure).  When section prove passed,
# every suite has just passed on these very files, so mutate does not run
# them unbroken once more first (MUTATE_UNBROKEN=0)
unbroken=1
[[ " ${passed[*]:-} " == *" prove "* ]] && unbroken=0
section mutate env MUTATE_UNBROKEN=$unbroken tools/mutate.sh
# two targets at a time, each on a core (make -O: each one's output whole)
section fuzz make -j2 -O fuzz FUZZ_SECONDS="$FUZZ_SECONDS"

if [ -x tools/check-media.sh ]; then
    section media-check tools/check-media.sh "$TEST_NGINX_MEDIA"
elif [ -f tools/check-media.sh ]; then
    section media-check bash tools/check-media.sh "$TEST_NGINX_MEDIA"
else
    skip media-check "tools/check-media.sh does not exist yet"
fi

# every stream of every test title, fetched from a real nginx as a player
# would, decoded by ffmpeg; then again with "aio threads"
section origin-check tools/check-origin.sh "$TEST_NGINX_MEDIA"
section origin-check-threads env THREADS=1 tools/check-origin.sh \
    "$TEST_NGINX_MEDIA"

if [ -n "$npm_pid" ]; then
    npm_rc=0
    wait "$npm_pid" || npm_rc=$?
    section npm sh -c 'cat "$1"; exit "$2"' npm "$SECTION_LOGS/npm.out" \
        "$npm_rc"
fi

# conf/origin.conf, edge.conf and steering.conf as the README runs them:
# nginx -t, started, the quick-start URLs answered
section shipped-confs tools/check-confs.sh "$TEST_NGINX_MEDIA"

# the fleet on one machine (network namespaces): two origins, a shield,
# three edges, steering, Redis with Sentinel, a client; an origin killed,
# an edge reloaded, Redis failed over and stopped, an edge killed, under
# load (tools/fleet/fleet-test.sh; `make fleet-test` runs longer phases)
section fleet env FLEET_SHORT=1 tools/fleet/fleet-test.sh

# the demo title itself (60 s, three renditions, as tools/demo.sh makes it;
# made once into build/demo-media): every segment decoded, then played,
# seeked and played on in hls.js (CMAF and TS) and dash.js
DEMO_MEDIA=$ROOT/build/demo-media
section demo-media tools/demo-media.sh "$DEMO_MEDIA"
section demo-origin-check env THREADS=1 tools/check-origin.sh "$DEMO_MEDIA"
# then subtitles (e2e/subs.js, on tools/mkmedia-subs.sh's sidecars and
# tools/mkmedia-text.sh's text tracks): hls.js, dash.js and Shaka Player
# list the tracks and show the cues at their times; then AV1, a turned
# (portrait) video and a cut one (e2e/codecs.js, on
# tools/mkmedia-codecs.sh's titles, made once into
# build/e2e-codecs-media) play in all three
e2e_players() {
    local rc=0
    env E2E_MEDIA="$DEMO_MEDIA" node e2e/play.js || rc=1
    node e2e/subs.js || rc=1
    node e2e/codecs.js || rc=1
    return $rc
}
section e2e e2e_players
# audio languages: hls.js, dash.js and Shaka Player (HLS and DASH) list a
# three-track title's languages and switch to German mid-play (titles of
# tools/mkmedia-audio.sh, made once into build/e2e-audio-media)
section e2e-audio node e2e/audio.js
# hls.js and dash.js follow ngx_steering's Content Steering manifest from
# a cache marked unhealthy (its server still serving) to the second one;
# the dash.js case listens on port 80 (dash.js drops a clone's port)
section e2e-steering env E2E_MEDIA="$DEMO_MEDIA" node e2e/steering.js
# protected output: Shaka Player and dash.js decrypt and play the DASH
# cenc and cbcs of the demo title with ClearKey from the title's clearkey
# licence URL, and do not play with a licence URL that answers 404 or a
# key for another KID; hls.js plays the HLS CMAF of both (e2e/drm.js)
section e2e-drm env E2E_MEDIA="$DEMO_MEDIA" node e2e/drm.js
# thumbnails: Shaka Player lists the MPD's and the HLS image playlist's
# tile track and finds each tile where the sheets have it; hls.js and
# dash.js play with the image tracks in the manifests (e2e/thumbs.js)
section e2e-thumbs env E2E_MEDIA="$DEMO_MEDIA" node e2e/thumbs.js

# tools/demo.sh as a user runs it: every URL and command it prints
# answers as printed, and `tools/demo.sh stop` leaves nothing running
section demo tools/check-demo.sh "$DEMO_MEDIA"

failures
echo
echo "======================================================================"
echo "sections passed: ${passed[*]:-none}"
echo "sections failed: ${failed[*]:-none}"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "sections skipped: ${skipped[*]}"
fi
echo "total time: $(( $(date +%s) - start_all )) s"
echo "${#passed[@]} passed, ${#failed[@]} failed"

[ ${#failed[@]} -eq 0 ]
