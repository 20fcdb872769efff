#!/usr/bin/env python3
"""The null benchmark's two steps (standard library only).

usage: null.py shuffle DATA_DIR OUT_PREFIX SEED...
           writes, per SEED, OUT_PREFIX<SEED>.npy: the failure signal of DATA_DIR
           (argmax(probs.npy) != labels.npy, as float64 0/1) shuffled over the rows with
           that seed: the same number of failures, no relation left to any view or column
       null.py count REPORT.json...
           prints, per report, its slices and how many of them `replicated` (JSON true);
           on shuffled failures every one should be 0

Exit status 0; 2 on a usage error or an unreadable or malformed file.
"""
import ast
import json
import random
import struct
import sys


def die(msg):
    print("null.py: " + msg, file=sys.stderr)
    sys.exit(2)


def read_npy(path):
    """(shape, flat list) of a little-endian int64/int32/float32/float64 C-order array."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        die("%s: %s" % (path, e.strerror))
    if data[:6] != b"\x93NUMPY":
        die("%s: not a .npy file" % path)
    size = 2 if data[6] == 1 else 4
    hlen = int.from_bytes(data[8:8 + size], "little")
    try:
        head = ast.literal_eval(data[8 + size:8 + size + hlen].decode("latin1"))
    except (ValueError, SyntaxError):
        die("%s: unreadable .npy header" % path)
    codes = {"<i8": "q", "<i4": "i", "<f4": "f", "<f8": "d"}
    if head.get("descr") not in codes or head.get("fortran_order"):
        die("%s: dtype %s not supported here" % (path, head.get("descr")))
    shape = tuple(head["shape"])
    count = 1
    for d in shape:
        count *= d
    off, code = 8 + size + hlen, codes[head["descr"]]
    if len(data) - off < count * struct.calcsize(code):
        die("%s: shorter than its header says" % path)
    return shape, struct.unpack_from("<%d%s" % (count, code), data, off)


def write_npy_f64(path, values):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % len(values)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%dd" % len(values), *values))


def shuffle(folder, prefix, seeds):
    (n,), labels = read_npy(folder + "/labels.npy")
    shape, probs = read_npy(folder + "/probs.npy")
    if len(shape) != 2 or shape[0] != n:
        die("%s/probs.npy: shape %s, labels have %d rows" % (folder, shape, n))
    c = shape[1]
    fail = []
    for i in range(n):
        row = probs[i * c:(i + 1) * c]
        fail.append(1.0 if row.index(max(row)) != labels[i] else 0.0)
    for seed in seeds:
        perm = list(fail)
        random.Random(seed).shuffle(perm)
        write_npy_f64("%s%d.npy" % (prefix, seed), perm)


def count(path):
    try:
        with open(path, encoding="utf-8") as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        die("%s: %s" % (path, e))
    if not isinstance(rep, dict) or not isinstance(rep.get("slices"), list):
        die("%s: no \"slices\" list" % path)
    rep_n = sum(1 for s in rep["slices"] if isinstance(s, dict) and s.get("replicated") is True)
    print("%s: %d slices, %d replicated" % (path, len(rep["slices"]), rep_n))


def main(argv):
    if len(argv) >= 4 and argv[0] == "shuffle":
        if not all(a.isdigit() for a in argv[3:]):
            die("each SEED must be a non-negative integer")
        shuffle(argv[1], argv[2], [int(a) for a in argv[3:]])
    elif len(argv) >= 2 and argv[0] == "count":
        for path in argv[1:]:
            count(path)
    else:
        die("usage: null.py shuffle DATA_DIR OUT_PREFIX SEED... | null.py count REPORT.json...")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
