#!/bin/bash
# -j N changes how inputs are read, never what is reported: `kvet check`
# with -j 2 and -j 3 writes the same bytes (JSON report, text report and
# diagnostics, exit status) as with -j 1, on examples/, on the inputs of
# tests/cases, on inputs with load errors and standard input among files,
# and on the real-world corpus (../shared/corpus beside the source tree, or
# $KVET_CORPUS; that part is left out when it is not there).  A JSON report
# to a file, written while the run goes on, is the one standard output gets.
set -u
top=${srcdir:-.}
KVET=${KVET:?set KVET to the kvet binary}
corpus=${KVET_CORPUS:-$top/../shared/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# agree WHAT A B [CONDITION...]: files A and B are the same (and CONDITION
# holds); otherwise "not ok - WHAT", with the first differences
agree() {
    local what=$1 a=$2 b=$3
    shift 3
    if cmp -s "$a" "$b" && "${@:-true}"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $what"
        diff "$a" "$b" | head -10 | sed 's/^/    /'
    fi
}

# same NAME ARGS...: each report of `kvet check ARGS...` is the same for -j 1, 2 and 3
same() {
    local name=$1
    shift
    for fmt in json text; do
        for j in 1 2 3; do
            "$KVET" check -j "$j" --color never --format "$fmt" "$@" < "${stdin_file:-/dev/null}" \
                > "$tmp/out.$j" 2> "$tmp/err.$j"
            echo "exit $?" >> "$tmp/err.$j"
        done
        # a JSON report to a file is written while the run goes on
        # (its resources through a spill file): the same bytes again
        if [ "$fmt" = json ]; then
            for j in 1 2; do
                "$KVET" check -j "$j" --color never --format json -o "$tmp/file.json" "$@" \
                    < "${stdin_file:-/dev/null}" > /dev/null 2> "$tmp/ferr"
                echo "exit $?" >> "$tmp/ferr"
                if { { [ -e "$tmp/file.json" ] && cmp -s "$tmp/out.1" "$tmp/file.json"; } ||
                     { [ ! -e "$tmp/file.json" ] && [ ! -s "$tmp/out.1" ]; }; } &&
                   cmp -s "$tmp/err.1" "$tmp/ferr"; then
                    pass=$((pass + 1))
                else
                    fail=$((fail + 1))
                    echo "not ok - $name (json -o, -j $j): the file differs from standard output"
                    diff "$tmp/out.1" "$tmp/file.json" | head -10 | sed 's/^/    /'
                    diff "$tmp/err.1" "$tmp/ferr" | head -10 | sed 's/^/    /'
                fi
                if ls "$tmp"/file.json.* > /dev/null 2>&1; then
                    fail=$((fail + 1))
                    echo "not ok - $name (json -o, -j $j): left a temporary file behind"
                fi
                rm -f "$tmp/file.json"
            done
        fi
        for j in 2 3; do
            if cmp -s "$tmp/out.1" "$tmp/out.$j" && cmp -s "$tmp/err.1" "$tmp/err.$j"; then
                pass=$((pass + 1))
            else
                fail=$((fail + 1))
                echo "not ok - $name ($fmt): -j $j differs from -j 1"
                diff "$tmp/out.1" "$tmp/out.$j" | head -10 | sed 's/^/    /'
                diff "$tmp/err.1" "$tmp/err.$j" | head -10 | sed 's/^/    /'
            fi
        done
    done
}

same examples --rules "$top/rules" "$top/examples"
same examples-small --rules "$top/bench/small.kvet" "$top/examples"

for dir in "$top"/tests/cases/*/; do
    dir=${dir%/}
    args=()
    if [ -e "$dir/rules.kvet" ]; then args+=(--rules "$dir/rules.kvet"); fi
    if [ -d "$dir/rules" ]; then args+=(--rules "$dir/rules"); fi
    if [ ! -e "$dir/rules.kvet" ] && [ ! -d "$dir/rules" ]; then args+=(--rules "$top/rules"); fi
    if [ -e "$dir/cluster.yaml" ]; then args+=(--cluster "$dir/cluster.yaml"); fi
    if [ -e "$dir/args" ]; then
        while IFS= read -r a || [ -n "$a" ]; do [ -n "$a" ] && args+=("$a"); done < "$dir/args"
    fi
    for input in "$dir/input.yaml" "$dir/input.json" "$dir/input"; do
        [ -e "$input" ] && args+=("$input")
    done
    # args name files relative to the source tree
    (cd "$top" && same "${dir##*/}" "${args[@]/#$top\//}")
done

# many files, some broken, and standard input in the middle: the diagnostics
# keep their order and the broken files are reported once
mkdir -p "$tmp/in"
for i in $(seq 1 12); do
    printf 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: s%s\n  namespace: n%s\n' "$i" \
        $((i % 3)) > "$tmp/in/f$i.yaml"
    printf 'spec:\n  template:\n    metadata:\n      annotations:\n' >> "$tmp/in/f$i.yaml"
    printf '        autoscaling.knative.dev/min-scale: "%s"\n' $((i % 4)) >> "$tmp/in/f$i.yaml"
    printf '        autoscaling.knative.dev/max-scale: "2"\n' >> "$tmp/in/f$i.yaml"
done
printf 'kind: [unclosed\n' > "$tmp/in/f4.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\nnot: a resource\n' > "$tmp/in/f7.yaml"
printf '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1"}]}\n' > "$tmp/in/f9.json"
printf 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {maxReplicas: 0}\n' \
    > "$tmp/stdin.yaml"
same broken --rules "$top/rules" --no-config "$tmp/in"
stdin_file=$tmp/stdin.yaml same stdin --rules "$top/rules" --no-config "$tmp/in/f1.yaml" - "$tmp/in/f4.yaml"
stdin_file=$tmp/stdin.yaml same stdin-small --rules "$top/bench/small.kvet" --no-config "$tmp/in/f2.yaml" - \
    "$tmp/in/f7.yaml" "$tmp/in/f9.json"

# waivers, a baseline and rules that fail, over many files, with identical
# copies (duplicates, checked once) in one scope: what the main thread does
# after the threads evaluate, in input order
for c in waivers baseline; do
    mkdir -p "$tmp/$c"
    for i in 1 2 3 4 5; do cp "$top/tests/cases/$c/input.yaml" "$tmp/$c/copy$i.yaml"; done
    sed 's/^\(  *name: \)\(.*\)$/\1\2-b/' "$top/tests/cases/$c/input.yaml" > "$tmp/$c/renamed.yaml"
done
same waivers-many --rules "$top/tests/cases/waivers/rules" --waivers "$top/tests/cases/waivers/waivers.yaml" \
    --today 2026-11-25 "$tmp/waivers" "$top/examples"
same baseline-many --rules "$top/tests/cases/baseline/rules" --baseline "$top/tests/cases/baseline/baseline.json" \
    --today 2026-11-25 "$tmp/baseline" "$top/examples"
mkdir -p "$tmp/fail"
for i in 1 2 3 4 5 6; do
    sed "s/^\(  name: \)\(.*\)$/\1\2-$((i % 4))/" "$top/tests/bad/eval-error/input.yaml" > "$tmp/fail/f$i.yaml"
done
same eval-errors --rules "$top/tests/bad/eval-error/rules.kvet" "$tmp/fail"

# one file of many resources (a cluster dump, a JSON List): a JSON report to
# a file takes their results in batches, in the same order
for i in $(seq 1 700); do
    printf -- '---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: s%s\n  namespace: n%s\n' \
        "$i" $((i % 7))
    printf 'spec:\n  template:\n    metadata:\n      annotations:\n'
    printf '        autoscaling.knative.dev/min-scale: "%s"\n        autoscaling.knative.dev/max-scale: "3"\n' $((i % 5))
done > "$tmp/dump.yaml"
{
    printf '{"apiVersion": "v1", "kind": "List", "items": ['
    for i in $(seq 1 700); do
        [ "$i" = 1 ] || printf ','
        printf '\n{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", '
        printf '"metadata": {"name": "h%s", "namespace": "n%s"}, "spec": {"minReplicas": %s, "maxReplicas": %s}}' \
            "$i" $((i % 7)) $((i % 4)) $((i % 3))
    done
    printf '\n]}\n'
} > "$tmp/dump.json"
# a JSON List of over 4 MB is read through a window, one item at a time;
# with a byte order mark the same file is read whole: the same report
mkdir -p "$tmp/window" "$tmp/whole"
awk 'BEGIN {
    pad = sprintf("%0600d", 0)
    printf "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n"
    for (i = 1; i <= 6500; i++) {
        printf "    {\"apiVersion\": \"serving.knative.dev/v1\", \"kind\": \"Service\", \"metadata\": "
        printf "{\"name\": \"s%d\", \"namespace\": \"n%d\", \"labels\": {\"pad\": \"%s\"}}, ", i, i % 9, pad
        printf "\"spec\": {\"template\": {\"metadata\": {\"annotations\": "
        printf "{\"autoscaling.knative.dev/min-scale\": \"%d\", \"autoscaling.knative.dev/max-scale\": \"3\"}}}}}", i % 5
        printf "%s\n", i < 6500 ? "," : ""
    }
    printf "  ],\n  \"kind\": \"List\",\n  \"metadata\": {\"resourceVersion\": \"\"}\n}\n"
}' > "$tmp/window/list.json"
{ printf '\357\273\277'; cat "$tmp/window/list.json"; } > "$tmp/whole/list.json"
# and a YAML file of over 4 MB, with a load error near its end
awk 'BEGIN {
    pad = sprintf("%0600d", 0)
    for (i = 1; i <= 6500; i++) {
        printf "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h%d\n", i
        printf "  namespace: n%d\n  labels: {pad: \"%s\"}\nspec:\n  minReplicas: %d\n  maxReplicas: %d\n", i % 9, pad,
            i % 4, i % 3
        if (i == 6400) printf "  note: |\n    a block\n\n    scalar\n---\nkind: [unclosed\n"
    }
}' > "$tmp/window/dump.yaml"
{ printf '\357\273\277'; cat "$tmp/window/dump.yaml"; } > "$tmp/whole/dump.yaml"
# (two files: -j parses them in threads)
same windows --rules "$top/rules" --no-config "$tmp/window"
same windows-small --rules "$top/bench/small.kvet" --no-config "$tmp/window"
for f in list.json:6500 dump.yaml:6400; do
    for w in window whole; do
        "$KVET" check --color never --format json --rules "$top/rules" --no-config "$tmp/$w/${f%:*}" 2>&1 |
            sed "s|$tmp/$w|DIR|g" > "$tmp/$w.out"
    done
    [ "$(wc -c < "$tmp/window/${f%:*}")" -gt 4194304 ] || echo "(${f%:*} is not large)" >> "$tmp/window.out"
    agree "${f%:*} read through a window differs from the same file read whole" "$tmp/window.out" "$tmp/whole.out" \
        grep -q "\"resources\": ${f#*:}," "$tmp/window.out"
