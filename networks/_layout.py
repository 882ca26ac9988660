"""A compiled network's layout: its rows, and its levels, where each one reads, writes and
finds its parameters (the row and parameter layouts are described in ``networks.network``).

Private to ``networks``: :func:`layout` is the work of ``compile``, worked out from the
topology alone; every pass (forward, population, backward) walks its :class:`Level` s;
:func:`level_weights` turns a level's block of a parameter vector into its weight matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .graph import HIDDEN, INPUT, OUTPUT, Graph
from .graph_algorithms import levels as _levels
from .graph_algorithms import reaches

__all__ = ["Layout", "Level", "layout", "level_weights"]


@dataclass(frozen=True)
class Level:
    """One topological level of a compiled network (see ``networks.network``)."""

    start: int  # first row written
    stop: int
    lo: int  # sources are rows lo..hi (or the rows in `gather`)
    hi: int
    gather: np.ndarray | None
    flat: np.ndarray | None  # positions of the weights in the (m, s) matrix; None if dense
    w0: int  # weight block in params
    w1: int
    b1: int  # bias block is params[w1:b1]
    segments: tuple[tuple[int, int, int], ...]  # (row offset a, b, activation code)
    uses_z: bool
    shape: tuple[int, int]  # of the weight matrix: (m, s), m = stop - start
    # what the hot paths index with, worked out once: rows written, source rows (a slice or
    # the gather index), the weight and bias blocks of params, and the segments whose
    # activation is not the identity as (rows within the level, activation code)
    rows: slice
    src: slice | np.ndarray
    weights: slice
    bias: slice
    acts: tuple[tuple[slice, int], ...]


def level_weights(L: Level, params: np.ndarray) -> np.ndarray:
    """Weight matrices of level L: (..., m, s) for params (..., n_params)."""
    block = params[..., L.weights]
    if L.flat is None:
        return block.reshape(params.shape[:-1] + L.shape)
    W = np.zeros(params.shape[:-1] + (L.shape[0] * L.shape[1],), dtype=params.dtype)
    W[..., L.flat] = block
    return W.reshape(params.shape[:-1] + L.shape)


@dataclass(frozen=True)
class Layout:
    """What compiling a topology gives: sizes, levels, and where each parameter comes from
    in the Graph (params[weight_pos] = conn_weight[conn_index], params[bias_pos] =
    node_bias[bias_node])."""

    n_inputs: int
    n_outputs: int
    n_rows: int
    n_connections: int  # live ones: enabled and reaching an output
    n_params: int
    levels: tuple[Level, ...]
    weight_pos: np.ndarray
    conn_index: np.ndarray
    bias_pos: np.ndarray
    bias_node: np.ndarray


def layout(graph: Graph) -> Layout:
    """The layout of a Graph: drops disabled connections and hidden nodes that reach no
    output, orders the rest into topological levels (all outputs in the last) and rows
    (inputs, hidden nodes by level then activation, outputs), one weight block per level."""
    kind = graph.node_kind
    enabled = np.flatnonzero(graph.conn_enabled)
    src = graph.node_index(graph.conn_src[enabled])
    dst = graph.node_index(graph.conn_dst[enabled])
    out_nodes = np.flatnonzero(kind == OUTPUT)
    in_nodes = np.flatnonzero(kind == INPUT)
    keep = reaches(out_nodes, graph.n_nodes, src, dst) | (kind == INPUT)
    live = keep[dst]
    enabled, src, dst = enabled[live], src[live], dst[live]
    level = _levels(graph.n_nodes, src, dst, start=(kind != INPUT).astype(np.int64))
    depth = max(int(level[keep].max()), 1)
    level[out_nodes] = depth

    # rows: inputs, then hidden nodes by (level, activation), then outputs in order
    hid = np.flatnonzero(keep & (kind == HIDDEN))
    hid = hid[np.lexsort((graph.node_act[hid], level[hid]))]
    order = np.concatenate([in_nodes, hid, out_nodes])
    row_of = np.full(graph.n_nodes, -1, dtype=np.int64)
    row_of[order] = np.arange(len(order))
    n_inputs, n_outputs = len(in_nodes), len(out_nodes)
    row_level = level[order]
    row_act = graph.node_act[order]

    src_row, dst_row = row_of[src], row_of[dst]
    e_order = np.lexsort((src_row, dst_row))
    enabled, src_row, dst_row = enabled[e_order], src_row[e_order], dst_row[e_order]
    bounds = np.searchsorted(dst_row, np.r_[np.searchsorted(row_level, np.arange(1, depth + 2))])

    lv, weight_pos, bias_pos, conn_index = [], [], [], []
    p = 0
    for k in range(1, depth + 1):
        start, stop = np.searchsorted(row_level, [k, k + 1])
        if start == stop:
            continue
        e0, e1 = bounds[k - 1], bounds[k]
        s_rows, d_rows = src_row[e0:e1], dst_row[e0:e1] - start
        start, stop = int(start), int(stop)
        m = stop - start
        lo = int(s_rows.min()) if len(s_rows) else 0
        hi = int(s_rows.max()) + 1 if len(s_rows) else 0
        present = np.zeros(hi - lo, dtype=bool)  # np.unique, without the sort
        present[s_rows - lo] = True
        uniq = lo + np.flatnonzero(present)
        gather = None
        if len(uniq) * 2 < hi - lo:
            gather, cols = uniq, np.searchsorted(uniq, s_rows)
            width = int(len(uniq))
        else:
            cols, width = s_rows - lo, hi - lo
        flat = d_rows * width + cols
        dense = len(flat) == m * width
        w0 = p
        w1 = w0 + int(len(flat))
        b1 = w1 + m
        weight_pos.append(np.arange(w0, w1))
        conn_index.append(enabled[e0:e1])
        bias_pos.append(np.arange(w1, b1))
        acts = row_act[start:stop]
        cuts = np.flatnonzero(np.diff(acts)) + 1
        seg_starts, seg_stops = np.r_[0, cuts], np.r_[cuts, m]
        segments = tuple((int(a), int(b), int(acts[a])) for a, b in zip(seg_starts, seg_stops))
        lv.append(
            Level(
                int(start),
                int(stop),
                lo,
                hi,
                gather,
                None if dense else flat,
                w0,
                w1,
                b1,
                segments,
                any(ACTIVATIONS[c].uses_z for *_, c in segments),
                (m, width),
                slice(start, stop),
                slice(lo, hi) if gather is None else gather,
                slice(w0, w1),
                slice(w1, b1),
                tuple((slice(a, b), c) for a, b, c in segments if c != 0),
            )
        )
        p = b1
    weight_pos = np.concatenate(weight_pos) if weight_pos else np.zeros(0, np.int64)
    conn_index = np.concatenate(conn_index) if conn_index else np.zeros(0, np.int64)
    bias_pos = np.concatenate(bias_pos) if bias_pos else np.zeros(0, np.int64)
    return Layout(
        n_inputs,
        n_outputs,
        len(order),
        len(enabled),
        p,
        tuple(lv),
        weight_pos,
        conn_index,
        bias_pos,
        order[n_inputs:],
    )
