#!/bin/bash
# Data-driven tests: every folder under tests/cases/ and tests/bad/ is one
# case, run with the kvet binary named by $KVET from the source tree root.
#
# tests/cases/NAME/
#   input.yaml (or input.json, or an input/ folder)   manifests to check
#   rules.kvet or rules/ (optional)   rule pack; default: the stock pack (rules/)
#   cluster.yaml (optional)           passed with --cluster
#   args (optional)                   extra arguments, one per line
#   expected.json                     exact `kvet check --format json` output
#   exit (optional)                   expected exit status (default 0 or 1)
# tests/bad/NAME/
#   cmd                               kvet arguments, one per line
#   expected.stderr                   exact standard error (paths relative)
#   expected.stdout (optional)        exact standard output
#   stdin (optional)                  fed to the command as standard input
#                                     (else it reads /dev/null)
#   exit                              expected exit status
#
# --regen rewrites the expected files from the current output; review the
# diff before committing.  Prints "N passed, N failed".
set -u
top=${srcdir:-.}
cd "$top" || exit 99
KVET=${KVET:?set KVET to the kvet binary}
regen=0
[ "${1:-}" = "--regen" ] && regen=1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

report() { # name status detail
    if [ "$2" = ok ]; then
        pass=$((pass + 1))
        echo "ok - $1"
    else
        fail=$((fail + 1))
        echo "not ok - $1"
        printf '%s\n' "$3" | sed 's/^/    /'
    fi
}

for dir in tests/cases/*/; do
    [ -d "$dir" ] || continue
    name=${dir%/}
    args=(check --format json)
    if [ -e "$name/rules.kvet" ]; then args+=(--rules "$name/rules.kvet"); fi
    if [ -d "$name/rules" ]; then args+=(--rules "$name/rules"); fi
    if [ ! -e "$name/rules.kvet" ] && [ ! -d "$name/rules" ]; then args+=(--rules rules); fi
    if [ -e "$name/cluster.yaml" ]; then args+=(--cluster "$name/cluster.yaml"); fi
    if [ -e "$name/args" ]; then
        while IFS= read -r a || [ -n "$a" ]; do [ -n "$a" ] && args+=("$a"); done < "$name/args"
    fi
    for input in "$name/input.yaml" "$name/input.json" "$name/input"; do
        [ -e "$input" ] && args+=("$input")
    done
    "$KVET" "${args[@]}" > "$tmp/out" 2> "$tmp/err"
    status=$?
    if [ $regen = 1 ]; then
        cp "$tmp/out" "$name/expected.json"
    fi
    want_exit=""
    [ -e "$name/exit" ] && want_exit=$(cat "$name/exit")
    if [ -n "$want_exit" ] && [ "$status" != "$want_exit" ]; then
        report "$name" fail "exit status $status, expected $want_exit; stderr: $(cat "$tmp/err")"
    elif [ -z "$want_exit" ] && [ "$status" -gt 1 ]; then
        report "$name" fail "exit status $status; stderr: $(cat "$tmp/err")"
    elif ! diff -u "$name/expected.json" "$tmp/out" > "$tmp/diff"; then
        report "$name" fail "$(head -40 "$tmp/diff")"
    else
        report "$name" ok ""
    fi
done

for dir in tests/bad/*/; do
    [ -d "$dir" ] || continue
    name=${dir%/}
    args=()
    while IFS= read -r a || [ -n "$a" ]; do args+=("$a"); done < "$name/cmd"
    stdin=/dev/null
    [ -e "$name/stdin" ] && stdin="$name/stdin"
    "$KVET" "${args[@]}" > "$tmp/out" 2> "$tmp/err" < "$stdin"
    status=$?
    if [ $regen = 1 ]; then
        cp "$tmp/err" "$name/expected.stderr"
        [ -e "$name/expected.stdout" ] && cp "$tmp/out" "$name/expected.stdout"
        echo "$status" > "$name/exit"
    fi
    if [ "$status" != "$(cat "$name/exit")" ]; then
        report "$name" fail "exit status $status, expected $(cat "$name/exit"); stderr: $(cat "$tmp/err")"
    elif ! diff -u "$name/expected.stderr" "$tmp/err" > "$tmp/diff"; then
        report "$name" fail "$(head -40 "$tmp/diff")"
    elif [ -e "$name/expected.stdout" ] && ! diff -u "$name/expected.stdout" "$tmp/out" > "$tmp/diff"; then
        report "$name" fail "$(head -40 "$tmp/diff")"
    else
        report "$name" ok ""
    fi
done

echo "cases: $pass passed, $fail failed"
[ $fail = 0 ]
