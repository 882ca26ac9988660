"""Gradient training of a layered dense network (an MLP) at the speed of a hand-written loop.

Private to ``networks``: :meth:`Network.dense_trainer` gives a :class:`DenseTrainer` when
every level of the compiled network reads exactly the rows the level before wrote (the
inputs for the first), through a dense weight matrix. The trainer keeps its own parameter
layout, ``theta``: per level one ``(sources + 1, units)`` block, the transposed weight
matrix with the biases as its last row, so that each bias rides in its level's matmul
against a row of ones and every gradient block is written by one matmul. ``theta`` holds
the network's parameters in another order (``theta = params[trainer.index]``); the update
rules act element by element, so training in either order is the same algorithm. Buffers
are kept per batch size, so a training step allocates almost nothing.
"""

from __future__ import annotations

import numpy as np

from ._layout import Level
from ._output_grad import output_grad
from .activations import ACTIVATIONS

__all__ = ["DenseTrainer", "dense_levels"]


def dense_levels(levels: tuple[Level, ...], n_inputs: int) -> bool:
    """Whether each level reads all the rows of the level before it (the inputs for the
    first) through a dense matrix, with at most one activation: an MLP."""
    lo, hi = 0, n_inputs
    for L in levels:
        if L.gather is not None or L.flat is not None or (L.lo, L.hi) != (lo, hi):
            return False
        if len({code for _, _, code in L.segments}) != 1:
            return False
        lo, hi = L.start, L.stop
    return bool(levels)


