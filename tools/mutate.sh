#!/bin/bash
# mutate.sh: does the suite notice a broken module?  (make mutate)
#
#   tools/mutate.sh                 every breakage of tools/mutations.txt
#   tools/mutate.sh NAME...         only these
#   tools/mutate.sh -l              list them
#
# A scratch copy of the tree (the files git knows of, as they are in the
# working tree, untracked ones included) goes to build/mutate/tree; the
# working tree is never touched.  The copy is built and the suites every
# breakage names must pass on it unbroken (else nothing can be judged).
# Then, one at a time: the breakage is applied (its exact fragment must
# occur once in its file, or the run stops), the modules are rebuilt, the
# suites it names are run, and they must FAIL; the file is put back.
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
#   MUTATE_PIDNS    0: no PID namespace for the suites even where one can
#                   be made (what is left is then reaped by name)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
MUTATIONS=${MUTATIONS:-$ROOT/tools/mutations.txt}
SCRATCH=$ROOT/build/mutate
TREE=$SCRATCH/tree
RUNNER=${MUTATE_RUNNER:-}
export TEST_NGINX_MEDIA=${TEST_NGINX_MEDIA:-$ROOT/build/media}
export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
FAIL_FAST=
[ "${MUTATE_FAIL_FAST:-1}" != 0 ] && FAIL_FAST=1
PIDNS=
if [ "${MUTATE_PIDNS:-1}" != 0 ] && unshare -p -f --mount-proc true 2>/dev/null
then
    PIDNS=1
fi

# the breakages as "name<TAB>file<TAB>suites<TAB>why" lines
list() {
    perl -ne '
        if (/^@ (\S+)/) { print "\n" if $n++; print $1; next }
        print "\t$1" if /^(?:file|suites|why): (.*)$/;
        END { print "\n" if $n }' "$MUTATIONS"
}

# apply NAME to the copy: the fragment must occur exactly once
apply() {
    perl -e '
        my ($name, $file, $tree) = @ARGV;
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
        $text =~ s/\Q$old\E/$new/;
        open $f, ">", "$tree/$path" or die "$tree/$path: $!\n";
        print $f $text;
        close $f or die "$tree/$path: $!\n";
    ' "$1" "$MUTATIONS" "$TREE"
}

build() {
    make -C "$TREE" modules tools > "$SCRATCH/build.log" 2>&1
}

# suites LOG T...: run the suites in the copy, output in LOG; 0 when
# every one passed.  A breakage's suites stop at their first failure
# (t/lib/FailFast.pm): a file cut short may leave behind what it started
# (a daemonized nginx, redis-server), which would hold the fixed ports
# and fail the next breakage's suites for no fault of its own, so the
# suites run in a PID namespace of their own where unshare(1) may make
# one: whatever is left in it dies with it.  Elsewhere, in CI (CI set,
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
        (cd "$TREE" && unshare -p -f --mount-proc \
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

echo "== copying the tree to $TREE"
rm -rf "$SCRATCH"
mkdir -p "$TREE"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do
        # a file deleted in the working tree, or a symlinked directory
        [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\0' "$f"
    done \
    | tar --null -T - -cf - | tar -C "$TREE" -xf -

export TEST_NGINX_LOAD_MODULES="$TREE/modules/ngx_vod_package_module.so $TREE/modules/ngx_stream_playback_module.so $TREE/modules/ngx_steering_module.so"

echo "== building the copy unbroken"
if ! build; then
    tail -30 "$SCRATCH/build.log"
    echo "mutate: the unbroken copy does not build" >&2
    exit 2
fi

all_suites=$(for n in "${names[@]}"; do echo ${suites_of[$n]}; done \
             | tr ' ' '\n' | sort -u | tr '\n' ' ')
echo "== the suites unbroken: $all_suites"
# shellcheck disable=SC2086
if ! suites "$SCRATCH/prove-unbroken.log" $all_suites; then
    tail -40 "$SCRATCH/prove-unbroken.log"
    echo "mutate: the suites fail on the unbroken copy: nothing to judge" >&2
    exit 2
fi

results=()
bad=0
for n in "${names[@]}"; do
    f=${file_of[$n]}
    t1=$(date +%s)
    cp -p "$TREE/$f" "$SCRATCH/original"
    if ! apply "$n"; then
        results+=("$n: NOT APPLIED (see above)")
        bad=1
        continue
    fi
    if ! build; then
        tail -20 "$SCRATCH/build.log"
        results+=("$n: DOES NOT BUILD")
        bad=1
    else
        log=$SCRATCH/prove-$n.log
        # shellcheck disable=SC2086
        if suites "$log" ${suites_of[$n]}; then
            results+=("$n: MISSED by ${suites_of[$n]}")
            bad=1
        else
            # prove's summary names each failing file "t/X.t (Wstat: ...)"
            failed=$(grep -oE '^t/[^ ]+\.t +\(Wstat' "$log" \
                     | cut -d' ' -f1 | tr '\n' ' ' || true)
            failed=${failed% }
            results+=("$n: caught by ${failed:-prove}")
        fi
    fi
    echo "== $n: ${results[-1]#*: } ($(( $(date +%s) - t1 )) s)"
    # the first assertion that failed, as evidence
    grep -m1 '#   Failed test' "${log:-/dev/null}" 2>/dev/null \
        | sed 's/^/    /' || true
    log=
    # the file back, newer than the objects built from the breakage
    cp "$SCRATCH/original" "$TREE/$f"
    touch "$TREE/$f"
done

# the copy put back builds again (each breakage's prove output stays in
# build/mutate/prove-NAME.log)
build || true

echo
echo "mutation: result"
for r in "${results[@]}"; do
    echo "  $r"
done
echo "total time: $(( $(date +%s) - t0 )) s"
exit $bad
