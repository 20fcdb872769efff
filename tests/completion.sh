#!/bin/sh
# `faultline completion bash`: the script loads in bash, registers the
# function, and completes verbs, options, choices and files from the
# option tables. $1 = faultline, $2 = scratch folder.
set -u
bin=$1 dir=$2
mkdir -p "$dir" && cd "$dir" || exit 1
"$bin" completion bash > faultline.bash || { echo "completion: exit $?"; exit 1; }
: > R1.json
out=$(bash -c '
. ./faultline.bash
complete -p faultline
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _faultline; echo "$*=> ${COMPREPLY[*]}"; }
c faultline dis
c faultline discover --vie
c faultline discover --failure-kind l
c faultline discover --method k
c faultline report --th
c faultline report R1.j
c faultline completion ""
' 2>&1)
want='complete -o filenames -F _faultline faultline
faultline dis=> discover
faultline discover --vie=> --view
faultline discover --failure-kind l=> loss
faultline discover --method k=> kmeans
faultline report --th=> --thumbnails
faultline report R1.j=> R1.json
faultline completion => bash'
if [ "$out" != "$want" ]; then
	printf 'completion: got\n%s\nwanted\n%s\n' "$out" "$want"
	exit 1
fi
"$bin" completion zsh 2>/dev/null && { echo "completion: zsh accepted"; exit 1; }
echo "completion: ok"
