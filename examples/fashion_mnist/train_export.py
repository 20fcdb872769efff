#!/usr/bin/python3
"""Train a small CNN on Fashion-MNIST and export its test-set evaluation for faultline.

Run:   /usr/bin/python3 examples/fashion_mnist/train_export.py
Needs: python3-torch, python3-numpy, dataset-fashion-mnist (Debian packages; no network).
       Runs on CPU with 2 threads and is fully seeded, so two runs give the same arrays.

What gets written to examples/fashion_mnist/data/ (N = 10000 test images, K = 10 classes):

  labels.npy  int64   (N,)     true class index in [0, K)
  probs.npy   float32 (N, K)   softmax of the model's logits; rows sum to 1
  loss.npy    float32 (N,)     per-sample cross-entropy, -log probs[i, labels[i]]
  emb.npy     float32 (N, 64)  penultimate-layer activations (the model's own view)
  pixels.npy  float32 (N, 32)  PCA of raw pixels, fit on train, applied to test
                               (a second view that does not depend on the model)
  meta.csv    one row per sample, same order as the arrays, header:
              id,class,brightness,ink,width,height,aspect,symmetry,top_heavy
                id          "test-00000" ... "test-09999" (index in the IDX test file)
                class       true class name, e.g. "T-shirt/top"
                brightness  mean intensity in [0,1] over ink pixels (pixel > 0.1)
                ink         fraction of the 28x28 pixels with intensity > 0.1
                width/height  bounding box of ink pixels, in pixels (1..28)
                aspect      height / width of that box
                symmetry    1 - mean |x - mirror(x)| over all pixels (1 = left-right symmetric)
                top_heavy   fraction of ink pixels lying in the top half (rows 0-13)

Exporting your own PyTorch model the same way
---------------------------------------------
Any classifier works; only the arrays above matter. Register a forward hook on the
layer whose output you want as the embedding (usually the last hidden layer, right
before the final Linear), run the evaluation set once in eval mode, and save:

    feats = []
    handle = model.penultimate.register_forward_hook(
        lambda mod, inp, out: feats.append(out.detach().flatten(1).cpu()))
    model.eval(); labels, logits = [], []
    with torch.no_grad():
        for x, y in loader:                      # loader must NOT shuffle
            logits.append(model(x).cpu()); labels.append(y)
    handle.remove()
    logits, labels = torch.cat(logits), torch.cat(labels)
    np.save("labels.npy", labels.numpy().astype(np.int64))
    np.save("probs.npy", torch.softmax(logits, 1).numpy().astype(np.float32))
    np.save("loss.npy", F.cross_entropy(logits, labels, reduction="none")
                         .numpy().astype(np.float32))
    np.save("emb.npy", torch.cat(feats).numpy().astype(np.float32))

Any extra view (another model's embedding, raw-input PCA, ...) is just another float32
(N, D) .npy file, and meta.csv is any CSV with one row per sample in the same order and
an id column. Then ask faultline for the error slices:

    cd examples/fashion_mnist
    faultline discover --labels data/labels.npy --probs data/probs.npy \\
        --view emb=data/emb.npy --view pixels=data/pixels.npy \\
        --meta data/meta.csv --id-column id
"""
import csv
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SEED, EPOCHS, BATCH, LR, EMB_DIM, PCA_DIM = 0, 3, 128, 2e-3, 64, 32


def load_idx(name):
    """Parse a gzipped IDX file (big-endian header: magic, then one uint32 per dim)."""
    with gzip.open(os.path.join(DATA_DIR, name), "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = raw[0] * 256 + raw[1], raw[2], raw[3]
    assert zero == 0 and dtype_code == 0x08, "expected unsigned-byte IDX data"
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16x14x14
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32x7x7
            nn.Flatten())
        self.penultimate = nn.Sequential(nn.Linear(32 * 7 * 7, EMB_DIM), nn.ReLU())
        self.head = nn.Linear(EMB_DIM, len(CLASSES))

    def forward(self, x):
        return self.head(self.penultimate(self.features(x)))


def train(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        t0, total, model = time.time(), 0.0, model.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{EPOCHS}: train loss {total / len(x):.4f} "
              f"({time.time() - t0:.1f}s)")


@torch.no_grad()
def evaluate(model, x):
    """Return (logits, penultimate activations), captured with a forward hook."""
    feats = []
    hook = model.penultimate.register_forward_hook(lambda m, i, o: feats.append(o))
    model.eval()
    logits = torch.cat([model(x[i:i + 1000]) for i in range(0, len(x), 1000)])
    hook.remove()
    return logits, torch.cat(feats)


