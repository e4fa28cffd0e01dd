#!/bin/bash
# tools/asan/run.sh [t/FILE.t ...]: the Test::Nginx suites (every t/*.t by
# default) against the modules of `make asan`, in the stock nginx with
# ASan preloaded (tools/asan/nginx).  tools/test.sh's section "asan".
#
# First the canary, tools/asan/canary.t, must fail in exactly its two
# buggy blocks, with an ASan and a UBSan report: otherwise the sanitizers,
# the report files or the runner's check stopped working, and a green run
# would prove nothing.  Then each file runs with its reports in
# build-asan/reports/FILE/; a report fails the file and is printed here,
# whether or not the file's own runner saw it (t/006, t/007, t/112 and the
# *-config.t files start nginx without t/lib's runner).  A file failing
# with no report runs once more, and is named "flaky" if it then passes
# (see below).  Exits non-zero when a file failed.
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
REPORTS=$ROOT/build-asan/reports

mkdir -p build-asan
if ! make -j2 asan > build-asan/make.log 2>&1; then
    tail -40 build-asan/make.log
    echo "asan: make asan failed"
    exit 1
fi

MODS=$ROOT/modules-asan
export TEST_NGINX_BINARY=$ROOT/tools/asan/nginx
export TEST_NGINX_MEDIA=${TEST_NGINX_MEDIA:-$ROOT/build/media}
rm -rf "$REPORTS"

# the reports of $1's run, printed; status 1 if there was one
reports() {
    local f found=0
    for f in "$REPORTS/$1"/report.*; do
        [ -e "$f" ] || continue
        found=1
        echo "== asan: sanitizer report of $1: $f"
        cat "$f"
    done
    return $found
}

canary() {
    local out rc
    export TEST_NGINX_ASAN_DIR=$REPORTS/canary.t
    out=$(TEST_NGINX_LOAD_MODULES=$MODS/ngx_asan_canary_module.so \
          prove -v -I t/lib tools/asan/canary.t 2>&1)
    rc=$?
    if [ $rc -ne 0 ] \
        && ! grep -q '^not ok.*TEST 1:' <<< "$out" \
        && grep -q '^not ok.*TEST 2:.*no sanitizer report' <<< "$out" \
        && grep -q '^not ok.*TEST 3:.*no sanitizer report' <<< "$out" \
        && grep -q 'ERROR: AddressSanitizer: heap-buffer-overflow' <<< "$out" \
        && grep -q 'ERROR: AddressSanitizer: ILL' <<< "$out"
    then
        echo "asan: the canary's two bugs were caught (heap-buffer-overflow, UBSan trap)"
        return 0
    fi
    echo "$out"
    echo "asan: FAIL: the canary's bugs were not caught as expected (above)"
    return 1
}

failed=()
t0=$(date +%s)

canary || failed+=(tools/asan/canary.t)

export TEST_NGINX_LOAD_MODULES="$MODS/ngx_vod_package_module.so $MODS/ngx_stream_playback_module.so $MODS/ngx_steering_module.so"

# Suites that run LuaJIT (lua_package_path in their config) run with ASan's
# fast unwinder on malloc: LuaJIT registers a compiled trace's unwind
# tables with libgcc, and the slow unwinder (fast_unwind_on_malloc=0, set
# by tools/asan/nginx for readable allocation stacks) then deadlocks in
# _Unwind_Find_FDE, which holds its lock and mallocs; a worker hung so in
# t/125-lua-api.t every time, and in t/120-lua.t once in about 25 runs.
# Their reports give shorter allocation stacks (nginx has no frame
# pointers), not fewer reports.
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    files=(t/*.t)
fi

# Files run $ASAN_JOBS at a time (default 2) where tools/isolate.sh can
# give each its own network and PID namespace, each with its own server
# root (build-asan/servroot/NAME); one at a time elsewhere.
JOBS=${ASAN_JOBS:-2}
RUN=(prove -I t/lib)
if tools/isolate.sh -c; then
    RUN=(prove --exec tools/test-file.sh)
    export SERVROOTS=$ROOT/build-asan/servroot
else
    JOBS=1
fi

# one run of $1, its output in $2; status 0 when it passed with no report
run_file() {
    local t=$1 name
    name=$(basename "$t")
    export TEST_NGINX_ASAN_DIR=$REPORTS/$name
    rm -rf "$TEST_NGINX_ASAN_DIR"
    if grep -q lua_package_path "$t"; then
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=1 \
            "${RUN[@]}" "$t" > "$2" 2>&1
    else
        "${RUN[@]}" "$t" > "$2" 2>&1
    fi
}

# A file that fails with no sanitizer report runs once more: the
# sanitizers slow nginx down two to three times, and a suite's timing
# (a slow upstream, a client leaving) can then miss by a little; this
# section looks for memory errors, which fail it whether or not the file
# passes the second time.  Such a file is named under "flaky" with its
# first run's failures, so it is seen, not hidden.
# check_file T: T's runs (once more when it failed with no report), what
# they printed, and its verdict; the last line is "ok", "flaky" or "FAIL"
check_file() {
    local t=$1 name out rc t1
    name=$(basename "$t")
    t1=$(date +%s)
    out=$REPORTS/$name.out
    run_file "$t" "$out"
    rc=$?
    cat "$out"
    if ! reports "$name"; then
        rc=1
    elif [ $rc -ne 0 ]; then
        cp "$out" "$out.first"
        echo "== asan: $t failed with no sanitizer report; once more"
        run_file "$t" "$out"
        rc=$?
        cat "$out"
        reports "$name" || rc=1
        if [ $rc -eq 0 ]; then
            echo "== asan: $t: passed the second time; the first's failures:"
            grep -E '^not ok|^#  ' "$out.first" | head -20 || true
            echo "== asan: $t: ok, flaky ($(( $(date +%s) - t1 )) s)"
            echo flaky
            return
        fi
    fi
    echo "== asan: $t: $([ $rc -eq 0 ] && echo ok || echo FAIL)" \
         "($(( $(date +%s) - t1 )) s)"
    [ $rc -eq 0 ] && echo ok || echo FAIL
}

# the files, $JOBS at a time; then each one's output, printed whole in the
# files' order
mkdir -p "$REPORTS"
flaky=()
running=0
for t in "${files[@]}"; do
    if [ $running -ge "$JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    check_file "$t" > "$REPORTS/$(basename "$t").log" 2>&1 &
    running=$((running + 1))
done
wait
for t in "${files[@]}"; do
    log=$REPORTS/$(basename "$t").log
    sed '$d' "$log"
    case $(tail -n1 "$log") in
    ok) ;;
    flaky) flaky+=("$t") ;;
    *) failed+=("$t") ;;
    esac
done

echo "== asan: ${#files[@]} files in $(( $(date +%s) - t0 )) s;" \
     "flaky: ${flaky[*]:-none}; failed: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
