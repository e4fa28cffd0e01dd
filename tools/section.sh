# section.sh: the sections of tools/test.sh, sourced by it (and by
# t/301-test-sh.t, which checks that a failing section is reported).
#
#   section NAME CMD ARGS...   run CMD, count NAME as passed or failed
#   skip NAME WHY              count NAME as skipped
#
# CMD runs in a subshell with `set -e` in force: a shell function given as
# CMD stops at its first failing command and the section fails, as a
# script would.  (Called plainly, not from an `if` or `||`, so bash does
# not suspend `set -e` inside it.)
#
#   failures                   for each failed section, the lines of its
#                              output that say why (not ok, FAIL, sanitizer
#                              and Test::More reports), at most 40 each
#
# Each section's output (stdout and stderr) is also kept in
# $SECTION_LOGS/NAME.log (default: a temporary directory): CI shows only
# the end of a run's output, so `failures`, printed next to the summary,
# is where a failure's cause is seen.

SECTION_LOGS=${SECTION_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/sections.XXXXXX")}
mkdir -p "$SECTION_LOGS"

passed=()
failed=()
skipped=()

section() {
    local name=$1
    shift
    local t0 rc tee_pid
    t0=$(date +%s)
    echo
    echo "======================================================================"
    echo "== $name: $*"
    echo "======================================================================"
    # the output teed through a fifo, not a pipe: a daemon the section
    # leaves behind holding its output would keep a pipeline waiting
    rm -f "$SECTION_LOGS/fifo"
    mkfifo "$SECTION_LOGS/fifo"
    tee "$SECTION_LOGS/$name.log" < "$SECTION_LOGS/fifo" &
    tee_pid=$!
    set +e
    ( set -eo pipefail; "$@" ) > "$SECTION_LOGS/fifo" 2>&1
    rc=$?
    set -e
    # tee's last lines before the verdict, but not forever (as above)
    for _ in $(seq 50); do
        kill -0 "$tee_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ $rc -eq 0 ]; then
        passed+=("$name")
        echo "== $name: PASS ($(( $(date +%s) - t0 )) s)"
    else
        failed+=("$name")
        echo "== $name: FAIL, exit $rc ($(( $(date +%s) - t0 )) s)"
    fi
}

skip() {
    skipped+=("$1")
    echo
    echo "== $1: SKIPPED ($2)"
}

failures() {
    local name
    for name in ${failed[@]+"${failed[@]}"}; do
        echo
        echo "== $name failed; what its output says why" \
             "($SECTION_LOGS/$name.log):"
        grep -E '^not ok|FAIL|ERROR: [A-Za-z]+Sanitizer|runtime error|#   Failed test|^#  +(got|expected)|^== .*: sanitizer report' \
            "$SECTION_LOGS/$name.log" | cut -c1-240 | head -40 || true
    done
}