done
same one-large-file --rules "$top/rules" --no-config "$tmp/dump.yaml" "$tmp/dump.json"
# one file alone: with rules that read other resources its documents are
# shared among the threads a slice at a time (the YAML with its load error)
same one-file-alone --rules "$top/rules" --no-config "$tmp/window/dump.yaml"
same one-list-alone --rules "$top/rules" --no-config "$tmp/window/list.json"
same one-list-alone-small --rules "$top/bench/small.kvet" --no-config "$tmp/window/list.json"
# a List alone has its items converted by helper threads while they are
# handed on in order: items with errors and notes (their excerpts quote the
# lines they are on), over many lines, then on one line of 5 MB
mkdir -p "$tmp/lists"
awk 'BEGIN {
    pad = sprintf("%0600d", 0)
    printf "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
    for (i = 1; i <= 6500; i++) {
        if (i % 997 == 0) printf "{\"apiVersion\": \"\", \"kind\": \"Service\", \"metadata\": {\"name\": \"e%d\"}}", i
        else if (i % 1409 == 0) printf "{\"apiVersion\": \"v1 beta\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"w%d\"}}", i
        else if (i % 2003 == 0) printf "%d", i
        else {
            printf "{\"apiVersion\": \"autoscaling/v2\", \"kind\": \"HorizontalPodAutoscaler\", \"metadata\": "
            printf "{\"name\": \"h%d\", \"namespace\": \"n%d\", \"labels\": {\"pad\": \"%s\"}}, ", i, i % 9, pad
            printf "\"spec\": {\"minReplicas\": %d, \"maxReplicas\": %d}}", i % 4, i % 3
        }
        printf "%s\n", i < 6500 ? "," : ""
    }
    printf "]}\n"
}' > "$tmp/lists/lines.json"
tr -d '\n' < "$tmp/lists/lines.json" > "$tmp/lists/one-line.json"
same list-with-errors --rules "$top/rules" --no-config "$tmp/lists/lines.json"
same list-on-one-line --rules "$top/bench/small.kvet" --no-config "$tmp/lists/one-line.json"
# beside a small input (the cluster's configuration) a large file is read
# by the main thread as it is evaluated, not parsed whole ahead of it: the
# List shares its items with helpers the same way, and the YAML file stops
# at its load error
same list-with-cluster --rules "$top/bench/small.kvet" --no-config \
    --cluster "$top/examples/gitops/cluster/config-autoscaler.yaml" "$tmp/lists/lines.json"
