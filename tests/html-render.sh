#!/bin/bash
# The HTML audit report rendered by a real browser (headless Chromium): the
# page has every section, the four charts are drawn with bars of non-zero
# size, every table fits the width of a printed A4 page under the print
# styles, and it prints to PDF.  Then a large generated case (bench/gen.c,
# 1k and 10k resources): the report's size grows so little with the
# resources that 100k stay under 5 MB, and the browser opens the 10k report
# in a few seconds (bench/html.sh measures 100k).  Skipped (exit 77) when
# Chromium is missing.
set -u
cd "${srcdir:-.}" || exit 99
KVET=${KVET:?set KVET to the kvet binary}
browser=""
for b in chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
if [ -z "$browser" ]; then
    echo "SKIP: no chromium to render the report with (apt-get install chromium)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { # name condition-result detail
    if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok - $1"; else fail=$((fail + 1)); echo "not ok - $1: $3"; fi
}

"$KVET" report --rules rules --waivers examples/waivers.yaml --today 2026-11-25 -o "$tmp/report.html" examples/gitops \
    2>"$tmp/kvet.err"
status=$?
[ "$status" -le 1 ]; check "kvet report writes the report" $? "exit status $status"

# The report loaded in two frames; a script in the outer page measures what
# the browser drew and writes it where --dump-dom shows it.  The second
# frame is as wide as the printable part of an A4 page (210mm less the
# report's 12mm margins: 703 CSS pixels, plus room for a scroll bar) and
# gets the report's print rules as screen rules.
cat > "$tmp/probe.html" <<'HTML'
<!DOCTYPE html><html><body>
<pre id="result">not measured</pre>
<iframe id="report" src="report.html" width="1280" height="2000"></iframe>
<iframe id="print" src="report.html" width="760" height="1000"></iframe>
<script>
window.onload = function () { measure(); measurePrint(); done(); };
var out = [];
function measurePrint() {
  var d = document.getElementById('print').contentDocument, sheet = d.styleSheets[0], n = 0;
  for (var i = 0; i < sheet.cssRules.length; i++) {
    var r = sheet.cssRules[i];
    if (r.media && r.media.mediaText === 'print')
      for (var j = 0; j < r.cssRules.length; j++)
        if (r.cssRules[j].selectorText) { sheet.insertRule(r.cssRules[j].cssText, sheet.cssRules.length); n++; }
  }
  d.body.style.width = '703px';
  var ts = d.querySelectorAll('table'), wide = [];
  for (var k = 0; k < ts.length; k++) {
    var w = ts[k].getBoundingClientRect().width;
    if (w > 703.5) wide.push(ts[k].closest('section').id + ':' + Math.round(w));
  }
  out.push('print rules=' + n + ' tables=' + ts.length + ' wide=' + (wide.join(',') || 'none'));
}
function done() {
  document.getElementById('result').textContent = '\n' + out.join('\n') + '\n';
}
function measure() {
  var d = document.getElementById('report').contentDocument;
  ['summary', 'packs', 'cluster', 'rules', 'resources', 'findings', 'waivers', 'run'].forEach(function (id) {
    var s = d.getElementById(id);
    out.push('section ' + id + ' ' + (s && s.tagName === 'SECTION' && s.querySelector('h2') ? 'present' : 'missing'));
  });
  ['chart-severity', 'chart-namespaces', 'chart-namespace-resources', 'chart-rules'].forEach(function (id) {
    var fig = d.getElementById(id), svg = fig ? fig.querySelector('svg') : null;
    var bars = svg ? svg.querySelectorAll('rect.bar') : [], drawn = 0;
    for (var i = 0; i < bars.length; i++) {
      var r = bars[i].getBoundingClientRect();
      if (r.width > 0 && r.height > 0) drawn++;
    }
    var w = svg ? Math.round(svg.getBoundingClientRect().width) : 0;
    out.push('chart ' + id + ' bars=' + bars.length + ' drawn=' + drawn + ' width=' + w +
             ' title=' + (svg && svg.querySelector('title') ? 'yes' : 'no'));
  });
  out.push('findings rows=' + d.querySelectorAll('tr.finding').length);
  out.push('waivers rows=' + d.querySelectorAll('#waivers tr.waiver').length);
  out.push('accepted bars=' + d.querySelectorAll('#chart-rules rect.bar.accepted').length);
  out.push('title ' + d.title);
}
</script></body></html>
HTML

run_browser() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$tmp/profile" --allow-file-access-from-files "$@" 2>>"$tmp/browser.log"
}

run_browser --virtual-time-budget=5000 --dump-dom "file://$tmp/probe.html" > "$tmp/dom.html"
check "the browser renders the page" $? "$(tail -3 "$tmp/browser.log")"
for id in summary packs cluster rules resources findings waivers run; do
    grep -q "^section $id present" "$tmp/dom.html"; check "section #$id" $? "$(grep "section $id" "$tmp/dom.html")"
done
for id in chart-severity chart-namespaces chart-namespace-resources chart-rules; do
    line=$(grep "^chart $id " "$tmp/dom.html")
    bars=$(sed -n 's/.* bars=\([0-9]*\) .*/\1/p' <<<"$line")
    drawn=$(sed -n 's/.* drawn=\([0-9]*\) .*/\1/p' <<<"$line")
    width=$(sed -n 's/.* width=\([0-9]*\) .*/\1/p' <<<"$line")
    [ -n "$bars" ] && [ "$bars" -gt 0 ] && [ "$bars" = "$drawn" ] && [ "$width" -gt 100 ] && grep -q "title=yes" <<<"$line"
    check "chart #$id is drawn" $? "${line:-no measurement}"
