#!/bin/sh
# Install the Debian packages that building and testing faultline need,
# when they are missing. Used by scripts/example.sh, scripts/test.sh and
# .ci/run. OpenMPI is for scripts/test.sh's MPI build only (the default build
# never links it). Set FL_DEPS_EXTRA to add packages (e.g. the example's python3-torch).
set -eu

need="cmake make gcc g++ pkg-config libc6-dev libopenblas-dev liblapacke-dev zlib1g-dev libcjson-dev python3 chromium clang libclang-rt-14-dev python3-dev python3-numpy python3-setuptools python3-pip python3-venv python3-pandas python3-tqdm libopenmpi-dev openmpi-bin ${FL_DEPS_EXTRA:-}"
missing=""
for pkg in $need; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing$missing" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