same yaml-with-cluster --rules "$top/bench/small.kvet" --no-config \
    --cluster "$top/examples/gitops/cluster/config-autoscaler.yaml" "$tmp/window/dump.yaml"
same one-large-file-small --rules "$top/bench/small.kvet" --no-config "$tmp/dump.yaml" "$tmp/dump.json"
# a YAML file alone of over 4 MB is cut into parts at lines that start a
# document, parsed by helper threads and handed on in order: the reports are
# those of -j 1 and of the same file read whole (a byte order mark).  The
# parts hold what may go wrong at a cut: CRLF, a lone CR and a NEL in quoted
# scalars (libyaml counts lines LF does not), literal block scalars (their
# text's positions), a directive after a document end, documents that are a
# block or plain scalar, a directive after a lone CR (a line break to
# libyaml, not to a search for "---" lines), an alias, a List and a FooList (whose items' kind
# is built in the part's arena), a document without apiVersion, a
# document larger than a part, and "---" followed by a tab or a comment.
# Then the same file with an error in it, early, in the middle and at its
# end: a quoted scalar or a flow mapping that a "---" line ends, bad
# indentation, an unknown alias, a repeated key, bytes libyaml's reader
# stops at (not UTF-8, a control character; it checks 16 KB at a time, so
# documents before them may not be handed on): the file is read again by one
# thread, and what -j 1 reports is reported.
mkdir -p "$tmp/split" "$tmp/split-whole"
split_yaml() { # split_yaml BAD AT: 9000 documents, BAD (a kind of error, or none) in document AT
    awk -v bad="$1" -v at="$2" 'BEGIN {
        pad = sprintf("%0300d", 0)
        for (i = 1; i <= 9000; i++) {
            sep = i % 5 == 0 ? "---\t\n" : i % 7 == 0 ? "--- # c\n" : i % 11 == 0 ? "---\n# note\n\n" : "---\n"
            if (i == at && bad == "quoted") { printf "---\nkind: \"open\n"; continue }
            if (i == at && bad == "flow") { printf "---\nkind: {a: 1,\n"; continue }
            if (i == at && bad == "indent") { printf "---\nkind: A\n  bad: x\n"; continue }
            if (i == at && bad == "alias") { printf "---\nkind: *nope\n"; continue }
            if (i == at && bad == "repeat") { printf "---\nkind: A\nkind: B\n"; continue }
            if (i == at && bad == "utf8") { printf "---\nkind: \"\377\"\n"; continue }
            if (i == at && bad == "control") { printf "---\nkind: \"a\001b\"\n"; continue }
            if (i % 97 == 0) { printf "...\n%%YAML 1.1\n# c\n---\n" }
            else if (i % 101 == 0) { printf "...\n# a lone CR, then a directive\r%%TAG !e! tag:e.com,2000:\n---\n" }
            else if (i % 89 == 0) { printf "--- |\n  a block\n  document\n"; continue }
            else if (i % 83 == 0) { printf "---\nplain\nscalar\n"; continue }
            else if (i % 79 == 0) { printf "---\nkind: Thing\nmetadata: {name: t%d}\n", i; continue }
            else printf "%s", sep
            if (i % 73 == 0) {
                printf "apiVersion: v1\nkind: List\nitems:\n- apiVersion: autoscaling/v2\n"
                printf "  kind: HorizontalPodAutoscaler\n  metadata: {name: l%d, namespace: n1}\n", i
                printf "  spec: {minReplicas: 3, maxReplicas: 2}\n"
                continue
            }
            if (i % 71 == 0) { # its items are HorizontalPodAutoscalers: their kind is built beside them
                printf "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscalerList\nitems:\n"
                printf "- metadata: {name: k%d, namespace: n2}\n  spec: {minReplicas: 4, maxReplicas: 1}\n", i
                continue
            }
            if (i == 4500) {
                printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: |\n"
                for (k = 0; k < 12000; k++) printf "    line %d --- of a block\n", k
                continue
            }
            nl = i > 6000 && i < 6100 ? "\r\n" : "\n"
            printf "apiVersion: serving.knative.dev/v1%skind: Service%smetadata:%s", nl, nl, nl
            printf "  name: s%d%s  namespace: n%d%s  labels: {pad: \"%s\"}%s", i, nl, i % 9, nl, pad, nl
            if (i % 61 == 0) printf "  annotations: {note: \"a\rb\"}\n"
            if (i % 67 == 0) printf "  annotations: {note: \"a\302\205b\"}\n"
            printf "spec: &s%s  template:%s    metadata:%s      annotations:%s", nl, nl, nl, nl
            printf "        autoscaling.knative.dev/min-scale: \"%d\"%s", i % 5, nl
            printf "        autoscaling.knative.dev/max-scale: \"%d\"%s", i % 4, nl
            if (i % 53 == 0) printf "    spec:\n      containers:\n      - image: x\n        args: |\n          one\n\n          two --- three\n"
            if (i % 47 == 0) printf "copy: *s\n"
        }
    }'
}
split_yaml none 0 > "$tmp/split/ok.yaml"
split_yaml quoted 40 > "$tmp/split/quoted-early.yaml"
split_yaml flow 4000 > "$tmp/split/flow-middle.yaml"
split_yaml indent 8990 > "$tmp/split/indent-end.yaml"
split_yaml alias 2000 > "$tmp/split/alias.yaml"
split_yaml repeat 7000 > "$tmp/split/repeat.yaml"
split_yaml utf8 3000 > "$tmp/split/utf8.yaml"
split_yaml control 9000 > "$tmp/split/control.yaml"
{ cat "$tmp/split/ok.yaml"; printf -- '---'; } > "$tmp/split/no-newline.yaml"
# a bad byte a few KB after the first cut (past 256 KB): libyaml's reader
# meets it while the first part's last document is still being read
LC_ALL=C awk '{ print } (at += length($0) + 1) > 263000 && !done && /^---/ { print "kind: \"\377\""; done = 1 }' \
    "$tmp/split/ok.yaml" > "$tmp/split/utf8-after-cut.yaml"
