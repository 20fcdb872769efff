#!/bin/sh
# Messages are for people: no message the library records names one of its
# functions ("fl_discover_direction: ...") or prints a pointer (%p). Scans
# the format strings of src/ for both. $1 = faultline (unused), $2 = scratch
# directory, $3 = source root.
set -u
root=$3
status=0
if grep -rn --include='*.c' '"fl_[a-z0-9_]*[:(]' "$root/src"; then
	echo "messages above name a library function"; status=1
fi
if grep -rn --include='*.c' '"[^"]*%p' "$root/src"; then
	echo "messages above print a pointer"; status=1
fi
exit $status
