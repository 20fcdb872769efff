"""Report and Slice: a report as the library wrote it (its JSON,
docs/report-json.md), presented as Python objects, with the library's own
renderings (text, JSON, HTML)."""
import html as _html
import json as _json
import os
import shutil
import tempfile
import weakref

import numpy as np

from . import _faultline as _fl

_STATS = ("size", "failure_rate", "failure_rate_outside", "lift", "ci95", "p_value")


class Slice:
    """One slice (a cause, or a part of one) of a report.

    members: int64 row indices of both halves (the search half's first,
    most typical first; then the holdout half's); member_half: 0 (search)
    or 1 (holdout) beside each; stats, search and holdout: the statistics
    on all rows, on the search half and on the holdout half (None without a
    holdout); spec: the rule that finds the slice again (apply, check);
    parts: the results grouped under a cause (Slices themselves).
    """

    def __init__(self, d):
        self.raw = d
        self.id = d["id"]
        self.rank = d.get("rank")
        self.stats = {k: d.get(k) for k in _STATS}
        self.size = d.get("size")
        self.failure_rate = d.get("failure_rate")
        self.failure_rate_outside = d.get("failure_rate_outside")
        self.lift = d.get("lift")
        self.ci95 = tuple(d["ci95"]) if d.get("ci95") else None
        self.p_value = d.get("p_value")
        self.excess_failures = d.get("excess_failures")
        self.score = d.get("score")
        self.round = d.get("round")
        self.search = d.get("search")
        self.holdout = d.get("holdout")
        self.replicated = d.get("replicated")
        self.found_by = d.get("found_by", [])
        self.description = d.get("description")
        self.explanation = d.get("explanation")
        self.spec = d.get("spec")
        self.confusions = d.get("confusions", [])
        self.prototypes = d.get("prototypes", [])
        self.phrases = d.get("phrases", [])
        self.comparison = d.get("comparison")
        self.members = np.asarray(d.get("members", []), dtype=np.int64)
        self.member_half = np.asarray(d.get("member_half", []), dtype=np.int8)
        self.member_scores = np.asarray(d.get("member_scores", []), dtype=np.float32)
        self.parts = [Slice(p) for p in d.get("parts", [])]

    @property
    def holdout_members(self):
        """Members in the holdout half (where the slice was confirmed)."""
        return self.members[self.member_half == 1]

    @property
    def search_members(self):
        """Members in the search half (where the slice was found)."""
        return self.members[self.member_half == 0]

    @property
    def label(self):
        """What the CLI prints for it: the rule, else the metadata
        description, else where it was found."""
        if self.description:
            return self.description
        if self.explanation and self.explanation.get("fits"):
            return self.explanation.get("predicates")
        f = self.found_by[0] if self.found_by else {}
        return "/".join(x for x in (f.get("method"), f.get("view")) if x)

    def __repr__(self):
        rate = "%.1f%%" % (100 * self.failure_rate) if self.failure_rate is not None else "-"
        return "<Slice %s: %s rows, failure %s, %s>" % (self.id, self.size, rate, self.label)


