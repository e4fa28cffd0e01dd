#!/bin/bash
# mutate.sh: does the suite notice a broken module?  (make mutate)
#
#   tools/mutate.sh                 every breakage of tools/mutations.txt
#   tools/mutate.sh NAME...         only these
#   tools/mutate.sh -l              list them
#   tools/mutate.sh -c              check that each one's fragment occurs
#                                   exactly once in the working tree
#                                   (a second; nothing is built or run)
#
# A scratch copy of the tree (the files git knows of, as they are in the
# working tree, untracked ones included) goes to build/mutate/tree-1 (and
# tree-2 ... for more workers); the working tree is never touched.  The
# copies are built and the suites every breakage names must pass on one
# unbroken (else nothing can be judged).  Then each worker takes its
# share of the breakages, one at a time in its own copy: the breakage is
# applied (its exact fragment must occur once in its file), the modules
# are rebuilt, the suites it names are run, and they must FAIL; the file
# is put back.
# The end is a table "name: caught/MISSED", and the exit status is
# non-zero when any breakage was MISSED or could not be applied or built.
#
# Environment:
#   MUTATE_RUNNER   a command prefix for the suites, e.g. /work/wt/isolated
#                   when other nginx/redis servers may hold the fixed test
#                   ports (default: none, as in CI)
#   TEST_NGINX_MEDIA    test media (default: build/media of this tree)
#   MUTATIONS       the breakage file (default: tools/mutations.txt)
#   MUTATE_FAIL_FAST   0: run a breakage's suites to their end, not only
#                   to their first failure (default 1)
#   MUTATE_PIDNS    0: no namespaces for the suites even where they can
#                   be made (what is left is then reaped by name; one
#                   worker)
#   MUTATE_JOBS     workers side by side (default 2), each with its own
#                   copy; where tools/isolate.sh cannot give the suites
#                   namespaces of their own (their ports are fixed), 1
#   MUTATE_UNBROKEN 0: do not run the suites on the unbroken copy first,
#                   for a caller that has just seen them all pass on the
#                   same files (tools/test.sh, after its prove section)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
MUTATIONS=${MUTATIONS:-$ROOT/tools/mutations.txt}
SCRATCH=$ROOT/build/mutate
RUNNER=${MUTATE_RUNNER:-}
export TEST_NGINX_MEDIA=${TEST_NGINX_MEDIA:-$ROOT/build/media}
export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
FAIL_FAST=
[ "${MUTATE_FAIL_FAST:-1}" != 0 ] && FAIL_FAST=1
PIDNS=
if [ "${MUTATE_PIDNS:-1}" != 0 ] && tools/isolate.sh -c; then
    PIDNS=1
fi
JOBS=${MUTATE_JOBS:-2}
[ -n "$PIDNS" ] || JOBS=1

# the breakages as "name<TAB>file<TAB>suites<TAB>why" lines
list() {
    perl -ne '
        if (/^@ (\S+)/) { print "\n" if $n++; print $1; next }
        print "\t$1" if /^(?:file|suites|why): (.*)$/;
        END { print "\n" if $n }' "$MUTATIONS"
}

# apply NAME to the copy $TREE (each worker's own): the fragment must
# occur exactly once; with a second argument "check", only that is
# checked and nothing written
apply() {
    perl -e '
        my ($name, $file, $tree, $check) = @ARGV;
        my ($in, $path, $old, $new) = (0, undef, "", "");
        open my $m, "<", $file or die "$file: $!\n";
        while (<$m>) {
            if (/^@ (\S+)/) { last if $in; $in = ($1 eq $name); next }
            next unless $in;
            if (/^file: (\S+)/) { $path = $1 }
            elsif (/^-(.*\n)/) { $old .= $1 }
            elsif (/^\+(.*\n)/) { $new .= $1 }
        }
        die "no breakage $name in $file\n" unless $in && defined $path;
        die "$name: no - lines\n" if $old eq "";
        open my $f, "<", "$tree/$path" or die "$tree/$path: $!\n";
        my $text = do { local $/; <$f> };
        close $f;
        my $count = () = $text =~ /\Q$old\E/g;
        die "$name: the fragment occurs $count times in $path, not once:\n"
            . $old if $count != 1;
        exit 0 if $check;
        $text =~ s/\Q$old\E/$new/;
        open $f, ">", "$tree/$path" or die "$tree/$path: $!\n";
        print $f $text;
        close $f or die "$tree/$path: $!\n";
    ' "$1" "$MUTATIONS" "$TREE" "${2:-}"
}

