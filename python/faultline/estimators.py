"""Estimators shaped like the peers', so that their users switch in one line:

    from domino import DominoSlicer       ->  from faultline import MixtureSlicer as DominoSlicer
    from sliceline.slicefinder import Slicefinder  ->  from faultline import PredicateSlicer as Slicefinder

They follow scikit-learn's conventions (parameters in __init__, fitted
attributes ending in "_", get_params / set_params, fit returns self)
without importing scikit-learn. Each runs faultline.discover with one
method, and finds its slices again in new data with faultline.apply.
"""
import inspect

import numpy as np

from . import _api
from ._inputs import to_numpy


class _Estimator:
    """get_params / set_params from the __init__ signature, as scikit-learn's."""

    @classmethod
    def _param_names(cls):
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"
                and inspect.signature(cls.__init__).parameters[p].kind
                is inspect.Parameter.POSITIONAL_OR_KEYWORD]

    def get_params(self, deep=True):
        return {p: getattr(self, p) for p in self._param_names()}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._param_names():
                raise ValueError("invalid parameter %r for %s; valid: %s"
                                 % (k, type(self).__name__, ", ".join(self._param_names())))
            setattr(self, k, v)
        return self

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % kv for kv in self.get_params().items()))

    def _check_fitted(self):
        if not hasattr(self, "report_"):
            raise RuntimeError("%s is not fitted yet: call fit first" % type(self).__name__)

    def _membership(self, n, **data):
        """(n, n_slices) 0/1: the rows each slice's rule selects (apply)."""
        if data.get("failure") is None and data.get("labels") is None:
            data["failure"] = np.zeros(n)   # the rules do not look at it
        applied = _api.apply(self.report_, progress=False, **data)
        out = np.zeros((n, len(applied.slices)), dtype=np.float64)
        for j, s in enumerate(applied.slices):
            out[s.members, j] = 1
        return out


def _labels(y, name):
    """1-D labels; one-hot rows (Domino's targets) become their argmax."""
    y = to_numpy(y, name)
    return y.argmax(axis=1) if y is not None and y.ndim == 2 and y.shape[1] > 1 else y


def _probs(p):
    """N x C probabilities; Domino's 1-D binary probabilities become [1 - p, p]."""
    p = to_numpy(p, "pred_probs")
    if p is not None and p.ndim == 1:
        p = np.stack([1 - p, p], axis=1).astype(np.float32)
    return p


class MixtureSlicer(_Estimator):
    """faultline's error-aware mixture (method "mixture"), shaped like
    Domino's DominoSlicer: fit(embeddings, targets, pred_probs) or
    fit(embeddings, losses=...), then predict / predict_proba.

    n_slices: slices kept (option top); n_mixture_components: mixture
    components (option components); n_pca_components: PCA dimensions
    (option pca_dims); random_state: seed; options: any other option of
    faultline.discover (holdout=False, ...).
    Fitted: report_ (the Report), slices_ (its Slices).
    """

    def __init__(self, n_slices=5, n_mixture_components=25, n_pca_components=128,
                 random_state=None, options=None):
        self.n_slices = n_slices
        self.n_mixture_components = n_mixture_components
        self.n_pca_components = n_pca_components
        self.random_state = random_state
        self.options = options

    def fit(self, embeddings=None, targets=None, pred_probs=None, losses=None, data=None):
        """Find the slices: embeddings (N x D) with targets (labels or
        one-hot) and pred_probs, or with losses. As Domino's, `data` may
        hold them (a dict or DataFrame-like), each argument then naming its
        column (default "embedding", "target", "pred_probs", "loss")."""
        embeddings, targets, pred_probs, losses = self._args(data, embeddings, targets,
                                                             pred_probs, losses)
        if embeddings is None:
            raise ValueError("MixtureSlicer.fit: embeddings are required")
        if losses is None and (targets is None or pred_probs is None):
            raise ValueError("MixtureSlicer.fit: give targets and pred_probs, or losses")
        opts = dict(methods="mixture", top=self.n_slices, components=self.n_mixture_components,
                    pca_dims=self.n_pca_components, seed=self.random_state or 0)
        opts.update(self.options or {})
        self.report_ = _api.discover(labels=targets if losses is None else None,
                                     probs=pred_probs if losses is None else None,
                                     failure=losses, views={"embedding": embeddings},
                                     progress=False, **opts)
        self.slices_ = self.report_.slices
        return self

    @staticmethod
    def _args(data, embeddings, targets, pred_probs, losses):
        if data is not None:   # Domino's columns: a name, or its default name when present
            def column(arg, default):
                if isinstance(arg, str):
                    return data[arg]
                if arg is None and default in data:
                    return data[default]
                return arg
            embeddings = column(embeddings, "embedding")
            targets = column(targets, "target")
            pred_probs = column(pred_probs, "pred_probs")
            losses = column(losses, "loss")
        return (embeddings, _labels(targets, "targets") if targets is not None else None,
                _probs(pred_probs) if pred_probs is not None else None, losses)

    def predict_proba(self, embeddings=None, targets=None, pred_probs=None, losses=None,
                      data=None):
        """(N, n_slices): each slice's membership of each row, by its rule
        (the component with the largest responsibility): 0 or 1."""
        self._check_fitted()
        embeddings, targets, pred_probs, losses = self._args(data, embeddings, targets,
                                                             pred_probs, losses)
        emb = to_numpy(embeddings, "embeddings")
        return self._membership(len(emb), views={"embedding": emb}, failure=losses,
                                labels=targets if losses is None and pred_probs is not None
                                else None,
                                probs=pred_probs if losses is None and targets is not None
                                else None)

    def predict(self, embeddings=None, targets=None, pred_probs=None, losses=None, data=None):
        """(N, n_slices) one-hot: the slice of each row (Domino's predict);
        a row in no slice is all zeros."""
        p = self.predict_proba(embeddings, targets, pred_probs, losses, data)
        out = np.zeros_like(p, dtype=np.int64)
        hit = p.max(axis=1) > 0
        out[np.flatnonzero(hit), p[hit].argmax(axis=1)] = 1
        return out


