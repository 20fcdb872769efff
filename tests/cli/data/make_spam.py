"""Make the planted spam-filter example of the golden CLI tests (standard
library only: python3 make_spam.py in this folder). Committed; rerun only
to change it.

1200 e-mails, 40% spam, from nine relays. The filter misses the spam that
relay-7 sends (85% of it predicted ham) and errs on 3% of the rest. The
metadata name each class ("class": ham/spam), the relay, and two columns
of noise; spam_failure.npy is the filter's error (1.0 where it is wrong).
Expected: one slice, label = spam AND source = relay-7.
"""
import random
import struct


def write_npy(path, values, descr="<i8"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }" % (descr, len(values))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), "q" if descr == "<i8" else "d"), *values))


rng = random.Random(12)
n = 1200
labels, preds, rows = [], [], []
for i in range(n):
    spam = rng.random() < 0.4
    source = "relay-%d" % rng.randint(1, 9)
    missed = spam and source == "relay-7" and rng.random() < 0.85
    wrong = missed or rng.random() < 0.03
    label = 1 if spam else 0
    labels.append(label)
    preds.append(1 - label if wrong else label)
    rows.append("m%04d,%s,%s,%d,%d" % (i, "spam" if spam else "ham", source,
                                      rng.randint(40, 4000), rng.randint(0, 23)))
write_npy("spam_labels.npy", labels)
write_npy("spam_preds.npy", preds)
with open("spam_meta.csv", "w") as f:
    f.write("id,class,source,length,hour\n" + "\n".join(rows) + "\n")
write_npy("spam_failure.npy", [float(l != p) for l, p in zip(labels, preds)], "<f8")
