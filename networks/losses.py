"""Losses over network outputs, their gradients, and target validation.

``out`` is (..., n_samples, n_outputs): leading axes (a population) are kept in the loss.

- ``mse``: mean over samples and outputs of (out - y)^2; y (n, n_out) floats, or (n,) when
  n_out == 1.
- ``cross_entropy``: the outputs are logits. With one output, binary cross-entropy of
  sigmoid(logit) against labels 0/1; with k >= 2 outputs, softmax cross-entropy against
  integer labels 0..k-1 (softmax and log fused, so it never takes log(0)). Mean over samples.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax

__all__ = ["LOSSES", "check_loss", "check_targets", "loss_value", "loss_grad"]

LOSSES = ("mse", "cross_entropy")


def check_loss(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    return loss


def check_targets(
    loss: str, y, n_samples: int, n_outputs: int, dtype=np.float64, *, lead: tuple = ()
) -> np.ndarray:
    """Validate targets for ``loss``: float (n, n_out) for mse (or (n,) with one output),
    int labels (n,) for cross-entropy (or (n, 1)); with ``lead`` (e.g. (P,): one target set
    per individual), those shapes after the leading axes. Returns mse targets as
    lead + (n, n_out) of ``dtype``, labels as lead + (n,) int64. Raises ValueError saying
    what is wrong."""
    check_loss(loss)
    y = np.asarray(y)
    lead = tuple(lead)
    if loss == "mse":
        if y.ndim == len(lead) + 1 and n_outputs == 1:
            y = y[..., None]
        want = lead + (n_samples, n_outputs)
        if y.shape != want:
            raise ValueError(
                f"targets have shape {y.shape}; mse needs {want}, one row per sample"
                + (", one set per input batch" if lead else "")
            )
        if not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
            raise ValueError(f"targets must be numbers, got dtype {y.dtype}")
        y = y.astype(dtype, copy=False)
        if not np.isfinite(y).all():
            raise ValueError("targets contain NaN or inf; clean or drop those rows first")
        return y
    if y.ndim == len(lead) + 2 and y.shape[-1] == 1:
        y = y[..., 0]
    want = lead + (n_samples,)
    if y.shape != want:
        raise ValueError(
            f"labels have shape {y.shape}; cross_entropy needs {want} integer class labels"
            + (", one set per input batch" if lead else "")
        )
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError("labels contain NaN or inf; cross_entropy needs integer class labels")
        if not np.array_equal(y, np.round(y)):
            raise ValueError(
                "labels are not whole numbers; cross_entropy needs integer class labels"
            )
    elif y.dtype.kind not in "iub":
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    y = y.astype(np.int64, copy=False)
    n_classes = max(n_outputs, 2)
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1} for a network with {n_outputs} output(s); got {y.min()}..{y.max()}"
        )
    return y


def loss_value(loss: str, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean loss over samples: out (..., n, n_out) -> (...); y (n, n_out) / (n,) shared by
    the leading axes, or with those axes too (one target set per individual)."""
    if loss == "mse":
        d = out - y
        return np.mean(d * d, axis=(-2, -1))
    if out.shape[-1] == 1:
        z = out[..., 0]
        return np.mean(np.logaddexp(0.0, z) - y * z, axis=-1)
    logp = log_softmax(out, axis=-1)
    picked = np.take_along_axis(
        logp, np.broadcast_to(y[..., None], logp.shape[:-1] + (1,)), axis=-1
    )
    return -np.mean(picked[..., 0], axis=-1)


def _mean(a: np.ndarray) -> float:
    """float(np.mean(a)) without np.mean's Python-level overhead (a few microseconds, which
    counts on a backprop batch)."""
    return float(np.add.reduce(a, axis=None)) / a.size


def loss_grad(loss: str, out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Loss and its gradient with respect to the outputs, for out (n, n_out)."""
    n = out.shape[0]
    if loss == "mse":
        d = out - y
        return _mean(d * d), d * (2.0 / d.size)
    if out.shape[-1] == 1:
        z = out[:, 0]
        value = _mean(np.logaddexp(0.0, z) - y * z)
        return value, ((expit(z) - y) / n)[:, None].astype(out.dtype, copy=False)
    # softmax and log-sum-exp from one shifted exponential (the hot path of every backprop
    # batch): p = exp(out - max) / s, loss = mean(max + log s - out[y])
    rows = np.arange(n)
    top = out.max(axis=-1, keepdims=True)
    p = out - top
    np.exp(p, out=p)
    s = p.sum(axis=-1, keepdims=True)
    terms = np.log(s[:, 0])
    terms += top[:, 0]
    terms -= out[rows, y]
    value = _mean(terms)
    p /= s
    p[rows, y] -= 1.0
    p /= n
    return value, p
