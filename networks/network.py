"""The phenotype: a Graph compiled into dense numpy work, vectorised over samples.

``compile(graph)`` drops disabled connections and hidden nodes that reach no output, orders
the remaining nodes into topological levels (all outputs in the last level), and turns each
level into one matrix product. Activations live in a node-major buffer ``H`` of shape
(n_rows, n_samples), so every level reads and writes contiguous row blocks; a layered MLP
runs as exactly one matmul per layer.

Parameter layout (``Network.params``): for each level in order, the weights of the
connections entering it, target-major (sorted by target row, then source row), then the
biases of the level's nodes in row order. Rows: inputs in the graph's input order, then each
level's hidden nodes grouped by activation, then the outputs in the graph's output order.
For a layered MLP this is [W1 (h1, n_in) row-major, b1, W2, b2, ...].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .graph import HIDDEN, INPUT, OUTPUT, Graph
from .graph_algorithms import levels as _levels
from .graph_algorithms import reaches
from .losses import check_loss, check_targets, loss_grad, loss_value

__all__ = ["Network", "compile", "check_inputs"]

_POP_CHUNK_ELEMENTS = 1 << 23  # bound on a population buffer: P * rows * samples


@dataclass(frozen=True)
class _Level:
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

    @property
    def shape(self) -> tuple[int, int]:
        width = len(self.gather) if self.gather is not None else self.hi - self.lo
        return self.stop - self.start, width


def check_inputs(X, n_inputs: int, dtype=np.float64) -> np.ndarray:
    """X as a (n_samples, n_inputs) array of ``dtype``; ValueError saying what is wrong."""
    try:
        X = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"inputs are not numeric: {exc}") from None
    if X.ndim != 2:
        raise ValueError(
            f"inputs have shape {X.shape}; expected (n_samples, {n_inputs}) (use X.reshape(1, -1) for one sample)"
        )
    if X.shape[1] != n_inputs:
        raise ValueError(f"inputs have {X.shape[1]} columns; this network takes {n_inputs}")
    if not np.isfinite(X).all():
        raise ValueError("inputs contain NaN or inf; clean or drop those rows first")
    return X


def check_dtype(dtype) -> np.dtype:
    """``dtype`` as a numpy dtype if it is one networks compute in (float32 or float64);
    ValueError otherwise."""
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def compile(graph: Graph, *, dtype=np.float64) -> Network:  # noqa: A001 - the design's name
    """Compile a Graph into a Network (see the module docstring for the layout)."""
    return Network(graph, dtype=dtype)


class Network:
    """A compiled Graph. See the module docstring for the row and parameter layouts."""

    def __init__(self, graph: Graph, *, dtype=np.float64) -> None:
        if not isinstance(graph, Graph):
            raise ValueError(f"compile needs a networks.Graph, got {type(graph).__name__}")
        self.graph, self.dtype = graph, check_dtype(dtype)
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
        self.n_inputs, self.n_outputs = len(in_nodes), len(out_nodes)
        self.n_rows = len(order)
        self.n_connections = len(enabled)
        self.n_enabled = graph.n_enabled  # enabled connections, dead ends included (metering)
        row_level = level[order]
        row_act = graph.node_act[order]

        src_row, dst_row = row_of[src], row_of[dst]
        e_order = np.lexsort((src_row, dst_row))
        enabled, src_row, dst_row = enabled[e_order], src_row[e_order], dst_row[e_order]
        bounds = np.searchsorted(
            dst_row, np.r_[np.searchsorted(row_level, np.arange(1, depth + 2))]
        )

        lv, weight_pos, bias_pos, conn_index = [], [], [], []
        p = 0
        for k in range(1, depth + 1):
            start, stop = np.searchsorted(row_level, [k, k + 1])
            if start == stop:
                continue
            e0, e1 = bounds[k - 1], bounds[k]
            s_rows, d_rows = src_row[e0:e1], dst_row[e0:e1] - start
            m = stop - start
            lo = int(s_rows.min()) if len(s_rows) else 0
            hi = int(s_rows.max()) + 1 if len(s_rows) else 0
            uniq = np.unique(s_rows)
            gather = None
            if len(uniq) * 2 < hi - lo:
                gather, cols = uniq, np.searchsorted(uniq, s_rows)
                width = len(uniq)
            else:
                cols, width = s_rows - lo, hi - lo
            flat = d_rows * width + cols
            dense = len(flat) == m * width
            w0 = p
            w1 = w0 + len(flat)
            b1 = w1 + m
            weight_pos.append(np.arange(w0, w1))
            conn_index.append(enabled[e0:e1])
            bias_pos.append(np.arange(w1, b1))
            acts = row_act[start:stop]
            cuts = np.flatnonzero(np.diff(acts)) + 1
            seg_starts, seg_stops = np.r_[0, cuts], np.r_[cuts, m]
            segments = tuple((int(a), int(b), int(acts[a])) for a, b in zip(seg_starts, seg_stops))
            lv.append(
                _Level(
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
                )
            )
            p = b1
        self._levels = tuple(lv)
        self.n_params = p
        self._weight_pos = np.concatenate(weight_pos) if weight_pos else np.zeros(0, np.int64)
        self._conn_index = np.concatenate(conn_index) if conn_index else np.zeros(0, np.int64)
        self._bias_pos = np.concatenate(bias_pos) if bias_pos else np.zeros(0, np.int64)
        self._bias_node = order[self.n_inputs :]
        params = np.empty(p, dtype=dtype)
        params[self._weight_pos] = graph.conn_weight[self._conn_index]
        params[self._bias_pos] = graph.node_bias[self._bias_node]
        params.flags.writeable = False
        self.params = params
        self.differentiable = graph.differentiable
        self.depth = len(self._levels)
        self._plan = None  # the backward pass's routing, worked out on first use

    # ------------------------------------------------------------------ parameters
    def to_graph(self, params=None) -> Graph:
        """The source Graph with weights and biases taken from ``params`` (n_params,)."""
        params = self._check_params(params, population=False).astype(np.float64)
        if not np.isfinite(params).all():
            i = int(np.flatnonzero(~np.isfinite(params))[0])
            raise ValueError(
                f"params[{i}] is {params[i]}; a Graph's weights and biases must be finite"
            )
        weight = self.graph.conn_weight.copy()
        weight[self._conn_index] = params[self._weight_pos]
        bias = self.graph.node_bias.copy()
        bias[self._bias_node] = params[self._bias_pos]
        return self.graph.replace(conn_weight=weight, node_bias=bias)

    def _check_params(self, params, *, population: bool) -> np.ndarray:
        if params is None:
            return self.params[None] if population else self.params
        params = np.asarray(params, dtype=self.dtype)
        if params.ndim == 1 and params.shape[0] == self.n_params:
            return params[None] if population else params
        if population and params.ndim == 2 and params.shape[1] == self.n_params:
            return params
        want = f"({self.n_params},)" + (f" or (P, {self.n_params})" if population else "")
        raise ValueError(f"params have shape {params.shape}; this network needs {want}")

    def _weights(self, L: _Level, params: np.ndarray) -> np.ndarray:
        """Weight matrices of level L: (..., m, s) for params (..., n_params)."""
        block = params[..., L.w0 : L.w1]
        shape = params.shape[:-1] + L.shape
        if L.flat is None:
            return block.reshape(shape)
        W = np.zeros(params.shape[:-1] + (L.shape[0] * L.shape[1],), dtype=params.dtype)
        W[..., L.flat] = block
        return W.reshape(shape)

    # ------------------------------------------------------------------ forward
    def _run(self, X: np.ndarray, params: np.ndarray, keep_z: bool = False):
        """Forward pass for params (n_params,) or (P, n_params). Returns the row buffer H
        (..., n_rows, n) and, with keep_z, the pre-activations of levels that need them."""
        lead = params.shape[:-1]
        n = X.shape[0]
        H = np.empty(lead + (self.n_rows, n), dtype=self.dtype)
        H[..., : self.n_inputs, :] = X.T
        Z = {}
        for L in self._levels:
            W = self._weights(L, params)
            src = H[..., L.lo : L.hi, :] if L.gather is None else H[..., L.gather, :]
            z = H[..., L.start : L.stop, :]
            np.matmul(W, src, out=z)
            z += params[..., L.w1 : L.b1, None]
            if keep_z and L.uses_z:
                Z[L.start] = z.copy()
            for a, b, code in L.segments:
                ACTIVATIONS[code].f(z[..., a:b, :], z[..., a:b, :])
        return H, Z

    def _forward(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Unchecked forward: X (n, n_in) of self.dtype; params (n_params,) -> (n, n_out)
        or (P, n_params) -> (P, n, n_out)."""
        if params.ndim == 1:
            return self._run(X, params)[0][-self.n_outputs :].T
        P, n = params.shape[0], X.shape[0]
        chunk = max(1, _POP_CHUNK_ELEMENTS // max(1, self.n_rows * n))
        out = np.empty((P, n, self.n_outputs), dtype=self.dtype)
        for i in range(0, P, chunk):
            H = self._run(X, params[i : i + chunk])[0]
            out[i : i + chunk] = H[:, -self.n_outputs :, :].transpose(0, 2, 1)
        return out

    def forward(self, X, params=None) -> np.ndarray:
        """Outputs for X (n, n_in): (n, n_out); with params (P, n_params), the outputs of a
        whole population of this topology in one batched call: (P, n, n_out)."""
        X = check_inputs(X, self.n_inputs, self.dtype)
        population = params is not None and np.ndim(params) == 2
        return self._forward(X, self._check_params(params, population=population))

    __call__ = forward

    def losses(self, X, y, loss: str = "mse", params=None) -> np.ndarray:
        """Mean loss of each individual of a population params (P, n_params) -> (P,);
        for params None or (n_params,), a 0-d array."""
        check_loss(loss)
        X = check_inputs(X, self.n_inputs, self.dtype)
        y = check_targets(loss, y, X.shape[0], self.n_outputs, self.dtype)
        population = params is not None and np.ndim(params) == 2
        return loss_value(
            loss, self._forward(X, self._check_params(params, population=population)), y
        )

    # ------------------------------------------------------------------ gradient
    def check_differentiable(self) -> None:
        """ValueError naming the activations that have no derivative, if any."""
        if not self.differentiable:
            kinds = self.graph.node_kind != INPUT
            names = sorted(
                {
                    ACTIVATIONS[int(c)].name
                    for c in self.graph.node_act[kinds]
                    if not ACTIVATIONS[int(c)].differentiable
                }
            )
            raise ValueError(
                f"activation(s) {', '.join(names)} have no derivative; gradient training needs differentiable activations (e.g. sigmoid, tanh, relu)"
            )

    def loss_and_grad(self, X, y, loss: str = "mse", params=None) -> tuple[float, np.ndarray]:
        """Mean loss over the samples and its exact gradient (n_params,), by reverse mode."""
        check_loss(loss)
        self.check_differentiable()
        X = check_inputs(X, self.n_inputs, self.dtype)
        y = check_targets(loss, y, X.shape[0], self.n_outputs, self.dtype)
        return self._loss_and_grad(X, y, loss, self._check_params(params, population=False))

    def _loss_and_grad(self, X, y, loss: str, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Unchecked: X, y validated, params (n_params,) of self.dtype."""
        H, Z = self._run(X, params, keep_z=True)
        value, d_out = loss_grad(loss, H[-self.n_outputs :].T, y)
        dH = np.empty_like(H)
        dH[-self.n_outputs :] = d_out.T
        grad = np.empty(self.n_params, dtype=self.dtype)
        if self._plan is None:
            self._plan = self._backward_plan()
        for L, route in zip(reversed(self._levels), self._plan):
            dz = dH[L.start : L.stop]
            y_ = H[L.start : L.stop]
            z = Z.get(L.start)
            for a, b, code in L.segments:
                if code != 0:  # identity: derivative 1
                    dz[a:b] *= ACTIVATIONS[code].df(None if z is None else z[a:b], y_[a:b])
            np.sum(dz, axis=1, out=grad[L.w1 : L.b1])
            src = H[L.lo : L.hi] if L.gather is None else H[L.gather]
            m, s = L.shape
            if L.flat is None:
                np.matmul(dz, src.T, out=grad[L.w0 : L.w1].reshape(m, s))
            else:
                grad[L.w0 : L.w1] = (dz @ src.T).ravel()[L.flat]
            # propagate to hidden source rows (inputs need no gradient)
            if route is not None:
                cols, assign, add = route
                back_W = self._weights(L, params)[:, cols].T
                if add is None:  # rows not written yet, contiguous: write in place
                    np.matmul(back_W, dz, out=dH[assign])
                else:
                    back = back_W @ dz
                    dH[assign[0]] = back[assign[1]]
                    dH[add[0]] += back[add[1]]
        return value, grad

    def _backward_plan(self) -> tuple:
        """For each level in reverse order, where its gradient goes among the hidden source
        rows (None: nowhere, its sources are inputs): (columns of its weight matrix, then
        either a slice of rows not written yet and None, or (rows, positions) to write and
        (rows, positions) to add to). Fixed by the topology, so worked out once."""
        plan = []
        written = np.zeros(self.n_rows, dtype=bool)
        written[-self.n_outputs :] = True
        n_in = self.n_inputs
        for L in reversed(self._levels):
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

    def __repr__(self) -> str:
        return (
            f"Network(inputs={self.n_inputs}, outputs={self.n_outputs}, levels={self.depth}, "
            f"connections={self.n_connections}, params={self.n_params}, dtype={self.dtype})"
        )
