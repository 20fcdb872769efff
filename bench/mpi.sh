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
# And the ceiling this machine sets, measured in the same rounds: P
# one-process runs at once (each does all the work: the machine's
# throughput for this work with P cores busy, no exchange, no step
# replicated) and the MPI start and stop (a 2000-row discover on P ranks
# less the same in one process). A P-rank run that shared every step
# perfectly would do a P-th of the work at that throughput and pay the
# start and stop: ceiling = one / (together / P + start and stop), each
# round's own figures; the ranks' paired ratio over it is the share of
# that ceiling reached. The ceiling leaves out what running in lockstep
# costs: bench/mpi_lockstep.c (built beside FAULTLINE) measures it for
# ranks of equal passes over arrays of their own, faultline aside.
#
# usage: bench/mpi.sh [--runs R] [--n N] [--d D] [--np P] [--against OTHER] [FAULTLINE]
#   FAULTLINE  a binary built with -DFL_MPI=ON (default build-mpi/faultline; after
#              scripts/test.sh that build is for any x86-64: reconfigure it with
#              -DFL_NATIVE=ON before measuring; `cmake --build build-mpi --target
#              mpi_lockstep` adds the lockstep figure)
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
tiny=$data/start-stop
[ -f "$tiny/emb.npy" ] || "$bin" synth --out "$tiny" --n 2000 --d 8 --slices 2 --seed 1 >/dev/null
targs="--labels $tiny/labels.npy --probs $tiny/probs.npy --view emb=$tiny/emb.npy --threads 1 --quiet"
mpi="mpirun --oversubscribe --allow-run-as-root -np $np"
lockstep=$(dirname "$bin")/bench/mpi_lockstep # built with FL_MPI beside faultline

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
# seconds LAUNCHER ARGS...: the wall seconds of one discover, printed
seconds() {
	l=$1
	shift
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086 # one word per argument
	$l "$bin" discover "$@" >/dev/null 2>&1 || { echo "mpi.sh: a start-and-stop run failed" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

# ceiling: P one-process runs at once, then the start and stop (the least
# of three tiny runs each way); their seconds appended to $out/together
# and $out/startstop
ceiling() {
	t0=$(date +%s.%N)
	pids=
	for q in $(seq "$np"); do
		# shellcheck disable=SC2086 # one word per argument
		"$bin" discover $args --json "$out/together$q.json" >/dev/null 2>"$out/together$q.err" &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid" || { cat "$out"/together*.err >&2; echo "mpi.sh: a run of the ceiling failed" >&2; exit 1; }
	done
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc >>"$out/together"
	# shellcheck disable=SC2086 # one word per argument
	a=$(for _ in 1 2 3; do seconds "" $targs --json "$out/t.json"; done | sort -n | head -1)
	# shellcheck disable=SC2086 # one word per argument
	b=$(for _ in 1 2 3; do seconds "$mpi" $targs --json "$out/t.json"; done | sort -n | head -1)
	[ -n "$a" ] && [ -n "$b" ] || exit 1 # a run failed (said so)
	echo "$b - $a" | bc >>"$out/startstop"
	if [ -x "$lockstep" ]; then
		$mpi "$lockstep" >"$out/lockstep.line" || { echo "mpi.sh: $lockstep failed" >&2; exit 1; }
		sed -n 's/.*waiting at most \([0-9.]*\)%.*/\1/p' "$out/lockstep.line" >>"$out/lockstep"
	fi
}
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for _ in $(seq "$runs"); do
	run "" one
	run "$mpi" ranks
	[ -z "$other" ] || run "$mpi" other "$other"
	ceiling
done
one=$(median "$out/one.times")
many=$(median "$out/ranks.times")
echo "$n x $d, 1 thread per rank, median of $runs: 1 rank $one s, $np ranks $many s: $(echo "scale=2; $one / $many" | bc)x"
paste "$out/one.times" "$out/ranks.times" | awk '{print $1 / $2}' >"$out/pairs"
echo "median of the $runs paired ratios: $(median "$out/pairs" | xargs printf '%.2f')x" \
	"(each: $(sort -n "$out/pairs" | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1}'))"
paste "$out/one.times" "$out/together" "$out/startstop" |
	awk -v p="$np" '{print $1 / ($2 / p + $3)}' >"$out/ceil"
paste "$out/pairs" "$out/ceil" | awk '{print $1 / $2}' >"$out/reached"
echo "ceiling: $np one-process runs at once $(median "$out/together") s, MPI start and stop" \
	"$(median "$out/startstop") s: $(median "$out/ceil" | xargs printf '%.2f')x" \
	"(each: $(sort -n "$out/ceil" | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1}'));" \
	"the ranks reach $(median "$out/reached" | xargs printf '%.2f') of it" \
	"(each: $(sort -n "$out/reached" | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1}'))"
[ ! -f "$out/lockstep" ] || echo "lockstep, faultline aside (bench/mpi_lockstep.c: $np ranks," \
	"100 equal passes over 256 MB each, an allreduce after each): a rank waits up to" \
	"$(median "$out/lockstep")% of its time (each: $(sort -n "$out/lockstep" | tr '\n' ' '| sed 's/ $//'))"
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
