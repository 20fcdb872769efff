#!/bin/sh
# The same discover on 1 and 2 MPI ranks (issue 16; docs/distributed.md):
# `faultline synth` data of N x D (default 1M x 128), the default discover
# with one thread per rank, 1 rank (no mpirun) and `mpirun -np 2`,
# alternating, R runs each (default 3); the medians of the wall times, their
# ratio, the median of the R ratios of a 1-rank run to the 2-rank run right
# after it (the two met much the same load from the machine's neighbours:
# on a shared host one process took 14.1 to 20.1 s within ten minutes),
# each run's report compared byte for byte with the first, and the stage
# table and exchange volume of the last 2-rank run.
#
# usage: bench/mpi.sh [--runs R] [--n N] [--d D] [--np P] [--against OTHER] [FAULTLINE]
#   FAULTLINE  a binary built with -DFL_MPI=ON (default build-mpi/faultline; after
#              scripts/test.sh that build is for any x86-64: reconfigure it with
#              -DFL_NATIVE=ON before measuring)
#   --against OTHER  another MPI build (an older commit's, say): each round also
#              runs it on P ranks, right after FAULTLINE's, and the bench prints
#              the median of the paired ratios OTHER / FAULTLINE (> 1: FAULTLINE
#              faster), the one comparison a shared host's noise lets through
# Environment: E2E_DATA, the folder the synthetic set is written to and kept
# (default a temporary folder, removed at the end).
set -eu
export LC_ALL=C # printf's decimal point
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../build-mpi/faultline
runs=3 n=1000000 d=128 np=2 other=
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--n) n=$2; shift 2 ;;
	--d) d=$2; shift 2 ;;
	--np) np=$2; shift 2 ;;
	--against) other=$2; shift 2 ;;
	-*) echo "mpi.sh: unknown option $1" >&2; exit 2 ;;
	*) bin=$1; shift ;;
	esac
done
[ -x "$bin" ] || { echo "mpi.sh: no faultline binary at $bin (cmake -DFL_MPI=ON)" >&2; exit 2; }
[ -z "$other" ] || [ -x "$other" ] || { echo "mpi.sh: no faultline binary at $other" >&2; exit 2; }
keep=${E2E_DATA:-}
data=${E2E_DATA:-$(mktemp -d "${TMPDIR:-/tmp}/faultline-mpi.XXXXXX")}
out=$(mktemp -d "${TMPDIR:-/tmp}/faultline-mpi-out.XXXXXX")
trap '[ -n "$keep" ] || rm -rf "$data"; rm -rf "$out"' EXIT INT TERM
set_dir=$data/$n-$d
mkdir -p "$data"
[ -f "$set_dir/emb.npy" ] || "$bin" synth --out "$set_dir" --n "$n" --d "$d" --slices 8 --seed 1 >/dev/null
args="--labels $set_dir/labels.npy --probs $set_dir/probs.npy --view emb=$set_dir/emb.npy --threads 1 --quiet"

# run LAUNCHER NAME [BINARY]: one discover, its wall seconds appended to $out/NAME
run() {
	mkdir -p "$out/$2"
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086 # one word per argument
	$1 "${3:-$bin}" discover $args --timings --json "$out/$2/r.json" >/dev/null 2>"$out/$2.stages"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc >>"$out/$2.times"
	sed -i 's/"timings":{[^}]*}//' "$out/$2/r.json"   # the rest must be equal
	if [ -f "$out/first.json" ]; then
		cmp -s "$out/first.json" "$out/$2/r.json" || echo "mpi.sh: the $2 report differs" >&2
	else
		cp "$out/$2/r.json" "$out/first.json"
	fi
}
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for _ in $(seq "$runs"); do
	run "" one
	run "mpirun --oversubscribe --allow-run-as-root -np $np" ranks
	[ -z "$other" ] || run "mpirun --oversubscribe --allow-run-as-root -np $np" other "$other"
done
one=$(median "$out/one.times")
many=$(median "$out/ranks.times")
echo "$n x $d, 1 thread per rank, median of $runs: 1 rank $one s, $np ranks $many s: $(echo "scale=2; $one / $many" | bc)x"
paste "$out/one.times" "$out/ranks.times" | awk '{print $1 / $2}' >"$out/pairs"
echo "median of the $runs paired ratios: $(median "$out/pairs" | xargs printf '%.2f')x" \
	"(each: $(sort -n "$out/pairs" | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1}'))"
echo "1 rank: $(tr '\n' ' ' <"$out/one.times")"
echo "$np ranks: $(tr '\n' ' ' <"$out/ranks.times")"
if [ -n "$other" ]; then
	paste "$out/other.times" "$out/ranks.times" | awk '{print $1 / $2}' >"$out/vs"
	echo "against $other on $np ranks: median $(median "$out/other.times") s; paired" \
		"$other / $bin: $(median "$out/vs" | xargs printf '%.3f')" \
		"(each: $(sort -n "$out/vs" | awk '{printf "%s%.3f", (NR > 1 ? " " : ""), $1}'))"
fi
echo "stages (1 rank | $np ranks, the last runs):"
paste "$out/one.stages" "$out/ranks.stages" | grep -v "^faultline: timings"
