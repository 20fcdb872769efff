#!/bin/sh
# The whole `faultline discover`, as a user runs it: one process, first touch
# of the inputs included, on `faultline synth` data (labels, probabilities,
# one embedding view, planted failing clusters). Issue 13; docs/performance.md.
#
# usage: bench/e2e.sh [--big] [--real DIR] [--runs R] [FAULTLINE]
#   FAULTLINE  the binary (default $FAULTLINE, else build/faultline); nothing is built here
#   --big      also 10M x 128 (a 5 GB embedding; about 6 GB of disk for the data)
#   --real DIR also the quality benchmark's large sets, real models' outputs with
#              two views and metadata (made by `bench/quality/make_data.py --large
#              --out DIR`: DIR/digits, 143,840 rows, and DIR/fashion, 140,000 rows)
#   --runs R   quiet runs per size, the best wall time kept (default 3)
# Environment: E2E_DATA, the folder the synthetic sets are written to and
# kept in between runs (default a temporary folder, removed at the end).
#
# Per size: wall seconds and peak RSS of the default call (`/usr/bin/time`),
# its stage table (`--timings`), and a roofline measured in the same run: one
# Gram matrix X'X of the same embedding in numpy (OpenBLAS sgemm, reading the
# file from the page cache), as a ratio; and how whole the planted clusters
# came out (each one's best Jaccard with a reported slice, with numpy). For
# 200k x 512 also the run with two
# busy processes on the machine (`sh -c 'while :; do :; done'`), as a ratio
# to the quiet run, and 1M x 128 against 200k x 128 (time linear in N).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${FAULTLINE:-$here/../build/faultline}
big=0 runs=3 real=""
while [ $# -gt 0 ]; do
	case $1 in
	--big) big=1; shift ;;
	--real) real=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-*) echo "e2e.sh: unknown option $1" >&2; exit 2 ;;
	*) bin=$1; shift ;;
	esac
