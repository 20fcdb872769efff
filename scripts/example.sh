#!/bin/sh
# Quick start, step 1: build faultline and run `faultline discover` on the
# bundled Fashion-MNIST example (a small CNN's outputs on the 10k test set).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFL_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target faultline >/dev/null
d=examples/fashion_mnist/data
exec build/faultline discover --labels $d/labels.npy --probs $d/probs.npy \
	--view emb=$d/emb.npy --view pixels=$d/pixels.npy \
	--meta $d/meta.csv --id-column id --json build/fashion_mnist.json \
	--html build/fashion_mnist.html "$@"
