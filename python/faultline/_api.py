"""The four verbs: discover, apply, check, compare. Each converts its
arguments (_inputs), calls the library with the GIL released, and presents
the result (Report). Options and their defaults are the library's
(fl_discover_option), never retyped here."""
import collections
import math
import os
import secrets
import shutil
import tempfile

from . import _faultline as _fl
from . import _inputs
from ._report import Report

_TABLE = {t[0]: t for t in _fl.options()}

Option = collections.namedtuple("Option", "name type default help choices zero min max")


def _value(kind, text, zero, choices):
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return 0 if zero and text == zero or not text.lstrip("-").isdigit() else int(text)
    if kind == "num":
        return float(text)
    if kind == "set":   # None: the library's automatic choice
        return text.split(",") if text and set(text.split(",")) <= set(choices) else None
    if kind == "string":
        return text or None
    return text


def options():
    """The options of discover and compare, with the library's defaults:
    {name: Option(name, type, default, help, choices, zero, min, max)};
    zero: what 0 means for an integer option ("automatic"), or None."""
    return {name: Option(name, kind, _value(kind, default, zero, (choices or "").split(",")), help_,
                         choices.split(",") if choices else None, zero or None, lo, hi)
            for name, kind, help_, choices, zero, lo, hi, default in _fl.options()}


def _option_text(name, value):
    """An option's value as the text fl_discover_opts_set parses."""
    if name not in _TABLE:
        raise TypeError("unknown option %r; the options are: %s"
                        % (name, ", ".join(sorted(_TABLE))))
    kind = _TABLE[name][1]
    if kind == "bool":
        if value not in (True, False, 0, 1):
            raise TypeError("option %s: expected True or False, got %r" % (name, value))
        return "true" if value else "false"
    if kind == "set":
        return value if isinstance(value, str) else ",".join(value)
    if kind == "string":
        return "" if value is None else str(value)
    if kind == "int":
        if isinstance(value, bool) or int(value) != value:
            raise TypeError("option %s: expected an integer, got %r" % (name, value))
        return str(int(value))
    if kind == "num":
        return repr(float(value))
    return str(value)


def _options(opts, html):
    if html and "map" not in opts:
        opts = dict(opts, map=True)   # as the CLI: a page gets a map
    return [(k, _option_text(k, v)) for k, v in opts.items()]


class _Progress:
    """The library's progress as a tqdm bar (when tqdm is installed and
    progress is not False), or a callable's, or nothing."""

    def __init__(self, progress):
        self.fn, self.bar, self.stage = None, None, None
        if callable(progress) and progress is not True:
            self.fn = progress
        elif progress is not False:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                if progress is True:
                    raise
            else:
                self.fn = self._tqdm
                self.tqdm = tqdm

    def _tqdm(self, stage, done, total):
        if self.bar is None:
            self.bar = self.tqdm(total=total, desc=stage, leave=False)
        if stage != self.stage:
            self.stage = stage
            self.bar.reset(total=total)
            self.bar.set_description(stage, refresh=False)
        self.bar.n = done
        self.bar.refresh()

    def __enter__(self):
        return self.fn

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


def _model_prefix(json, tmp):
    """Where a run's mixture models go: beside its JSON (OUT.json ->
    OUT.mixture-VIEW.npz), as the CLI does; else in the report's own
    temporary folder."""
    if json and json != "-":
        json = os.fspath(json)
        return json[:-5] if json.endswith(".json") and len(json) > 5 else json
    return os.path.join(tmp, "fl%s" % secrets.token_hex(4))


def _run(call, json, html, max_members, progress, make_args, model_dir=None):
    tmp = tempfile.mkdtemp(prefix="faultline-")
    notes = []
    try:
        with _Progress(progress) as cb:
            handle = call(*make_args(_model_prefix(json, tmp), cb, notes.append))
    except BaseException:
        shutil.rmtree(tmp, True)
        raise
    return Report._made(handle, tmp, json and os.fspath(json), html and os.fspath(html),
                        max_members, notes, model_dir)


def discover(labels=None, probs=None, failure=None, views=None, metadata=None, ids=None, *,
             logits=None, preds=None, id_column=None, class_column=None, phrases=None,
             phrase_view=None, phrase_embeddings=None, json=None, html=None, max_members=0,
             progress=None, **options):
    """Find where a model fails: `faultline discover` on arrays.

    labels (N ints) with probs (N x C) or logits or preds, or failure (N
    values, larger = worse); views: {name: N x D embedding}; metadata: a
    DataFrame, a dict of columns or a CSV path; ids: N sample ids (a
    metadata column named by id_column, default "id"). Arrays may be numpy
    arrays, CPU torch tensors or pandas columns. options: those of
    faultline.options() (the CLI's, same defaults), e.g. top=5,
    methods=["mixture", "predicates"], holdout=False. json, html: save the
    report (and its model files) there, as the CLI's --json and --html.
    progress: None = a tqdm bar when tqdm is installed, False = none, or a
    callable(stage, done, total). Ctrl-C cancels the run (nothing is
    written) and raises KeyboardInterrupt.
    """
    data = _inputs.build(labels, probs, logits, preds, failure, views, metadata, ids, id_column,
                         class_column, phrases, phrase_view, phrase_embeddings)
    opts = _options(options, html)
    return _run(_fl.discover, json, html, max_members, progress,
                lambda prefix, cb, note: (data, opts, prefix, cb, note))


