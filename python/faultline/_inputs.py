"""Python values into the arrays and table the library reads.

Arrays (numpy arrays, CPU torch tensors, pandas Series, lists) are handed
to the library in its own dtypes: float32 for probabilities, logits and
views, int64 for labels and predictions, float64 for a failure signal.
An array that is already C-contiguous in that dtype is passed as it is (the
library reads the caller's memory: no copy); any other dtype or layout is
converted once, by numpy. Metadata (a DataFrame, a dict of columns) are
written once as CSV text, which the library reads by the rules of a CSV
file (column types, missing values: docs/inputs.md); a path is read by the
library directly.
"""
import csv
import io
import math
import os

import numpy as np


def to_numpy(x, name):
    """A numpy view of x when it can be one (torch CPU tensor, pandas
    column, numpy array), else np.asarray(x)."""
    if x is None:
        return None
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        if x.device.type != "cpu":
            raise ValueError("%s: a tensor on %s; move it to the CPU first (.cpu())"
                             % (name, x.device))
        x = x.detach()
        if x.dtype.is_floating_point and x.dtype not in _torch_numpy_ok():
            x = x.float()   # bfloat16 and the like have no numpy dtype
        return x.numpy()
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
        return x.to_numpy()
    return np.asarray(x)


def _torch_numpy_ok():
    import torch
    return (torch.float16, torch.float32, torch.float64)


def _first_bad(mask):
    return int(np.flatnonzero(mask)[0])


def as_int64(x, name):
    """A 1-D int64 array (labels, predictions); integral floats accepted."""
    a = to_numpy(x, name)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError("%s must be 1-D, got shape %s" % (name, a.shape))
    if a.dtype == np.int64:
        return np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            i = _first_bad(bad)
            raise ValueError("%s: row %d: %r is not an integer" % (name, i, a[i]))
    elif a.dtype.kind not in "iub":
        raise ValueError("%s: expected integers, got dtype %s" % (name, a.dtype))
    if a.dtype.kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError("%s: row %d: value too large" % (name, int(a.argmax())))
    return np.ascontiguousarray(a, dtype=np.int64)


def as_float(x, name, dtype, ndim):
    """A C-contiguous array of dtype with ndim dimensions (1-D failure,
    2-D probabilities and views); converted only when it is not one."""
    a = to_numpy(x, name)
    if ndim == 1 and a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != ndim:
        what = "1-D" if ndim == 1 else "2-D (rows x %s)" % (
            "classes" if name in ("probs", "logits") else "dimensions")
        raise ValueError("%s must be %s, got shape %s" % (name, what, a.shape))
    if a.dtype.kind not in "fiub":
        raise ValueError("%s: expected numbers, got dtype %s" % (name, a.dtype))
    return np.ascontiguousarray(a, dtype=dtype)


