"""Evaluate many Graphs of different topologies together (NEAT's population).

The graphs are compiled as one disjoint union: every graph's input nodes share the input
rows, and all other nodes are ordered by topological level over the whole union, so one
level of every graph is computed at once, as one sparse matrix product (the union's weights
kept in compressed sparse row form). The Python loop runs once per level of the deepest
graph, never per graph, node or sample. Hidden nodes that reach no output are computed but
unused. With per-graph inputs (X of shape (P, n, n_in)) every graph gets input rows of its
own instead, and the same single pass over the levels computes every graph on its own batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

import numpy as np
from scipy import sparse

from .activations import ACTIVATIONS
from .checks import check_batches, check_dtype, check_inputs
from .graph import CONN_FIELDS, INPUT, NODE_FIELDS, OUTPUT, Graph
from .graph_algorithms import find_sorted
from .graph_algorithms import levels as _levels

__all__ = ["PopulationBatch", "forward_many"]

# the Graph fields evaluation reads (not the innovation numbers), in the schema's order
_NODE_FIELDS = NODE_FIELDS
_CONN_FIELDS = tuple(name for name in CONN_FIELDS if name not in ("conn_innov", "conn_recurrent"))
_FIELDS = _NODE_FIELDS + _CONN_FIELDS
_GET_NODE_FIELDS, _GET_CONN_FIELDS = itemgetter(*_NODE_FIELDS), itemgetter(*_CONN_FIELDS)


def _compiled_matvecs():
    """scipy's compiled CSR kernel, ``csr_matvecs(n_row, n_col, n_vec, indptr, indices,
    data, X, Y)``: Y += A @ X for C-ordered X (n_col, n_vec) and Y (n_row, n_vec), read and
    written in place. Called straight from our arrays it skips building a sparse matrix per
    level (tens of microseconds each, more than a NEAT-sized level takes to compute). It is
    not public scipy API, so it is checked on a small product first; None (and a sparse
    matrix per level instead) where it is missing or behaves differently."""
    try:
        from scipy.sparse._sparsetools import csr_matvecs

        X = np.array([[1.0, 2.0], [3.0, 4.0]])
        Y = np.array([[0.5, 0.5]])
        ptr, ind = np.array([0, 2], np.int64), np.array([1, 0], np.int64)
        csr_matvecs(1, 2, 2, ptr, ind, np.array([2.0, -1.0]), X.reshape(-1), Y.reshape(-1))
    except Exception:  # noqa: BLE001 - any failure means: do not use it
        return None
    return csr_matvecs if Y.tolist() == [[5.5, 6.5]] else None


_matvecs = _compiled_matvecs()


def _join(records: Sequence[np.ndarray]) -> np.ndarray:
    """np.concatenate(records) for Graphs' record arrays (always contiguous, of one dtype).
    For a population's many small arrays bytes.join, which copies the buffers without
    numpy's per-array overhead, is about twice as fast."""
    return np.frombuffer(b"".join(records), records[0].dtype)