build() {
    make -C "$TREE" modules tools > "$TREE.build.log" 2>&1
}

# suites LOG T...: run the suites in the copy, output in LOG; 0 when
# every one passed.  A breakage's suites stop at their first failure
# (t/lib/FailFast.pm): a file cut short may leave behind what it started
# (a daemonized nginx, redis-server), which would hold the fixed ports
# and fail the next breakage's suites for no fault of its own, so the
# suites run in a network and PID namespace of their own
# (tools/isolate.sh) where they can be made: whatever is left in it dies
# with it, and two workers' suites do not meet on a port.  Elsewhere, in CI (CI set,
# where nothing else runs), the nginx and redis processes that were not
# there before are reaped by name; outside CI they might be someone
# else's, so nothing is reaped (MUTATE_FAIL_FAST=0 is then the safe
# choice).
suites() {
    local log=$1 ff=
    shift
    # HARNESS_PERL_SWITCHES: into the test files, not prove itself
    [ -n "$FAIL_FAST" ] && ff=-MFailFast
    export HARNESS_PERL_SWITCHES=$ff
    if [ -n "$PIDNS" ]; then
        (cd "$TREE" && "$ROOT/tools/isolate.sh" \
            $RUNNER prove -I t/lib "$@") > "$log" 2>&1
        return
    fi
    local before rc=0
    before=$(pgrep -x 'nginx|redis-server|redis-sentinel' | sort || true)
    (cd "$TREE" && $RUNNER prove -I t/lib "$@") > "$log" 2>&1 || rc=$?
    [ -n "$ff" ] && [ -n "${CI:-}" ] && reap "$before"
    return $rc
}

# reap BEFORE: kill the nginx and redis processes not in BEFORE (pids)
reap() {
    local left
    left=$(comm -13 <(echo "$1") \
           <(pgrep -x 'nginx|redis-server|redis-sentinel' | sort || true))
    [ -z "$left" ] && return
    echo "mutate: reaping what the suites left: $(echo $left)" >&2
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    sleep 1
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
}

if [ "${1:-}" = -l ]; then
    list | awk -F'\t' '{ printf "%-28s %s\n    %s\n", $1, $4, $3 }'
    exit 0
fi

if [ "${1:-}" = -c ]; then
    TREE=$ROOT
    bad=0
    while IFS=$'\t' read -r name _; do
        apply "$name" check || bad=$((bad + 1))
    done < <(list)
    [ "$bad" -eq 0 ] || { echo "mutate: $bad fragment(s) do not apply" >&2;
                          exit 1; }
    echo "mutate: every fragment occurs exactly once"
    exit 0
fi

t0=$(date +%s)
log=
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    mapfile -t names < <(list | cut -f1)
fi
declare -A file_of suites_of
while IFS=$'\t' read -r name file suites why; do
    file_of[$name]=$file
    suites_of[$name]=$suites
done < <(list)
for n in "${names[@]}"; do
    if [ -z "${file_of[$n]:-}" ]; then
        echo "mutate: no breakage named $n in $MUTATIONS" >&2
        exit 2
    fi
done

# use_tree I: worker I's copy is the one apply, build and suites work on
use_tree() {
    TREE=$SCRATCH/tree-$1
    export TEST_NGINX_LOAD_MODULES="$TREE/modules/ngx_vod_package_module.so $TREE/modules/ngx_stream_playback_module.so $TREE/modules/ngx_steering_module.so"
}

