"""The loss and its output gradient on node-major outputs, the hot path of every backprop
batch. Private to ``networks``."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["output_grad"]


def output_grad(loss: str, out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """``networks.losses.loss_grad`` for outputs laid out node-major, as the row buffer
    holds them: out (n_out, n) -> (mean loss, its gradient (n_out, n)), the same arithmetic
    with the reductions over contiguous rows (the hot path of every backprop batch)."""
    n = out.shape[1]
    if loss == "mse":
        d = out - y.T
        return float(np.add.reduce(d * d, axis=None)) / d.size, d * (2.0 / d.size)
    if out.shape[0] == 1:
        z = out[0]
        value = float(np.add.reduce(np.logaddexp(0.0, z) - y * z)) / n
        return value, ((expit(z) - y) / n)[None].astype(out.dtype, copy=False)
    # softmax and log-sum-exp from one shifted exponential: p = exp(out - max) / s,
    # loss = mean(max + log s - out[y])
    cols = np.arange(n)
    top = np.maximum.reduce(out, axis=0)
    p = out - top
    np.exp(p, out=p)
    s = np.add.reduce(p, axis=0)
    terms = np.log(s)
    terms += top
    terms -= out[y, cols]
    value = float(np.add.reduce(terms)) / n
    p /= s
    p[y, cols] -= 1.0
    p /= n
    return value, p
