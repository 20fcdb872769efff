#!/bin/sh
# ctest quality_small: the quality benchmark on the committed small set runs end to end
# (run.sh small: faultline, scorer, null runs), and the scorer does what it promises on
# hand-made reports: members as numbers or as {"row": r} objects united with
# holdout.members, parts counted, --require misses (exit 1), malformed reports and truth
# files refused (exit 2). The default call must keep what it reaches today (docs/quality.md):
# a floor, so that a change that loses a cause fails here, below the issue's targets.
# $1 = faultline binary, $2 = scratch folder.
set -u
bin=$1 tmp=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
command -v python3 >/dev/null 2>&1 || { echo "quality_small needs python3"; exit 1; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }

QUALITY_OUT=$tmp/run sh "$here/run.sh" small "$bin" --require captured=6,jaccard=0.75,described=0.8 \
	--require-emb captured=3 \
	>"$tmp/run.log" 2>&1
rc=$?
cat "$tmp/run.log"
[ $rc -eq 0 ] || bad "run.sh small exited $rc"
grep -q '^SUMMARY captured' "$tmp/run.log" || bad "run.sh small printed no score summary"
[ "$(grep -c '^SUMMARY captured' "$tmp/run.log")" -eq 2 ] || bad "run.sh small: expected 2 scored runs"
[ "$(grep -c ' replicated$' "$tmp/run.log")" -eq 3 ] || bad "run.sh small: expected 3 null runs"

# score FILE.json EXPECTED-EXIT [ARGS...]: score.py on a hand-made report against t.json.
score() {
	f=$1 want=$2; shift 2
	python3 "$here/score.py" "$tmp/$f" "$tmp/t.json" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ $got -eq "$want" ] || { bad "score.py $f $*: exit $got, expected $want"; cat "$tmp/out" "$tmp/err"; }
}
cat >"$tmp/t.json" <<'EOF'
[{"name": "a", "kind": "test", "rows": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "variables": ["colour"]},
 {"name": "b", "kind": "test", "rows": [20, 21, 22, 23], "variables": ["size", "class"]}]
EOF
# Slice S1: 10 listed rows (as objects) + 2 holdout rows = cause a exactly, described.
cat >"$tmp/good.json" <<'EOF'
{"version": 1, "dataset": {"n": 30}, "slices": [
 {"id": "S1", "members": [{"row": 0, "half": "search"}, {"row": 1}, {"row": 2}, {"row": 3},
   {"row": 4}, {"row": 5}, {"row": 6}, {"row": 7}, {"row": 8}, {"row": 9}],
  "holdout": {"members": [10, 11]}, "description": "colour = red",
  "parts": [{"id": "S1.1", "members": [0, 1]}, {"id": "S1.2", "members": [2]}]},
 {"id": "S2", "members": [20, 21, 29], "explanation": {"predicates": "size >= 3", "precision": 1}}]}
EOF
score good.json 0
grep -q '^SUMMARY captured 1/2, mean best Jaccard 0.700, mean best P@10 0.833, described 1/2$' "$tmp/out" ||
	{ bad "score.py good.json: wrong summary"; cat "$tmp/out"; }
grep -q 'carry 2 parts' "$tmp/out" || bad "score.py good.json: parts not counted"
grep -q '^a .* 0.17 "colour = red"$' "$tmp/out" || { bad "score.py good.json: wrong part Jaccard"; cat "$tmp/out"; }
score good.json 0 --require captured=1,jaccard=0.7,described=0.5
score good.json 1 --require captured=2
grep -q 'captured' "$tmp/err" || bad "score.py --require: the message does not name the target"
score good.json 1 --require described=1.0
score good.json 1 --top 1 --require jaccard=0.6
score good.json 2 --require speed=3

# Malformed reports and truth files, in one python3 process (its startup is slow on a
# busy machine): score.py's main() on each, exit 2 and a one-line message expected.
python3 - "$here" "$tmp" <<'PY' || fail=1
import contextlib, io, json, os, sys
sys.path.insert(0, sys.argv[1])
import score
tmp = sys.argv[2]
reports = {
    "trunc": '{"slices": [',
    "list": '[1, 2]',
    "nomembers": '{"slices": [{"id": "S1"}]}',
    "string": '{"slices": [{"id": "S1", "members": [1, "2"]}]}',
    "object": '{"slices": [{"id": "S1", "members": [{"rows": 1}]}]}',
    "float": '{"slices": [{"id": "S1", "members": [1.5]}]}',
    "bool": '{"slices": [{"id": "S1", "members": [true]}]}',
    "negative": '{"slices": [{"id": "S1", "members": [-1]}]}',
    "beyond": '{"dataset": {"n": 30}, "slices": [{"id": "S1", "members": [30]}]}',
    "holdout": '{"slices": [{"id": "S1", "members": [1], "holdout": {"members": 7}}]}',
    "holdout2": '{"slices": [{"id": "S1", "members": [1], "holdout": [1]}]}',
    "parts": '{"slices": [{"id": "S1", "members": [1], "parts": 3}]}',
    "part": '{"slices": [{"id": "S1", "members": [1], "parts": [{"members": ["x"]}]}]}',
    "part2": '{"slices": [{"id": "S1", "members": [1], "parts": [{"size": 3}]}]}',
    "short": '{"dataset": {"n": 12}, "slices": []}',
}
truths = {
    "empty_rows": '[{"name": "a", "rows": [], "variables": []}]',
    "variables": '[{"name": "a", "rows": [1], "variables": "colour"}]',
    "not_list": '{"name": "a"}',
}
cases = [(name + ".json", "t.json", text, None) for name, text in reports.items()]
cases += [("good.json", name + ".truth", None, text) for name, text in truths.items()]
cases += [("missing.json", "t.json", None, None)]
bad = 0
for rep, tru, rtext, ttext in cases:
    for path, text in ((rep, rtext), (tru, ttext)):
        if text is not None:
            with open(os.path.join(tmp, path), "w") as f:
                f.write(text)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = score.main([os.path.join(tmp, rep), os.path.join(tmp, tru)])
        except SystemExit as e:
            code = e.code
    lines = err.getvalue().splitlines()
    if code != 2 or len(lines) != 1:
        print("FAIL: score.py %s %s: exit %s, %d lines of message" % (rep, tru, code, len(lines)))
        bad = 1
sys.exit(bad)
PY
score trunc.json 2
python3 "$here/null.py" count "$tmp/trunc.json" >/dev/null 2>&1 && bad "null.py count accepted a truncated report"
[ $fail -eq 0 ] && echo "quality_small: ok"
exit $fail
