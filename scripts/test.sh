#!/bin/sh
# Quick start, step 2: build and run every test. Three builds:
#   build-test  warnings as errors, every test (unit, fuzz-corpus replay, CLI golden)
#   build-asan  AddressSanitizer + UndefinedBehaviorSanitizer, the unit tests
#   build-fuzz  clang libFuzzer targets, each run briefly from its corpus
# Prints ctest's summary line for each.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=$(nproc)

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFL_WERROR=ON >/dev/null
cmake --build build-test -j "$jobs" >/dev/null
(cd build-test && ctest --output-on-failure -j "$jobs")

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON -DFL_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" -L unit)

if command -v clang >/dev/null 2>&1; then
	CC=clang cmake -S . -B build-fuzz -DFL_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j "$jobs" >/dev/null
	for t in build-fuzz/tests/fuzz_*; do
		r=$(basename "$t" | sed 's/^fuzz_//')
		mkdir -p "build-fuzz/corpus-$r"
		"$t" -max_total_time="${FL_FUZZ_SECONDS:-10}" -print_final_stats=0 \
			"build-fuzz/corpus-$r" "tests/fuzz/corpus/$r" 2>build-fuzz/fuzz-$r.log ||
			{ tail -30 "build-fuzz/fuzz-$r.log"; echo "fuzz_$r found a crash"; exit 1; }
		echo "fuzz_$r: ${FL_FUZZ_SECONDS:-10} s of libFuzzer, no crash"
	done
fi
