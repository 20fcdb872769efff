#!/bin/sh
# `mpirun -np P faultline discover` gives the single process's report, for
# P = 2 and 3 (uneven shares), on `faultline synth` data with two views and
# metadata, at 1 and 2 threads per rank; a bad value in the last rank's
# share of the input check gives the single process's message; a rank
# that fails ends every rank: a bad input on rank 1 (its message names the
# rank and the file, the job exits non-zero, no report is written), a rank
# killed mid-run; and each rank reads only its own rows of the views (the
# others unmapped: the CLI maps each rank's own rows only).
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
		# every rank reads only its own rows of the views: the others'
		# unmapped (cli/mpi.c, fl_comm_rows)
		# shellcheck disable=SC2086
		if ! $run -np "$1" "$bin" discover $args \
			--pca-dims $pca --threads "$2" --json "$out/r.json" >"$out/r.txt" 2>"$out/err"; then
			cat "$out/err"
			bad "np $1 threads $2 pca-dims $pca: exit non-zero"
			continue
		fi
		for f in r.json r.txt r.mixture-emb.npz r.mixture-emb2.npz; do
			cmp -s "$tmp/p1-$pca/$f" "$out/$f" ||
				bad "np $1 threads $2 pca-dims $pca: $f differs from the single process's"
		done
		echo "np $1 x $2 threads, --pca-dims $pca: the single process's report, byte for byte, each rank reading its own rows"
	done
done

# phrase descriptions (their sums over a slice's rows, by row groups) and
# the page's map, on the CLI tests' small set
cli=$(cd "$(dirname "$0")/../cli/data" && pwd)
small="--labels $cli/labels.npy --probs $cli/probs.npy --view e=$cli/emb.npy --method kmeans --k 2
       --min-size 3 --no-holdout --phrases $cli/phrases.txt --phrase-embeddings $cli/phrase_emb.npy
       --phrase-view e --quiet"
mkdir "$tmp/ph1"
# shellcheck disable=SC2086 # one word per argument
"$bin" discover $small --json "$tmp/ph1/r.json" --html "$tmp/ph1/r.html" >/dev/null
grep -q '"phrases"' "$tmp/ph1/r.json" || bad "phrases: none in the single process's report"
for np in 2 3; do
	mkdir "$tmp/ph$np"
	# shellcheck disable=SC2086
	$run -np $np "$bin" discover $small \
		--json "$tmp/ph$np/r.json" --html "$tmp/ph$np/r.html" >/dev/null 2>"$tmp/ph$np.err" ||
		{ cat "$tmp/ph$np.err"; bad "phrases, np $np: exit non-zero"; }
	for f in r.json r.html; do
		cmp -s "$tmp/ph1/$f" "$tmp/ph$np/$f" || bad "phrases, np $np: $f differs"
	done
done
echo "phrases and the map: np 2 and 3 give the single process's report and page"

# --timings on ranks: every stage with the seconds rank 0 stood in the
# exchanges, within the stage's, some of them not 0; then the volume line
# shellcheck disable=SC2086 # one word per argument
$run -np 2 "$bin" discover $args --threads 1 --timings --json "$tmp/t.json" >/dev/null 2>"$tmp/t.err" ||
	{ cat "$tmp/t.err"; bad "timings, np 2: exit non-zero"; }
for stage in prepare split 'mixture emb' 'kmeans emb2' settle confirm causes; do
	grep -qE "^  $stage +([0-9.]+)  \(([0-9.]+) exchanging\)$" "$tmp/t.err" ||
		{ cat "$tmp/t.err"; bad "timings, np 2: no exchanges for stage $stage"; }
done
awk '/exchanging\)$/ { s = $(NF - 2); x = substr($(NF - 1), 2); all += x; if (x + 0 > s + 0) bad = 1 }
	END { exit bad || !(all > 0) }' "$tmp/t.err" ||
	{ cat "$tmp/t.err"; bad "timings, np 2: more seconds exchanging than in the stage, or none"; }
grep -q '"kmeans emb: exchanges":' "$tmp/t.json" || bad "timings, np 2: no exchanges in the JSON"
grep -q "^faultline: exchanged by rank 0 of 2: " "$tmp/t.err" || bad "timings, np 2: no volume line"
echo "--timings on 2 ranks: each stage's seconds in the exchanges"