for f in "$tmp"/split/*.yaml; do
    n=${f##*/}
    same "split-${n%.yaml}" --rules "$top/rules" --no-config "$f"
    { printf '\357\273\277'; cat "$f"; } > "$tmp/split-whole/$n"
    for w in split split-whole; do
        "$KVET" check -j 2 --color never --format json --rules "$top/rules" --no-config "$tmp/$w/$n" 2>&1 |
            sed "s|$tmp/$w|DIR|g" > "$tmp/$w.out"
    done
    [ "$(wc -c < "$f")" -gt 4194304 ] || echo "($n is not large)" >> "$tmp/split.out"
    agree "$n cut into parts differs from the same file read whole" "$tmp/split.out" "$tmp/split-whole.out"
done
same split-small --rules "$top/bench/small.kvet" --no-config "$tmp/split/ok.yaml"
# a directive before every document (PyYAML's explicit_start and version):
# the cuts are before the directives that follow a document end
awk 'BEGIN { for (i = 1; i <= 30000; i++)
    printf "%%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, labels: {pad: \"%0100d\"}}\n...\n", i, 0 }' \
    > "$tmp/split/directives.yaml"
same split-directives --rules "$top/bench/small.kvet" --no-config "$tmp/split/directives.yaml"
# a JSON List of over 4 MB on standard input (`kubectl get -o json | kvet
# check -`) is copied to a temporary file and read from there as the file is:
# the threads share its items, and the reports are the file's, under its name
stdin_file="$tmp/lists/lines.json" same list-on-stdin --rules "$top/rules" --no-config -
stdin_file="$tmp/lists/one-line.json" same list-on-stdin-small --rules "$top/bench/small.kvet" --no-config \
    --cluster "$top/examples/gitops/cluster/config-autoscaler.yaml" -
