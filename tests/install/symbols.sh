#!/bin/sh
# The shared library exports exactly the public API.
# $1 = nm, $2 = libfaultline.so, $3 = include folder, $4 = unexported.txt.
# Every dynamic symbol the library defines must be an fl_ name, not an
# internal fl_*__ one, declared FL_API in a public header; every FL_API
# function of the headers must be exported, except those listed in
# unexported.txt (declared, not implemented yet), which must not be.
set -u
export LC_ALL=C
nm=$1 lib=$2 inc=$3 pending=$4
tmp=${TMPDIR:-/tmp}/fl-symbols.$$
trap 'rm -f "$tmp".*' EXIT
fail=0

# report FILE MESSAGE: print MESSAGE before each line of FILE; fail if any.
report() {
	[ -s "$1" ] || return 0
	sed "s|^|$2: |" "$1"
	fail=1
}

"$nm" -D --defined-only "$lib" >"$tmp.nm" || { echo "$nm -D failed on $lib"; exit 1; }
awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' "$tmp.nm" | sort -u >"$tmp.exported"
[ -s "$tmp.exported" ] || { echo "no symbol exported by $lib"; exit 1; }

# Declarations: FL_API, a return type, then the name before "(" on one line.
find "$inc" -name '*.h' -exec cat {} + | grep '^FL_API' >"$tmp.decl"
grep -v '(' "$tmp.decl" >"$tmp.bad"
report "$tmp.bad" "FL_API line without \"(\" (keep the name on it)"
sed -n 's/^FL_API[^(]*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\) *(.*/\1/p' "$tmp.decl" |
	sort -u >"$tmp.declared"
[ -s "$tmp.declared" ] || { echo "no FL_API declaration found in $inc"; exit 1; }
{ grep -v '^#' "$pending" | grep . || true; } | sort -u >"$tmp.pending"

grep -v '^fl_' "$tmp.exported" >"$tmp.bad"
report "$tmp.bad" "exported without the fl_ prefix"
grep '^fl_.*__' "$tmp.exported" >"$tmp.bad"
report "$tmp.bad" "exported internal symbol"
grep '^fl_' "$tmp.exported" | grep -v '__' | comm -23 - "$tmp.declared" >"$tmp.bad"
report "$tmp.bad" "exported but not declared FL_API in $inc"
comm -23 "$tmp.declared" "$tmp.exported" | comm -23 - "$tmp.pending" >"$tmp.bad"
report "$tmp.bad" "declared FL_API but not exported"
comm -12 "$tmp.pending" "$tmp.exported" >"$tmp.bad"
report "$tmp.bad" "exported now, remove it from $pending"
comm -23 "$tmp.pending" "$tmp.declared" >"$tmp.bad"
report "$tmp.bad" "listed in $pending but not declared FL_API"

echo "$(wc -l <"$tmp.exported") symbols exported; $(wc -l <"$tmp.declared") declared FL_API, of which $(wc -l <"$tmp.pending") not implemented yet"
exit $fail
