"""PyTorch helper: run a model over an evaluation loader and collect what
faultline.discover needs (labels, probabilities, an embedding).

    from faultline.torch import collect
    out = collect(model, loader, layer="penultimate")
    report = faultline.discover(**out.kwargs(view="emb"), metadata=df)

torch is imported when collect is called, never by `import faultline`.
"""
import collections

import numpy as np


class Collected(collections.namedtuple("Collected", "labels probs embedding")):
    """labels (N int64), probs (N x C float32, softmax of the model's
    outputs, or the outputs themselves with softmax=False), embedding (N x
    D float32, the layer's activations flattened per sample)."""

    def kwargs(self, view="emb"):
        """The arguments of faultline.discover: labels, probs, views={view: embedding}."""
        return {"labels": self.labels, "probs": self.probs, "views": {view: self.embedding}}


def _split(batch, input_key, label_key):
    if isinstance(batch, dict):
        return batch[input_key], batch[label_key]
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise TypeError("collect: a batch must be (inputs, labels, ...) or a dict with keys %r and %r"
                    % (input_key, label_key))


def collect(model, loader, layer, device=None, softmax=True, input_key="input",
            label_key="label"):
    """Run `model` (in eval mode, without gradients) over `loader` and
    capture the activations of `layer` (a name from model.named_modules(),
    e.g. "penultimate" or "fc.1", or the module itself) with a forward hook.

    loader: any iterable of batches (inputs, labels, ...) or dicts (keys
    input_key, label_key), e.g. a torch.utils.data.DataLoader; device:
    where to run the model (default: where its parameters are). The model's
    outputs are N x C scores: softmax is applied unless softmax=False.
    Returns Collected(labels, probs, embedding) as numpy arrays.
    """
    import torch

    if isinstance(layer, str):
        modules = dict(model.named_modules())
        if layer not in modules:
            raise ValueError("collect: the model has no layer %r; its layers: %s"
                             % (layer, ", ".join(n for n in modules if n) or "(none)"))
        layer = modules[layer]
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    feats = []
    handle = layer.register_forward_hook(
        lambda m, i, o: feats.append((o[0] if isinstance(o, (tuple, list)) else o)
                                     .detach().flatten(1).float().cpu()))
    labels, outputs = [], []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                x, y = _split(batch, input_key, label_key)
                n = len(feats)
                out = model(x.to(device))
                if len(feats) != n + 1:
                    raise RuntimeError("collect: the layer ran %d times for one batch (it must "
                                       "run exactly once)" % (len(feats) - n))
                if out.dim() != 2:
                    raise ValueError("collect: the model's output must be N x C scores, got shape %s"
                                     % (tuple(out.shape),))
                outputs.append(out.detach().float().cpu())
                labels.append(torch.as_tensor(y).cpu().long().reshape(-1))
    finally:
        handle.remove()
        model.train(was_training)
    if not outputs:
        raise ValueError("collect: the loader gave no batches")
    scores = torch.cat(outputs)
    probs = torch.softmax(scores, 1) if softmax else scores
    return Collected(torch.cat(labels).numpy().astype(np.int64, copy=False),
                     np.ascontiguousarray(probs.numpy(), dtype=np.float32),
                     np.ascontiguousarray(torch.cat(feats).numpy(), dtype=np.float32))
