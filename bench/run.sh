#!/bin/bash
# kvet benchmark: generates 1k, 10k and 100k realistic documents and compares
# `kvet check` with a bare libyaml parse of the same bytes (the floor), for the
# small pack of bench/small.kvet and the stock pack, with -j 1 and -j N, and
# the small pack on the same documents as one JSON List (small-json), that
# List on standard input (small-stdin, as `kubectl get -o json | kvet check -`),
# beside a --cluster file (small-cluster), as one YAML file (small-yaml1,
# as `helm template` or `kustomize build` output saved to a file), that file
# on standard input (small-yaml-stdin, as `kustomize build | kvet check -`), and as
# one document a file (small-files and stock-files, a GitOps repository's
# layout; their floor is libyaml's parse of those files).  Each run of kvet
# comes right after a run of its floor: the table gives the median times and
# the median of the runs' ratios to their floors.
#   bench/run.sh [KVET [RULES]]      (make bench runs it with the built kvet)
# Environment: KVET_BENCH_DIR (where data and tools go; default a temp dir),
# KVET_BENCH_SIZES (default "1000 10000 100000"), KVET_BENCH_RUNS (default 3),
# KVET_BENCH_JOBS (the N of -j N; default the number of cores),
# KVET_BENCH_PACKS (default "small stock small-json small-stdin small-cluster
# small-yaml1 small-yaml-stdin small-files stock-files"),
# KVET_BENCH_PIN (the CPU
# the floor and the -j 1 runs are pinned to with taskset, so that a ratio
# compares runs on the same core: the cores of a virtual machine are not
# always equally fast; default 0, "none" to leave them to the scheduler).
# It measures and prints; it never fails because kvet is slow or reports findings.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kvet=${1:-$here/../kvet}
rules=${2:-$here/../rules}
sizes=${KVET_BENCH_SIZES:-"1000 10000 100000"}
runs=${KVET_BENCH_RUNS:-3}
packs=${KVET_BENCH_PACKS:-"small stock small-json small-stdin small-cluster small-yaml1 small-yaml-stdin small-files stock-files"}
ncores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
jobs=${KVET_BENCH_JOBS:-$ncores}
work=${KVET_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work/bin"
cc=${CC:-cc}

# A libtool wrapper script costs a shell start per run: time the program it
# wraps (.libs/kvet, with the uninstalled library on the loader's path).
kdir=$(cd "$(dirname "$kvet")" && pwd)
if [ -x "$kdir/.libs/kvet" ] && head -c 2 "$kvet" | grep -q '#!'; then
    kvet=$kdir/.libs/kvet
    export LD_LIBRARY_PATH="$kdir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

"$cc" -O2 -o "$work/bin/gen" "$here/gen.c"
"$cc" -O2 -o "$work/bin/yamlparse" "$here/yamlparse.c" $(pkg-config --cflags --libs yaml-0.1)
"$cc" -O2 -o "$work/bin/yaml2json" "$here/yaml2json.c" $(pkg-config --cflags --libs yaml-0.1)

pin=()
cpu=${KVET_BENCH_PIN:-0}
if [ "$cpu" != none ] && command -v taskset > /dev/null && taskset -c "$cpu" true 2> /dev/null; then
    pin=(taskset -c "$cpu")
fi

have_time=0
if [ -x /usr/bin/time ]; then have_time=1; else
    echo "note: /usr/bin/time (Debian package 'time') is missing: peak RSS is not measured" >&2
fi
# -j is measured when this kvet has it
jlist="1"
if "$kvet" check --help 2>&1 | grep -q -- '--jobs'; then
    [ "$jobs" = 1 ] || jlist="1 $jobs"
else
    jlist="-"
fi

# time_once CMD...: sets s (seconds) and m (peak RSS in KB, 0 unmeasured)
# of one run (standard input from $stdin, else /dev/null)
stdin=/dev/null
time_once() {
    # time(1)'s own clock counts hundredths: a run of 0.1 s is timed here
    local t0=$EPOCHREALTIME t1 e
    if [ $have_time = 1 ]; then
        /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" < "$stdin" > /dev/null 2> "$work/stderr" || true
        t1=$EPOCHREALTIME
        # time(1) puts "Command exited with non-zero status N" first
        read -r e m < <(tail -n 1 "$work/time.out")
    else
        "$@" < "$stdin" > /dev/null 2> "$work/stderr" || true
        t1=$EPOCHREALTIME
        m=0
    fi
    s=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.4f", b - a }')
}

median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure CMD...: $runs runs of CMD, each right after a run of the floor
# (floor_cmd), so that the two see the machine at the same speed (the cores
# of a virtual machine slow down and speed up from minute to minute): sets
# secs and floor_secs to the median times, ratio to the median of the runs'
# ratios to their floors, and rss_kb to the largest peak RSS
measure() {
    local times="" floors="" ratios="" fs
    rss_kb=0
    for _ in $(seq "$runs"); do
        stdin_saved=$stdin
        stdin=/dev/null
        time_once "${floor_cmd[@]}"
        stdin=$stdin_saved
        fs=$s
        time_once "$@"
        times="$times $s"
        floors="$floors $fs"
        ratios="$ratios $(awk -v a="$s" -v b="$fs" 'BEGIN { printf "%.4f", a / (b + 0.0001) }')"
        if [ "$m" -gt "$rss_kb" ]; then rss_kb=$m; fi
    done
    secs=$(printf '%s\n' $times | median)
    floor_secs=$(printf '%s\n' $floors | median)
    ratio=$(printf '%s\n' $ratios | median)
}

echo "kvet: $kvet"
[ ${#pin[@]} = 0 ] || echo "floor and -j 1 pinned to CPU $cpu"
printf "%-16s %-5s %7s %8s %8s %8s %7s %9s %8s\n" pack jobs docs MB floor_s kvet_s ratio docs/s rss_MB
for n in $sizes; do
    data="$work/data-$n"
    [ -d "$data" ] || "$work/bin/gen" "$n" "$data"
    bytes=$(cat "$data"/*.yaml | wc -c)
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
    for pack in $packs; do
        input=$data
        floor_cmd=("${pin[@]}" "$work/bin/yamlparse" "$data")
        extra=()
        stdin=/dev/null
        case $pack in
            small) prules=$here/small.kvet ;;
            small-json | small-stdin | small-cluster)
                # the floor stays the YAML parse of the same documents
                prules=$here/small.kvet
                input=$work/list-$n.json
                [ -s "$input" ] || "$work/bin/yaml2json" "$data" > "$input"
                if [ $pack = small-stdin ]; then
                    stdin=$input
                    input=-
                elif [ $pack = small-cluster ]; then
                    extra=(--cluster "$here/../examples/gitops/cluster/config-autoscaler.yaml")
                fi
                ;;
            small-yaml1 | small-yaml-stdin)
                prules=$here/small.kvet
                input=$work/one-$n.yaml
                [ -s "$input" ] || for f in "$data"/*.yaml; do printf -- '---\n'; cat "$f"; done > "$input"
                if [ $pack = small-yaml-stdin ]; then
                    stdin=$input
                    input=-
                fi
                ;;
            small-files | stock-files)
                prules=$here/small.kvet
                [ $pack = small-files ] || prules=$rules
                input=$work/files-$n
                if [ ! -d "$input" ]; then
                    mkdir -p "$input.tmp"
                    for f in "$data"/*.yaml; do cat "$f"; printf -- '---\n'; done |
                        awk -v dir="$input.tmp" 'BEGIN { RS = "---\n" } NF {
                            f = sprintf("%s/doc-%06d.yaml", dir, ++n); printf "%s", $0 > f; close(f) }'
                    mv "$input.tmp" "$input"
                fi
                floor_cmd=("${pin[@]}" "$work/bin/yamlparse" "$input")
                ;;
            *) prules=$rules ;;
        esac
        for j in $jlist; do
            jopt=()
            [ "$j" = - ] || jopt=(-j "$j")
            # one thread runs where the floor ran; -j N has all the cores
            jpin=()
            if [ "$j" = 1 ] || [ "$j" = - ]; then jpin=("${pin[@]}"); fi
            measure "${jpin[@]}" "$kvet" check --quiet --fail-level never --format json -o "$work/report.json" \
                "${jopt[@]}" --rules "$prules" ${extra[@]+"${extra[@]}"} "$input"
            awk -v pk="$pack" -v j="$j" -v n="$n" -v mb="$mb" -v p="$floor_secs" -v c="$secs" -v r="$ratio" \
                -v rss="$rss_kb" 'BEGIN {
                printf "%-16s %-5s %7s %8s %8.2f %8.2f %7.2f %9.0f %8.1f\n", pk, j, n, mb, p, c, r,
                    n / (c + 0.0001), rss / 1024 }'
        done
    done
done
[ -n "${KVET_BENCH_DIR:-}" ] || rm -rf "$work"
