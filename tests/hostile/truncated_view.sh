#!/bin/sh
# A view file truncated while `faultline discover` has it memory-mapped:
# the run ends with one line naming the file and exit 3 (an input is
# unreadable), not a bus error and a core dump. The truncation waits until
# the file shows in the process's mappings (Linux /proc; else a short sleep).
# $1 = faultline binary, $2 = scratch directory.
set -u
bin=$1 tmp=$2/hostile_truncated_view
rm -rf "$tmp" && mkdir -p "$tmp/t"
"$bin" synth --out "$tmp/d" --n 60000 --d 64 >/dev/null || { echo "synth failed"; exit 1; }
view=$tmp/d/emb.npy
TMPDIR="$tmp/t" "$bin" discover --labels "$tmp/d/labels.npy" --probs "$tmp/d/probs.npy" \
	--view e="$view" --components 60 --quiet >/dev/null 2>"$tmp/stderr" &
pid=$!
i=0
if [ -r /proc/$pid/maps ]; then
	while [ $i -lt 500 ] && ! grep -q "$view" /proc/$pid/maps 2>/dev/null; do
		sleep 0.01
		i=$((i + 1))
	done
else
	sleep 0.5
fi
truncate -s 200 "$view" 2>/dev/null || : >"$view"
wait $pid
status=$?
fail=0
[ "$status" = 3 ] || { echo "exit $status, expected 3 (an input is unreadable)"; fail=1; }
lines=$(wc -l <"$tmp/stderr")
[ "$lines" = 1 ] || { echo "expected one line on stderr, got $lines"; fail=1; }
grep -q "^faultline: .*shrank while faultline was reading it" "$tmp/stderr" ||
	{ echo "no clear message"; fail=1; }
[ -r /proc/self/maps ] && ! grep -qF "$view: " "$tmp/stderr" &&
	{ echo "the message does not name $view"; fail=1; }
grep -qi "core\|bus error\|sanitizer" "$tmp/stderr" && { echo "crash text on stderr"; fail=1; }
[ $fail = 0 ] || { echo "stderr:"; cat "$tmp/stderr"; exit 1; }
echo "hostile_truncated_view: a view truncated during discover ends with exit 3 and one line naming it"
rm -rf "$tmp"