done
[ -x "$bin" ] || { echo "e2e.sh: no faultline binary at $bin" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "e2e.sh: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
keep=${E2E_DATA:-}
data=${E2E_DATA:-$(mktemp -d "${TMPDIR:-/tmp}/faultline-e2e.XXXXXX")}
mkdir -p "$data"
busy=""
cleanup() {
	for p in $busy; do kill "$p" 2>/dev/null || true; done
	[ -n "$keep" ] || rm -rf "$data"
}
trap cleanup EXIT INT TERM

# make N D SLICES: the set in $data/N-D (kept when it is there already)
make() {
	dir=$data/$1-$2
	[ -f "$dir/emb.npy" ] || "$bin" synth --out "$dir" --n "$1" --d "$2" --slices "$3" --seed 1 >/dev/null
	echo "$dir"
}

# run DIR: one default discover; sets wall (s) and rss (MB); stages in $data/stages
run() {
	/usr/bin/time -f "%e %M" -o "$data/time" "$bin" discover --labels "$1/labels.npy" \
		--probs "$1/probs.npy" --view emb="$1/emb.npy" --json "$data/out.json" --quiet \
		--timings >/dev/null 2>"$data/stages"
	read -r wall kb <"$data/time"
	rss=$((kb / 1024))
}

# best DIR: the best of $runs quiet runs; sets wall, rss
best() {
	bw="" br=0
	i=0
	while [ $i -lt "$runs" ]; do
		run "$1"
		if [ -z "$bw" ] || awk -v a="$wall" -v b="$bw" 'BEGIN { exit !(a < b) }'; then
			bw=$wall br=$rss
			cp "$data/stages" "$data/best-stages"
		fi
		i=$((i + 1))
	done
	wall=$bw rss=$br
}

# gram DIR: seconds of numpy's X'X on the embedding (file in the page cache)
gram() {
	if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
		/usr/bin/python3 - "$1/emb.npy" <<'PY'
import sys, time
import numpy as np
x = np.load(sys.argv[1], mmap_mode="r")
x = np.ascontiguousarray(x)
t = time.perf_counter()
g = x.T @ x
print("%.3f" % (time.perf_counter() - t))
PY
	else
		echo "-"
	fi
}

# planted DIR: each planted cluster's best Jaccard with a reported slice (its
# members, both halves) in the last run's report, and how many came out whole
planted() {
	if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
		/usr/bin/python3 - "$1/truth.npy" "$data/out.json" <<'PY'
import json, sys
import numpy as np
truth = np.load(sys.argv[1])
slices = json.load(open(sys.argv[2]))["slices"]
best = []
for c in range(int(truth.max()) + 1):
    t = set(np.flatnonzero(truth == c).tolist())
    best.append(max([len(t & set(s["members"])) / len(t | set(s["members"])) for s in slices] or [0]))
print("%d/%d whole (Jaccard >= 0.8), best Jaccard %s, %d slices" % (
    sum(j >= 0.8 for j in best), len(best), " ".join("%.2f" % j for j in best), len(slices)))
PY
	else
		echo "- (needs python3-numpy)"
	fi
}

ratio() { [ "$2" = "-" ] && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", a / b }'; }

printf "%-12s %8s %8s %8s %8s %10s\n" "N x D" "wall s" "RSS MB" "input MB" "gram s" "wall/gram"
sizes="200000:512:3 200000:128:3 1000000:128:3"
[ $big = 1 ] && sizes="$sizes 10000000:128:3"
for s in $sizes; do
	n=${s%%:*} rest=${s#*:} d=${rest%%:*} k=${rest#*:}
	dir=$(make "$n" "$d" "$k")
	input=$(( $(stat -c %s "$dir/emb.npy") / 1048576 ))
	best "$dir"
	g=$(gram "$dir")
	printf "%-12s %8s %8s %8s %8s %10s\n" "${n}x$d" "$wall" "$rss" "$input" "$g" "$(ratio "$wall" "$g")"
	sed -n '2,$p' "$data/best-stages" | sed 's/^/    /'
	echo "    planted clusters: $(planted "$dir")"
	eval "wall_${n}_$d=$wall"
done
echo "time linear in N: 1M x 128 / 200k x 128 = $(ratio "$wall_1000000_128" "$wall_200000_128") (5.0 = linear)"

# real: the default call with both views and the metadata, as a user runs it
for set in digits fashion; do
	[ -n "$real" ] || break
	dir=$real/$set
	if [ ! -f "$dir/meta.csv" ]; then
		echo "$set: no $dir (make it: /usr/bin/python3 bench/quality/make_data.py --large --out $real)"
		continue
	fi
	bw=""
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -f "%e %M" -o "$data/time" "$bin" discover --labels "$dir/labels.npy" \
			--probs "$dir/probs.npy" --view emb="$dir/emb.npy" --view view2="$dir/view2.npy" \
			--meta "$dir/meta.csv" --json "$data/out.json" --quiet --timings >/dev/null \
			2>"$data/stages"
		read -r wall kb <"$data/time"
		if [ -z "$bw" ] || awk -v a="$wall" -v b="$bw" 'BEGIN { exit !(a < b) }'; then
			bw=$wall br=$((kb / 1024))
			cp "$data/stages" "$data/best-stages"
		fi
		i=$((i + 1))
	done
	echo "$set ($(wc -l <"$dir/meta.csv") rows with the header, views emb and view2, metadata): $bw s, $br MB"
	sed -n '2,$p' "$data/best-stages" | sed 's/^/    /'
done

# loaded: two busy processes on the (2-core) machine
dir=$(make 200000 512 3)
sh -c 'while :; do :; done' & busy="$busy $!"
sh -c 'while :; do :; done' & busy="$busy $!"
sleep 1
run "$dir"
echo "200000x512 with two busy processes: $wall s, $(ratio "$wall" "$wall_200000_512") x the quiet run"
