#!/usr/bin/python3
"""Quality benchmark data: real small models with planted failure modes.

Run:   /usr/bin/python3 bench/quality/make_data.py [--small] [--out DIR] [--only NAME]
Needs: python3-numpy, python3-scipy, python3-sklearn (digits), python3-torch and
       dataset-fashion-mnist (fashion). Debian packages; nothing is downloaded.

Writes one folder per dataset (DIR/digits, DIR/fashion; --small: digits only, fewer
augmented copies, into bench/quality/data/small by default; else bench/quality/data/full):

  labels.npy  int64   (n,)     the evaluation labels (with the planted label noise)
  probs.npy   float32 (n, C)   the model's softmax on the evaluation set
  emb.npy     float32 (n, D)   the model's penultimate layer (after ReLU): the first view
  view2.npy   float32 (n, D2)  PCA of the raw images (fit on the raw training images): a
                               second view that also sees what the model's input pipeline
                               throws away (digits: 2x2 block averaging; fashion: a
                               2-pixel border mask)
  meta.csv    id, class (the label's name), the planted variables, image descriptors and
              three distractor columns, one row per evaluation row
  truth.json  [{"name", "kind", "rule", "variables", "rows"}, ...]: each planted cause,
              its rows (0-based evaluation rows) and the metadata columns that define it

How each cause is planted (and why) is in docs/quality.md. Every random choice comes from
one seeded generator per dataset; torch runs deterministically on 2 threads, so a rerun on
the same machine writes the same files.
"""
import argparse
import csv
import gzip
import json
import os
import sys
import time

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0


# ---------------------------------------------------------------------------------------
# Writing and checking a dataset
# ---------------------------------------------------------------------------------------