class Report:
    """The ranked error slices of one run (discover, compare, apply, or
    load). slices: list of Slice, best first; dataset, parameters: as in
    the JSON; notes: what the library noted during the run; path: the
    JSON file it is saved in (with its model files beside it), or None."""

    def __init__(self, handle, data, saved, model_dir, notes=(), path=None, tmp=None):
        self._h = handle
        self._saved = saved          # a JSON of it that apply and check can read
        self._model_dir = model_dir  # where its specs' model files are
        self.data = data
        self.dataset = data.get("dataset", {})
        self.parameters = data.get("parameters", {})
        self.slices = [Slice(s) for s in data.get("slices", [])]
        self.notes = list(notes)
        self.path = path
        if tmp:
            weakref.finalize(self, shutil.rmtree, tmp, True)

    @classmethod
    def _made(cls, handle, tmp, json=None, html=None, max_members=0, notes=(), model_dir=None):
        """A report the library just made: saved as asked (JSON, page and
        the models its specs name, as one unit), and once in full in `tmp`."""
        try:
            full = os.path.join(tmp, "report.json")
            if json and json != "-":
                handle.save(json, html, int(max_members))
                saved = path = os.path.abspath(json)
                models = os.path.dirname(path)
            else:
                handle.save(full, html, 0)   # models, if any, go to tmp
                if json == "-":
                    handle.save("-", None, int(max_members))
                saved, models, path = full, tmp, None
            if saved != full:
                handle.write_json(full, 0)
            with open(full, encoding="utf-8") as f:
                data = _json.load(f)
        except BaseException:
            shutil.rmtree(tmp, True)
            raise
        return cls(handle, data, saved, model_dir or models, notes, path, tmp)

    def __len__(self):
        return len(self.slices)

    def __getitem__(self, i):
        return self.slices[i]

    def __iter__(self):
        return iter(self.slices)

    def __repr__(self):
        return "<faultline.Report: %d slices over %s rows, overall failure %.3g>" % (
            len(self.slices), self.dataset.get("n"), self.dataset.get("failure_rate") or 0)

    def __str__(self):
        return self.text()

    def text(self):
        """The readable table the CLI prints."""
        return self._h.text()

    def to_frame(self):
        """A pandas DataFrame, one row per slice (index: its id)."""
        import pandas as pd
        rows = []
        for s in self.slices:
            h = s.holdout or {}
            f = s.found_by[0] if s.found_by else {}
            rows.append({
                "id": s.id, "size": s.size, "failure_rate": s.failure_rate,
                "failure_rate_outside": s.failure_rate_outside, "lift": s.lift,
                "ci_low": s.ci95[0] if s.ci95 else None,
                "ci_high": s.ci95[1] if s.ci95 else None,
                "p_value": s.p_value, "excess_failures": s.excess_failures, "score": s.score,
                "replicated": s.replicated, "holdout_size": h.get("size"),
                "holdout_failure_rate": h.get("failure_rate"),
                "holdout_p_adjusted": h.get("p_adjusted"),
                "method": f.get("method"), "view": f.get("view"),
                "label": s.label, "description": s.description,
                "explanation": (s.explanation or {}).get("predicates"),
                "n_parts": len(s.parts), "n_members": len(s.members)})
        cols = ["id", "size", "failure_rate", "failure_rate_outside", "lift", "ci_low", "ci_high",
                "p_value", "excess_failures", "score", "replicated", "holdout_size",
                "holdout_failure_rate", "holdout_p_adjusted", "method", "view", "label", "description",
                "explanation", "n_parts", "n_members"]
        return pd.DataFrame(rows, columns=cols).set_index("id")

    def _model_files(self):
        files = set()

        def walk(slices):
            for s in slices:
                m = (s.spec or {}).get("model")
                if isinstance(m, dict) and isinstance(m.get("file"), str):
                    files.add(m["file"])
                walk(s.parts)
        walk(self.slices)
        return sorted(files)

    def to_json(self, path, max_members=0):
        """Write the JSON report (docs/report-json.md) to path, and the
        model files its specs name beside it, so that apply and check can
        use it later. Written beside path and renamed: a failure leaves no
        partial file."""
        self._h.write_json(os.fspath(path), int(max_members))
        dest = os.path.dirname(os.path.abspath(path))
        for name in self._model_files():
            src = os.path.join(self._model_dir, name)
            if os.path.isfile(src) and os.path.abspath(src) != os.path.join(dest, name):
                tmp = os.path.join(dest, ".%s.tmp" % name)
                shutil.copyfile(src, tmp)
                os.replace(tmp, os.path.join(dest, name))

    def to_html(self, path, thumbnails=None):
        """Write the self-contained HTML page (no script, nothing fetched).
        thumbnails: the folder image ids are read from (default: the page's)."""
        self._h.write_html(os.fspath(path), None if thumbnails is None else os.fspath(thumbnails))

    def _repr_html_(self):
        with tempfile.TemporaryDirectory(prefix="faultline-") as d:
            page = os.path.join(d, "report.html")
            self._h.write_html(page, None)
            with open(page, encoding="utf-8") as f:
                doc = f.read()
        return ('<iframe srcdoc="%s" style="width:100%%;height:640px;border:1px solid #ddd">'
                '</iframe>' % _html.escape(doc, quote=True))


def load(path):
    """A report saved as JSON (by discover(json=...), Report.to_json or the
    CLI's --json), to render again, or to apply and check on new data."""
    path = os.fspath(path)
    handle = _fl.load_report(path)
    with open(path, encoding="utf-8") as f:
        data = _json.load(f)
    full = os.path.abspath(path)
    return Report(handle, data, full, os.path.dirname(full), path=full)