done
want=$(grep -c '<tr class="finding">' "$tmp/report.html")
grep -q "^findings rows=$want\$" "$tmp/dom.html"; check "every finding is a table row ($want)" $? "$(grep '^findings' "$tmp/dom.html")"
want=$(grep -c '<tr class="waiver">' "$tmp/report.html")
[ "$want" -gt 0 ] && grep -q "^waivers rows=$want\$" "$tmp/dom.html"
check "every waiver is a table row ($want)" $? "$(grep '^waivers' "$tmp/dom.html")"
grep -q "^accepted bars=[1-9]" "$tmp/dom.html"; check "the waived finding is drawn as accepted" $? "$(grep '^accepted' "$tmp/dom.html")"
grep -q "^title kvet audit report" "$tmp/dom.html"; check "the page title" $? "$(grep '^title' "$tmp/dom.html")"
grep -qE "^print rules=[1-9][0-9]* tables=[1-9][0-9]* wide=none\$" "$tmp/dom.html"
check "every table fits a printed A4 page" $? "$(grep '^print' "$tmp/dom.html")"

run_browser --window-size=1280,2400 --screenshot="$tmp/report.png" "file://$tmp/report.html" >/dev/null
[ "$(head -c 8 "$tmp/report.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] &&
    [ "$(wc -c < "$tmp/report.png")" -gt 20000 ]
check "a screenshot" $? "no PNG written"

# KVET_REPORT_PNG=docs/report-example.png regenerates the README's picture
# (the report of the command docs/output.md names) with the same browser.
if [ -n "${KVET_REPORT_PNG:-}" ]; then
    "$KVET" report --rules rules --waivers examples/waivers.yaml --today 2026-11-25 -o "$tmp/example.html" \
        examples/gitops 2>/dev/null
    run_browser --window-size=1280,1800 --hide-scrollbars --screenshot="$KVET_REPORT_PNG" "file://$tmp/example.html" \
        >/dev/null
fi

run_browser --no-pdf-header-footer --print-to-pdf="$tmp/report.pdf" "file://$tmp/report.html" >/dev/null
[ "$(head -c 5 "$tmp/report.pdf" 2>/dev/null)" = "%PDF-" ] && [ "$(grep -ac '/Type */Page\b' "$tmp/report.pdf")" -ge 2 ]
check "it prints to a PDF of several pages" $? "$(head -c 5 "$tmp/report.pdf" 2>/dev/null)"

# The large case.  Every part of the report is capped (findings per rule
# and in all, the scaling rows, the chart rows), so its size is nearly flat
# in the number of resources: extrapolated linearly from 1k and 10k to 100k
# it must stay under 5 MB.
if ${CC:-cc} -O2 -o "$tmp/gen" bench/gen.c 2>"$tmp/cc.log"; then
    for n in 1000 10000; do
        "$tmp/gen" "$n" "$tmp/gen-$n" >/dev/null
        "$KVET" report --rules rules -o "$tmp/big-$n.html" "$tmp/gen-$n" 2>/dev/null
    done
    s1=$(wc -c < "$tmp/big-1000.html")
    s10=$(wc -c < "$tmp/big-10000.html")
    s100=$(( s1 + (s10 - s1) * 11 ))
    echo "# report bytes: 1k resources $s1, 10k $s10, 100k extrapolated $s100"
    [ "$s10" -lt 1500000 ] && [ "$s100" -lt 5000000 ]
    check "a 10k-resource report is $s10 bytes; 100k extrapolate to $s100 (< 5 MB)" $? "too large"
    grep -q '<h3 class="sev error">Errors: ' "$tmp/big-10000.html" && grep -q 'id="scaling"' "$tmp/big-10000.html"
    check "the 10k report has grouped findings and the scaling view" $? "missing parts"
    grep -q '<script' "$tmp/big-10000.html"
    [ $? = 1 ]; check "the 10k report has no script" $? "a script"
    # the page's own load and layout time, measured inside the browser (its
    # start-up is not the report's)
    cat > "$tmp/probe-big.html" <<'HTML'
<!DOCTYPE html><html><body>
<pre id="result">not measured</pre>
<script>
var t0 = Date.now(), f = document.createElement('iframe');
f.width = 1280; f.height = 2000;
f.onload = function () {
  var d = f.contentDocument, h = d.body.scrollHeight, rows = d.querySelectorAll('tr').length;
  document.getElementById('result').textContent = '\nbig ms=' + (Date.now() - t0) + ' height=' + h + ' rows=' + rows + '\n';
};
f.src = 'big-10000.html';
document.body.appendChild(f);
</script></body></html>
HTML
    run_browser --dump-dom "file://$tmp/probe-big.html" > "$tmp/big-dom.html"
    line=$(grep '^big ms=' "$tmp/big-dom.html")
    ms=$(sed -n 's/^big ms=\([0-9]*\) .*/\1/p' <<<"$line")
    echo "# the browser loaded and laid out the 10k report in ${ms:-?} ms ($line)"
    # a few seconds on an idle machine; the bound leaves room for a busy one
    [ -n "$ms" ] && [ "$ms" -lt 20000 ] && grep -q 'height=[1-9]' <<<"$line"
    check "the browser opens the 10k report in a few seconds (${ms:-?} ms)" $? "${line:-no measurement}"
else
    echo "# no C compiler for bench/gen.c: the large case is skipped"
fi

echo "html: $pass passed, $fail failed"
[ "$fail" = 0 ]
