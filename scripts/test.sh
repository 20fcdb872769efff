#!/bin/sh
# Quick start, step 2: build and run every test. Three builds:
#   build-test  warnings as errors, every test (unit, fuzz-corpus replay, CLI golden)
#   build-asan  AddressSanitizer + UndefinedBehaviorSanitizer, the unit tests
#   build-fuzz  clang libFuzzer targets, each run briefly from its corpus
# Prints ctest's summary line for each build, then one "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=$(nproc)
passed=0 failed=0

# run_ctest DIR ARGS...: ctest in DIR; counts its tests into the totals.
run_ctest() {
	dir=$1; shift
	rc=0
	(cd "$dir" && ctest --output-on-failure -j "$jobs" "$@") >"$dir/ctest.log" 2>&1 || rc=$?
	grep -E "^[0-9]+/[0-9]+ Test|tests passed|FAILED|^ *[0-9]+ - " "$dir/ctest.log" | grep -v "Passed" || true
	[ $rc -eq 0 ] || sed -n '/Failed  *[0-9.]* sec/,/^[0-9]*\/[0-9]* Test/p' "$dir/ctest.log" | head -80
	total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$dir/ctest.log")
	bad=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$dir/ctest.log")
	passed=$((passed + ${total:-0} - ${bad:-0}))
	failed=$((failed + ${bad:-1}))
}

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFL_WERROR=ON >/dev/null
cmake --build build-test -j "$jobs" >/dev/null
run_ctest build-test

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON -DFL_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1 run_ctest build-asan -L unit

if command -v clang >/dev/null 2>&1; then
	CC=clang cmake -S . -B build-fuzz -DFL_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j "$jobs" >/dev/null
	for t in build-fuzz/tests/fuzz_*; do
		r=$(basename "$t" | sed 's/^fuzz_//')
		mkdir -p "build-fuzz/corpus-$r"
		if "$t" -max_total_time="${FL_FUZZ_SECONDS:-10}" -print_final_stats=0 \
			"build-fuzz/corpus-$r" "tests/fuzz/corpus/$r" >"build-fuzz/fuzz-$r.log" 2>&1; then
			echo "fuzz_$r: ${FL_FUZZ_SECONDS:-10} s of libFuzzer, no crash"
			passed=$((passed + 1))
		else
			tail -30 "build-fuzz/fuzz-$r.log"
			echo "fuzz_$r: crash (input saved in the working directory)"
			failed=$((failed + 1))
		fi
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