class DenseTrainer:
    """``loss_and_grad(X, y, loss, theta, grad)`` for a network whose levels pass
    :func:`dense_levels`; ``index`` maps its layout to the network's (``theta =
    params[index]``, ``params[index] = theta``)."""

    def __init__(self, levels: tuple[Level, ...], n_inputs: int, n_params: int, dtype) -> None:
        self.dtype = np.dtype(dtype)
        self.n_params = n_params
        where = np.arange(n_params)
        blocks, self._shapes, self._acts = [], [], []
        for L in levels:
            m, s = L.shape
            W = where[L.weights].reshape(m, s)
            blocks.append(np.vstack([W.T, where[L.bias][None, :]]).ravel())
            self._shapes.append((s + 1, m))
            code = L.segments[0][2]  # a code, not the Activation: a trainer pickles
            self._acts.append((None if ACTIVATIONS[code].name == "identity" else code, L.uses_z))
        self.index = np.concatenate(blocks)
        offsets = np.concatenate([[0], np.cumsum([a * b for a, b in self._shapes])])
        self._offsets = [(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:])]
        self.n_inputs = n_inputs
        self._buffers: dict[int, tuple] = {}
        self._held: list = [None, None]  # (theta, its views), (gradient, its views)

    def __getstate__(self) -> dict:
        # views do not survive pickling (they come back as copies): rebuilt on first use
        return {**self.__dict__, "_held": [None, None], "_buffers": {}}

    def theta(self, params: np.ndarray) -> np.ndarray:
        """The network's parameter vector in the trainer's layout (a new array)."""
        return params[self.index]

    def params(self, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The trainer's layout back in the network's (into ``out`` if given)."""
        out = np.empty(self.n_params, dtype=theta.dtype) if out is None else out
        out[self.index] = theta
        return out

    def _views(self, flat: np.ndarray, slot: int) -> list[np.ndarray]:
        """Each level's block of ``flat`` (theta or a gradient), kept while it is the same
        array (a training run passes the same two every step)."""
        held = self._held[slot]
        if held is None or held[0] is not flat:
            views = [flat[a:b].reshape(shape) for (a, b), shape in zip(self._offsets, self._shapes)]
            held = self._held[slot] = (flat, views)
        return held[1]

    def _batch(self, n: int) -> tuple:
        """Per batch size: each level's input with its row of ones (the first one a
        transposed view of a sample-major buffer), pre-activations where a derivative needs
        them, the backward buffers, and the softmax's column indices and row buffers."""
        got = self._buffers.get(n)
        if got is None:
            dt = self.dtype
            sizes = [self.n_inputs] + [m for _, m in self._shapes]
            # the first level's input sample-major, (n, n_in + 1), seen transposed (BLAS is
            # faster on it so than on its node-major copy); the others node-major
            first = np.ones((n, sizes[0] + 1), dtype=dt)  # last column: ones
            ins = [first.T] + [np.ones((k + 1, n), dtype=dt) for k in sizes[1:-1]]  # last row: ones
            out = np.empty((sizes[-1], n), dtype=dt)
            zs = [np.empty((m, n), dtype=dt) if uses_z else None
                  for (_, m), (_, uses_z) in zip(self._shapes, self._acts)]  # fmt: skip
            deltas = [np.empty((k, n), dtype=dt) for k in sizes[1:-1]]
            softmax = (np.arange(n), np.empty(n, dtype=dt), np.empty(n, dtype=dt))
            got = self._buffers[n] = (ins, out, zs, deltas, softmax)
        return got

    def loss_and_grad(self, X: np.ndarray, y, loss: str, theta: np.ndarray, grad: np.ndarray):
        """The mean loss over the rows of X (n, n_in) with targets y (as
        ``networks.losses.check_targets`` gives them) at ``theta``; its gradient written into
        ``grad`` (the trainer's layout)."""
        buffers = self._batch(X.shape[0])
        buffers[0][0][:-1] = X.T
        return self._pass(buffers, y, loss, theta, grad)

    def loss_and_grad_rows(self, X1: np.ndarray, rows, y, loss: str, theta, grad):
        """:meth:`loss_and_grad` on the samples ``rows`` of X1 (N, n_in + 1), the data with
        a last column of ones: the batch is gathered straight into the first level's input."""
        buffers = self._batch(len(rows))
        X1.take(rows, axis=0, out=buffers[0][0].T, mode="clip")  # rows are in range
        return self._pass(buffers, y, loss, theta, grad)

    def _pass(self, buffers: tuple, y, loss: str, theta, grad) -> float:
        ins, out, zs, deltas, softmax = buffers
        A, G = self._views(theta, 0), self._views(grad, 1)
        last = len(A) - 1
        for k, (Ak, (code, _)) in enumerate(zip(A, self._acts)):
            h = out if k == last else ins[k + 1][:-1]
            np.matmul(Ak.T, ins[k], out=h)
            if zs[k] is not None:
                zs[k][...] = h
            if code is not None:
                ACTIVATIONS[code].f(h, h)
        if loss == "cross_entropy" and out.shape[0] > 1 and self._acts[-1][0] is None:
            value, d = _softmax_cross_entropy(out, y, *softmax), out
        else:
            value, d = output_grad(loss, out, y)  # d: (n_out, n)
        for k in range(last, -1, -1):
            code = self._acts[k][0]
            h = out if k == last else ins[k + 1][:-1]
            if code is not None:
                d *= ACTIVATIONS[code].df(zs[k], h)
            np.matmul(ins[k], d.T, out=G[k])
            if k:
                back = deltas[k - 1]
                np.matmul(A[k][:-1], d, out=back)
                d = back
        return value


def _softmax_cross_entropy(z: np.ndarray, y, cols, top, total) -> float:
    """The mean softmax cross-entropy of logits z (k, n) (node-major) for classes y (n,),
    returned; z is overwritten with its gradient (softmax - one-hot) / n."""
    n = z.shape[1]
    np.maximum.reduce(z, axis=0, out=top)
    z -= top
    picked = z[y, cols]  # the shifted logit of each sample's class
    np.exp(z, out=z)
    np.add.reduce(z, axis=0, out=total)
    value = float(np.add.reduce(np.log(total) - picked)) / n
    total *= n
    z /= total
    z[y, cols] -= 1.0 / n
    return value
