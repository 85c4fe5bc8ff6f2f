#!/bin/bash
# kvet benchmark: generates 1k, 10k and 100k realistic documents and compares
# `kvet check` with a bare libyaml parse of the same bytes.
#   bench/run.sh [KVET [RULES]]      (make bench runs it with the built kvet)
# Environment: KVET_BENCH_DIR (where data and tools go; default a temp dir),
# KVET_BENCH_SIZES (default "1000 10000 100000"), KVET_BENCH_RUNS (default 3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kvet=${1:-$here/../kvet}
rules=${2:-$here/../rules}
sizes=${KVET_BENCH_SIZES:-"1000 10000 100000"}
runs=${KVET_BENCH_RUNS:-3}
work=${KVET_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work/bin"
cc=${CC:-cc}

"$cc" -O2 -o "$work/bin/gen" "$here/gen.c"
"$cc" -O2 -o "$work/bin/yamlparse" "$here/yamlparse.c" $(pkg-config --cflags --libs yaml-0.1)

have_time=0
if [ -x /usr/bin/time ]; then have_time=1; else
    echo "note: /usr/bin/time (Debian package 'time') is missing: peak RSS is not measured" >&2
fi

# measure CMD...: sets secs and rss_kb to the best of $runs runs
measure() {
    secs=""
    rss_kb=0
    for _ in $(seq "$runs"); do
        if [ $have_time = 1 ]; then
            /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" > /dev/null 2> "$work/stderr" || true
            # time(1) puts "Command exited with non-zero status N" first
            read -r s m < <(tail -n 1 "$work/time.out")
        else
            local t0 t1
            t0=$(date +%s.%N)
            "$@" > /dev/null 2> "$work/stderr" || true
            t1=$(date +%s.%N)
            s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
            m=0
        fi
        if [ -z "$secs" ] || awk -v a="$s" -v b="$secs" 'BEGIN { exit !(a < b) }'; then secs=$s; fi
        if [ "$m" -gt "$rss_kb" ]; then rss_kb=$m; fi
    done
}

printf '%-8s %8s %8s %9s %9s %7s %11s %8s %9s\n' size docs MB parse_s kvet_s ratio docs/s MB/s rss_MB
for n in $sizes; do
    data="$work/data-$n"
    [ -d "$data" ] || "$work/bin/gen" "$n" "$data"
    bytes=$(cat "$data"/*.yaml | wc -c)
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
    measure "$work/bin/yamlparse" "$data"
    parse=$secs
    measure "$kvet" check --quiet --fail-level never --format json -o /dev/null --rules "$rules" "$data"
    check=$secs
    rss=$rss_kb
    awk -v n="$n" -v mb="$mb" -v p="$parse" -v c="$check" -v rss="$rss" 'BEGIN {
        printf "%-8s %8s %8s %9.2f %9.2f %7.2f %11.0f %8.1f %9.1f\n", n, n, mb, p, c, c / (p + 0.0001),
            n / (c + 0.0001), mb / (c + 0.0001), rss / 1024 }'
done
[ -n "${KVET_BENCH_DIR:-}" ] || rm -rf "$work"
