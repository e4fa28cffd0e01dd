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

passed=()
failed=()
skipped=()

section() {
    local name=$1
    shift
    local t0 rc
    t0=$(date +%s)
    echo
    echo "======================================================================"
    echo "== $name: $*"
    echo "======================================================================"
    set +e
    ( set -eo pipefail; "$@" )
    rc=$?
    set -e
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
