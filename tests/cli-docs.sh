#!/bin/bash
# The CLI and its manual agree: every option that `kvet help` or a
# command's `--help` prints appears in man/kvet.1 (as \-\-name there), and
# every command's help lists only options the command accepts.
set -u
top=${srcdir:-.}
cd "$top" || exit 99
KVET=${KVET:?set KVET to the kvet binary}
man=man/kvet.1
fail=0
commands="check explain compile baseline report init fmt rules diff test"
# the man page writes - as \-
man_text=$(sed 's/\\-/-/g' "$man")
for cmd in help $commands; do
    if [ "$cmd" = help ]; then out=$("$KVET" help); else out=$("$KVET" "$cmd" --help); fi
    if [ $? != 0 ] || [ -z "$out" ]; then
        echo "not ok - kvet $cmd --help failed"; fail=1; continue
    fi
    if [ "$cmd" != help ] && ! grep -q "^Usage: kvet $cmd" <<< "$out"; then
        echo "not ok - kvet $cmd --help does not print the help of $cmd"; fail=1
    fi
    opts=$(grep -oE '^  (-[A-Za-z], |    )--[a-z][a-z-]*' <<< "$out" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
    [ -n "$opts" ] || { echo "not ok - kvet $cmd --help lists no option"; fail=1; }
    for o in $opts; do
        if ! grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" <<< "$man_text"; then
            echo "not ok - $o (kvet $cmd --help) is not in $man"; fail=1
        fi
        # an option the help of a command lists is one it accepts (--help
        # last: the options are parsed, and nothing runs)
        if [ "$cmd" != help ] && [ "$o" != --help ]; then
            args=("$o")
            grep -qE -- "^  (-[A-Za-z], |    )$o [A-Z]" <<< "$out" && args+=(x)
            err=$("$KVET" "$cmd" "${args[@]}" --help 2>&1 >/dev/null < /dev/null)
            if grep -q "does not apply to kvet $cmd" <<< "$err"; then
                echo "not ok - kvet $cmd --help lists $o, which it refuses"; fail=1
            fi
        fi
    done
    if grep -q "^Commands:" <<< "$out"; then
        for c in $commands; do
            grep -qE "^\\.B kvet $c\$" "$man" || { echo "not ok - command $c is not in the SYNOPSIS of $man"; fail=1; }
        done
    fi
    echo "ok - kvet $cmd --help: $(wc -w <<< "$opts") options, each in $man"
done
# an option foreign to a command is refused, naming the command
if ! "$KVET" fmt --rules x y 2>&1 | grep -q "option '--rules' does not apply to kvet fmt"; then
    echo "not ok - fmt accepts --rules"; fail=1
fi
exit $fail
