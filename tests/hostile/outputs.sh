#!/bin/sh
# Issue 11, items 1-3: a report and its model files are one unit; model
# fingerprints are checked; outputs of one run are distinct files and never
# replace anything but a regular file. $1 = faultline, $2 = scratch
# directory. Prints one line per case; exits 1 on any failure.
set -u
bin=$1 D=$(cd "$(dirname "$0")/../cli/data" && pwd) tmp=$2/hostile_outputs
rm -rf "$tmp" && mkdir -p "$tmp/keep" "$tmp/t" && cd "$tmp" || exit 1
export TMPDIR="$tmp/t"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
disc() { "$bin" discover --labels "$D/labels.npy" --probs "$D/probs.npy" --view e="$D/emb.npy" \
	--meta "$D/meta.csv" --id-column id --k 2 --min-size 3 --components 3 --quiet "$@"; }
appl() { "$bin" apply "$1" --labels "$D/labels.npy" --probs "$D/probs.npy" --view e="$D/emb.npy" \
	--meta "$D/meta.csv" --id-column id; }
no_temp() { [ -z "$(find "$tmp" -name '*.tmp.*' -o -name 'faultline-*' | grep -v '/d/')" ]; }

disc --json keep/r.json >/dev/null || { echo "first run failed"; exit 1; }
cp keep/r.json r.before; cp keep/r.mixture-e.npz m.before
appl keep/r.json >apply.before 2>&1 || bad "apply on the first report"
unchanged() { cmp -s keep/r.json r.before && cmp -s keep/r.mixture-e.npz m.before &&
	appl keep/r.json >apply.now 2>&1 && cmp -s apply.now apply.before && no_temp; }

# 1. a failing output, a file-size limit: nothing replaced, nothing left
disc --json keep/r.json --seed 5 --html "$tmp/no/such/x.html" >/dev/null 2>err
[ $? = 4 ] && unchanged && ok "an unwritable --html leaves the report and its model" ||
	bad "unwritable --html: $(cat err)"
(ulimit -f 8; exec "$bin" discover --labels "$D/labels.npy" --probs "$D/probs.npy" \
	--view e="$D/emb.npy" --k 2 --min-size 3 --components 3 --seed 6 --quiet \
	--json keep/r.json --html big.html >/dev/null 2>err)
st=$?
[ $st -ne 0 ] && [ $st -lt 128 ] && unchanged && ok "ulimit -f: exit $st, report and model as they were" ||
	bad "ulimit -f: exit $st: $(cat err)"

# 2. fingerprints; outputs of one run distinct; view names in file names
"$bin" synth --out d --n 3000 >/dev/null
sdisc() { "$bin" discover --labels d/labels.npy --probs d/probs.npy --view e=d/emb.npy \
	--method mixture --quiet "$@"; }
mkdir keep2 keep3 && sdisc --json keep2/r.json --seed 3 >/dev/null && sdisc --json keep3/r.json --seed 4 >/dev/null &&
	grep -q mixture_component keep2/r.json && cp keep3/r.mixture-e.npz keep2/r.mixture-e.npz
"$bin" apply keep2/r.json --labels d/labels.npy --probs d/probs.npy --view e=d/emb.npy >out 2>err
[ $? = 3 ] && grep -q "fingerprint" err && ok "a replaced model file is refused: $(head -c 90 err)" ||
	bad "a replaced model file: $(cat err)"
disc --json keep/r.json --html keep/r.mixture-e.npz >/dev/null 2>err
[ $? -ne 0 ] && grep -q "same file" err && unchanged && ok "--html naming a model file is refused" ||
	bad "--html onto a model file: $(cat err)"
"$bin" compare --base x --candidate y --view e="$D/emb.npy" --json a.json --json-improved ./a.json \
	>/dev/null 2>err
[ $? = 2 ] && grep -q "same" err && ok "compare --json X --json-improved X is refused" ||
	bad "compare with one output twice: $(cat err)"
"$bin" discover --labels "$D/labels.npy" --probs "$D/probs.npy" --view "x/../../esc=$D/emb.npy" \
	--k 2 --min-size 3 --components 3 --quiet --json keep/v.json >/dev/null 2>err
[ -z "$(find "$tmp" "$tmp/.." -maxdepth 2 -name '*esc*' ! -path "$tmp/keep/*")" ] &&
	ls keep | grep -q '^v\.mixture-x_\.\._\.\._esc-[0-9a-f]*\.npz$' &&
	ok "a view name is never a path: $(ls keep | grep '^v\.mixture')" || bad "view name in a file name: $(ls keep)"

# 3. only regular files are replaced
mkfifo fifo && { cat fifo >from_fifo & } && disc --json fifo >/dev/null 2>err
wait
[ -p fifo ] && python3 -c 'import json,sys; json.load(open("from_fifo"))' 2>/dev/null &&
	ok "a FIFO is written to, not replaced" || bad "FIFO: $(cat err)"
if [ "$(id -u)" = 0 ] && mknod null c 1 3 2>/dev/null; then dev=$tmp/null; else dev=/dev/null; fi
disc --json "$dev" >/dev/null 2>err
[ $? = 0 ] && [ -c "$dev" ] && ok "a character device ($dev) is written to, not replaced" ||
	bad "character device: $(cat err)"
mkdir adir && disc --json adir >/dev/null 2>err
[ $? = 4 ] && [ -d adir ] && grep -q "directory" err && ok "a directory is refused: $(cat err)" ||
	bad "directory: $(cat err)"
no_temp || bad "temporary files left: $(find "$tmp" -name '*.tmp.*' -o -name 'faultline-*')"
exit $fail