# a YAML stream of over 4 MB on standard input (`kustomize build | kvet
# check -`) is copied to a temporary file and cut into parts as a file is
# (with a load error in it, read again from the copy's start by one
# thread); helm template's output names its templates in `# Source:`
# comments, which a part cannot see for the parts after it: from the first
# part that holds one the stream is read by one thread, and its documents
# are named as -j 1 names them (here the first comes past 4 MB), and a
# stream with one in its first 4 MB is read by one thread as it comes
for f in ok quoted-early flow-middle utf8-after-cut; do
    stdin_file="$tmp/split/$f.yaml" same "yaml-on-stdin-$f" --rules "$top/rules" --no-config -
done
awk 'BEGIN {
    pad = sprintf("%0400d", 0)
    for (i = 1; i <= 16000; i++) {
        printf "---\n"
        if (i > 9000 && i % 3 == 0) printf "# Source: chart/templates/t%d.yaml\n", i
        printf "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: s%d\n  namespace: n%d\n", i, i % 9
        printf "  labels: {pad: \"%s\"}\nspec:\n  template:\n    metadata:\n      annotations:\n", pad
        printf "        autoscaling.knative.dev/min-scale: \"%d\"\n", i % 5
        printf "        autoscaling.knative.dev/max-scale: \"%d\"\n", i % 4
    }
}' > "$tmp/late-sources.yaml"
stdin_file="$tmp/late-sources.yaml" same yaml-on-stdin-late-sources --rules "$top/rules" --no-config -
{ printf -- '---\n# Source: chart/templates/first.yaml\n'; cat "$tmp/late-sources.yaml"; } > "$tmp/sources.yaml"
stdin_file="$tmp/sources.yaml" same yaml-on-stdin-sources --rules "$top/bench/small.kvet" --no-config -
# a comment after a flow root starts mid-line; past the file-size limit the
# documents before it are checked, as they are when the stream is read as
# it comes
{ head -c 5000000 "$tmp/late-sources.yaml" | sed '$d'
  printf -- '--- {apiVersion: v1, kind: ConfigMap, metadata: {name: f}}#Source: t/x.yaml\n'
  sed -n '1,200p' "$tmp/late-sources.yaml"; } > "$tmp/midline-source.yaml"
