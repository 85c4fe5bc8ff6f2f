#!/bin/bash
# Scopes do not cross repositories: the real-world corpus (../shared/corpus
# beside the source tree, or $KVET_CORPUS) checked as one input gives, for
# every repository folder, exactly the findings of checking that folder
# alone.  Skipped (77) when the corpus is not there.
set -u
top=${srcdir:-.}
corpus=${KVET_CORPUS:-$top/../shared/corpus}
KVET=${KVET:?set KVET to the kvet binary}
if [ ! -d "$corpus" ]; then
    echo "no corpus at $corpus: skipped"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
corpus=${corpus%/}
# the first line of every finding: FILE:LINE:COL: SEVERITY: MESSAGE [RULE]
findings() {
    "$KVET" check -q --no-config --fail-level never --color never "$@" 2>/dev/null |
        grep -E '^[^ ].*:[0-9]+:[0-9]+: (error|warning|info): ' || true
}
findings "$corpus" | sort > "$tmp/whole"
pass=0
fail=0
for dir in "$corpus"/*/; do
    dir=${dir%/}
    findings "$dir" | sort > "$tmp/one"
    grep -F "$dir/" "$tmp/whole" > "$tmp/part" || true
    if cmp -s "$tmp/one" "$tmp/part"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - ${dir##*/}: checked alone and as part of the corpus, the findings differ"
        diff "$tmp/part" "$tmp/one" | head -20 | sed 's/^/    /'
    fi
done
echo "$(wc -l < "$tmp/whole") findings on the whole corpus"
echo "corpus: $pass passed, $fail failed"
[ $fail = 0 ]
