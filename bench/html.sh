#!/bin/bash
# The HTML audit report at scale: generates 1k, 10k and 100k documents
# (bench/gen.c), writes the report of each with the stock pack and opens it
# in headless Chromium, printing the report's size, the time kvet took and
# the time the browser took to load and lay out the page.
# Usage: bench/html.sh KVET [RULES]   (KVET_BENCH_DIR keeps the documents)
set -eu
kvet=${1:?usage: bench/html.sh KVET [RULES]}
here=$(cd "$(dirname "$0")" && pwd)
rules=${2:-$here/../rules}
browser=""
for b in chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
[ -n "$browser" ] || { echo "no chromium (apt-get install chromium fonts-liberation)" >&2; exit 1; }
work=${KVET_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work/bin"
${CC:-cc} -O2 -o "$work/bin/gen" "$here/gen.c"
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
printf '%-8s %12s %10s %12s\n' docs report_bytes kvet_ms browser_ms
for n in 1000 10000 100000; do
    data="$work/docs-$n"
    [ -d "$data" ] || "$work/bin/gen" "$n" "$data" >/dev/null
    t=$(date +%s%N)
    "$kvet" report --rules "$rules" -o "$work/report-$n.html" "$data" 2>/dev/null || [ $? = 1 ]
    kms=$(ms_since "$t")
    t=$(date +%s%N)
    timeout 300 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" \
        --virtual-time-budget=1000 --dump-dom "file://$work/report-$n.html" >/dev/null 2>&1
    bms=$(ms_since "$t")
    printf '%-8s %12s %10s %12s\n' "$n" "$(wc -c < "$work/report-$n.html")" "$kms" "$bms"
done