stdin_file="$tmp/midline-source.yaml" same yaml-on-stdin-midline-source --rules "$top/rules" --no-config -
stdin_file="$tmp/late-sources.yaml" same yaml-on-stdin-past-limit --rules "$top/bench/small.kvet" --no-config \
    --limit file-size=6000000 -
# a limit one byte under the 4 MB read before deciding, and a copy that
# ulimit -f stops after it passed the limit (held in memory instead): no
# byte past the limit is checked
stdin_file="$tmp/late-sources.yaml" same yaml-on-stdin-limit-under-head --rules "$top/bench/small.kvet" \
    --no-config --limit file-size=4194303 -
for j in 1 2; do
    ( ulimit -f 6000 && "$KVET" check -j $j --color never --format json --rules "$top/bench/small.kvet" --no-config \
        --limit file-size=5000000 - < "$tmp/late-sources.yaml" > "$tmp/ulimit.$j" 2>&1 )
done
"$KVET" check -j 1 --color never --format json --rules "$top/bench/small.kvet" --no-config \
    --limit file-size=5000000 - < "$tmp/late-sources.yaml" > "$tmp/ulimit.free" 2>&1
agree "a YAML stream past the limit under ulimit -f differs with -j 2" "$tmp/ulimit.1" "$tmp/ulimit.2"
agree "a YAML stream past the limit under ulimit -f differs from the same without it" "$tmp/ulimit.free" \
    "$tmp/ulimit.2"
"$KVET" check -j 2 --color never --format json --rules "$top/rules" --no-config - < "$tmp/late-sources.yaml" \
    > "$tmp/late.out" 2>&1
agree "documents after a late # Source: comment on standard input are not named by it" /dev/null /dev/null \
    grep -q '"file": "chart/templates/t15000.yaml"' "$tmp/late.out"
# a copy that a file-size limit stops (ulimit -f: 2 MB) leaves the List held
# in memory, with the same report, where writing past the limit would end kvet
"$KVET" check --color never --format json --rules "$top/bench/small.kvet" --no-config - \
    < "$tmp/lists/lines.json" 2>&1 | md5sum > "$tmp/free.sum"
( ulimit -f 2048 && "$KVET" check --color never --format json --rules "$top/bench/small.kvet" --no-config - \
    < "$tmp/lists/lines.json" 2>&1 | md5sum ) > "$tmp/limited.sum" 2>&1
