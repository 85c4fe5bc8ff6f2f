#!/bin/bash
# docs/rules.md is generated from the stock pack's metadata; fail when it is
# stale.  Regenerate: kvet rules --rules rules --format markdown -o docs/rules.md
cd "${srcdir:-.}" || exit 99
KVET=${KVET:?set KVET to the kvet binary}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if ! "$KVET" rules --rules rules --format markdown -o "$tmp"; then
    echo "not ok - the stock pack does not load"
    echo "0 passed, 1 failed"
    exit 1
fi
if diff -u docs/rules.md "$tmp" > /dev/null; then
    echo "ok - docs/rules.md matches the stock pack"
    echo "1 passed, 0 failed"
else
    diff -u docs/rules.md "$tmp" | head -30
    echo "not ok - docs/rules.md is stale: run kvet rules --rules rules --format markdown -o docs/rules.md"
    echo "0 passed, 1 failed"
    exit 1
fi
