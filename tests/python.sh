#!/bin/sh
# The Python package as a user installs it (docs/python.md): a venv that
# sees Debian's packages, `pip install ./python` offline (the extension and
# the library compiled from src/), then python/tests/run.py, whose results
# are checked against the `faultline` command's. Prints "N passed, N failed".
#   sh tests/python.sh SOURCE-ROOT SCRATCH-DIR FAULTLINE-CLI
set -eu
root=$1 dir=$2 cli=$3
py=/usr/bin/python3
[ -x "$py" ] || py=python3
rm -rf "$dir"
mkdir -p "$dir"
"$py" -m venv --system-site-packages "$dir/venv"
# the build's files go to the scratch folder, not the source tree
FAULTLINE_BUILD_DIR="$dir/build" "$dir/venv/bin/pip" install --quiet --no-index \
	--no-build-isolation "$root/python" >"$dir/pip.log" 2>&1 || { cat "$dir/pip.log"; exit 1; }
cd "$dir"
FAULTLINE_CLI=$cli "$dir/venv/bin/python" "$root/python/tests/run.py"
