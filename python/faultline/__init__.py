"""faultline: find error slices, groups of samples where a trained model
fails systematically, from Python (numpy, pandas, PyTorch).

    import faultline
    report = faultline.discover(labels=y, probs=p, views={"emb": emb}, metadata=df)
    report.to_frame()            # one row per slice
    report.to_html("report.html")

The work is libfaultline's (the C library of the `faultline` command):
discover, apply, check and compare are its fl_discover, fl_apply, fl_check
and fl_compare, called with the GIL released. See docs/python.md.
"""
from ._faultline import Error, InputError
from ._faultline import version as _version
from ._api import Option, Verdict, Verdicts, apply, check, compare, discover, options
from ._report import Report, Slice, load
from .estimators import MixtureSlicer, PredicateSlicer

__version__ = _version()

__all__ = ["discover", "apply", "check", "compare", "load", "options", "Report", "Slice",
           "Verdict", "Verdicts", "Option", "Error", "InputError", "MixtureSlicer",
           "PredicateSlicer", "__version__"]
