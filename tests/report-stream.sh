#!/bin/bash
# Reports that list resources one after another (text, json, sarif, junit,
# tap, github, codeclimate) are written while the run goes on: each
# resource goes to a spill file as it is settled, and the report is put
# together at the end.  Their bytes are those of the report made from a
# result kept whole, which `kvet check` still makes when a format that
# needs the whole result (markdown) is asked for beside them.  Checked on
# standard output and to a file, one format and several at once, with the
# spill in memory (no usable $TMPDIR, with a body of over a megabyte: a
# smaller one makes no file), past a file-size limit and with a
# standard descriptor closed, on
# examples/, on inputs with evaluation errors, waivers and a baseline, and
# on the real-world corpus (../shared/corpus beside the source tree, or
# $KVET_CORPUS; left out when it is not there).  No spill file is left.
set -u
top=${srcdir:-.}
KVET=${KVET:?set KVET to the kvet binary}
corpus=${KVET_CORPUS:-$top/../shared/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/spill"
export TMPDIR="$tmp/spill"
pass=0
fail=0
formats="text json sarif junit tap github codeclimate"

# agree WHAT A B: files A and B are the same; otherwise "not ok - WHAT",
# with the first differences
agree() {
    if cmp -s "$2" "$3"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $1"
        diff "$2" "$3" | head -10 | sed 's/^/    /'
    fi
}

# nothing_left WHAT DIR: no spill or temporary file is left in DIR
nothing_left() {
    if [ -n "$(ls -A "$2")" ]; then
        fail=$((fail + 1))
        echo "not ok - $1: left $(ls -A "$2" | head -3 | tr '\n' ' ')"
    else
        pass=$((pass + 1))
    fi
}

# same NAME ARGS...: every format of `kvet check ARGS...` (or those of
# $only), written while the run goes on, is the report made from the whole
# result
same() {
    local name=$1
    shift
    for fmt in ${only:-$formats}; do
        local d="$tmp/$name.$fmt"
        mkdir "$d"
        "$KVET" check --color never --format "$fmt" "$@" > "$d/stream" 2> "$d/err"
        echo "exit $?" >> "$d/err"
        "$KVET" check --color never --format "$fmt" --format "markdown=$d/md" "$@" > "$d/whole" 2> "$d/whole.err"
        echo "exit $?" >> "$d/whole.err"
        agree "$name ($fmt): standard output, streamed and whole" "$d/whole" "$d/stream"
        agree "$name ($fmt): diagnostics and exit status" "$d/err" "$d/whole.err"
        # (a text report to a file lists the errors that standard error
        # showed; one on standard output leaves them out)
        mkdir "$d/out"
        "$KVET" check --color never --format "$fmt=$d/out/report" "$@" > /dev/null 2>&1
        "$KVET" check --color never --format "$fmt=$d/whole.file" --format "markdown=$d/md" "$@" > /dev/null 2>&1
        [ -e "$d/out/report" ] || : > "$d/out/report"
        agree "$name ($fmt): a file, streamed and whole" "$d/whole.file" "$d/out/report"
        rm "$d/out/report"
        nothing_left "$name ($fmt): beside the report" "$d/out"
        rm -r "$d"
    done
    # every format at once, each to its file, beside one on standard output
    local d="$tmp/$name.all" args=()
    mkdir "$d"
    for fmt in ${only:-$formats}; do
        [ "$fmt" = text ] || args+=(--format "$fmt=$d/$fmt")
    done
    "$KVET" check --color never --format text "${args[@]}" "$@" > "$d/text" 2> /dev/null
    for fmt in ${only:-$formats}; do
        if [ "$fmt" = text ]; then
            "$KVET" check --color never --format text "$@" > "$d/one" 2> /dev/null
        else
            "$KVET" check --color never --format "$fmt=$d/one" "$@" > /dev/null 2>&1
        fi
        [ -e "$d/$fmt" ] || : > "$d/$fmt"
        agree "$name ($fmt among all formats)" "$d/one" "$d/$fmt"
    done
    rm -r "$d"
    nothing_left "$name: in \$TMPDIR" "$tmp/spill"
}

same examples --today 2026-11-25 "$top/examples"
same waived --today 2026-11-25 --waivers "$top/examples/waivers.yaml" "$top/examples"
same baseline --rules "$top/tests/cases/baseline/rules" --baseline "$top/tests/cases/baseline/baseline.json" \
    --today 2026-11-25 "$top/tests/cases/baseline/input.yaml"
same baseline-shown --show-baselined --fail-level warning --rules "$top/tests/cases/baseline/rules" \
    --baseline "$top/tests/cases/baseline/baseline.json" --today 2026-11-25 "$top/tests/cases/baseline/input.yaml"
same eval-errors --rules "$top/tests/bad/eval-error/rules.kvet" "$top/tests/bad/eval-error/input.yaml"
same quiet -q --today 2026-11-25 "$top/examples"
# enough resources that each rule's JUnit test cases pass through the
# spill in chunks
for i in $(seq 1 400); do
    printf -- '---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m%d\n' "$i"
    printf '  namespace: team-%d\nspec:\n  predictor:\n    minReplicas: 0\n    maxReplicas: %d\n' $((i % 7)) $((i % 80))
done > "$tmp/many.yaml"
same many --rules "$top/bench/small.kvet" "$tmp/many.yaml"
# (the stock pack's many rules: JUnit's suites; slow under the sanitizers)
only="json junit" same many-stock "$tmp/many.yaml"
same jobs -j 3 --today 2026-11-25 "$top/examples" "$top/tests/cases/engine-cross-resource"
if [ -d "$corpus" ]; then
    # three formats of different shapes: the corpus is large, and slow under
    # the sanitizers
    only="text json junit" same corpus --today 2026-11-25 "$corpus"
else
    echo "# the corpus is not at $corpus: left out"
fi

# A body of over a megabyte goes to a spill file (a smaller one stays in
# memory): 6,000 resources make a JSON report of about 3 MB.
{
    # a document that is no resource: a note on standard error
    printf -- 'note: not a resource\n'
    for i in $(seq 1 6000); do
        printf -- '---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: b%d\n' "$i"
        printf '  namespace: team-%d\nspec:\n  predictor:\n    maxReplicas: %d\n' $((i % 5)) $((i % 90))
    done
} > "$tmp/big.yaml"
big=(--color never --format json --rules "$top/bench/small.kvet" "$tmp/big.yaml")
"$KVET" check "${big[@]}" --format "markdown=/dev/null" > "$tmp/big.whole" 2> /dev/null
size=$(wc -c < "$tmp/big.whole")
if [ "$size" -le $((2 * 1048576)) ]; then
    fail=$((fail + 1))
    echo "not ok - the JSON report of big.yaml ($size bytes) is under 2 MB: the tests below test nothing"
fi
# a file-size limit (ulimit -f, 1.5 MB) below the report's size: the spill
# file stops short of it and the rest is kept in memory; writing on would
# end kvet (SIGXFSZ).  The report goes to a pipe, which the limit does not
# bind.
limited=$( (ulimit -f 1536; "$KVET" check "${big[@]}" 2> /dev/null | cksum) )
agree "under ulimit -f 1536: the report" <(cksum < "$tmp/big.whole") <(echo "$limited")
# no usable $TMPDIR: the body is kept in memory
TMPDIR="$tmp/none" "$KVET" check "${big[@]}" > "$tmp/big.mem" 2> /dev/null
agree "big: the spill in memory" "$tmp/big.whole" "$tmp/big.mem"
# standard error or input closed when kvet starts: the spill file must not
# take their descriptors (the diagnostics would go into the report)
"$KVET" check "${big[@]}" > "$tmp/big.noerr" 2>&- < /dev/null
agree "big: standard error closed" "$tmp/big.whole" "$tmp/big.noerr"
"$KVET" check --allow-empty -q --format json - > /dev/null 2> "$tmp/noin.err" <&-
status=$?
if [ $status = 2 ] && grep -q "cannot read" "$tmp/noin.err"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "not ok - standard input closed: exit $status, $(head -c 200 "$tmp/noin.err")"
fi
"$KVET" check "${big[@]}" -o "$tmp/big.file" 2>&- <&- > /dev/null
agree "big: to a file, standard error and input closed" "$tmp/big.whole" "$tmp/big.file"
# standard output closed: an error, not a report written into the spill
"$KVET" check "${big[@]}" >&- 2> "$tmp/big.err"
status=$?
if [ $status = 2 ] && grep -q "cannot write the report" "$tmp/big.err"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "not ok - standard output closed: exit $status, $(head -c 200 "$tmp/big.err")"
fi
nothing_left "big: in \$TMPDIR" "$tmp/spill"

# A report to a symbolic link replaces the file the link leads to, and the
# link stays (/dev/stdout is such a link: renamed over, it was gone for
# every program); written whole (markdown) or while the run goes on (json).
mkdir "$tmp/links"
for fmt in json markdown; do
    echo old > "$tmp/links/real.$fmt"
    ln -s "real.$fmt" "$tmp/links/link.$fmt"
    "$KVET" check --color never --format "$fmt=$tmp/links/link.$fmt" --today 2026-11-25 "$top/examples" \
        > /dev/null 2>&1
    "$KVET" check --color never --format "$fmt" --today 2026-11-25 "$top/examples" > "$tmp/links/want.$fmt" \
        2> /dev/null
    if [ -L "$tmp/links/link.$fmt" ] && cmp -s "$tmp/links/want.$fmt" "$tmp/links/real.$fmt"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $fmt to a symbolic link: the link is gone or the file it leads to is not the report"
    fi
    # a link to standard output (what /dev/stdout is), which appends to a
    # file: the report is appended, through standard output
    ln -s /proc/self/fd/1 "$tmp/links/stdout.$fmt"
    echo previous > "$tmp/links/out.$fmt"
    "$KVET" check --color never --format "$fmt=$tmp/links/stdout.$fmt" --today 2026-11-25 "$top/examples" \
        >> "$tmp/links/out.$fmt" 2> /dev/null
    { echo previous; cat "$tmp/links/want.$fmt"; } > "$tmp/links/want-out.$fmt"
    if [ -L "$tmp/links/stdout.$fmt" ] && cmp -s "$tmp/links/want-out.$fmt" "$tmp/links/out.$fmt"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $fmt to a link to standard output: the link is gone, or the file standard output appends to is not what it held and the report"
    fi
    # a link made before its file: the file is made, and the link stays
    ln -s "new.$fmt" "$tmp/links/early.$fmt"
    "$KVET" check --color never --format "$fmt=$tmp/links/early.$fmt" --today 2026-11-25 "$top/examples" \
        > /dev/null 2>&1
    if [ -L "$tmp/links/early.$fmt" ] && cmp -s "$tmp/links/want.$fmt" "$tmp/links/new.$fmt"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $fmt to a link made before its file: the link is gone or the file is not the report"
    fi
    # a report past a file-size limit: an error, and no file left
    mkdir "$tmp/links/limit.$fmt"
    (ulimit -f 8; "$KVET" check --color never --format "$fmt=$tmp/links/limit.$fmt/r" --today 2026-11-25 \
        "$top/examples" > /dev/null 2> "$tmp/links/limit.$fmt.err")
    status=$?
    if [ $status = 2 ] && grep -q "File too large" "$tmp/links/limit.$fmt.err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $fmt past ulimit -f: exit $status, $(head -c 200 "$tmp/links/limit.$fmt.err")"
    fi
    nothing_left "$fmt past ulimit -f" "$tmp/links/limit.$fmt"
    # a name of 255 bytes, the most a folder allows: the temporary file
    # beside it takes a short name of its own
    mkdir "$tmp/links/long.$fmt"
    long=$tmp/links/long.$fmt/$(printf 'r%.0s' $(seq 1 $((254 - ${#fmt})))).$fmt
    "$KVET" check --color never --format "$fmt=$long" --today 2026-11-25 "$top/examples" > /dev/null 2>&1
    if [ "$(basename "$long" | wc -c)" = 256 ] && cmp -s "$tmp/links/want.$fmt" "$long" &&
       [ "$(ls -A "$tmp/links/long.$fmt" | wc -l)" = 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $fmt to a file named with 255 bytes: missing, not the report, or a temporary file left"
    fi
done

echo "# report-stream: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
