#!/bin/sh
# Ctrl-C or SIGTERM during `faultline discover`: the run stops (exit 128 +
# the signal), writes nothing, keeps the earlier report and its model file
# as they were, and leaves no temporary file or folder behind.
# $1 = faultline binary, $2 = scratch directory.
set -u
bin=$1 tmp=$2/cli_signal
rm -rf "$tmp" && mkdir -p "$tmp/keep" "$tmp/t"
"$bin" synth --out "$tmp/d" --n 100000 --d 64 >/dev/null || exit 1
run() { # exec: a background run's pid is faultline's own
	TMPDIR="$tmp/t" exec "$bin" discover --labels "$tmp/d/labels.npy" --probs "$tmp/d/probs.npy" \
		--view e="$tmp/d/emb.npy" --json "$tmp/keep/r.json" --quiet "$@"
}
(run --method mixture --components 4 >/dev/null) || { echo "first run failed"; exit 1; }
cp "$tmp/keep/r.json" "$tmp/r.json.before"
cp "$tmp/keep/r.mixture-e.npz" "$tmp/model.before"
fail=0
for sig in INT:2 TERM:15; do
	num=${sig#*:} sig=${sig%:*}
	(run --components 80 --seed 7 >/dev/null 2>"$tmp/stderr") &
	pid=$!
	# signal it in the middle of the mixture fit: once its model folder exists
	for i in $(seq 200); do
		[ -n "$(find "$tmp/keep" -name '*.tmp.*')" ] && break
		sleep 0.05
	done
	sleep 0.2
	kill -"$sig" "$pid" || echo "SIG$sig: the run ended before the signal (too fast for this test)"
	wait "$pid"
	status=$?
	want=$((128 + num))
	[ "$status" = "$want" ] || { echo "SIG$sig: exit $status, expected $want"; fail=1; }
	cmp -s "$tmp/keep/r.json" "$tmp/r.json.before" || { echo "SIG$sig: the report changed"; fail=1; }
	cmp -s "$tmp/keep/r.mixture-e.npz" "$tmp/model.before" || { echo "SIG$sig: its model changed"; fail=1; }
	left=$(find "$tmp/keep" "$tmp/t" -name '*.tmp.*' -o -name 'faultline-*' | wc -l)
	[ "$left" = 0 ] || { echo "SIG$sig: temporary files left:"; ls -la "$tmp/keep" "$tmp/t"; fail=1; }
done
[ $fail = 0 ] && echo "cli_signal: SIGINT and SIGTERM stop discover; nothing written, nothing left"
exit $fail
