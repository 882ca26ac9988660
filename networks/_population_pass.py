"""The forward pass of many parameter vectors at once, over a compiled network's levels.

Private to ``networks``: ``Network`` works out :func:`population_plan` once per topology and
runs every forward evaluation, a single vector being a population of one, through
:func:`run_population`, a chunk of individuals at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._layout import Level, level_weights
from .activations import ACTIVATIONS

__all__ = ["PopLevel", "PopulationPlan", "population_plan", "run_population"]


@dataclass(frozen=True)
class PopLevel:
    """One level of the population evaluation (see :func:`population_plan`)."""

    rows: slice | None  # rows written in the population buffer; None: the outputs
    src: slice | np.ndarray  # its sources there
    x_src: slice | np.ndarray | None  # its sources in [X.T; ones] when all are inputs or ones
    take: np.ndarray | None  # params column of every entry of the (m, width) matrix
    wpos: np.ndarray | None  # else: entries holding the weights (None: bias not folded)
    bpos: np.ndarray | None  # and those holding the biases
    width: int


@dataclass(frozen=True)
class PopulationPlan:
    """A topology's population evaluation: its levels, whether shared inputs must be copied
    into the buffer, and the buffer's rows per individual."""

    levels: tuple[PopLevel, ...]
    fill: bool
    n_buf: int


def population_plan(levels: tuple[Level, ...], n_inputs: int, n_rows: int, n_outputs: int):
    """The population evaluation's layout, fixed by the topology: its buffer holds, for
    each individual, the inputs, a row of ones (row n_in), then the hidden rows (each one
    row further down than in the network's row buffer H); the outputs go to the caller's
    buffer. A level whose sources touch the row of ones (every level reading the inputs up
    to the last one or the hidden rows from the first one, and every gathering level: the
    two levels of a one-hidden-layer MLP) takes its biases into its matrix product, against
    that row, instead of a pass over its outputs. Returns a :class:`PopulationPlan`."""
    n_in = n_inputs
    plan, fill = [], False
    for L in levels:
        m, s = L.shape
        rows = np.arange(L.lo, L.hi) if L.gather is None else L.gather
        mapped = rows + (rows >= n_in)  # the sources' rows in the population buffer
        take = wpos = bpos = None
        if L.gather is not None or len(rows) == 0 or L.lo <= n_in <= L.hi:
            block = np.union1d(mapped, [n_in])
            width = len(block)
            cols = np.searchsorted(block, mapped)  # each source's column
            if L.flat is None:  # every (target, source) pair, target-major
                wpos = (np.arange(m)[:, None] * width + cols).ravel()
            else:
                to, col = np.divmod(L.flat, s)
                wpos = to * width + cols[col]
            bpos = np.arange(m) * width + int(np.searchsorted(block, n_in))
            index = np.full(m * width, -1, dtype=np.intp)
            index[wpos], index[bpos] = np.arange(L.w0, L.w1), np.arange(L.w1, L.b1)
            if (index >= 0).all():  # every entry is a parameter: one gather builds it
                take = index
        else:
            block, width = mapped, s
        contiguous = block[-1] - block[0] + 1 == len(block)
        src = slice(int(block[0]), int(block[-1]) + 1) if contiguous else block
        x_src = src if block[-1] <= n_in else None
        fill |= x_src is None and bool(block[0] < n_in)
        last = L.stop == n_rows
        out_rows = None if last else slice(L.start + 1, L.stop + 1)
        plan.append(PopLevel(out_rows, src, x_src, take, wpos, bpos, int(width)))
    return PopulationPlan(tuple(plan), fill, n_rows - n_outputs + 1)


def run_population(
    levels: tuple[Level, ...],
    pop: PopulationPlan,
    n_inputs: int,
    X: np.ndarray,
    params: np.ndarray,
    out: np.ndarray,
) -> None:
    """Outputs (c, n_out, n) into out of params (c, n_params) on X (n, n_in) or
    (c, n, n_in): per level one batched matrix product (the same product for every
    individual, whatever c), each level's sources a view of the buffer, or of [X.T; ones]
    broadcast over the individuals when the inputs are shared."""
    c, n, n_in, dtype = params.shape[0], X.shape[-2], n_inputs, out.dtype
    H = np.empty((c, pop.n_buf, n), dtype=dtype)
    H[:, n_in] = 1.0
    XA = None
    if X.ndim == 3:
        H[:, :n_in] = X.transpose(0, 2, 1)
    else:
        XA = np.empty((n_in + 1, n), dtype=dtype)
        XA[:n_in] = X.T
        XA[n_in] = 1.0
        if pop.fill:
            H[:, :n_in] = XA[:n_in]
    # gathers by take, not fancy indexing, whose results may come out in another memory
    # order for another c: the same product must see the same layouts whatever c is
    for L, S in zip(levels, pop.levels):
        if S.take is not None:
            W = params.take(S.take, axis=1).reshape(c, L.shape[0], S.width)
        elif S.wpos is not None:
            W = np.zeros((c, L.shape[0] * S.width), dtype=dtype)
            W[:, S.wpos] = params[:, L.weights]
            W[:, S.bpos] = params[:, L.bias]
            W = W.reshape(c, L.shape[0], S.width)
        else:
            W = level_weights(L, params)
        if XA is not None and S.x_src is not None:
            src = (XA[S.x_src] if isinstance(S.x_src, slice) else XA.take(S.x_src, 0))[None]
        else:
            src = H[:, S.src] if isinstance(S.src, slice) else H.take(S.src, axis=1)
        z = out if S.rows is None else H[:, S.rows]
        np.matmul(W, src, out=z)
        if S.wpos is None:  # the biases were not in the product
            z += params[:, L.bias, None]
        for rows, code in L.acts:
            zr = z[:, rows]
            ACTIVATIONS[code].f(zr, zr)