class PredicateSlicer(_Estimator):
    """faultline's exact predicate search (method "predicates") in the
    SliceLine language by default, shaped like sliceline's Slicefinder:
    fit(X, errors) on a DataFrame (or a 2-D array), transform(X),
    top_slices_, get_feature_names_out().

    alpha: weight of the failure against size; k: slices kept (option
    top); max_l: most predicates in a slice (max_level); min_sup: least
    rows of a slice (min_support); options: any other option of
    faultline.discover (predicate_language="rich", holdout=False, ...).
    Fitted: report_, slices_, top_slices_ (k x n_features: each slice's
    value for each column, None where it does not constrain it),
    top_slices_statistics_, average_error_, feature_names_in_.
    """

    def __init__(self, alpha=0.6, k=1, max_l=2, min_sup=10, options=None):
        self.alpha = alpha
        self.k = k
        self.max_l = max_l
        self.min_sup = min_sup
        self.options = options

    @staticmethod
    def _frame(X):
        if hasattr(X, "columns"):
            return X, [str(c) for c in X.columns]
        X = to_numpy(X, "X")
        if X.ndim != 2:
            raise ValueError("X must be 2-D (rows x features), got shape %s" % (X.shape,))
        names = ["x%d" % i for i in range(X.shape[1])]
        return {n: X[:, i] for i, n in enumerate(names)}, names

    def fit(self, X, errors):
        meta, names = self._frame(X)
        errors = np.asarray(to_numpy(errors, "errors"), dtype=np.float64)
        opts = dict(methods="predicates", top=self.k, alpha=self.alpha, max_level=self.max_l,
                    min_support=self.min_sup, predicate_language="sliceline")
        opts.update(self.options or {})
        self.report_ = _api.discover(failure=errors, metadata=meta, progress=False, **opts)
        self.slices_ = self.report_.slices
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.average_error_ = float(errors.mean()) if len(errors) else float("nan")
        self.top_slices_ = np.array([self._row(s, names) for s in self.slices_], dtype=object
                                    ).reshape(len(self.slices_), len(names))
        self.top_slices_statistics_ = [{
            "slice_score": (s.spec or {}).get("sliceline_score", s.score), "sum_slice_error": s.size * s.failure_rate,
            "slice_size": s.size, "slice_average_error": s.failure_rate}
            for s in self.slices_]
        return self

    @staticmethod
    def _row(s, names):
        """A slice as sliceline writes it: the value of each column it fixes."""
        row = [None] * len(names)
        for p in (s.spec or {}).get("predicates", []):
            if p.get("column") not in names:
                continue
            op, i = p.get("op"), names.index(p["column"])
            if op == "==":
                row[i] = p.get("value")
            elif op == "in_set":
                row[i] = set(p.get("values", []))
            elif op == "in":   # a range of a numeric column: [low, high)
                row[i] = (p.get("low"), p.get("high"))
            else:
                row[i] = (op, p.get("value", p.get("values")))
        return row

    def transform(self, X):
        """(N, k) 0/1: the rows of X each top slice selects."""
        self._check_fitted()
        meta, names = self._frame(X)
        if names != list(self.feature_names_in_):
            raise ValueError("X has columns %s; fit saw %s" % (names, list(self.feature_names_in_)))
        n = len(X) if hasattr(X, "columns") else len(next(iter(meta.values())))
        return self._membership(n, metadata=meta).astype(np.int64)

    def fit_transform(self, X, errors):
        return self.fit(X, errors).transform(X)

    def get_feature_names_out(self, input_features=None):
        self._check_fitted()
        return np.asarray(["slice_%d" % i for i in range(len(self.slices_))], dtype=object)