echo "== copying the tree to $SCRATCH/tree-1 .. tree-$JOBS"
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/tree-1"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do
        # a file deleted in the working tree, or a symlinked directory
        [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\0' "$f"
    done \
    | tar --null -T - -cf - | tar -C "$SCRATCH/tree-1" -xf -
for w in $(seq 2 "$JOBS"); do
    cp -a "$SCRATCH/tree-1" "$SCRATCH/tree-$w"
done

echo "== building the copies unbroken"
for w in $(seq "$JOBS"); do
    (use_tree "$w"; build) &
done
for w in $(seq "$JOBS"); do
    if ! wait -n; then
        tail -n 30 "$SCRATCH"/tree-*.build.log
        echo "mutate: an unbroken copy does not build" >&2
        exit 2
    fi
done

all_suites=$(for n in "${names[@]}"; do echo ${suites_of[$n]}; done \
             | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ "${MUTATE_UNBROKEN:-1}" = 0 ]; then
    echo "== the suites unbroken: not run (MUTATE_UNBROKEN=0)"
else
    echo "== the suites unbroken: $all_suites"
    use_tree 1
    # shellcheck disable=SC2086
    if ! suites "$SCRATCH/prove-unbroken.log" $all_suites; then
        tail -40 "$SCRATCH/prove-unbroken.log"
        echo "mutate: the suites fail on the unbroken copy: nothing to judge" >&2
        exit 2
    fi
fi

# judge N: the breakage N in this worker's copy ($TREE); one line "name:
# verdict" in $SCRATCH/result-N, and its report (with the first assertion
# that failed, as evidence) printed in one piece
judge() {
    local n=$1 f=${file_of[$1]} t1 log='' result evidence='' failed
    t1=$(date +%s)
    cp -p "$TREE/$f" "$TREE.original"
    if ! apply "$n"; then
        result="$n: NOT APPLIED (see above)"
    elif ! build; then
        tail -20 "$TREE.build.log"
        result="$n: DOES NOT BUILD"
    else
        log=$SCRATCH/prove-$n.log
        # shellcheck disable=SC2086
        if suites "$log" ${suites_of[$n]}; then
            result="$n: MISSED by ${suites_of[$n]}"
        else
            # prove's summary names each failing file "t/X.t (Wstat: ...)"
            failed=$(grep -oE '^t/[^ ]+\.t +\(Wstat' "$log" \
                     | cut -d' ' -f1 | tr '\n' ' ' || true)
            failed=${failed% }
            result="$n: caught by ${failed:-prove}"
        fi
        evidence=$(grep -m1 '#   Failed test' "$log" 2>/dev/null \
                   | sed 's/^/    /' || true)
    fi
    echo "$result" > "$SCRATCH/result-$n"
    printf '== %s (%s s)\n%s' "$n: ${result#*: }" \
        "$(( $(date +%s) - t1 ))" "${evidence:+$evidence
}"
    # the file back, newer than the objects built from the breakage
    cp "$TREE.original" "$TREE/$f"
    touch "$TREE/$f"
}

# worker I: every JOBS-th breakage from the I-th, then its copy put back
# builds again (each breakage's prove output stays in
# build/mutate/prove-NAME.log)
worker() {
    local i
    use_tree "$1"
    for ((i = $1 - 1; i < ${#names[@]}; i += JOBS)); do
        judge "${names[$i]}"
    done
    build || true
}

for w in $(seq "$JOBS"); do
    worker "$w" &
done
wait

results=()
bad=0
for n in "${names[@]}"; do
    r=$(cat "$SCRATCH/result-$n" 2>/dev/null || echo "$n: NOT RUN")
    results+=("$r")
    case $r in *": caught by "*) ;; *) bad=1 ;; esac
done

echo
echo "mutation: result"
for r in "${results[@]}"; do
    echo "  $r"
done
echo "total time: $(( $(date +%s) - t0 )) s"
exit $bad
