#!/bin/sh
# One figure reads the same in every writer: each slice's failure rate, its
# 95% interval and its excess failures in the text table and in the HTML
# table, for a binary failure signal (percentages) and a continuous one (a
# loss, in its own units); and the table of `faultline report` (from the
# JSON) is the table of the run. $1 = faultline, $2 = scratch.
set -u
bin=$1 dir=$2 data=$2/syn
mkdir -p "$dir" && cd "$dir" || exit 1
"$bin" synth --out syn --n 3000 --slices 3 --slice-frac 0.05 --meta-slice >/dev/null ||
	{ echo "figures: synth failed"; exit 1; }
checked=0
for kind in error loss; do
	"$bin" discover --labels "$data/labels.npy" --probs "$data/probs.npy" \
		--view "e=$data/emb.npy" --meta "$data/meta.csv" --failure-kind $kind --top 5 --json r.json \
		--html r.html --quiet > t.txt || { echo "figures: discover --failure-kind $kind failed"; exit 1; }
	"$bin" report r.json --quiet > t2.txt || { echo "figures: report failed"; exit 1; }
	if ! cmp -s t.txt t2.txt; then
		echo "figures: $kind: the table of faultline report differs from the run's:"
		diff t.txt t2.txt
		exit 1
	fi
	# text: "S1  size  rate [lo, hi]  outside  lift  excess  found by"
	grep '^S[0-9]' t.txt | tr -d '[],%' | while read -r id size rate lo hi out lift excess rest; do
		row=$(grep "<tr><td><a href=\"#$id\">" r.html | sed 's/%//g')
		want="<td class=\"n\">$rate</td><td>$lo &ndash; $hi</td><td class=\"n\">$lift</td><td class=\"n\">$excess</td>"
		case $row in
		*"$want"*) ;;
		*) printf 'figures: %s %s: the HTML row\n%s\nlacks the text figures\n%s\n' "$kind" "$id" "$row" "$want"
		   exit 1 ;;
		esac
	done || exit 1
	n=$(grep -c '^S[0-9]' t.txt)
	[ "$n" -gt 0 ] || { echo "figures: $kind: no slice to compare"; exit 1; }
	checked=$((checked + n))
done
echo "figures: $checked slices read the same in text and HTML"