def _cell(v):
    """One metadata value as CSV text; missing values (None, NaN) are empty."""
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return "" if math.isnan(v) else repr(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    try:
        if v != v:          # pandas NA, NaT
            return ""
    except (TypeError, ValueError):
        if str(v) in ("<NA>", "NaT"):
            return ""
    return str(v)


def _columns(meta):
    """(names, columns) of a DataFrame or a dict of 1-D arrays."""
    if hasattr(meta, "columns") and hasattr(meta, "__getitem__"):   # a DataFrame
        names = [str(c) for c in meta.columns]
        cols = [meta.iloc[:, i].to_numpy() for i in range(len(names))]
    elif isinstance(meta, dict):
        names = [str(c) for c in meta]
        cols = [to_numpy(meta[c], "metadata column %r" % c) for c in meta]
    else:
        raise TypeError("metadata: expected a DataFrame, a dict of columns or a CSV path, "
                        "got %s" % type(meta).__name__)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ValueError("metadata: column %r appears twice" % dup)
    for name, col in zip(names, cols):
        if col.ndim != 1:
            raise ValueError("metadata column %r must be 1-D, got shape %s" % (name, col.shape))
        if len(col) != len(cols[0]):
            raise ValueError("row counts disagree: metadata column %r has %d rows, column %r has %d"
                             % (name, len(col), names[0], len(cols[0])))
    return names, cols


def csv_text(names, cols):
    """The columns as CSV text (header row, RFC 4180 quoting)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(names)
    texts = [[_cell(v) for v in col.tolist()] if col.dtype.kind != "f" else
             ["" if math.isnan(v) else repr(v) for v in col.astype(np.float64).tolist()]
             for col in cols]
    w.writerows(zip(*texts))
    return out.getvalue().encode("utf-8")


def build(labels=None, probs=None, logits=None, preds=None, failure=None, views=None,
          metadata=None, ids=None, id_column=None, class_column=None, phrases=None,
          phrase_view=None, phrase_embeddings=None):
    """The dict _faultline reads an fl_data from; keeps every array it hands over."""
    d = {"logits": 0, "n_classes": 0}
    n = None                            # (rows, the input that set them)

    def rows(arr, name):
        nonlocal n
        if n is None:
            n = (arr.shape[0], name)
        elif arr.shape[0] != n[0]:
            raise ValueError("row counts disagree: %s has %d rows, %s has %d"
                             % (name, arr.shape[0], n[1], n[0]))
        return arr

    if probs is not None and logits is not None:
        raise ValueError("give probs or logits, not both")
    if labels is not None:
        d["labels"] = rows(as_int64(labels, "labels"), "labels")
        d["labels_name"] = "labels"
    if probs is not None or logits is not None:
        name = "probs" if probs is not None else "logits"
        p = rows(as_float(probs if probs is not None else logits, name, np.float32, 2), name)
        d.update(probs=p, n_classes=p.shape[1], logits=int(logits is not None), probs_name=name)
    if preds is not None:
        d["preds"] = rows(as_int64(preds, "preds"), "preds")
        d["preds_name"] = "preds"
    if failure is not None:
        d["failure"] = rows(as_float(failure, "failure", np.float64, 1), "failure")
        d["failure_name"] = "failure"
    d["views"] = []
    for name, x in (views or {}).items():
        if not isinstance(name, str) or not 0 < len(name.encode()) < 64:
            raise ValueError("view name %r: a str of 1-63 bytes" % (name,))
        v = rows(as_float(x, "view %r" % name, np.float32, 2), "view %r" % name)
        d["views"].append((name, v, v.shape[1], name))
    if ids is not None:
        ids = to_numpy(ids, "ids")
        if ids.ndim != 1:
            raise ValueError("ids must be 1-D, got shape %s" % (ids.shape,))
    if isinstance(metadata, (str, os.PathLike)):
        if ids is not None:
            raise ValueError("ids: give them as a column of the CSV file and name it with id_column")
        d["meta_path"] = os.fspath(metadata)
        d["meta_name"] = os.fspath(metadata)
    elif metadata is not None or ids is not None:
        names, cols = _columns(metadata) if metadata is not None else ([], [])
        if ids is not None:
            id_column = id_column or "id"
            if id_column in names:
                raise ValueError("ids: the metadata already have a column %r; pass "
                                 "id_column=%r instead of ids" % (id_column, id_column))
            names, cols = [id_column] + names, [ids] + cols
        if cols:
            rows(cols[0], "metadata" if metadata is not None else "ids")
        d["meta_text"] = csv_text(names, cols)
        d["meta_name"] = "metadata"
    if id_column is not None:
        d["id_column"] = id_column
    if class_column is not None:
        d["class_column"] = class_column
    if phrases is not None:
        if phrase_view is None or phrase_embeddings is None:
            raise ValueError("phrases, phrase_view and phrase_embeddings go together")
        e = as_float(phrase_embeddings, "phrase_embeddings", np.float32, 2)
        d.update(phrases=[str(p) for p in phrases], phrase_emb=e, phrase_dim=e.shape[1],
                 phrase_view=phrase_view, phrase_emb_name="phrase_embeddings")
        if e.shape[0] != len(d["phrases"]):
            raise ValueError("phrase_embeddings has %d rows for %d phrases"
                             % (e.shape[0], len(d["phrases"])))
    if n is None:
        raise ValueError("no data: give labels with probs (or logits, preds), or failure")
    d["n"] = n[0]
    return d