agree "a List on standard input under ulimit -f differs from the same List without the limit" \
    "$tmp/free.sum" "$tmp/limited.sum"
for named in "" --stdin-filename=x.json; do
    for f in lines.json one-line.json; do
        # (a file's scope is its folder, standard input's its name)
        "$KVET" check --color never --format json --rules "$top/rules" --no-config "$tmp/lists/$f" 2>&1 |
            sed "s|\"scope\": \"$tmp/lists\"|\"scope\": \"S\"|" > "$tmp/file.out"
        echo "exit ${PIPESTATUS[0]}" >> "$tmp/file.out"
        "$KVET" check --color never --format json --rules "$top/rules" --no-config $named - < "$tmp/lists/$f" \
            2>&1 | sed "s/\"scope\": \"\(<stdin>\|x\.json\)\"/\"scope\": \"S\"/; s|<stdin>|$tmp/lists/$f|g
                        s|x\.json|$tmp/lists/$f|g" > "$tmp/stdin.out"
        echo "exit ${PIPESTATUS[0]}" >> "$tmp/stdin.out"
        agree "$f on standard input ($named) differs from the file" "$tmp/file.out" "$tmp/stdin.out" \
            grep -q '"resources": 6487,' "$tmp/file.out"
    done
done

# one manifest a file (a GitOps repository's layout): the threads parse up
# to 64 files each ahead of the main thread, and evaluate a slice of one
# document as one of 16; some files fail to load, some hold nothing
mkdir -p "$tmp/tiny"
awk -v dir="$tmp/tiny" 'BEGIN {
    for (i = 1; i <= 3000; i++) {
        f = sprintf("%s/f%04d.yaml", dir, i)
        if (i % 401 == 0) printf "kind: [unclosed\n" > f
        else if (i % 503 == 0) printf "# nothing here\n" > f
        else if (i % 3 == 0) {
            printf "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h%d\n", i > f
            printf "  namespace: n%d\nspec:\n  minReplicas: %d\n  maxReplicas: %d\n", i % 11, i % 4, i % 3 > f
        } else {
            printf "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: s%d\n  namespace: n%d\n", i,
                i % 11 > f
            printf "spec:\n  template:\n    metadata:\n      annotations:\n" > f
            printf "        autoscaling.knative.dev/min-scale: \"%d\"\n", i % 5 > f
            printf "        autoscaling.knative.dev/max-scale: \"3\"\n" > f
        }
        close(f)
    }
}'
same tiny-files --rules "$top/rules" --no-config "$tmp/tiny"
same tiny-files-small --rules "$top/bench/small.kvet" --no-config "$tmp/tiny"
# 72 files of about 230 KB and rules slow to evaluate: the threads parse
# ahead faster than the documents are evaluated, up to the 8 MB they may
# hold beyond their window of files, and wait for the main thread to take
# some before they go on (a file with a load error among them)
cat > "$tmp/slow.kvet" <<'EOF2'
pack test.slow "1.0.0"
for HorizontalPodAutoscaler "autoscaling/v2" as h {
  rule SLOW-001 warning "a rule that takes its time"
    require len(filter(range(300), i => i % 7 == 99)) == 0
    at h
    message "never"
}
EOF2
mkdir -p "$tmp/midsize"
awk -v dir="$tmp/midsize" 'BEGIN {
    pad = sprintf("%0500d", 0)
    for (k = 1; k <= 72; k++) {
        f = sprintf("%s/m%02d.yaml", dir, k)
        for (i = 1; i <= 330; i++) {
            printf "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h%d-%d\n", k, i > f
            printf "  namespace: n%d\n  labels: {pad: \"%s\"}\nspec:\n  minReplicas: %d\n  maxReplicas: %d\n",
                i % 9, pad, i % 4, i % 3 > f
            if (k == 40 && i == 300) printf "---\nkind: [unclosed\n" > f
        }
        close(f)
    }
}'
same midsize-files --rules "$tmp/slow.kvet" --no-config "$tmp/midsize"
if [ -d "$corpus" ]; then
    same corpus --rules "$top/rules" --no-config --fail-level never "$corpus"
    same corpus-small --rules "$top/bench/small.kvet" --no-config --fail-level never "$corpus"
else
    echo "no corpus at $corpus: left out"
fi
echo "jobs: $pass passed, $fail failed"
[ $fail = 0 ]
