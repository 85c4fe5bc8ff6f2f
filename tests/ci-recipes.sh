#!/bin/bash
# The CI recipes work as documented: every command of docs/ci.md and of the
# example CI files runs here, verbatim, against recorded inputs.  helm and
# kustomize are not needed: their recorded output (tests/data/ci) is piped in
# the same way.  The YAML files must parse, and every kvet option they name
# must be one the command accepts.
set -u
top=${srcdir:-.}
cd "$top" || exit 99
top=$(pwd)
KVET=${KVET:?set KVET to the kvet binary}
case $KVET in /*) ;; *) KVET=$top/$KVET ;; esac
export KVET_RULES=${KVET_RULES:-$top/rules}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/    /' <<< "$2"; }
doc=docs/ci.md
files=(examples/ci/github-actions.yml examples/ci/gitlab-ci.yml .pre-commit-hooks.yaml)

# `kvet ...` in the documents, run with this build's kvet; helm and
# kustomize replaced by their recorded output
run_doc() { # expected-status command...
    local want=$1 cmd=$2
    grep -qF -- "$cmd" "$doc" || { bad "not in $doc: $cmd"; return 1; }
    local sh=${cmd//kvet /\"\$KVET\" }
    sh=${sh//helm template my-model charts\/my-model/cat \"$top\/tests\/data\/ci\/helm-template.yaml\"}
    sh=${sh//kustomize build overlays\/prod/cat \"$top\/tests\/data\/ci\/kustomize-build.yaml\"}
    (cd "$tmp/repo" && eval "$sh") > "$tmp/out" 2> "$tmp/err"
    local st=$?
    if [ "$st" != "$want" ]; then
        bad "$cmd: exit $st, expected $want" "$(cat "$tmp/err" "$tmp/out" | head -20)"
        return 1
    fi
    ok "$cmd (exit $st)"
}

# a repository with findings: manifests/ holds the rendered chart and overlay
mkdir -p "$tmp/repo/manifests"
cp tests/data/ci/helm-template.yaml "$tmp/repo/manifests/chart.yaml"
cp tests/data/ci/kustomize-build.yaml "$tmp/repo/manifests/overlay.yaml"

run_doc 1 'helm template my-model charts/my-model | kvet check --stdin-filename charts/my-model/rendered.yaml -'
grep -q '^fraud/templates/pdb.yaml:21:17: warning: .*\[KS-PDB-001\]' "$tmp/out" ||
    bad "helm: findings name the template" "$(cat "$tmp/out")"
run_doc 1 'kustomize build overlays/prod | kvet check --stdin-filename overlays/prod/rendered.yaml -'
grep -q '^overlays/prod/rendered.yaml:19:44: error: .*\[KN-SCALE-001\]' "$tmp/out" ||
    bad "kustomize: findings name the overlay" "$(cat "$tmp/out")"

# the baseline flow: record, pass, a new finding fails, fix one, shrink
run_doc 0 'kvet baseline -o .kvet-baseline.json manifests/'
entries=$(grep -c '"rule"' "$tmp/repo/.kvet-baseline.json")
[ "$entries" -ge 2 ] && ok "the baseline has $entries entries" || bad "baseline entries: $entries"
run_doc 0 'kvet check --baseline .kvet-baseline.json manifests/'
grep -q "^$entries baselined findings (not shown; --show-baselined)" "$tmp/out" && ok "text counts baselined findings" ||
    bad "text counts baselined findings" "$(cat "$tmp/out")"
run_doc 0 'kvet check --baseline .kvet-baseline.json --format github --format sarif=kvet.sarif manifests/'
grep -q '"baselineState": "unchanged"' "$tmp/repo/kvet.sarif" && ! grep -q '"baselineState": "new"' "$tmp/repo/kvet.sarif" &&
    ok "SARIF: every result unchanged" || bad "SARIF baselineState" "$(grep baselineState "$tmp/repo/kvet.sarif")"
run_doc 0 'kvet check --baseline .kvet-baseline.json --format text --format codeclimate=gl-code-quality-report.json --format junit=kvet-junit.xml manifests/'
[ "$(tr -d ' \n' < "$tmp/repo/gl-code-quality-report.json")" = "[]" ] && ok "code quality: no open issue" ||
    bad "code quality report" "$(cat "$tmp/repo/gl-code-quality-report.json")"
grep -q '<testsuites' "$tmp/repo/kvet-junit.xml" && ok "JUnit report written" || bad "JUnit report"
# a new finding: a second Service with its bounds swapped
sed 's/name: ranker$/name: ranker-canary/' tests/data/ci/kustomize-build.yaml > "$tmp/repo/manifests/canary.yaml"
run_doc 1 'kvet check --baseline .kvet-baseline.json --format github --format sarif=kvet.sarif manifests/'
grep -q '^::error file=manifests/canary.yaml' "$tmp/out" && ok "the new finding is annotated" || bad "github annotation" "$(cat "$tmp/out")"
[ "$(grep -c '"baselineState": "new"' "$tmp/repo/kvet.sarif")" -ge 1 ] && ok "SARIF: the new finding is new" ||
    bad "SARIF new"
run_doc 1 'kvet check --baseline .kvet-baseline.json --format text --format codeclimate=gl-code-quality-report.json --format junit=kvet-junit.xml manifests/'
if command -v python3 > /dev/null; then
    python3 - "$tmp/repo/gl-code-quality-report.json" <<'PY' && ok "code quality: one issue, well formed" || bad "code quality issue"
import json, sys
issues = json.load(open(sys.argv[1]))
assert len(issues) == 1, issues
i = issues[0]
assert i["check_name"] == "KN-SCALE-001" and i["severity"] == "major", i
assert i["location"]["path"] == "manifests/canary.yaml" and i["location"]["lines"]["begin"] == 19, i
assert len(i["fingerprint"]) == 16 and i["description"], i
PY
fi
# fixed: the overlay's Service goes; its entry is stale, then removed
rm "$tmp/repo/manifests/canary.yaml" "$tmp/repo/manifests/overlay.yaml"
run_doc 0 'kvet check --baseline .kvet-baseline.json manifests/'
grep -q "stale baseline entry: KN-SCALE-001 on Service prod/ranker matches no finding" "$tmp/err" &&
    ok "the fixed finding's entry is reported stale" || bad "stale entry" "$(cat "$tmp/err")"
run_doc 0 'kvet baseline --update .kvet-baseline.json manifests/'
after=$(grep -c '"rule"' "$tmp/repo/.kvet-baseline.json")
[ "$after" -lt "$entries" ] && ! grep -q '"ranker"' "$tmp/repo/.kvet-baseline.json" &&
    ok "--update shrank the baseline: $entries -> $after entries" || bad "--update: $entries -> $after"
ls "$tmp/repo" | grep -q '\.tmp' && bad "a temporary file was left behind"

# the CI files: YAML that parses, kvet commands with real options, and the
# commands themselves run (above, verbatim)
for f in "${files[@]}"; do
    [ -f "$f" ] || { bad "$f is missing"; continue; }
    # kvet's own YAML reader: a syntax error is an error (exit 2)
    if "$KVET" check --no-config --allow-empty --quiet --rules tests/data/cli-pack "$f" > "$tmp/out" 2>&1; then
        ok "$f parses"
    else
        bad "$f does not parse" "$(cat "$tmp/out")"
    fi
    if command -v python3 > /dev/null && python3 -c 'import yaml' 2> /dev/null; then
        python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" || bad "$f: PyYAML cannot load it"
    fi
    n=0
    while IFS= read -r line; do
        cmd=$(sed -E 's/.*(kvet (check|fmt|baseline|report|rules|diff|test|explain)( .*)?)$/\1/' <<< "$line")
        sub=$(awk '{print $2}' <<< "$cmd")
        help=$("$KVET" "$sub" --help)
        for o in $(grep -oE -- '(^| )--?[a-z][a-z-]*' <<< "$cmd"); do
            o=${o# }
            if [[ $o == --* ]]; then pat="    $o\\b|, $o\\b"; else pat="^  $o,"; fi
            grep -qE -- "$pat" <<< "$help" || bad "$f: kvet $sub has no option $o"
        done
        # commands that run in CI are the documented ones
        if [[ $f == examples/* ]]; then
            grep -qF -- "$cmd" "$doc" || bad "$f: '$cmd' is not in $doc"
        fi
        n=$((n + 1))
    done < <(grep -E '(run:|entry:|^ *- ) *kvet (check|fmt|baseline)' "$f")
    [ "$n" -gt 0 ] && ok "$f: $n kvet commands with real options" || bad "$f names no kvet command"
done
# the hooks: what pre-commit runs, on a changed manifest and a rule file
"$KVET" check --allow-empty --quiet tests/data/ci/kustomize-build.yaml examples/ci/gitlab-ci.yml > "$tmp/out" 2>&1
[ $? = 1 ] && ok "kvet-check hook: exit 1 on a finding" || bad "kvet-check hook" "$(cat "$tmp/out")"
"$KVET" fmt --check tests/data/cli-pack/bounds.kvet > "$tmp/out" 2>&1
st=$?
[ $st = 0 ] || [ $st = 1 ] && ok "kvet-fmt hook runs (exit $st)" || bad "kvet-fmt hook" "$(cat "$tmp/out")"

echo "ci recipes: $pass passed, $fail failed"
[ $fail = 0 ]
