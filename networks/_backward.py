"""The reverse pass of gradient training over a compiled network's levels.

Private to ``networks``: ``Network`` works out :func:`backward_plan` once per topology and
runs :func:`backward` after each training forward pass (``loss_and_grad``, ``vjp``).
"""

from __future__ import annotations

import numpy as np

from ._layout import Level, level_weights
from .activations import ACTIVATIONS

__all__ = ["backward", "backward_plan"]


def backward_plan(levels: tuple[Level, ...], n_inputs: int, n_rows: int, n_outputs: int):
    """For each level in reverse order, where its gradient goes among the hidden source
    rows (None: nowhere, its sources are inputs): (columns of its weight matrix, then
    either a slice of rows not written yet and None, or (rows, positions) to write and
    (rows, positions) to add to). Fixed by the topology, so worked out once."""
    plan = []
    written = np.zeros(n_rows, dtype=bool)
    written[-n_outputs:] = True
    n_in = n_inputs
    for L in reversed(levels):
        if L.gather is None:
            first = max(L.lo, n_in)
            cols, rows = slice(first - L.lo, None), np.arange(first, L.hi)
        else:
            cols = np.flatnonzero(L.gather >= n_in)
            rows = L.gather[cols]
        if len(rows) == 0:
            plan.append(None)
            continue
        fresh = ~written[rows]
        if fresh.all() and rows[-1] - rows[0] + 1 == len(rows):
            plan.append((cols, slice(int(rows[0]), int(rows[-1]) + 1), None))
        else:
            new, old = np.flatnonzero(fresh), np.flatnonzero(~fresh)
            plan.append((cols, (rows[new], new), (rows[old], old)))
        written[rows] = True
    return tuple(plan)


def backward(
    levels: tuple[Level, ...],
    plan: tuple,
    n_params: int,
    H: np.ndarray,
    Z: dict,
    d_out: np.ndarray,
    params: np.ndarray,
) -> np.ndarray:
    """The reverse pass: gradient (n_params,) of sum(d_out * outputs) for the forward
    pass ``H, Z`` (row buffer (n_rows, n), pre-activations by level start) of one
    parameter vector params (n_params,); d_out (n, n_out); plan from :func:`backward_plan`."""
    dH = np.empty_like(H)
    dH[-d_out.shape[1] :] = d_out.T
    grad = np.empty(n_params, dtype=H.dtype)
    ones = np.ones(H.shape[1], dtype=H.dtype)  # bias gradients: dz @ ones
    for L, route in zip(reversed(levels), plan):
        dz = dH[L.rows]
        if L.acts:  # identity segments have derivative 1
            y_, z = H[L.rows], Z.get(L.start)
            for rows, code in L.acts:
                dzr = dz[rows]
                dzr *= ACTIVATIONS[code].df(None if z is None else z[rows], y_[rows])
        np.matmul(dz, ones, out=grad[L.bias])
        src = H[L.src]
        if L.flat is None:
            W = params[L.weights].reshape(L.shape)
            np.matmul(dz, src.T, out=grad[L.weights].reshape(L.shape))
        else:
            W = level_weights(L, params)
            grad[L.weights] = (dz @ src.T).ravel()[L.flat]
        # propagate to hidden source rows (inputs need no gradient)
        if route is not None:
            cols, assign, add = route
            back_W = W[:, cols].T
            if add is None:  # rows not written yet, contiguous: write in place
                np.matmul(back_W, dz, out=dH[assign])
            else:
                back = back_W @ dz
                dH[assign[0]] = back[assign[1]]
                dH[add[0]] += back[add[1]]
    return grad
