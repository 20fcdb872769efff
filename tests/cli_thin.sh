#!/bin/sh
# The CLI is a client: parse, read files, call the library, write. No
# pipeline step may be called from cli/ (the library's fl_discover,
# fl_apply, fl_check and fl_compare own them). $1 = source root.
set -u
steps='fl_split_holdout|fl_report_(merge|confirm|rank|describe|describe_phrases|add_candidates|pair_counts)|fl_discover_(kmeans|mixture|direction|predicates)|fl_predicates_search|fl_spec_apply|fl_failure_compute|fl_softmax_rows|fl_check_(labels|probs)|fl_slice_stats_compute|fl_table_subset'
if grep -nE "($steps) *\(" "$1"/cli/*.c; then
	echo "cli_thin: the lines above run pipeline steps in cli/; move them into src/pipeline"
	exit 1
fi
echo "cli_thin: cli/ calls no pipeline step"
