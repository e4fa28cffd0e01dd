#!/bin/bash
# fuzz-one.sh TARGET RATE: run the libFuzzer target build/fuzz/TARGET for
# $FUZZ_SECONDS (make fuzz runs each so, as fuzz-run-TARGET).
#
# Seeds: the target's own fuzz/seeds/TARGET/ under one of $FUZZ_DIRS when
# it has one, else the test media's MP4s under 2 MB ($MEDIA_DIR);
# fuzz_mp4 takes both (its own are small crafted files, inputs it once
# failed on).  It prints the end of the run and its executions, and fails
# when the target found something or ran fewer than RATE executions a
# second on average (a target that barely ran has not fuzzed).
set -euo pipefail

t=$1
rate=$2
: "${FUZZ_SECONDS:?}" "${MEDIA_DIR:?}" "${FUZZ_DIRS:?}"
both=" fuzz_mp4 "

f=build/fuzz/$t
seeds=$f.seeds
rm -rf "$seeds"
mkdir -p "$seeds"
own=
for d in $FUZZ_DIRS; do
    [ -d "$d/fuzz/seeds/$t" ] && own=$d/fuzz/seeds/$t
done
media=1
if [ -n "$own" ]; then
    cp "$own"/* "$seeds"/
    [[ $both == *" $t "* ]] || media=
fi
if [ -n "$media" ]; then
    find "$MEDIA_DIR" -name '*.mp4' -size -2M | while read -r m; do
        cp "$m" "$seeds/$(basename "$(dirname "$m")")-$(basename "$m")"
    done
fi
[ -n "$(ls "$seeds")" ] || { echo "$t: no seeds"; exit 1; }

floor=$(( rate * FUZZ_SECONDS ))
echo "== $f for ${FUZZ_SECONDS}s, $(ls "$seeds" | wc -l) seeds"
if ! "$f" -max_total_time="$FUZZ_SECONDS" -max_len=4000000 \
        -rss_limit_mb=2048 -print_final_stats=1 "$seeds" > "$f.log" 2>&1
then
    tail -60 "$f.log"
    exit 1
fi
tail -3 "$f.log"
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$f.log")
[ -n "$execs" ] || { echo "$t: no execution count"; exit 1; }
echo "== $t: $execs executions (floor $floor)"
if [ "$execs" -lt "$floor" ]; then
    echo "$t: $execs executions in ${FUZZ_SECONDS}s, under the floor of $floor"
    exit 1
fi