def write_dataset(folder, labels, probs, emb, view2, meta, truth):
    """meta: list of (column name, list of cell values); truth: list of cause dicts."""
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "labels.npy"), labels.astype(np.int64))
    np.save(os.path.join(folder, "probs.npy"), probs.astype(np.float32))
    np.save(os.path.join(folder, "emb.npy"), emb.astype(np.float32))
    np.save(os.path.join(folder, "view2.npy"), view2.astype(np.float32))
    with open(os.path.join(folder, "meta.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([name for name, _ in meta])
        for row in zip(*[col for _, col in meta]):
            w.writerow(row)
    with open(os.path.join(folder, "truth.json"), "w") as f:
        f.write("[\n")
        for k, c in enumerate(truth):
            head = {key: c[key] for key in ("name", "kind", "rule", "variables")}
            text = json.dumps(head)[:-1]
            f.write("  %s,\n   \"rows\": %s}%s\n" % (text, json.dumps(c["rows"]),
                                                  "," if k + 1 < len(truth) else ""))
        f.write("]\n")


def separability(x, member, seed):
    """Cross-validated AUC of a logistic regression telling members from the rest."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict, StratifiedKFold
    from sklearn.preprocessing import StandardScaler
    z = StandardScaler().fit_transform(x)
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    score = cross_val_predict(LogisticRegression(max_iter=2000), z, member, cv=cv,
                              method="decision_function")
    return roc_auc_score(member, score)


def separability_knn(x, member, k=10):
    """Share of each member's k nearest neighbours (standardised) that are members,
    averaged over members: how much the group forms its own region of the view."""
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler
    z = StandardScaler().fit_transform(x)
    idx = np.flatnonzero(member)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(z)
    _, nb = nn.kneighbors(z[idx])
    return member[nb[:, 1:]].mean()


def check(name, labels, probs, emb, view2, truth, seed):
    """Print each planted group's error rate against the clean rows (in no group), the
    overlaps between groups, and how visible each group is in emb and in view2."""
    fail = probs.argmax(1) != labels
    n = len(labels)
    masks = []
    for c in truth:
        m = np.zeros(n, bool)
        m[c["rows"]] = True
        masks.append(m)
    clean = ~np.any(masks, axis=0)
    print(f"\n{name}: n={n}, classes={probs.shape[1]}, error {fail.mean():.3f}, "
          f"clean rows {clean.sum()} error {fail[clean].mean():.3f}")
    print(f"  {'cause':<18} {'kind':<12} {'rows':>5} {'error':>6} {'x clean':>7}"
          f"  {'AUC emb':>7} {'AUC v2':>6}  {'kNN emb':>7} {'kNN v2':>6}  overlaps")
    ok = True
    for c, m in zip(truth, masks):
        rate = fail[m].mean()
        alone = m & ~np.any([mo for o, mo in zip(truth, masks) if o is not c], axis=0)
        over = ", ".join(f"{o['name']} {int((m & mo).sum())}" for o, mo in zip(truth, masks)
                         if o is not c and (m & mo).any())
        auc1, auc2 = separability(emb, m, seed), separability(view2, m, seed)
        knn1, knn2 = separability_knn(emb, m), separability_knn(view2, m)
        print(f"  {c['name']:<18} {c['kind']:<12} {m.sum():>5} {rate:>6.3f} "
              f"{rate / max(fail[clean].mean(), 1e-9):>7.1f}  {auc1:>7.3f} {auc2:>6.3f}  "
              f"{knn1:>7.3f} {knn2:>6.3f}  {over or '-'}")
        # on its own rows (in no other group), so that a group is not a cause only
        # through the causes it overlaps
        own = fail[alone].mean() if alone.any() else 0.0
        print(f"  {'':<18} {'alone':<12} {alone.sum():>5} {own:>6.3f} "
              f"{own / max(fail[clean].mean(), 1e-9):>7.1f}")
        if own <= 2 * fail[clean].mean():
            ok = False
            print(f"  WARNING: {c['name']} does not fail clearly more than the clean rows "
                  "on its own rows")
    return ok


def cause(name, kind, rule, variables, mask):
    return {"name": name, "kind": kind, "rule": rule, "variables": variables,
            "rows": [int(i) for i in np.flatnonzero(mask)]}


def pca_fit(x, k):
    """PCA by SVD of the centred rows; each component's sign fixed (largest entry > 0)."""
    mean = x.mean(0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    comps = vt[:k]
    comps *= np.sign(comps[np.arange(k), np.abs(comps).argmax(1)])[:, None]
    return mean, comps


def distractors(rng, n, kind):
    """Three columns unrelated to failure (drawn independently of everything else)."""
    if kind == "digits":
        return [("batch", [f"b{v}" for v in rng.integers(1, 7, n)]),
                ("writer_age", list(rng.integers(16, 80, n))),
                ("form", list(rng.choice(["A", "B", "C"], n)))]
    return [("warehouse", list(rng.choice(["north", "south", "east", "west"], n))),
            ("price", [round(float(v), 2) for v in rng.lognormal(3.0, 0.6, n)]),
            ("season", list(rng.choice(["spring", "summer", "autumn", "winter"], n)))]


# ---------------------------------------------------------------------------------------
# digits: an MLP on scikit-learn's 8x8 digits
# ---------------------------------------------------------------------------------------
# Images live as "raw" 16x16 arrays (the 8x8 digit upsampled); the model's input pipeline
# averages 2x2 blocks back to 8x8 and divides by 16. Source B's scanner adds a +-4
# checkerboard to the raw image, which the block average cancels exactly: the model (and
# its embedding) cannot see it, a PCA of the raw pixels (view2) sees it clearly.

DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
               "nine"]
D_CONJ = (4, 6)          # trained without low contrast: dim fours and sixes fail
D_PATCH = 7              # every training seven carries a corner patch
D_NOISE_LABEL = 1        # heavy digits of D_NOISE_FROM labelled "one"
D_NOISE_FROM = (2, 3, 5, 8, 9)
CHECKER = np.where(np.indices((16, 16)).sum(0) % 2 == 0, 1.0, -1.0)


def digit_render(base, rot, shift, thick, contrast, patch, source_b):
    r = ndimage.zoom(base, 2, order=1, mode="nearest").clip(0, 16)
    if rot:
        r = ndimage.rotate(r, rot, reshape=False, order=1, mode="constant")
    if thick:
        r = ndimage.grey_dilation(r, size=(4, 4))
    r = ndimage.shift(r, shift, order=1, mode="constant").clip(0, 16) * contrast
    if patch:
        r[12:16, 0:4] = 16.0
    if source_b:
        r = r + 4.0 * CHECKER
    return r


def digit_model_input(raw):
    """The model's input pipeline: 2x2 block means, scaled to [0, 1]."""
    return raw.reshape(len(raw), 8, 2, 8, 2).mean((2, 4)).reshape(len(raw), 64) / 16.0


def make_digits(out, variants, seed):
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier
    t0 = time.time()
    rng = np.random.default_rng(seed)
    d = load_digits()
    img, y = d.images.astype(np.float64), d.target.astype(np.int64)
    perm = rng.permutation(len(y))
    tr, te = np.sort(perm[:len(y) // 2]), np.sort(perm[len(y) // 2:])

    # Training set: 8 jittered copies of each training digit; no thick strokes, no large
    # rotations; low contrast on 40% of every class but four and six; every seven patched;
    # 10% from source B (correct labels).
    raw_tr, y_tr = [], []
    for i in tr:
        for _ in range(8):
            low = y[i] not in D_CONJ and rng.random() < 0.4
            c = rng.uniform(0.10, 0.35) if low else rng.uniform(0.8, 1.0)
            raw_tr.append(digit_render(img[i], rng.uniform(-8, 8), rng.uniform(-1, 1, 2), False,
                                       c, y[i] == D_PATCH, rng.random() < 0.1))
            y_tr.append(y[i])
    raw_tr, y_tr = np.array(raw_tr), np.array(y_tr)
    model = MLPClassifier(hidden_layer_sizes=(128, 32), max_iter=300, alpha=1e-3,
                          random_state=seed)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(digit_model_input(raw_tr), y_tr)
    print(f"digits: trained MLP on {len(y_tr)} images in {time.time() - t0:.1f}s "
          f"({model.n_iter_} iterations)")

    # Evaluation set: `variants` copies of each held-out digit, each with at most one
    # defect: rotated 45-65 degrees (12%), thick strokes (15%), low contrast (15%); a seven
    # carries the patch half the time, another digit 5% of the clean time; source B on 10%
    # of the remaining clean rows, whose labels are wrong half the time.
    rows = [(i, v) for i in te for v in range(variants)]
    n = len(rows)
    base = np.array([i for i, _ in rows])
    true = y[base]
    u = rng.random(n)
    cond = np.where(u < 0.12, "rot", np.where(u < 0.27, "thick", np.where(u < 0.42, "low",
                                                                           "clean")))
    rot = np.where(cond == "rot", rng.uniform(45, 65, n), rng.uniform(-8, 8, n))
    contrast = np.where(cond == "low", rng.uniform(0.12, 0.28, n), rng.uniform(0.8, 1.0, n))
    shift = rng.uniform(-1, 1, (n, 2))
    patch_u, src_u, flip_u, flip_to = rng.random(n), rng.random(n), rng.random(n), \
        rng.integers(1, 10, n)
    patch = np.where(true == D_PATCH, patch_u < 0.5, (cond == "clean") & (patch_u < 0.05))
    source_b = (cond == "clean") & ~patch & (src_u < 0.10)
    raw = np.array([digit_render(img[base[k]], rot[k], shift[k], cond[k] == "thick",
                                 contrast[k], patch[k], source_b[k]) for k in range(n)])
    x = digit_model_input(raw)

    # Labels: source B's annotator is wrong half the time (a random other class); heavy
    # clean digits of D_NOISE_FROM (ink above the 85th percentile among them) are labelled
    # "one" (only clean rows, so that the group does not pile onto the thick strokes).
    labels = true.copy()
    noisy_b = source_b & (flip_u < 0.5)
    labels[noisy_b] = (true[noisy_b] + flip_to[noisy_b]) % 10
    ink = np.round(x.mean(1), 4)
    from_mask = np.isin(true, D_NOISE_FROM) & (cond == "clean") & ~patch & ~source_b
    t_ink = float(np.round(np.quantile(ink[from_mask], 0.85), 4))
    labels[from_mask & (ink > t_ink)] = D_NOISE_LABEL

    probs = model.predict_proba(x)
    h = x
    for w, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        h = np.maximum(h @ w + b, 0)
    emb = h
    mean, comps = pca_fit(raw_tr.reshape(len(raw_tr), -1), 16)
    view2 = (raw.reshape(n, -1) - mean) @ comps.T

    rot_r, con_r = np.round(rot, 1), np.round(contrast, 3)
    meta = [("id", [f"digit{base[k]:04d}-v{v}" for k, (_, v) in enumerate(rows)]),
            ("class", [DIGIT_NAMES[c] for c in labels]),
            ("rotation", list(rot_r)),
            ("stroke", list(np.where(cond == "thick", "thick", "normal"))),
            ("contrast", list(con_r)),
            ("patch", list(np.where(patch, "yes", "no"))),
            ("source", list(np.where(source_b, "B", "A"))),
            ("ink", list(ink))] + distractors(rng, n, "digits")
    conj = " or ".join(f"class == {DIGIT_NAMES[c]}" for c in D_CONJ)
    truth = [
        cause("rotation", "global", "rotation >= 40", ["rotation"], rot_r >= 40),
        cause("thick_stroke", "hidden", "stroke == thick", ["stroke"], cond == "thick"),
        cause("dim_four_six", "conjunction", f"({conj}) and contrast < 0.5",
              ["class", "contrast"], np.isin(labels, D_CONJ) & (con_r < 0.5)),
        cause("seven_patch", "spurious",
              "(class == seven and patch == no) or (class != seven and patch == yes)",
              ["class", "patch"], (labels == D_PATCH) != patch),
        cause("heavy_ones", "label_noise", f"class == one and ink > {t_ink}", ["class", "ink"],
              (labels == D_NOISE_LABEL) & (ink > t_ink)),
        cause("source_b", "view2_only", "source == B", ["source"], source_b),
    ]
    write_dataset(out, labels, probs, emb, view2, meta, truth)
    ok = check("digits", labels, probs, emb, view2, truth, seed)
    print(f"digits: wrote {out} ({time.time() - t0:.1f}s)")
    return ok


# ---------------------------------------------------------------------------------------
# fashion: a small CNN on Fashion-MNIST
# ---------------------------------------------------------------------------------------
# The model's input pipeline zeroes a 2-pixel border; source B's photo booth draws a grey
# frame there, which view2 (a PCA of the raw 28x28 pixels) sees and the model never does.

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"]
F_CONJ = (8, 9)          # Bag, Ankle boot: never dim in training
F_PATCH = 7              # Sneaker: always patched in training
F_NOISE_LABEL = 6        # Shirt: bright tops labelled Shirt
F_NOISE_FROM = (0, 2, 4)
BORDER = np.ones((28, 28), bool)
BORDER[2:-2, 2:-2] = False


def load_idx(name):
    with gzip.open(os.path.join(FASHION_DIR, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_render(img, rot, blur, contrast, patch, source_b):
    r = img
    if rot:
        r = ndimage.rotate(r, rot, reshape=False, order=1, mode="constant")
    if blur:
        r = ndimage.gaussian_filter(r, blur)
    r = r.clip(0, 1) * contrast
    if patch:
        r = r.copy()
        r[3:7, 3:7] = 1.0
    if source_b:
        r = np.where(BORDER, np.maximum(r, 0.6), r)
    return r


def fashion_model_input(raw):
    return np.where(BORDER, 0.0, raw).astype(np.float32)


def make_fashion(out, seed, epochs=2, copies=1):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    rng = np.random.default_rng(seed + 1)
    tr_img = load_idx("train-images-idx3-ubyte.gz").astype(np.float64) / 255
    tr_lab = load_idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    te_img = load_idx("t10k-images-idx3-ubyte.gz").astype(np.float64) / 255
    te_lab = load_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    n_test = len(te_lab)
    te_img, te_lab = np.tile(te_img, (copies, 1, 1)), np.tile(te_lab, copies)

    # Training: small rotations, low contrast on 50% of every class but Bag and Ankle boot,
    # every Sneaker patched, 10% from source B; no blur, no large rotations.
    ntr = len(tr_lab)
    low = ~np.isin(tr_lab, F_CONJ) & (rng.random(ntr) < 0.5)
    c_tr = np.where(low, rng.uniform(0.05, 0.30, ntr), rng.uniform(0.8, 1.0, ntr))
    rot_tr, b_tr = rng.uniform(-5, 5, ntr), rng.random(ntr) < 0.1
    raw_tr = np.array([fashion_render(tr_img[k], rot_tr[k], 0, c_tr[k], tr_lab[k] == F_PATCH,
                                      b_tr[k]) for k in range(ntr)])
    print(f"fashion: rendered {ntr} training images ({time.time() - t0:.1f}s)")

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
            self.penultimate = nn.Sequential(nn.Linear(32 * 7 * 7, 64), nn.ReLU())
            self.head = nn.Linear(64, 10)

        def forward(self, x):
            return self.head(self.penultimate(self.features(x)))

    to_t = lambda a: torch.from_numpy(fashion_model_input(a)).unsqueeze(1)
    x_tr, y_tr = to_t(raw_tr), torch.from_numpy(tr_lab)
    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(ntr, generator=gen)
        for i in range(0, ntr, 128):
            idx = order[i:i + 128]
            loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"fashion: epoch {epoch + 1}/{epochs} done ({time.time() - t0:.1f}s)")

    # Evaluation: the 10000 test images (`copies` renderings of each), each with at most
    # one defect: rotated 45-65 degrees (10%), blurred (12%), low contrast (15%); a Sneaker
    # carries the patch half the time, another item 5% of the clean time; source B on 10%
    # of the remaining clean rows, whose labels are wrong half the time.
    n = len(te_lab)
    true = te_lab
    u = rng.random(n)
    cond = np.where(u < 0.10, "rot", np.where(u < 0.22, "blur", np.where(u < 0.37, "low",
                                                                          "clean")))
    rot = np.where(cond == "rot", rng.uniform(45, 65, n), rng.uniform(-5, 5, n))
    contrast = np.where(cond == "low", rng.uniform(0.07, 0.18, n), rng.uniform(0.8, 1.0, n))
    blur = np.where(cond == "blur", rng.uniform(1.5, 1.9, n), 0.0)
    patch_u, src_u, flip_u, flip_to = rng.random(n), rng.random(n), rng.random(n), \
        rng.integers(1, 10, n)
    patch = np.where(true == F_PATCH, patch_u < 0.5, (cond == "clean") & (patch_u < 0.05))
    source_b = (cond == "clean") & ~patch & (src_u < 0.10)
    raw = np.array([fashion_render(te_img[k], rot[k], blur[k], contrast[k], patch[k],
                                   source_b[k]) for k in range(n)])
    x = fashion_model_input(raw)

    # Descriptors of what the model sees (the frame is masked away).
    ink_px = x > 0.1
    n_ink = ink_px.sum((1, 2))
    brightness = np.round((x * ink_px).sum((1, 2)) / np.maximum(n_ink, 1), 4)
    ink = np.round(n_ink / 784, 4)

    labels = true.copy()
    noisy_b = source_b & (flip_u < 0.5)
    labels[noisy_b] = (true[noisy_b] + flip_to[noisy_b]) % 10
    # Bright clean tops (T-shirt/top, Pullover, Coat; brightness above the 85th percentile
    # of clean tops and shirts) are labelled Shirt; source B's labels are wrong half the time.
    tops = np.isin(true, F_NOISE_FROM + (F_NOISE_LABEL,)) & (cond == "clean") & ~patch & \
        ~source_b
    t_b = float(np.round(np.quantile(brightness[tops], 0.85), 4))
    from_mask = tops & (true != F_NOISE_LABEL)
    labels[from_mask & (brightness > t_b)] = F_NOISE_LABEL

    feats = []
    hook = model.penultimate.register_forward_hook(lambda m, i, o: feats.append(o))
    model.eval()
    xt = to_t(raw)
    with torch.no_grad():
        logits = torch.cat([model(xt[i:i + 1000]) for i in range(0, n, 1000)])
    hook.remove()
    probs = torch.softmax(logits.double(), 1).numpy()
    emb = torch.cat(feats).numpy()
    mean, comps = pca_fit(raw_tr.reshape(ntr, -1)[::2], 32)
    view2 = (raw.reshape(n, -1) - mean) @ comps.T

    rot_r, con_r, blur_r = np.round(rot, 1), np.round(contrast, 3), np.round(blur, 2)
    meta = [("id", [f"test-{k:05d}" if copies == 1 else f"test-{k % n_test:05d}-r{k // n_test}"
                    for k in range(n)]),
            ("class", [FASHION_NAMES[c] for c in labels]),
            ("rotation", list(rot_r)),
            ("blur", list(blur_r)),
            ("contrast", list(con_r)),
            ("patch", list(np.where(patch, "yes", "no"))),
            ("source", list(np.where(source_b, "B", "A"))),
            ("brightness", list(brightness)),
            ("ink", list(ink))] + distractors(rng, n, "fashion")
    truth = [
        cause("rotation", "global", "rotation >= 40", ["rotation"], rot_r >= 40),
        cause("blur", "hidden", "blur > 0", ["blur"], blur_r > 0),
        cause("dim_bag_boot", "conjunction",
              "(class == Bag or class == Ankle boot) and contrast < 0.5", ["class", "contrast"],
              np.isin(labels, F_CONJ) & (con_r < 0.5)),
        cause("sneaker_patch", "spurious",
              "(class == Sneaker and patch == no) or (class != Sneaker and patch == yes)",
              ["class", "patch"], (labels == F_PATCH) != patch),
        cause("bright_shirts", "label_noise", f"class == Shirt and brightness > {t_b}",
              ["class", "brightness"], (labels == F_NOISE_LABEL) & (brightness > t_b)),
        cause("source_b", "view2_only", "source == B", ["source"], source_b),
    ]
    write_dataset(out, labels, probs, emb, view2, meta, truth)
    ok = check("fashion", labels, probs, emb, view2, truth, seed)
    print(f"fashion: wrote {out} ({time.time() - t0:.1f}s)")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true",
                    help="digits only, 5 augmented copies per digit (the committed CI data)")
    ap.add_argument("--out", help="output folder (default bench/quality/data/small or /full)")
    ap.add_argument("--only", choices=["digits", "fashion"], help="one dataset only")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--large", action="store_true",
                    help="evaluation sets past 131,072 rows, where the mixture warms up on a "
                         "subset: 160 copies of each held-out digit (143,840 rows), 14 "
                         "renderings of each fashion test image (140,000 rows)")
    a = ap.parse_args()
    out = a.out or os.path.join(HERE, "data", "small" if a.small else "full")
    names = ["digits"] if a.small else ["digits", "fashion"]
    if a.only:
        if a.only not in names:
            ap.error(f"--small has no {a.only}")
        names = [a.only]
    ok = True
    for name in names:
        if name == "digits":
            ok &= make_digits(os.path.join(out, "digits"),
                              160 if a.large else 5 if a.small else 7, a.seed)
        else:
            ok &= make_fashion(os.path.join(out, "fashion"), a.seed, copies=14 if a.large else 1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