def _saved(report):
    if isinstance(report, Report):
        return report._saved
    if isinstance(report, (str, os.PathLike)):
        return os.fspath(report)
    raise TypeError("report: expected a faultline.Report or the path of a saved JSON report")


def apply(report, labels=None, probs=None, failure=None, views=None, metadata=None, ids=None, *,
          logits=None, preds=None, id_column=None, class_column=None, failure_kind="error",
          json=None, html=None, max_members=0, allow_view_drift=False, progress=None):
    """Re-measure every slice of a report (a Report or a saved JSON path)
    on new data: `faultline apply`. Returns a Report of the same slices.
    A view that does not look like the one the report was built on (another
    model's embedding?) raises InputError unless allow_view_drift."""
    data = _inputs.build(labels, probs, logits, preds, failure, views, metadata, ids, id_column,
                         class_column)
    saved = _saved(report)
    # the applied slices' specs name the saved report's model files
    return _run(lambda prefix, cb, note: _fl.apply(saved, data, failure_kind,
                                                   bool(allow_view_drift), cb),
                json, html, max_members, progress, lambda prefix, cb, note: (prefix, cb, note),
                os.path.dirname(os.path.abspath(saved)))


Verdict = collections.namedtuple("Verdict", "id label status why")


class Verdicts(list):
    """fl_check's verdicts, one per saved slice (Verdict: id, label, status
    "PASS"/"WARN"/"FAIL", why); .overall the verdict on the whole data
    (id "overall"), .report the applied Report, .worst the worst status of
    all, .ok False when a slice or the overall gate fails (the CLI exits 1)."""

    def __init__(self, verdicts, overall, report):
        super().__init__(verdicts)
        self.overall = overall
        self.report = report
        order = ("PASS", "WARN", "FAIL")
        self.worst = max([v.status for v in self] + [overall.status], key=order.index)
        self.ok = self.worst != "FAIL"


def check(report, labels=None, probs=None, failure=None, views=None, metadata=None, ids=None, *,
          logits=None, preds=None, id_column=None, class_column=None, failure_kind="error",
          max_regression=None, max_failure_rate=None, max_lift=None,
          max_overall_regression=None, max_overall_failure=None, markdown=None,
          allow_view_drift=False, progress=None):
    """Known slices as CI gates (`faultline check`): apply the report to new
    data, judge each slice against the slice limits and the whole data
    against the overall ones. Returns Verdicts."""
    def limit(x):
        return math.nan if x is None else float(x)
    data = _inputs.build(labels, probs, logits, preds, failure, views, metadata, ids, id_column,
                         class_column)
    saved = _saved(report)
    md = None if markdown is None else os.fspath(markdown)
    holder = {}

    def call(prefix, cb, note):
        verdicts, overall, handle = _fl.check(
            saved, data, failure_kind, limit(max_failure_rate), limit(max_lift),
            limit(max_regression), limit(max_overall_failure), limit(max_overall_regression),
            md, bool(allow_view_drift), cb)
        holder["verdicts"] = verdicts
        holder["overall"] = overall
        return handle
    applied = _run(call, None, None, 0, progress, lambda prefix, cb, note: (prefix, cb, note))
    return Verdicts([Verdict(*v) for v in holder["verdicts"]],
                    Verdict("overall", "", *holder["overall"]), applied)


def _model(m, labels, name):
    """A compared model's outputs: a dict (labels, probs, logits, preds),
    N x C probabilities, or N predicted labels."""
    if isinstance(m, dict):
        m = dict(m)
        m.setdefault("labels", labels)
        unknown = set(m) - {"labels", "probs", "logits", "preds"}
        if unknown:
            raise TypeError("%s: unknown keys %s (labels, probs, logits, preds)"
                            % (name, sorted(unknown)))
        return m
    arr = _inputs.to_numpy(m, name)
    return {"labels": labels, "probs" if arr.ndim == 2 else "preds": arr}


def compare(base, candidate, labels=None, views=None, metadata=None, ids=None, *,
            improvements=False, id_column=None, class_column=None, json=None, html=None,
            max_members=0, progress=None, **options):
    """Where did the candidate model regress against the base
    (improvements=True: where did it improve)? `faultline compare`. base,
    candidate: each model's probs (N x C), preds (N), or a dict of labels,
    probs, logits, preds; labels: the true labels of both (unless in the
    dicts); views, metadata, ids: the candidate's, as in discover."""
    b, c = _model(base, labels, "base"), _model(candidate, labels, "candidate")
    base_data = _inputs.build(**b)
    cand_data = _inputs.build(views=views, metadata=metadata, ids=ids, id_column=id_column,
                              class_column=class_column, **c)
    opts = _options(options, html)
    return _run(_fl.compare, json, html, max_members, progress,
                lambda prefix, cb, note: (base_data, cand_data, bool(improvements), opts,
                                          prefix, cb, note))