class PopulationBatch:
    """A list of Graphs with the same numbers of inputs and outputs, compiled together.

    ``forward(X)``: X (n, n_in), or (P, n, n_in) one batch per graph, -> (P, n, n_out),
    equal (up to rounding) to compiling and running each Graph alone. ``n_enabled``: (P,)
    enabled connections of each graph.
    """

    def __init__(self, graphs: Sequence[Graph], *, dtype=np.float64) -> None:
        graphs = list(graphs)
        if not graphs:
            raise ValueError("forward_many needs at least one Graph")
        # each Graph's two record arrays (nodes, connections), joined: the fields of the
        # union are then views of two arrays, levels included
        try:
            nodes = [g._nodes for g in graphs]
            conns = [g._conns for g in graphs]
        except AttributeError:
            bad = next((type(g).__name__ for g in graphs if not isinstance(g, Graph)), None)
            if bad is None:
                raise ValueError(
                    "a Graph here has no records: was it pickled by another "
                    "neuroarena version? Move Graphs between versions as JSON"
                ) from None
            raise ValueError(f"forward_many needs networks.Graph objects, got a {bad}") from None
        P = len(graphs)
        n_nodes = np.fromiter(map(len, nodes), np.int64, P)
        n_conn = np.fromiter(map(len, conns), np.int64, P)
        node_rec, conn_rec = _join(nodes), _join(conns)
        _refuse_recurrent(conn_rec["conn_recurrent"], conn_rec["conn_enabled"])
        arrays = {name: node_rec[name] for name in _NODE_FIELDS}
        arrays.update({name: conn_rec[name] for name in _CONN_FIELDS})
        arrays["node_level"] = node_rec["node_level"]
        self._build(n_nodes, n_conn, arrays, dtype)

    @classmethod
    def from_arrays(cls, n_nodes, n_conn, arrays: dict, *, dtype=np.float64) -> PopulationBatch:
        """A batch from Graph arrays already concatenated graph after graph (as a population
        kept in one struct of arrays holds them), without building a Graph per genome.

        n_nodes, n_conn: (P,) nodes and connections of each graph; ``arrays``: the Graph
        fields node_id, node_kind, node_act, node_bias, conn_src, conn_dst, conn_weight and
        conn_enabled, each the concatenation over the graphs; optionally node_level, the
        nodes' topological levels (inputs 0, the others >= 1; computed here when missing or
        when any is -1). The graphs must be valid."""
        missing = [name for name in _FIELDS if name not in arrays]
        if missing:
            raise ValueError(f"PopulationBatch.from_arrays is missing {', '.join(missing)}")
        if "conn_recurrent" in arrays:
            _refuse_recurrent(arrays["conn_recurrent"], arrays["conn_enabled"])
        batch = cls.__new__(cls)
        n_nodes, n_conn = np.asarray(n_nodes, np.int64), np.asarray(n_conn, np.int64)
        if len(n_nodes) == 0 or len(n_nodes) != len(n_conn):
            raise ValueError("n_nodes and n_conn must give one count per graph, for >= 1 graph")
        if n_nodes.sum() != len(arrays["node_id"]) or n_conn.sum() != len(arrays["conn_src"]):
            raise ValueError("n_nodes / n_conn do not add up to the lengths of the arrays")
        batch._build(n_nodes, n_conn, arrays, dtype)
        return batch

    def _build(self, n_nodes: np.ndarray, n_conn: np.ndarray, arrays: dict, dtype) -> None:
        # With a NEAT-sized population every numpy call here costs about its fixed overhead,
        # so this makes as few calls as it can (no per-graph or per-node Python at all).
        self.dtype = check_dtype(dtype)
        P = self.n_graphs = len(n_nodes)
        node_id, kind, act, bias = _GET_NODE_FIELDS(arrays)
        c_src, c_dst, c_w, c_on = _GET_CONN_FIELDS(arrays)
        N = len(node_id)

        graph_no = np.arange(P)
        node_graph = graph_no.repeat(n_nodes)
        # (the array methods below skip the dispatch of their np.* wrappers: ~0.5 us a call)
        in_nodes, out_nodes = (kind == INPUT).nonzero()[0], (kind == OUTPUT).nonzero()[0]
        # every graph has n_i inputs and n_o outputs exactly when the graph numbers of the
        # input (output) nodes, in order, are 0, 0, ..., 1, 1, ... with n_i (n_o) of each
        n_i, n_o = len(in_nodes) // P, len(out_nodes) // P
        in_graph, out_graph = node_graph[in_nodes], node_graph[out_nodes]
        if (
            len(in_nodes) != n_i * P
            or len(out_nodes) != n_o * P
            or (in_graph != graph_no.repeat(n_i)).any()
            or (out_graph != graph_no.repeat(n_o)).any()
        ):
            n_in = np.bincount(in_graph, minlength=P)
            n_out = np.bincount(out_graph, minlength=P)
            i = int(np.flatnonzero((n_in != n_in[0]) | (n_out != n_out[0]))[0])
            raise ValueError(
                f"graph {i} has {n_in[i]} inputs and {n_out[i]} outputs, graph 0 has "
                f"{n_in[0]} and {n_out[0]}; a population must share its input and output sizes"
            )
        self.n_inputs, self.n_outputs = n_i, n_o
        on = c_on.nonzero()[0]
        e_graph = graph_no.repeat(n_conn)[on]
        self.n_enabled = np.bincount(e_graph, minlength=P)

        # node ids -> union node index, by (graph, id - base): a direct table when that is
        # small (the usual case), else a sorted search. Both ends of every enabled
        # connection are looked up at once, as the rows of ``ends`` (2, n_edges).
        base = int(node_id.min())
        span = int(node_id.max()) - base + 1
        ends = np.empty((2, len(on)), dtype=np.int64)
        c_src.take(on, out=ends[0])
        c_dst.take(on, out=ends[1])
        if P * span >= 1 << 62:  # (graph, id) keys would overflow int64: use the ids' ranks
            node_id, ends, base, span = _ranked(node_id, ends)
        key = node_graph * span
        key += node_id
        if base:
            key -= base
            ends -= base
        # a negative id - base wraps around to a huge unsigned value: one test for both sides
        if len(on) and int(ends.view(np.uint64).max()) >= span:
            raise ValueError("a connection names a node that does not exist in its graph")
        ends += e_graph * span
        if P * span <= 8 * N + 4096:
            table = np.empty(P * span, dtype=np.int64)
            table.fill(-1)
            table[key] = np.arange(N)
            idx = table[ends]
            missing = len(on) and int(idx.min()) < 0
        else:
            sorter = key.argsort(kind="stable")
            pos, found = find_sorted(key[sorter], ends)
            idx, missing = sorter[pos], not found.all()
        if missing:
            raise ValueError("a connection names a node that does not exist in its graph")
        src, dst = idx
        # levels: those the Graphs kept from their validation (over all their connections,
        # so valid for the enabled ones too) or, where any is unknown, computed here
        level = arrays.get("node_level")
        if level is None or (N and int(level.min()) < 0):
            level = _levels(N, src, dst, start=kind != INPUT)

        # rows: the shared inputs, then every non-input node by (level, activation), sorted
        # on one combined key. Inputs, and only they, are on level 0, so they sort first (in
        # graph order, which row_of relies on). Keys and rows small enough for 16 bits are
        # sorted as such: numpy sorts those by radix, several times quicker.
        n_act = len(ACTIVATIONS)
        node_key = level * n_act
        node_key += act
        other = _stable_order(node_key, int(level.max(initial=0) + 1) * n_act)[len(in_nodes) :]
        okey = node_key[other]
        n_other = len(other)
        self.n_rows = n_i + n_other
        row_of = np.empty(N, dtype=np.int64)
        if n_i:
            row_of[in_nodes] = np.arange(len(in_nodes)) % n_i
        row_of[other] = np.arange(n_i, self.n_rows)

        # edges in CSR order over the non-input rows: sorted by target row (stably, so each
        # row's edges keep their order and the sums their rounding); _indptr[r - n_i] is
        # where row r's edges start
        src_row, dst_row = row_of[idx]
        e_order = _stable_order(dst_row, self.n_rows)
        self._src_row = src_row[e_order]
        self._weight = c_w[on[e_order]].astype(self.dtype, copy=False)
        self._bias = bias[other].astype(self.dtype, copy=False)
        self._indptr = np.zeros(n_other + 1, dtype=np.int64)
        np.cumsum(np.bincount(dst_row, minlength=self.n_rows)[n_i:], out=self._indptr[1:])

        # runs of one (level, activation) over the sorted non-input nodes, grouped by level:
        # per level rows r0:r1 and activation runs (start, stop within the level, function),
        # or None and the level's one function
        self._levels = []
        if n_other:
            brk = np.empty(n_other, dtype=bool)
            brk[0] = True
            np.not_equal(okey[1:], okey[:-1], out=brk[1:])
            seg_start = brk.nonzero()[0]
            seg_key = okey[seg_start].tolist()
            seg_start = seg_start.tolist()
            seg_stop = seg_start[1:] + [n_other]
            by_level: dict[int, list] = {}
            for a, b, k in zip(seg_start, seg_stop, seg_key):
                by_level.setdefault(k // n_act, []).append((a, b, ACTIVATIONS[k % n_act].f))
            for segs in by_level.values():  # in increasing level
                a, b = segs[0][0], segs[-1][1]
                runs = None if len(segs) == 1 else tuple((s - a, t - a, f) for s, t, f in segs)
                self._levels.append((n_i + a, n_i + b, runs, segs[0][2]))
        self._sparse: dict[int, sparse.csr_matrix] = {}
        # grouped by graph, in each graph's output order
        self._out_rows = row_of[out_nodes].reshape(P, n_o)
        # the row layout with shared inputs; the one with per-graph inputs is derived from it
        # on first use (from the graph of each non-input row, kept here by reference only)
        self._shared = _Layout(
            n_i, self.n_rows, self._src_row, self._levels, self._out_rows, self._sparse
        )
        self._per_graph: _Layout | None = None
        self._node_graph, self._other = node_graph, other

    def _per_graph_layout(self) -> _Layout:
        """Rows for per-graph inputs: graph p's inputs on rows p * n_i .. (p + 1) * n_i, then
        the non-input rows as in the shared layout (shifted past all the input rows), so the
        weights, biases and edge order stay the same and only the edges' source rows move."""
        if self._per_graph is None:
            n_i, P = self.n_inputs, self.n_graphs
            shift = (P - 1) * n_i
            row_graph = self._node_graph[self._other]  # (n_rows - n_i,) graph of each row
            edge_graph = row_graph.repeat(np.diff(self._indptr))  # (n_edges,) in CSR order
            src = self._src_row
            src = np.where(src < n_i, edge_graph * n_i + src, src + shift)
            levels = [(r0 + shift, r1 + shift, runs, f) for r0, r1, runs, f in self._levels]
            self._per_graph = _Layout(
                P * n_i, self.n_rows + shift, src, levels, self._out_rows + shift, {}
            )
        return self._per_graph

    def _level_matrix(self, layout: _Layout, k: int) -> sparse.csr_matrix:
        """Level k's weights as a sparse (rows of the level, all rows) matrix (used only
        where scipy's compiled CSR product cannot be called directly)."""
        if k not in layout.sparse:
            r0, r1 = layout.levels[k][:2]
            ptr = self._indptr[r0 - layout.n_in : r1 - layout.n_in + 1]
            e0, e1 = int(ptr[0]), int(ptr[-1])
            layout.sparse[k] = sparse.csr_matrix(
                (self._weight[e0:e1], layout.src_row[e0:e1], ptr - e0),
                shape=(r1 - r0, layout.n_rows),
            )
        return layout.sparse[k]

    def forward(self, X, *, check: bool = True) -> np.ndarray:
        """Outputs of every graph: (P, n, n_out).

        - X (n, n_in): every graph on the same inputs;
        - X (P, n, n_in): graph p on its own inputs X[p] (one batch per graph), in the same
          one batched computation (every graph gets input rows of its own).

        check=False skips the checks and conversion (the optimizers' fast path): X must then
        be an ndarray of this batch's dtype, shaped as above.
        """
        if check:
            X = check_inputs(X, self.n_inputs, self.dtype, stacked=True)
            if X.ndim == 3:
                check_batches(X, self.n_graphs, "graphs")
        return self._forward(X)

    recurrent = False  # (a RecurrentBatch steps with state)

    def stepper(self):
        """``stepper(X) -> outputs``, one decision after another: for feed-forward graphs,
        the unchecked forward pass."""
        return self._forward

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """Unchecked forward: X (n, n_in) or (P, n, n_in) of self.dtype -> (P, n, n_out)."""
        if X.ndim == 2:
            layout = self._shared
            H = np.empty((layout.n_rows, X.shape[0]), dtype=self.dtype)
            H[: layout.n_in] = X.T
        else:
            layout = self._per_graph_layout()
            P, n, n_i = X.shape
            H = np.empty((layout.n_rows, n), dtype=self.dtype)
            H[: layout.n_in].reshape(P, n_i, n)[...] = X.transpose(0, 2, 1)
        H[layout.n_in :] = self._bias[:, None]  # each level then adds its weighted inputs
        n, n_in, n_rows = H.shape[1], layout.n_in, layout.n_rows
        flat = H.reshape(-1)
        matvecs, indptr, src, weight = _matvecs, self._indptr, layout.src_row, self._weight
        for k, (r0, r1, runs, f) in enumerate(layout.levels):
            out = H[r0:r1]
            if matvecs is not None:  # out += W_level @ H, straight from the CSR arrays
                ptr = indptr[r0 - n_in : r1 - n_in + 1]
                matvecs(r1 - r0, n_rows, n, ptr, src, weight, flat, flat[r0 * n : r1 * n])
            else:
                out += self._level_matrix(layout, k) @ H
            if runs is None:
                f(out, out)
            else:
                for a, b, g in runs:
                    g(out[a:b], out[a:b])
        return H[layout.out_rows].transpose(0, 2, 1)


class _Layout:
    """Where a batch's rows are: the first ``n_in`` rows hold inputs, ``n_rows`` in all;
    ``src_row`` (n_edges,) the source row of each edge in CSR order; ``levels`` the rows
    r0:r1 of each level with its activation runs; ``out_rows`` (P, n_out); ``sparse`` the
    fallback's per-level matrices, made on first use."""

    __slots__ = ("n_in", "n_rows", "src_row", "levels", "out_rows", "sparse")

    def __init__(self, n_in, n_rows, src_row, levels, out_rows, sparse_cache) -> None:
        self.n_in, self.n_rows, self.src_row = n_in, n_rows, src_row
        self.levels, self.out_rows, self.sparse = levels, out_rows, sparse_cache


def _refuse_recurrent(recurrent: np.ndarray, enabled: np.ndarray) -> None:
    if (recurrent & enabled).any():
        raise ValueError(
            "these Graphs have recurrent connections: compile them together with "
            "networks.RecurrentBatch, which steps them with state"
        )


def _ranked(node_id: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Node ids and connection ends replaced by the ids' ranks among all distinct ids (an id
    that is no node's gets a rank past the end), with the new base and span."""
    ids = np.unique(node_id)
    ranks, found = find_sorted(ids, ends)
    ranks[~found] = len(ids)
    return ids.searchsorted(node_id), ranks, 0, len(ids)


def _stable_order(keys: np.ndarray, bound: int) -> np.ndarray:
    """keys.argsort(kind="stable") for non-negative keys below ``bound``; keys that fit in
    16 bits are sorted as uint16, which numpy radix-sorts (3-4x quicker on ~1000 keys)."""
    if bound <= 1 << 16:
        keys = keys.astype(np.uint16)
    return keys.argsort(kind="stable")


def forward_many(graphs: Sequence[Graph], X, *, dtype=np.float64) -> np.ndarray:
    """Outputs of every Graph: X (n, n_in) shared by all, or X (P, n, n_in) one batch per
    Graph -> (P, n, n_out). See PopulationBatch."""
    return PopulationBatch(graphs, dtype=dtype).forward(X)
