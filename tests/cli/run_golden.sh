#!/bin/sh
# Run one golden CLI case: $1 = faultline binary, $2 = case path without
# extension, $3 = source root, $4 = scratch directory.
#   CASE.args    arguments, one per line; @ROOT@ and @TMP@ are substituted
#   CASE.status  expected exit code (default 0)
#   CASE.stdout  expected stdout, exact (optional)
#   CASE.stderr  expected stderr, exact (optional)
#   CASE.setup   optional shell snippet run first in the scratch dir ($ROOT, $BIN set)
#   CASE.check   optional shell snippet run afterwards in the scratch dir under sh -e
#                (e.g. to check a written file; $ROOT and $BIN are set); must exit 0
# With FL_BLESS=1 the outputs of this run become the expected .stdout and
# .stderr of the case (review the diff before committing it).
set -u
bin=$1 case=$2 root=$3 tmp=$4/$(basename "$case")
rm -rf "$tmp" && mkdir -p "$tmp"
set --
while IFS= read -r line || [ -n "$line" ]; do
	line=$(printf '%s' "$line" | sed -e "s|@ROOT@|$root|g" -e "s|@TMP@|$tmp|g")
	set -- "$@" "$line"
done < "$case.args"
if [ -f "$case.setup" ] && ! (cd "$tmp" && ROOT=$root BIN=$bin sh "$case.setup"); then
	echo "setup failed: $case.setup"; exit 1
fi
"$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
status=$?
want=0
[ -f "$case.status" ] && want=$(cat "$case.status")
fail=0
if [ "$status" != "$want" ]; then
	echo "exit code $status, expected $want"; fail=1
fi
for s in stdout stderr; do
	sed "s|$tmp|@TMP@|g; s|$root|@ROOT@|g" "$tmp/$s" > "$tmp/$s.norm"
	if [ "${FL_BLESS:-0}" = 1 ]; then
		cp "$tmp/$s.norm" "$case.$s"
	elif [ -f "$case.$s" ]; then
		if ! diff -u "$case.$s" "$tmp/$s.norm"; then
			echo "$s differs from $case.$s"; fail=1
		fi
	fi
done
if [ -f "$case.check" ] && ! (cd "$tmp" && ROOT=$root BIN=$bin sh -e "$case.check"); then
	echo "check failed: $case.check"; fail=1
fi
[ $fail -eq 0 ] || { echo "--- stderr:"; cat "$tmp/stderr"; }
exit $fail
