#!/bin/bash
# Every report format at scale: generates 100k realistic documents
# (bench/gen.c) and runs `kvet check` once per format, to a file and to
# standard output (a pipe), printing the time, the peak resident memory and
# the report's size.  Formats that list resources one after another are
# written while the run goes on, so their memory should not grow with the
# report; markdown and html are made from the whole result.
#   bench/formats.sh [KVET [RULES]]     (make bench-formats)
# Environment: KVET_FORMATS_DOCS (default 100000), KVET_FORMATS_PACK (small,
# the pack of bench/small.kvet, or stock; default small), KVET_BENCH_RUNS
# (default 2: the best time and the largest memory are shown),
# KVET_BENCH_DIR (where data and tools go; default a temp dir, removed
# after).  It measures and prints; it never fails because of a figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kvet=${1:-$here/../kvet}
rules=${2:-$here/../rules}
docs=${KVET_FORMATS_DOCS:-100000}
runs=${KVET_BENCH_RUNS:-2}
work=${KVET_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work/bin"
case ${KVET_FORMATS_PACK:-small} in
    small) prules=$here/small.kvet ;;
    stock) prules=$rules ;;
    *) echo "formats.sh: KVET_FORMATS_PACK is small or stock" >&2; exit 2 ;;
esac

# time the program a libtool wrapper script runs, not a shell
kdir=$(cd "$(dirname "$kvet")" && pwd)
if [ -x "$kdir/.libs/kvet" ] && head -c 2 "$kvet" | grep -q '#!'; then
    kvet=$kdir/.libs/kvet
    export LD_LIBRARY_PATH="$kdir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ ! -x /usr/bin/time ]; then
    echo "formats.sh: /usr/bin/time (Debian package 'time') is needed to measure peak memory" >&2
    exit 0
fi
"${CC:-cc}" -O2 -o "$work/bin/gen" "$here/gen.c"
data="$work/data-$docs"
[ -d "$data" ] || "$work/bin/gen" "$docs" "$data" > /dev/null

echo "kvet: $kvet, ${KVET_FORMATS_PACK:-small} pack, $docs documents, -j 1"
printf '%-12s %-7s %8s %8s %12s\n' format to kvet_s rss_MB report_MB
for fmt in text json sarif junit tap github codeclimate markdown html; do
    for to in file stdout; do
        secs="" rss=0
        for _ in $(seq "$runs"); do
            if [ $to = file ]; then
                /usr/bin/time -f '%e %M' -o "$work/time.out" "$kvet" check -j 1 --rules "$prules" \
                    --format "$fmt" -o "$work/report" "$data" > /dev/null 2>&1 || true
                size=$(wc -c < "$work/report")
            else
                size=$( { /usr/bin/time -f '%e %M' -o "$work/time.out" "$kvet" check -j 1 --rules "$prules" \
                    --format "$fmt" "$data" 2> /dev/null || true; } | wc -c)
            fi
            # time(1) puts "Command exited with non-zero status N" first
            read -r s m < <(tail -n 1 "$work/time.out")
            if [ -z "$secs" ] || awk -v a="$s" -v b="$secs" 'BEGIN { exit !(a < b) }'; then secs=$s; fi
            if [ "$m" -gt "$rss" ]; then rss=$m; fi
        done
        awk -v f="$fmt" -v t="$to" -v s="$secs" -v m="$rss" -v b="$size" 'BEGIN {
            printf "%-12s %-7s %8.2f %8.1f %12.2f\n", f, t, s, m / 1024, b / 1048576 }'
        rm -f "$work/report"
    done
done
[ -n "${KVET_BENCH_DIR:-}" ] || rm -rf "$work"
