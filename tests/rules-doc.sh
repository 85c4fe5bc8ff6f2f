#!/bin/bash
# The stock pack's sources and what is generated from them: docs/rules.md
# matches the pack's metadata (regenerate: kvet rules --rules rules --format
# markdown -o docs/rules.md), every rule file is formatted (kvet fmt), and no
# line is longer than 119 characters (split long texts into adjacent
# literals, docs/language.md).
cd "${srcdir:-.}" || exit 99
KVET=${KVET:?set KVET to the kvet binary}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); echo "not ok - $1"; }
if ! "$KVET" rules --rules rules --format markdown -o "$tmp"; then
    notok "the stock pack does not load"
elif diff -u docs/rules.md "$tmp" > /dev/null; then
    ok "docs/rules.md matches the stock pack"
else
    diff -u docs/rules.md "$tmp" | head -30
    notok "docs/rules.md is stale: run kvet rules --rules rules --format markdown -o docs/rules.md"
fi
if "$KVET" fmt --check rules/*.kvet > "$tmp" 2>&1; then
    ok "the stock pack is formatted"
else
    cat "$tmp"
    notok "the stock pack is not formatted: run kvet fmt rules/*.kvet"
fi
if awk 'length > 119 { print FILENAME ":" FNR ": " length " characters"; bad = 1 } END { exit bad }' \
    rules/*.kvet > "$tmp"; then
    ok "no stock pack line is longer than 119 characters"
else
    cat "$tmp"
    notok "stock pack lines longer than 119 characters"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
