#!/bin/bash
# Rule tests through `kvet test`, with coverage: the stock pack's own
# (rules/tests) and the example organisation pack's (examples/org-pack), so
# make check fails when a rule regresses.
set -u
cd "${srcdir:-.}" || exit 99
KVET=${KVET:?set KVET to the kvet binary}
status=0
"$KVET" test --coverage --quiet rules/tests || status=1
"$KVET" test --coverage --quiet examples/org-pack || status=1
exit $status
