"""Evaluate many Graphs of different topologies together (NEAT's population).

The graphs are compiled as one disjoint union: every graph's input nodes share the input
rows, and all other nodes are ordered by topological level over the whole union, so one
level of every graph is computed at once with a scatter-add (few samples) or a sparse
matrix product (many samples). The Python loop runs once per level of the deepest graph,
never per graph, node or sample. Hidden nodes that reach no output are computed but unused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from .activations import ACTIVATIONS
from .graph import INPUT, OUTPUT, Graph
from .graph_algorithms import levels as _levels
from .network import check_inputs

__all__ = ["PopulationBatch", "forward_many"]

_FIELDS = ("node_kind", "node_act", "node_bias", "conn_dst", "conn_weight", "conn_enabled")
_SCATTER_LIMIT = 1 << 16  # edges x samples of one level below which a scatter-add is used


class PopulationBatch:
    """A list of Graphs with the same numbers of inputs and outputs, compiled together.

    ``forward(X)``: X (n, n_in) -> (P, n, n_out), equal (up to rounding) to compiling and
    running each Graph alone. ``n_enabled``: (P,) enabled connections of each graph.
    """

    def __init__(self, graphs: Sequence[Graph], *, dtype=np.float64) -> None:
        graphs = list(graphs)
        if not graphs:
            raise ValueError("forward_many needs at least one Graph")
        if not all(isinstance(g, Graph) for g in graphs):
            bad = next(type(g).__name__ for g in graphs if not isinstance(g, Graph))
            raise ValueError(f"forward_many needs networks.Graph objects, got a {bad}")
        ids = [g.node_id for g in graphs]
        srcs = [g.conn_src for g in graphs]
        arrays = {name: np.concatenate([getattr(g, name) for g in graphs]) for name in _FIELDS}
        arrays["node_id"], arrays["conn_src"] = np.concatenate(ids), np.concatenate(srcs)
        n_nodes = np.fromiter(map(len, ids), np.int64, len(graphs))
        n_conn = np.fromiter(map(len, srcs), np.int64, len(graphs))
        self._build(n_nodes, n_conn, arrays, dtype)

    @classmethod
    def from_arrays(cls, n_nodes, n_conn, arrays: dict, *, dtype=np.float64) -> PopulationBatch:
        """A batch from Graph arrays already concatenated graph after graph (as a population
        kept in one struct of arrays holds them), without building a Graph per genome.

        n_nodes, n_conn: (P,) nodes and connections of each graph; ``arrays``: the Graph
        fields node_id, node_kind, node_act, node_bias, conn_src, conn_dst, conn_weight and
        conn_enabled, each the concatenation over the graphs. The graphs must be valid."""
        missing = [name for name in ("node_id", "conn_src", *_FIELDS) if name not in arrays]
        if missing:
            raise ValueError(f"PopulationBatch.from_arrays is missing {', '.join(missing)}")
        batch = cls.__new__(cls)
        n_nodes, n_conn = np.asarray(n_nodes, np.int64), np.asarray(n_conn, np.int64)
        if len(n_nodes) == 0 or len(n_nodes) != len(n_conn):
            raise ValueError("n_nodes and n_conn must give one count per graph, for >= 1 graph")
        if n_nodes.sum() != len(arrays["node_id"]) or n_conn.sum() != len(arrays["conn_src"]):
            raise ValueError("n_nodes / n_conn do not add up to the lengths of the arrays")
        batch._build(n_nodes, n_conn, arrays, dtype)
        return batch

    def _build(self, n_nodes: np.ndarray, n_conn: np.ndarray, arrays: dict, dtype) -> None:
        self.dtype = np.dtype(dtype)
        P = self.n_graphs = len(n_nodes)
        node_id, kind, act, bias = (
            arrays[k] for k in ("node_id", "node_kind", "node_act", "node_bias")
        )
        c_src, c_dst, c_w, c_on = (
            arrays[k] for k in ("conn_src", "conn_dst", "conn_weight", "conn_enabled")
        )

        node_graph = np.repeat(np.arange(P), n_nodes)
        conn_graph = np.repeat(np.arange(P), n_conn)
        is_in, is_out = kind == INPUT, kind == OUTPUT
        n_in = np.bincount(node_graph[is_in], minlength=P)
        n_out = np.bincount(node_graph[is_out], minlength=P)
        if (n_in != n_in[0]).any() or (n_out != n_out[0]).any():
            i = int(np.flatnonzero((n_in != n_in[0]) | (n_out != n_out[0]))[0])
            raise ValueError(
                f"graph {i} has {n_in[i]} inputs and {n_out[i]} outputs, graph 0 has "
                f"{n_in[0]} and {n_out[0]}; a population must share its input and output sizes"
            )
        self.n_inputs, self.n_outputs = int(n_in[0]), int(n_out[0])
        self.n_enabled = np.bincount(conn_graph[c_on], minlength=P)

        # node ids -> union node index, by (graph, id - base): a direct table when that is
        # small (the usual case), else a sorted search
        base = int(node_id.min())
        span = int(node_id.max()) - base + 1
        key = node_graph * span + (node_id - base)
        on = np.flatnonzero(c_on)
        e_graph = conn_graph[on]
        dense = P * span <= 8 * len(node_id) + 4096
        if dense:
            table = np.full(P * span, -1, dtype=np.int64)
            table[key] = np.arange(len(node_id))
        else:
            sorter = np.argsort(key, kind="stable")

        def lookup(ids):
            missing = len(ids) and (int(ids.min()) < base or int(ids.max()) >= base + span)
            if not missing:
                k = e_graph * span + (ids - base)
                if dense:
                    idx = table[k]
                    missing = (idx < 0).any()
                else:
                    idx = sorter[np.minimum(np.searchsorted(key, k, sorter=sorter), len(key) - 1)]
                    missing = not np.array_equal(key[idx], k)
            if missing:
                raise ValueError("a connection names a node that does not exist in its graph")
            return idx

        src, dst = lookup(c_src[on]), lookup(c_dst[on])
        level = _levels(len(node_id), src, dst, start=(~is_in).astype(np.int64))

        # rows: the shared inputs, then every non-input node by (level, activation)
        in_rank = np.cumsum(is_in) - 1 - np.repeat(np.cumsum(n_in) - n_in, n_nodes)
        other = np.flatnonzero(~is_in)
        other = other[np.lexsort((act[other], level[other]))]
        row_of = np.empty(len(node_id), dtype=np.int64)
        row_of[is_in] = in_rank[is_in]
        row_of[other] = self.n_inputs + np.arange(len(other))
        self.n_rows = self.n_inputs + len(other)
        row_level = np.concatenate([np.zeros(self.n_inputs, np.int64), level[other]])
        row_act = act[other]
        self._bias = bias[other].astype(self.dtype)

        src_row, dst_row = row_of[src], row_of[dst]
        e_order = np.argsort(dst_row, kind="stable")
        self._src_row = src_row[e_order]
        self._dst_row = dst_row[e_order]
        self._weight = c_w[on][e_order].astype(self.dtype)

        depth = int(row_level.max()) if len(other) else 0
        row_bounds = np.searchsorted(row_level, np.arange(1, depth + 2)).tolist()
        edge_bounds = np.searchsorted(self._dst_row, row_bounds).tolist()
        # runs of one activation within a level, for all levels at once: (level, start, stop,
        # activation) over the non-input rows, which are sorted by (level, activation)
        other_level = row_level[self.n_inputs :]
        change = (
            np.flatnonzero((other_level[1:] != other_level[:-1]) | (row_act[1:] != row_act[:-1]))
            + 1
        )
        starts = np.concatenate([[0], change]).astype(np.int64) + self.n_inputs
        stops = np.concatenate([change + self.n_inputs, [self.n_rows]]).astype(np.int64)
        segments: list[list] = [[] for _ in range(depth)]
        if len(other):
            for k, a, b, code in zip(
                (row_level[starts] - 1).tolist(),
                starts.tolist(),
                stops.tolist(),
                row_act[starts - self.n_inputs].tolist(),
            ):
                r0 = row_bounds[k]
                segments[k].append((a - r0, b - r0, code))
        # the scatter path sums each target's run of edges (edges are sorted by target row)
        # with np.add.reduceat: where each run starts, and which row of the level it fills
        new_target = np.ones(len(self._dst_row), dtype=bool)
        np.not_equal(self._dst_row[1:], self._dst_row[:-1], out=new_target[1:])
        first = np.flatnonzero(new_target)
        run_bounds = np.searchsorted(first, edge_bounds).tolist()
        # per level: rows r0:r1, edges e0:e1, activation runs, and views the forward pass
        # reads (source rows, weights as a column, biases as a column, run starts within
        # the level's edges, and the run's rows within the level, None when every row has one)
        self._levels = []
        for k in range(depth):
            r0, r1, e0, e1 = row_bounds[k], row_bounds[k + 1], edge_bounds[k], edge_bounds[k + 1]
            runs = first[run_bounds[k] : run_bounds[k + 1]]
            run_rows = self._dst_row[runs] - r0
            self._levels.append(
                (
                    r0,
                    r1,
                    e0,
                    e1,
                    tuple(segments[k]),
                    self._src_row[e0:e1],
                    self._weight[e0:e1, None],
                    self._bias[r0 - self.n_inputs : r1 - self.n_inputs, None],
                    runs - e0,
                    None if len(runs) == r1 - r0 else run_rows,
                )
            )
        self._sparse: dict[int, sparse.csr_matrix] = {}

        out_nodes = np.flatnonzero(is_out)  # grouped by graph, in each graph's output order
        self._out_rows = row_of[out_nodes].reshape(P, self.n_outputs)

    def _level_matrix(self, k: int) -> sparse.csr_matrix:
        if k not in self._sparse:
            r0, r1, e0, e1 = self._levels[k][:4]
            d = self._dst_row[e0:e1] - r0
            indptr = np.searchsorted(d, np.arange(r1 - r0 + 1))
            self._sparse[k] = sparse.csr_matrix(
                (self._weight[e0:e1], self._src_row[e0:e1], indptr), shape=(r1 - r0, self.n_rows)
            )
        return self._sparse[k]

    def forward(self, X) -> np.ndarray:
        """Outputs of every graph: X (n, n_in) -> (P, n, n_out)."""
        X = check_inputs(X, self.n_inputs, self.dtype)
        return self._forward(X)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        n = X.shape[0]
        H = np.empty((self.n_rows, n), dtype=self.dtype)
        H[: self.n_inputs] = X.T
        for k, (r0, r1, e0, e1, segs, src, weight, bias, runs, rows) in enumerate(self._levels):
            if e1 == e0:  # only constant nodes
                z = np.zeros((r1 - r0, n), dtype=self.dtype)
            elif (e1 - e0) * n <= _SCATTER_LIMIT:
                contrib = H[src]
                contrib *= weight
                if rows is None:  # every node of the level has incoming edges
                    z = np.add.reduceat(contrib, runs, axis=0)
                else:
                    z = np.zeros((r1 - r0, n), dtype=self.dtype)
                    z[rows] = np.add.reduceat(contrib, runs, axis=0)
            else:
                z = self._level_matrix(k) @ H
            z += bias
            out = H[r0:r1]
            for a, b, code in segs:
                ACTIVATIONS[code].f(z[a:b], out[a:b])
        return H[self._out_rows].transpose(0, 2, 1)


def forward_many(graphs: Sequence[Graph], X, *, dtype=np.float64) -> np.ndarray:
    """Outputs of every Graph on the same X: (P, n, n_out). See PopulationBatch."""
    return PopulationBatch(graphs, dtype=dtype).forward(X)