# normalised rows (their scales, each rank its own), and the mixture without
# a holdout past 2^19 rows (its rows assigned a chunk at a time)
for case in "normalize:$args --normalize" "chunks:--labels $tmp/c/labels.npy --probs $tmp/c/probs.npy
	--view emb=$tmp/c/emb.npy --no-holdout --method mixture --quiet"; do
	name=${case%%:*}
	[ "$name" = chunks ] && "$bin" synth --out "$tmp/c" --n 600000 --d 8 --seed 3 >/dev/null
	mkdir "$tmp/$name-1" "$tmp/$name-2"
	# shellcheck disable=SC2086 # one word per argument
	"$bin" discover ${case#*:} --threads 1 --json "$tmp/$name-1/r.json" >/dev/null
	# shellcheck disable=SC2086
	$run -np 2 "$bin" discover ${case#*:} --threads 1 --json "$tmp/$name-2/r.json" \
		>/dev/null 2>"$tmp/$name.err" || { cat "$tmp/$name.err"; bad "$name, np 2: exit non-zero"; }
	cmp -s "$tmp/$name-1/r.json" "$tmp/$name-2/r.json" || bad "$name, np 2: not the single process's report"
done
echo "normalised rows, the mixture's chunks without a holdout: np 2 gives the single process's report"

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

# the metadata is read by rank 0 and sent to the others (the reports above
# used it); missing, rank 0 names it and every rank ends, no report
mkdir "$tmp/nometa"
# shellcheck disable=SC2046 # one word per argument
if $run -np 2 "$bin" discover $(echo "$args" | sed "s|--meta [^ ]*|--meta $tmp/none.csv|") \
	--json "$tmp/nometa/r.json" >/dev/null 2>"$tmp/nometa.err"; then
	bad "missing metadata: exit 0"
fi
grep -q "rank 0 of 2: .*none.csv: cannot open" "$tmp/nometa.err" ||
	{ cat "$tmp/nometa.err"; bad "missing metadata: rank 0 does not name the file"; }
[ -z "$(ls "$tmp/nometa")" ] || bad "missing metadata: files written"
echo "missing metadata: rank 0 names it, every rank ended, no report"

# a fault in the arguments, found alike by every rank: said once (rank 0)
if $run -np 3 "$bin" discover --labels "$tmp/d/labels.npy" >/dev/null 2>"$tmp/usage.err"; then
	bad "usage error: exit 0"
fi
[ "$(grep -c "^faultline: error: " "$tmp/usage.err")" = 1 ] ||
	{ cat "$tmp/usage.err"; bad "usage error: not said exactly once"; }
echo "usage error: said once, by rank 0"

# a value out of range in the last row (the input check of the last rank's
# share of the rows): the single process's message, non-zero exit, no report
cp "$tmp/d/emb.npy" "$tmp/inf.npy"
size=$(wc -c <"$tmp/inf.npy")
printf '\000\000\200\177' | dd of="$tmp/inf.npy" bs=1 seek=$((size - 4)) conv=notrunc 2>/dev/null
inf="--labels $tmp/d/labels.npy --probs $tmp/d/probs.npy --view emb=$tmp/inf.npy --quiet"
# shellcheck disable=SC2086 # one word per argument
"$bin" discover $inf --json "$tmp/inf1.json" 2>"$tmp/inf1.err" && bad "+Inf in the last row: exit 0"
msg=$(sed -n 's/^faultline: //p' "$tmp/inf1.err")
case $msg in *"row 11999, column 23: value is +Inf"*) ;; *) bad "+Inf in the last row, one process: $msg" ;; esac
for np in 2 3; do
	mkdir "$tmp/inf$np"
	# shellcheck disable=SC2086
	$run -np $np "$bin" discover $inf \
		--json "$tmp/inf$np/r.json" >/dev/null 2>"$tmp/inf$np.err" &&
		bad "+Inf in the last row, np $np: exit 0"
	grep -qF "$msg" "$tmp/inf$np.err" || { cat "$tmp/inf$np.err"; bad "+Inf in the last row, np $np: not the single process's message"; }
	[ -z "$(ls "$tmp/inf$np")" ] || bad "+Inf in the last row, np $np: files written"
done
echo "+Inf in the last rank's rows: the single process's message (each rank reading its own rows), no report"

# rank 1 (the faultline process itself: the wrapper execs it) killed
# once rank 0 keeps mixture models beside the JSON (its OUT.tmp.XXXXXX
# folder), on a larger set (about 1.5 s alone): mpirun ends rank 0, which
# was waiting for rank 1 in an exchange, names rank 1; no report, and rank
# 0's folder removed
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
seen=""
for _ in $(seq 400); do
	[ -n "$pid" ] || break
	[ -n "$(ls "$tmp/kill")" ] && seen=1 && break
	sleep 0.025
done
[ -n "$pid" ] && kill -9 "$pid"
rc=0
wait "$job" || rc=$?
[ -n "$pid" ] || bad "rank 1 killed: rank 1 was never seen running"
[ -n "$seen" ] || bad "rank 1 killed: rank 0's model folder never appeared"
[ "$rc" -ne 0 ] || bad "rank 1 killed: exit 0"
[ "$rc" -ne 124 ] || bad "rank 1 killed: mpirun did not end within $limit s"
grep -q "rank 1" "$tmp/kill.err" || { cat "$tmp/kill.err"; bad "rank 1 killed: rank 1 not named"; }
[ -z "$(ls "$tmp/kill")" ] || bad "rank 1 killed: files written: $(ls "$tmp/kill")"
echo "rank 1 killed: the job ended non-zero (exit $rc), rank 1 named, no report, no folder"

# the same on a larger set (blocks of 4096 rows, many to a rank)
big="--labels $tmp/big/labels.npy --probs $tmp/big/probs.npy --view emb=$tmp/big/emb.npy --quiet"
mkdir "$tmp/g1" "$tmp/g2" "$tmp/g3"
# shellcheck disable=SC2086 # one word per argument
"$bin" discover $big --threads 1 --json "$tmp/g1/r.json" >/dev/null
for np in 2 3; do
	# shellcheck disable=SC2086
	$run -np $np "$bin" discover $big --threads 1 \
		--json "$tmp/g$np/r.json" >/dev/null 2>"$tmp/g$np.err" ||
		{ cat "$tmp/g$np.err"; bad "np $np, rows of other ranks unmapped: exit non-zero"; }
	cmp -s "$tmp/g1/r.json" "$tmp/g$np/r.json" ||
		bad "np $np, rows of other ranks unmapped: not the single process's report"
done
echo "150,000 rows, other ranks' rows unmapped: np 2 and 3 give the single process's report"
[ "$fails" -eq 0 ]
