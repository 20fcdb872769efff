#!/bin/sh
# tests/layering.sh [SRC_DIR]: derive which src/ folders each src/<folder>
# depends on and fail on any edge the layering below does not allow.
#
# An edge F -> G is one of
#   - a file of src/F includes "G/...": an internal header of G;
#   - a file of src/F names a function defined (not static) in a .c file of
#     src/G: a public fl_* call or an internal fl__* / fl_<module>__* helper.
# Comments and string literals are ignored. Prints the graph, then every
# edge that is not allowed with the files and names that make it.
#
# The table is the layering the folders' READMEs promise, lowest first:
#   common; io, stats, data; candidate; cluster, mixture, direction,
#   predicates, synth; spec; report; pipeline. The one edge within a tier:
#   mixture calls cluster's public k-means for one initialisation.
# Each folder's README names, after "May call:", the src/ folders it may
# call; a new edge changes the table here and that README together.
set -eu

src=${1:-$(dirname "$0")/../src}
[ -d "$src/common" ] || { echo "layering.sh: no src/common under $src" >&2; exit 2; }

allowed() {
	case $1 in
	common)     echo "" ;;
	io)         echo "common" ;;
	stats)      echo "common" ;;
	data)       echo "common" ;;
	candidate)  echo "common stats" ;;
	cluster)    echo "common stats candidate" ;;
	mixture)    echo "common io stats data candidate cluster" ;;
	direction)  echo "common stats candidate" ;;
	predicates) echo "common io stats candidate" ;;
	synth)      echo "common" ;;
	spec)       echo "common io mixture" ;;
	report)     echo "common io stats candidate mixture predicates spec" ;;
	pipeline)   echo "common io stats data candidate cluster mixture direction predicates spec report" ;;
	*)          echo "?" ;;
	esac
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/layering.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Every source file with comments and string/char literals blanked, each
# line prefixed by its folder and file: "folder file text".
for f in "$src"/*/*.c "$src"/*/*.h; do
	[ -f "$f" ] || continue
	d=${f%/*}; d=${d##*/}
	awk -v d="$d" -v f="${f##*/}" '
	BEGIN { com = 0 }
	{
		s = $0; out = ""; i = 1; n = length(s)
		while (i <= n) {
			c = substr(s, i, 1); c2 = substr(s, i, 2)
			if (com) {
				if (c2 == "*/") { com = 0; i += 2 } else i++
				continue
			}
			if (c2 == "/*") { com = 1; out = out " "; i += 2; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "\047") {
				q = c; i++
				while (i <= n && substr(s, i, 1) != q)
					i += substr(s, i, 1) == "\\" ? 2 : 1
				i++; out = out " "; continue
			}
			out = out c; i++
		}
		print d, f, out
	}' "$f"
done > "$tmp/code"

# Functions defined with external linkage: "name folder file".
awk '$2 ~ /\.c$/ {
	line = $0; sub(/^[^ ]* [^ ]* /, "", line)
	if (line !~ /^[A-Za-z]/ || line ~ /^static/ || line ~ /;[ \t]*$/) next
	if (match(line, /[ *]fl_[A-Za-z0-9_]*\(/))
		print substr(line, RSTART + 1, RLENGTH - 2), $1, $2
}' "$tmp/code" | sort -u > "$tmp/defs"

# Edges with their evidence: "from to why".
{
	# includes of another folder's headers
	for f in "$src"/*/*.c "$src"/*/*.h; do
		[ -f "$f" ] || continue
		d=${f%/*}; d=${d##*/}
		sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([a-z_]*\)\/\([^"]*\)".*/\1 \2/p' "$f" |
		while read -r g h; do
			if [ "$g" != "$d" ] && [ -d "$src/$g" ]; then
				echo "$d $g $d/${f##*/}:#include:$g/$h"
			fi
		done
	done
	# names of functions defined in another folder
	awk 'NR == FNR { def[$1] = $2; next }
	{
		line = $0; sub(/^[^ ]* [^ ]* /, "", line)
		while (match(line, /fl_[A-Za-z0-9_]*/)) {
			name = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			if ((name in def) && def[name] != $1)
				print $1, def[name], $1 "/" $2 ":" name
		}
	}' "$tmp/defs" "$tmp/code"
} | sort -u > "$tmp/why"

echo "src/ dependency graph (folder -> folders it includes or calls):"
status=0
for d in "$src"/*/; do
	d=${d%/}; d=${d##*/}
	ok=$(allowed "$d")
	if [ "$ok" = "?" ]; then
		echo "  $d: not in the layering table of tests/layering.sh"
		status=1
		continue
	fi
	to=$(awk -v d="$d" '$1 == d { print $2 }' "$tmp/why" | sort -u | tr '\n' ' ')
	echo "  $d -> ${to:-(nothing)}"
	for g in $to; do
		case " $ok " in
		*" $g "*) ;;
		*)
			echo "    NOT ALLOWED: $d -> $g (allowed: ${ok:-nothing}), from:"
			awk -v d="$d" -v g="$g" '$1 == d && $2 == g { print "      " $3 }' "$tmp/why"
			status=1 ;;
		esac
	done
	# the README must name every folder the table lets it call
	if [ -f "$src/$d/README.md" ]; then
		for g in $ok; do
			grep -Eq "src/$g([^a-z_]|\$)" "$src/$d/README.md" || {
				echo "    README: src/$d/README.md does not name src/$g, which the table allows"
				status=1
			}
		done
	else
		echo "    README: src/$d/README.md is missing"
		status=1
	fi
done
# Within a folder, the .c files calling each other's functions must form no
# circle either (one file is the entry, the others its parts): tsort
# reports any loop.
awk 'NR == FNR { def[$1] = $2 "/" $3; dir[$1] = $2; next }
$2 ~ /\.c$/ {
	line = $0; sub(/^[^ ]* [^ ]* /, "", line)
	while (match(line, /fl_[A-Za-z0-9_]*/)) {
		name = substr(line, RSTART, RLENGTH)
		line = substr(line, RSTART + RLENGTH)
		if ((name in def) && dir[name] == $1 && def[name] != $1 "/" $2)
			print $1 "/" $2, def[name]
	}
}' "$tmp/defs" "$tmp/code" | sort -u > "$tmp/files"
if ! tsort "$tmp/files" > /dev/null 2> "$tmp/loop"; then
	echo "  files calling each other in a circle:"
	sed 's/^/    /' "$tmp/loop"
	status=1
fi

if [ "$status" -eq 0 ]; then echo "layering: ok"; else echo "layering: FAILED"; fi
exit "$status"
