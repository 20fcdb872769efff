"""Make the small inputs of the golden CLI tests (run with /usr/bin/python3).

Writes 40-row arrays: a 3-class model with one failing cluster, and broken
variants of each input. Committed; rerun only to change them.
"""
import numpy as np

rng = np.random.default_rng(7)
n, c = 40, 3
labels = np.arange(n) % c
emb = rng.normal(size=(n, 4)).astype(np.float32)
emb[:10] += 6.0                      # rows 0-9: a separate cluster ...
preds = labels.copy()
preds[:8] = (labels[:8] + 1) % c     # ... where the model is wrong 8 times in 10
preds[20] = (labels[20] + 1) % c
probs = np.full((n, c), 0.1, np.float32)
probs[np.arange(n), preds] = 0.8

np.save("labels.npy", labels.astype(np.int64))
np.save("probs.npy", probs)
np.save("logits.npy", np.log(probs) + 3.0)
np.save("emb.npy", emb)
np.save("labels_short.npy", labels[:39].astype(np.int64))
bad = labels.astype(np.int64).copy(); bad[17] = 5
np.save("labels_range.npy", bad)
unnorm = probs.copy(); unnorm[3] *= 2
np.save("probs_unnorm.npy", unnorm)
nan = emb.copy(); nan[12, 2] = np.nan
np.save("emb_nan.npy", nan)
np.save("emb_1d.npy", emb[:, 0].copy())
with open("meta.csv", "w") as f:
    f.write("id,kind\n")
    for i in range(n):
        f.write(f"s{i:02d},{'far' if i < 10 else 'near'}\n")
with open("meta_short.csv", "w") as f:
    f.write("id,kind\n")
    for i in range(n - 1):
        f.write(f"s{i:02d},near\n")
# A continuous failure signal (an absolute error: about 4 on the far cluster,
# 0.5 elsewhere) and a signed one (the error itself, negative on some rows).
err = np.where(np.arange(n) < 10, 4.0, 0.5) + rng.normal(scale=0.2, size=n)
np.save("abs_error.npy", np.abs(err))
signed = err.copy(); signed[10::2] *= -1
np.save("signed_error.npy", signed)
