"""Make the inputs of tests/hostile (run with /usr/bin/python3, no numpy).

Broken or hostile variants of the 40-row set of tests/cli/data: empty and
one-row arrays, an embedding with no columns, one of +-3e38, a float64 one
with a value beyond float32, a CSV with bare-CR line ends, and metadata
whose ids, class names and values hold terminal escapes, C1 controls, DEL,
invalid UTF-8 and HTML. Committed; rerun only to change them.
"""
import pickle
import random
import struct
import zipfile

N, C, D = 40, 3, 4


def save(path, shape, dtype, values):
    """A .npy file (format 1.0), C order, little-endian."""
    descr, fmt = {"f4": ("<f4", "f"), "f8": ("<f8", "d"), "i8": ("<i8", "q")}[dtype]
    dims = "%d," % shape[0] if len(shape) == 1 else ", ".join(str(s) for s in shape)
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


rng = random.Random(7)
emb = [rng.gauss(0, 1) + (6 if i < 10 else 0) for i in range(N) for _ in range(D)]

save("labels_0.npy", [0], "i8", [])
save("probs_0.npy", [0, C], "f4", [])
save("emb_0.npy", [0, D], "f4", [])
save("labels_1.npy", [1], "i8", [0])
save("probs_1.npy", [1, C], "f4", [0.8, 0.1, 0.1])
save("emb_1.npy", [1, D], "f4", [1, 2, 3, 4])
save("emb_0col.npy", [N, 0], "f4", [])
save("probs_0col.npy", [N, 0], "f4", [])
save("emb_huge.npy", [N, D], "f4", [3e38 if k % 2 == 0 else -3e38 for k in range(N * D)])
big = list(emb)
big[5 * D + 2] = 1e300
save("emb_f64_big.npy", [N, D], "f8", big)

with open("meta_cr.csv", "w", newline="") as f:
    f.write("id,kind\r" + "".join("s%02d,%s\r" % (i, "far" if i < 10 else "near") for i in range(N)))

# Labels are i % 3 (tests/cli/data): "class" is constant within each label,
# so it names the classes. Rows 0-9 are the failing cluster: their kind is
# the value that describes the slice.
BAD = b"\xff\xfe"
classes = [b"cat\x1b]0;owned\x07", b"dog\x7f", b"b\xc2\x9bird"]
with open("meta_hostile.csv", "wb") as f:
    f.write(b"id,class,kind\n")
    for i in range(N):
        rid = ("s%02d\x1b[2J" % i).encode() + (BAD if i % 2 else b"")
        kind = b"<b>far</b>|\x1b[31m" + BAD if i < 10 else b"near"
        f.write(b"%s,%s,%s\n" % (rid, classes[i % 3], kind))

# Not NumPy files: what torch.save writes (a zip of a pickle and raw
# storages; the legacy format is a pickle), and a list pickled by pickle.dump.
with zipfile.ZipFile("probs_torch.pt", "w") as z:
    for name, data in (("archive/data.pkl", b"\x80\x02}q\x00."),
                       ("archive/data/0", bytes(16)), ("archive/version", b"3\n")):
        z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
with open("probs_pickle.pkl", "wb") as f:
    pickle.dump([[0.8, 0.1, 0.1]] * N, f, protocol=4)
