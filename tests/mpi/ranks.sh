#!/bin/sh
# `mpirun -np P faultline discover` gives the single process's report, for
# P = 2 and 3 (uneven shares), on `faultline synth` data with two views and
# metadata, at 1 and 2 threads per rank; and a rank that fails ends every
# rank: a bad input on rank 1 (its message names the rank and the file, the
# job exits non-zero, no report is written), a rank killed mid-run.
# usage: ranks.sh FAULTLINE (built with -DFL_MPI=ON)
set -eu
bin=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultline-mpi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
limit=300 # no mpirun may hang the suite
run="timeout -k 10 $limit mpirun --oversubscribe --allow-run-as-root"
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$bin" synth --out "$tmp/d" --n 12000 --d 24 --view2 --d2 40 --meta-slice --seed 5 >/dev/null
args="--labels $tmp/d/labels.npy --probs $tmp/d/probs.npy --view emb=$tmp/d/emb.npy
      --view emb2=$tmp/d/emb2.npy --meta $tmp/d/meta.csv --quiet"
# the views as they are (dimensions within --pca-dims), and reduced to 16
# dimensions first (PCA, 8-bit codes: the reduction's passes and exchanges)
for pca in 128 16; do
	mkdir "$tmp/p1-$pca"
	# shellcheck disable=SC2086 # $args: one word per argument
	"$bin" discover $args --pca-dims $pca --threads 2 --json "$tmp/p1-$pca/r.json" >"$tmp/p1-$pca/r.txt"
	grep -q '"slices"' "$tmp/p1-$pca/r.json" || bad "single process: no slices"
	for case in "2 1" "3 1" "2 2"; do
		# shellcheck disable=SC2086 # two words: ranks, threads
		set -- $case
		out=$tmp/np$1-t$2-$pca
		mkdir "$out"
		# shellcheck disable=SC2086
		if ! $run -np "$1" "$bin" discover $args --pca-dims $pca --threads "$2" \
			--json "$out/r.json" >"$out/r.txt" 2>"$out/err"; then
			cat "$out/err"
			bad "np $1 threads $2 pca-dims $pca: exit non-zero"
			continue
		fi
		for f in r.json r.txt r.mixture-emb.npz r.mixture-emb2.npz; do
			cmp -s "$tmp/p1-$pca/$f" "$out/$f" ||
				bad "np $1 threads $2 pca-dims $pca: $f differs from the single process's"
		done
		echo "np $1 x $2 threads, --pca-dims $pca: the single process's report, byte for byte"
	done
done

# a bad input on rank 1 only: every rank ends, rank and file named, no report
printf 'not an npy file' >"$tmp/bad.npy"
mkdir "$tmp/fail"
# shellcheck disable=SC2016,SC2046 # expanded by the rank's shell; one word per argument
if $run -np 2 sh -c 'l=$1; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && l=$2; shift 2; exec "$@" --labels "$l"' \
	sh "$tmp/d/labels.npy" "$tmp/bad.npy" "$bin" discover \
	$(echo "$args" | sed "s|--labels [^ ]*||") --json "$tmp/fail/r.json" >/dev/null 2>"$tmp/fail.err"; then
	bad "a bad input on rank 1: exit 0"
fi
grep -q "rank 1 of 2: .*bad.npy" "$tmp/fail.err" || { cat "$tmp/fail.err"; bad "a bad input on rank 1: no message naming rank 1 and the file"; }
[ -z "$(ls "$tmp/fail")" ] || bad "a bad input on rank 1: files written: $(ls "$tmp/fail")"
echo "a bad input on rank 1: every rank ended, rank 1 and the file named, no report"

# rank 1 (the faultline process itself: the wrapper execs it) killed
# 0.3 s into its run, on a larger set (about 1.5 s alone): mpirun ends
# rank 0, names rank 1, no report
mkdir "$tmp/kill"
"$bin" synth --out "$tmp/big" --n 150000 --d 24 --seed 5 >/dev/null
# shellcheck disable=SC2016 # expanded by the rank's shell
$run -np 2 sh -c 'echo $$ >"$0.$OMPI_COMM_WORLD_RANK"; exec "$@"' "$tmp/pid" "$bin" discover \
	--labels "$tmp/big/labels.npy" --probs "$tmp/big/probs.npy" --view emb="$tmp/big/emb.npy" \
	--quiet --threads 1 --json "$tmp/kill/r.json" >/dev/null 2>"$tmp/kill.err" &
job=$!
pid=""
for _ in $(seq 300); do
	[ -s "$tmp/pid.1" ] && pid=$(cat "$tmp/pid.1") && break
	sleep 0.05
done
[ -n "$pid" ] && sleep 0.3 && kill -9 "$pid"
rc=0
wait "$job" || rc=$?
[ -n "$pid" ] || bad "rank 1 killed: rank 1 was never seen running"
[ "$rc" -ne 0 ] || bad "rank 1 killed: exit 0"
[ "$rc" -ne 124 ] || bad "rank 1 killed: mpirun did not end within $limit s"
grep -q "rank 1" "$tmp/kill.err" || { cat "$tmp/kill.err"; bad "rank 1 killed: rank 1 not named"; }
[ -z "$(ls "$tmp/kill")" ] || bad "rank 1 killed: files written: $(ls "$tmp/kill")"
echo "rank 1 killed: the job ended non-zero (exit $rc), rank 1 named, no report"
[ "$fails" -eq 0 ]
