#!/bin/bash
# kvet memory slope: peak resident memory as the input grows from about 100 MB
# to about 1 GB of YAML, for the small pack of bench/small.kvet and the stock
# pack, each writing a JSON report to a file.  The goal (README, issue 11) is
# at most 100 MB at 100k documents (105 MB of YAML), growing with what
# cross-resource rules keep, not with the input: so at most 100 MB of memory
# per 105 MB of input at any size.
#   bench/slope.sh [KVET [RULES]]
# Environment: KVET_SLOPE_MB (input sizes in MB, default "100 1000"),
# KVET_SLOPE_PACKS (default "small stock"; small-stdin: the small pack on the
# same documents piped to standard input, as one stream), KVET_SLOPE_TIMEOUT (seconds a run
# may take before it is stopped and shown as such; default 0, no limit),
# KVET_BENCH_DIR (where data and tools go; default a temp dir, removed after).
# It measures and prints, and says whether each run is within the goal's
# slope; it never fails because of a figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kvet=${1:-$here/../kvet}
rules=${2:-$here/../rules}
sizes=${KVET_SLOPE_MB:-"100 1000"}
packs=${KVET_SLOPE_PACKS:-"small stock"}
limit=${KVET_SLOPE_TIMEOUT:-0}
work=${KVET_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work/bin"
cc=${CC:-cc}
# the goal: 100 MB of memory at 105 MB of input
goal_mb=100
goal_input_mb=105

# time the program a libtool wrapper script runs, not a shell
kdir=$(cd "$(dirname "$kvet")" && pwd)
if [ -x "$kdir/.libs/kvet" ] && head -c 2 "$kvet" | grep -q '#!'; then
    kvet=$kdir/.libs/kvet
    export LD_LIBRARY_PATH="$kdir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ ! -x /usr/bin/time ]; then
    echo "slope.sh: /usr/bin/time (Debian package 'time') is needed to measure peak memory" >&2
    exit 0
fi
"$cc" -O2 -o "$work/bin/gen" "$here/gen.c"

# documents for a size: the generator's mean document size, from 1,000 of them
[ -d "$work/sample" ] || "$work/bin/gen" 1000 "$work/sample"
sample_bytes=$(cat "$work/sample"/*.yaml | wc -c)

echo "kvet: $kvet"
echo "goal: peak RSS <= $goal_mb MB per $goal_input_mb MB of input (stock pack, JSON report to a file)"
printf "%-11s %8s %9s %9s %9s %14s %9s  %s\n" pack input_MB docs kvet_s rss_MB rss_per_100MB goal_MB within
declare -A first_mb first_rss
slopes=()
for mb in $sizes; do
    docs=$(awk -v mb="$mb" -v b="$sample_bytes" 'BEGIN { printf "%d", mb * 1048576 / (b / 1000) }')
    data="$work/data-$docs"
    [ -d "$data" ] || "$work/bin/gen" "$docs" "$data"
    bytes=$(cat "$data"/*.yaml | wc -c)
    in_mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
    for pack in $packs; do
        case $pack in
            small | small-stdin) prules=$here/small.kvet ;;
            *) prules=$rules ;;
        esac
        cmd=("$kvet" check --quiet --fail-level never --format json -o "$work/report.json" --rules "$prules" "$data")
        if [ "$pack" = small-stdin ]; then
            # the files one after another, as one stream: time's peak RSS is
            # the largest of the shell's children, kvet
            cmd=(sh -c 'awk "FNR == 1 && NR > 1 { print \"---\" } { print }" "$1"/*.yaml | "$2" check --quiet \
                --fail-level never --format json -o "$3" --rules "$4" -' sh "$data" "$kvet" "$work/report.json" "$prules")
        fi
        [ "$limit" = 0 ] || cmd=(timeout "$limit" "${cmd[@]}")
        status=0
        /usr/bin/time -f '%e %M' -o "$work/time.out" "${cmd[@]}" > /dev/null 2> "$work/stderr" || status=$?
        read -r secs rss_kb < <(tail -n 1 "$work/time.out")
        if [ "$status" = 124 ]; then
            printf "%-11s %8s %9s %9s %9s %14s %9s  %s\n" "$pack" "$in_mb" "$docs" ">$limit" - - - "stopped"
            continue
        fi
        awk -v pk="$pack" -v mb="$in_mb" -v n="$docs" -v s="$secs" -v rss="$rss_kb" -v g="$goal_mb" \
            -v gi="$goal_input_mb" 'BEGIN {
            r = rss / 1024; goal = g * mb / gi; if (goal < g) goal = g
            printf "%-11s %8.1f %9d %9.2f %9.1f %14.1f %9.1f  %s\n", pk, mb, n, s, r, r / mb * 100, goal,
                r <= goal ? "yes" : "NO" }'
        key=$pack
        rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
        if [ -z "${first_mb[$key]:-}" ]; then
            first_mb[$key]=$in_mb
            first_rss[$key]=$rss_mb
        else
            # the slope between the smallest size and this one: what more input costs
            slopes+=("$(awk -v pk="$pack" -v a="${first_mb[$key]}" -v ra="${first_rss[$key]}" -v b="$in_mb" -v rb="$rss_mb" \
                -v g="$goal_mb" -v gi="$goal_input_mb" 'BEGIN {
                sl = (rb - ra) / (b - a) * 100; gs = g / gi * 100
                printf "%-11s slope %.1f -> %.1f MB of input: %.1f MB of RSS per 100 MB (goal <= %.1f): %s\n",
                    pk, a, b, sl, gs, sl <= gs ? "within the goal" : "OVER the goal" }')")
        fi
    done
done
for line in "${slopes[@]}"; do echo "$line"; done
[ -n "${KVET_BENCH_DIR:-}" ] || rm -rf "$work"