def pixel_pca(train_img, test_img, k):
    """PCA via SVD of the centred train pixels; signs fixed so the result is stable."""
    a = train_img.reshape(len(train_img), -1).astype(np.float64)
    mean = a.mean(0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    comps = vt[:k]
    comps *= np.sign(comps[np.arange(k), np.abs(comps).argmax(1)])[:, None]
    return ((test_img.reshape(len(test_img), -1) - mean) @ comps.T).astype(np.float32)


def write_meta(path, img, labels):
    """Cheap, model-independent image descriptors, one row per test image."""
    ink = img > 0.1
    n_ink = ink.sum((1, 2))
    rows_any, cols_any = ink.any(2), ink.any(1)

    def extent(mask):  # first..last True along axis 1, as a length (0 if empty)
        first, last = mask.argmax(1), mask.shape[1] - 1 - mask[:, ::-1].argmax(1)
        return np.where(mask.any(1), last - first + 1, 0)

    width, height = extent(cols_any), extent(rows_any)
    brightness = (img * ink).sum((1, 2)) / np.maximum(n_ink, 1)
    symmetry = 1 - np.abs(img - img[:, :, ::-1]).mean((1, 2))
    top_heavy = ink[:, :14].sum((1, 2)) / np.maximum(n_ink, 1)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "class", "brightness", "ink", "width", "height",
                    "aspect", "symmetry", "top_heavy"])
        for i in range(len(img)):
            w.writerow([f"test-{i:05d}", CLASSES[labels[i]], round(brightness[i], 4),
                        round(n_ink[i] / 784, 4), width[i], height[i],
                        round(height[i] / max(width[i], 1), 4), round(symmetry[i], 4),
                        round(top_heavy[i], 4)])


def report(labels, pred):
    print("\nper-class test accuracy:")
    for c, name in enumerate(CLASSES):
        m = labels == c
        print(f"  {name:<12} {(pred[m] == c).mean() * 100:5.1f}%  (n={m.sum()})")
    conf = np.zeros((10, 10), dtype=int)
    np.add.at(conf, (labels, pred), 1)
    np.fill_diagonal(conf, 0)
    print("top confusions (true -> predicted, count):")
    for flat in np.argsort(-conf, axis=None, kind="stable")[:8]:
        t, p = divmod(int(flat), 10)
        print(f"  {CLASSES[t]:<12} -> {CLASSES[p]:<12} {conf[t, p]}")


def main():
    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)
    t_start = time.time()

    tr_img = load_idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255
    tr_lab = load_idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    te_img = load_idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255
    te_lab = load_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    print(f"loaded train {tr_img.shape}, test {te_img.shape} "
          f"({time.time() - t_start:.1f}s)")

    # Normalise with train statistics; the model sees (x - mean) / std.
    mu, sd = tr_img.mean(), tr_img.std()
    to_t = lambda a: torch.from_numpy((a - mu) / sd).unsqueeze(1)
    model = SmallCNN()
    t0 = time.time()
    train(model, to_t(tr_img), torch.from_numpy(tr_lab))
    t_train = time.time() - t0

    logits, emb = evaluate(model, to_t(te_img))
    labels = torch.from_numpy(te_lab)
    probs = torch.softmax(logits, 1)
    loss = F.cross_entropy(logits, labels, reduction="none")
    pred = probs.argmax(1).numpy()
    print(f"training {t_train:.1f}s; test accuracy {(pred == te_lab).mean() * 100:.2f}%, "
          f"mean test loss {loss.mean():.4f}")
    report(te_lab, pred)

    os.makedirs(OUT_DIR, exist_ok=True)
    np.save(os.path.join(OUT_DIR, "labels.npy"), te_lab)
    np.save(os.path.join(OUT_DIR, "probs.npy"), probs.numpy().astype(np.float32))
    np.save(os.path.join(OUT_DIR, "loss.npy"), loss.numpy().astype(np.float32))
    np.save(os.path.join(OUT_DIR, "emb.npy"), emb.numpy().astype(np.float32))
    np.save(os.path.join(OUT_DIR, "pixels.npy"), pixel_pca(tr_img, te_img, PCA_DIM))
    write_meta(os.path.join(OUT_DIR, "meta.csv"), te_img, te_lab)
    print(f"\nwrote {OUT_DIR}:")
    for name in sorted(os.listdir(OUT_DIR)):
        print(f"  {name:<11} {os.path.getsize(os.path.join(OUT_DIR, name)) / 1e6:6.2f} MB")
    print(f"total {time.time() - t_start:.1f}s")


if __name__ == "__main__":
    main()
