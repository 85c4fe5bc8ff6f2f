#!/bin/bash
# Build the libFuzzer targets with clang and run each for FUZZ_TIME seconds
# (default 60): `make fuzz FUZZ_TIME=1800`.  Needs clang (Debian: clang, and
# libclang-rt-14-dev where libFuzzer is packaged separately).  New crashing
# inputs are left in tests/fuzz/crashes/; add them as regression cases.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$src/tests/fuzz/build}
time=${FUZZ_TIME:-60}
targets=${FUZZ_TARGETS:-"rules packfile yaml json eval"}
CC=${FUZZ_CC:-clang}
mkdir -p "$out" "$src/tests/fuzz/crashes"
cd "$out"
flags="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -D_GNU_SOURCE -I$src/include -I$src/src -I$out"
echo '#define PACKAGE_VERSION "'$(sed -n 's/^AC_INIT(\[kvet\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")'"' > config.h
bison -d -o parser.c "$src/grammar/parser.y"
flex -o lexer.c "$src/grammar/lexer.l"
objs=""
for f in parser.c lexer.c "$src"/src/*.c; do
    o=$(basename "$f" .c).o
    $CC $flags -w -c "$f" -o "$o"
    objs="$objs $o"
done
libs="$(pkg-config --libs yaml-0.1 libcjson libpcre2-8) -lm"
link() { $CC -fsanitize=fuzzer,address,undefined "$@" $objs $libs; }
$CC $flags -c "$src/tests/fuzz/fuzz_rules.c" -o fz_rules.o && link fz_rules.o -o fuzz_rules
$CC $flags -c "$src/tests/fuzz/fuzz_packfile.c" -o fz_packfile.o && link fz_packfile.o -o fuzz_packfile
$CC $flags -c "$src/tests/fuzz/fuzz_docs.c" -o fz_yaml.o && link fz_yaml.o -o fuzz_yaml
$CC $flags -DKV_FUZZ_JSON -c "$src/tests/fuzz/fuzz_docs.c" -o fz_json.o && link fz_json.o -o fuzz_json
$CC $flags -DKVET_FUZZ_RULES="\"$src/rules\"" -c "$src/tests/fuzz/fuzz_eval.c" -o fz_eval.o && link fz_eval.o -o fuzz_eval
for t in $targets; do
    corpus="$out/corpus-$t"
    mkdir -p "$corpus"
    echo "== fuzz_$t for ${time}s"
    ./fuzz_$t -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$src/tests/fuzz/crashes/$t-" "$corpus" "$src/tests/fuzz/corpus/$t" 2>&1 |
        grep -E '^#[0-9]+.*(DONE|pulse)|^Done|ERROR|SUMMARY' | tail -3
done
