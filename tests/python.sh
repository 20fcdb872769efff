#!/bin/sh
# The Python package (docs/python.md) as a user installs it: a venv that
# sees Debian's packages and `pip install ./python`, offline.
#   sh tests/python.sh install SOURCE-ROOT SCRATCH-DIR
#       the documented install, the extension and the library compiled from
#       src/; then one discover on the bundled example
#   sh tests/python.sh test SOURCE-ROOT SCRATCH-DIR FAULTLINE-CLI LIBFAULTLINE.a
#       the package linked with the library of this build, then
#       python/tests/run.py, whose results are checked against the
#       `faultline` command's; prints "N passed, N failed, N skipped"
set -eu
mode=$1 root=$2 dir=$3
py=/usr/bin/python3
[ -x "$py" ] || py=python3
rm -rf "$dir"
mkdir -p "$dir"
"$py" -m venv --system-site-packages "$dir/venv"
[ "$mode" = test ] && export FAULTLINE_LIBRARY="$5"
# the build's files go to the scratch folder, not the source tree
FAULTLINE_BUILD_DIR="$dir/build" "$dir/venv/bin/pip" install --no-index --no-build-isolation \
	"$root/python" >"$dir/pip.log" 2>&1 || { cat "$dir/pip.log"; exit 1; }
cd "$dir"
if [ "$mode" = install ]; then
	"$dir/venv/bin/python" - "$root/examples/fashion_mnist/data" <<'PY'
import sys
import numpy as np
import faultline
d = sys.argv[1] + "/"
r = faultline.discover(labels=np.load(d + "labels.npy"), probs=np.load(d + "probs.npy"),
                       views={"emb": np.load(d + "emb.npy")}, metadata=d + "meta.csv",
                       id_column="id", top=3, progress=False)
assert len(r.slices) == 3 and r.slices[0].size > 0, r
print("faultline %s installed with pip from the sources; discover found %s"
      % (faultline.__version__, ", ".join("%s (%d rows)" % (s.id, s.size) for s in r.slices)))
PY
else
	FAULTLINE_CLI=$4 "$dir/venv/bin/python" "$root/python/tests/run.py"
fi
