#!/bin/bash
# kvet over many scopes: a repository of many folders, each a scope of its
# own (a folder holding manifests with no such folder above it), as a
# GitOps repository with a folder per application is.  Each folder holds an
# InferenceService and a Knative Service.  The same files side by side in
# one folder (one scope) show what is the scopes' and what the files' own
# cost.  Prints, for each layout, number of folders or files and -j 1 / -j 2,
# the time, the peak memory, and the contexts `--stats` counts (made, and the
# most held at once); what a run holds should not grow with the number of
# folders.  It measures and prints; it never fails because of a figure.
#   bench/scopes.sh [KVET [RULES]]
# Environment: KVET_SCOPES (numbers of folders, default "100 1000 10000"),
# KVET_BENCH_DIR (where the folders go; default a temp dir, removed after).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kvet=${1:-$here/../kvet}
rules=${2:-$here/../rules}
counts=${KVET_SCOPES:-"100 1000 10000"}
work=${KVET_BENCH_DIR:-}
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# time the program a libtool wrapper script runs, not a shell
kdir=$(cd "$(dirname "$kvet")" && pwd)
if [ -x "$kdir/.libs/kvet" ] && head -c 2 "$kvet" | grep -q '#!'; then
    kvet=$kdir/.libs/kvet
    export LD_LIBRARY_PATH="$kdir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ ! -x /usr/bin/time ]; then
    echo "scopes.sh: /usr/bin/time (Debian package 'time') is needed to measure peak memory" >&2
    exit 0
fi

# one application's manifests in file $1, numbered $2 (printf: a file
# costs no process, ten thousand of them take seconds)
app() {
    printf '%s\n' "apiVersion: serving.kserve.io/v1beta1" "kind: InferenceService" "metadata:" \
        "  name: model-$2" "  namespace: team-$2" "spec:" "  predictor:" "    minReplicas: 1" \
        "    maxReplicas: $(($2 % 7 + 1))" "    model:" "      modelFormat:" "        name: sklearn" \
        "      storageUri: gs://models/$2" "---" "apiVersion: serving.knative.dev/v1" "kind: Service" "metadata:" \
        "  name: svc-$2" "  namespace: team-$2" "spec:" "  template:" "    metadata:" "      annotations:" \
        "        autoscaling.knative.dev/min-scale: \"$(($2 % 3))\"" "    spec:" "      containers:" \
        "        - image: registry.example.com/app-$2:1.0" > "$1"
}

echo "kvet: $kvet"
printf "%-8s %6s %5s %9s %9s %9s %11s\n" layout count jobs docs kvet_s rss_MB contexts
for n in $counts; do
    for layout in folders files; do
        if [ "$layout" = folders ]; then
            data="$work/scopes-$n"
            if [ ! -d "$data" ]; then
                mkdir -p "$data"
                (cd "$data" && seq -f "app-%g" 1 "$n" | xargs mkdir)
                for i in $(seq 1 "$n"); do app "$data/app-$i/app.yaml" "$i"; done
            fi
        else
            data="$work/files-$n"
            if [ ! -d "$data" ]; then
                mkdir -p "$data"
                for i in $(seq 1 "$n"); do app "$data/app-$i.yaml" "$i"; done
            fi
        fi
        # the contexts made and the most held at once (--stats runs in one thread)
        held=$("$kvet" check --stats --quiet --fail-level never --format json -o "$work/report.json" \
            --rules "$rules" "$data" 2>&1 | awk '/^stats: contexts/ { print $3 "/" $6 }')
        for jobs in 1 2; do
            /usr/bin/time -f "%e %M" -o "$work/time.out" "$kvet" check --quiet --fail-level never --format json \
                -o "$work/report.json" -j "$jobs" --rules "$rules" "$data" 2>/dev/null || true
            read -r secs kb < "$work/time.out"
            printf "%-8s %6s %5s %9s %9s %9.1f %11s\n" "$layout" "$n" "$jobs" $((2 * n)) "$secs" \
                "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" "${held:-?}"
        done
    done
done
echo "contexts: made/held, the most held at once"
