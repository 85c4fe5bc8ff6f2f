#!/bin/bash
# The stock pack's own tests: every rules/tests/*.test.yaml through
# `kvet test`, with coverage, so make check fails when a rule regresses.
set -u
cd "${srcdir:-.}" || exit 99
KVET=${KVET:?set KVET to the kvet binary}
"$KVET" test --coverage --quiet rules/tests
