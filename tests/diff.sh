#!/bin/bash
# kvet diff: data-driven cases, run with the kvet binary named by $KVET.
#
# tests/diff/cases/NAME/
#   cmd               kvet arguments, one per line
#   expected.stdout   exact standard output
#   expected.stderr   exact standard error
#   exit              expected exit status
#   git (optional)    a fixture folder (from the source tree root) holding base/ and
#                     head/: the case runs in a new git repository whose two commits
#                     hold base/ and then head/ (files renamed and moved as they are);
#                     "none": in a folder that is not in a git repository
# Cases without `git` run from the source tree root.  Fixtures are in
# tests/diff/fixtures/.
#
# --regen rewrites the expected files from the current output; review the
# diff before committing.  Prints "diff: N passed, N failed"; when git is
# missing, the git cases are skipped and the script exits 77 (skip) unless
# another case failed.
set -u
top=${srcdir:-.}
cd "$top" || exit 99
top=$(pwd)
KVET=${KVET:?set KVET to the kvet binary}
case "${KVET_RULES:-}" in
    "" | /*) ;;
    *) KVET_RULES=$top/$KVET_RULES; export KVET_RULES ;;
esac
regen=0
[ "${1:-}" = "--regen" ] && regen=1
pass=0
fail=0
skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp" # kvet diff makes its temporary folders here: none may be left

have_git=0
command -v git > /dev/null 2>&1 && have_git=1
# reproducible commits, whatever the user's configuration
export GIT_AUTHOR_NAME=kvet GIT_AUTHOR_EMAIL=kvet@example.com GIT_COMMITTER_NAME=kvet GIT_COMMITTER_EMAIL=kvet@example.com
export GIT_AUTHOR_DATE='2026-01-01T00:00:00+0000' GIT_COMMITTER_DATE='2026-01-01T00:00:00+0000'
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$tmp" GIT_CEILING_DIRECTORIES="$tmp"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY

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

# make_repo FIXTURE DIR: a repository whose first commit holds FIXTURE/base
# and whose second holds FIXTURE/head.
make_repo() {
    mkdir -p "$2" && (
        cd "$2" || exit 1
        git init -q . &&
            cp -R "$top/$1/base/." . &&
            git add -A && git commit -q -m base &&
            find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} + &&
            cp -R "$top/$1/head/." . &&
            git add -A && git commit -q -m head
    )
}

n=0
for dir in tests/diff/cases/*/; do
    [ -d "$dir" ] || continue
    name=${dir%/}
    n=$((n + 1))
    args=()
    while IFS= read -r a || [ -n "$a" ]; do args+=("$a"); done < "$name/cmd"
    where=$top
    if [ -e "$name/git" ]; then
        if [ $have_git = 0 ]; then
            skipped=$((skipped + 1))
            echo "skip - $name (git is not installed)"
            continue
        fi
        fixture=$(cat "$name/git")
        where=$tmp/case$n
        if [ "$fixture" = none ]; then
            mkdir -p "$where"
        elif ! make_repo "$fixture" "$where" > "$tmp/git.log" 2>&1; then
            report "$name" fail "cannot make the repository: $(cat "$tmp/git.log")"
            continue
        fi
    fi
    (cd "$where" && exec "$KVET" "${args[@]}") > "$tmp/out" 2> "$tmp/err" < /dev/null
    status=$?
    if [ $regen = 1 ]; then
        cp "$tmp/out" "$name/expected.stdout"
        cp "$tmp/err" "$name/expected.stderr"
        echo "$status" > "$name/exit"
    fi
    leftover=$(find "$tmp" -maxdepth 1 -name 'kvet-diff.*' | head -1)
    if [ "$status" != "$(cat "$name/exit")" ]; then
        report "$name" fail "exit status $status, expected $(cat "$name/exit"); stderr: $(cat "$tmp/err")"
    elif ! diff -u "$name/expected.stderr" "$tmp/err" > "$tmp/diff"; then
        report "$name" fail "$(head -40 "$tmp/diff")"
    elif ! diff -u "$name/expected.stdout" "$tmp/out" > "$tmp/diff"; then
        report "$name" fail "$(head -40 "$tmp/diff")"
    elif [ -n "$leftover" ]; then
        report "$name" fail "the temporary folder $leftover was left behind"
        rm -rf "$leftover"
    else
        report "$name" ok ""
    fi
done

echo "diff: $pass passed, $fail failed${skipped:+, $skipped skipped}" | sed 's/, 0 skipped$//'
[ $fail = 0 ] || exit 1
[ $skipped = 0 ] || exit 77
exit 0
