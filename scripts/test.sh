#!/bin/sh
# Quick start, step 2: build and run every test. Three builds:
#   build-test  warnings as errors, every test (unit, fuzz-corpus replay, CLI golden,
#               the Python package installed with pip into a venv,
#               headers, install); then installed into build-test/prefix, and
#               examples/c built against it (pkg-config, CMake) and run
#   build-asan  AddressSanitizer + UndefinedBehaviorSanitizer: every test but the quality
#               benchmark (unit, CLI golden, hostile inputs and outputs; about 2.5 min on 2 cores)
#   build-mpi   the CLI built with MPI (-DFL_MPI=ON) for any x86-64 (-DFL_NATIVE=OFF):
#               mpirun -np 1, 2, 3 give the same report; a failing rank ends the job
#               (tests/mpi/ranks.sh); the unit tests of the paths without AVX2/FMA
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

# The installed library as a C user sees it: build-test installed into a
# prefix, examples/c built against it with pkg-config and with CMake's
# find_package, each run on the bundled example (one test each).
prefix=$PWD/build-test/prefix
data=examples/fashion_mnist/data
# shellcheck disable=SC2086 # $flags: one word per flag
example_pkgconfig() {
	flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs faultline) &&
	cc -std=c11 -pedantic -Wall -Wextra -Werror -o build-test/example-c-pkgconfig \
		examples/c/discover.c $flags &&
	LD_LIBRARY_PATH="$prefix/lib" build-test/example-c-pkgconfig "$data"
}
example_cmake() {
	cmake -S examples/c -B build-test/example-c -DCMAKE_PREFIX_PATH="$prefix" &&
	cmake --build build-test/example-c &&
	build-test/example-c/discover "$data"   # RPATH from the imported target
}
# example NAME: run example_NAME; passed when it exits 0 and prints slice S1.
example() {
	log=build-test/example-c-$1.log
	if "example_$1" >"$log" 2>&1 && grep -q '^S1 ' "$log"; then
		echo "example_c_$1: built against the installed library, ran, printed slices"
		passed=$((passed + 1))
	else
		tail -20 "$log"
		echo "example_c_$1: FAILED (log: $log)"
		failed=$((failed + 1))
	fi
}
rm -rf "$prefix" build-test/example-c build-test/example-c-pkgconfig
cmake --install build-test --prefix "$prefix" >build-test/install.log 2>&1 ||
	{ cat build-test/install.log; echo "cmake --install build-test: FAILED"; }
example pkgconfig
example cmake

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON -DFL_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1 run_ctest build-asan -LE quality

# The MPI build: the CLI with -DFL_MPI=ON (the library is the same), and the
# tests that run it on 1, 2 and 3 ranks (label mpi; about 20 s). Built for
# any x86-64 (-DFL_NATIVE=OFF), so that the paths without AVX2 and FMA run
# too: on ranks, and in the unit tests of the code they change (label
# generic). Its reports are compared with its own single process, not with
# goldens, whose last digits a build without FMA may round apart.
cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DFL_MPI=ON -DFL_WERROR=ON -DFL_NATIVE=OFF >/dev/null
cmake --build build-mpi -j "$jobs" --target faultline test_pca test_reduce >/dev/null
run_ctest build-mpi -L "mpi|generic"

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
