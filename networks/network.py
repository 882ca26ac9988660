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

Evaluation: ``forward`` (one parameter vector, or a population (P, n_params) on shared
inputs (n, n_in) or on inputs of each individual's own (P, n, n_in)), ``losses``;
gradients by reverse mode: ``loss_and_grad`` and ``vjp`` (the gradient of sum(d_out *
outputs) for any output gradient d_out), both over one backward pass. Every one of them
takes ``check=False``, which skips validation and conversion for callers that hand over
arrays already checked (the optimizers, once per batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .checks import check_batches, check_dtype, check_inputs
from .graph import HIDDEN, INPUT, OUTPUT, Graph
from .graph_algorithms import levels as _levels
from .graph_algorithms import reaches
from .losses import check_loss, check_targets, loss_grad, loss_value

__all__ = ["Network", "compile"]

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
        """Forward pass for params (n_params,) or (P, n_params), X (n, n_in) or, with params
        (P, n_params), (P, n, n_in). Returns the row buffer H (..., n_rows, n) and, with
        keep_z, the pre-activations of levels that need them."""
        lead = params.shape[:-1]
        n = X.shape[-2]
        H = np.empty(lead + (self.n_rows, n), dtype=self.dtype)
        H[..., : self.n_inputs, :] = X.T if X.ndim == 2 else X.transpose(0, 2, 1)
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
        """Unchecked forward: params (n_params,) and X (n, n_in) -> (n, n_out); params
        (P, n_params) and X (n, n_in) or (P, n, n_in) -> (P, n, n_out), computed in chunks of
        individuals that bound the row buffer."""
        if params.ndim == 1:
            return self._run(X, params)[0][-self.n_outputs :].T
        P, n = params.shape[0], X.shape[-2]
        per_individual = X.ndim == 3
        chunk = max(1, _POP_CHUNK_ELEMENTS // max(1, self.n_rows * n))
        out = np.empty((P, n, self.n_outputs), dtype=self.dtype)
        for i in range(0, P, chunk):
            Xi = X[i : i + chunk] if per_individual else X
            H = self._run(Xi, params[i : i + chunk])[0]
            out[i : i + chunk] = H[:, -self.n_outputs :, :].transpose(0, 2, 1)
        return out

    def _checked(self, X, params) -> tuple[np.ndarray, np.ndarray]:
        """X and params of a forward call, validated and converted: params None,
        (n_params,) or (P, n_params); X (n, n_in), or (P, n, n_in) with params (P, n_params)."""
        population = params is not None and np.ndim(params) == 2
        if not population and np.ndim(X) == 3:
            raise ValueError(
                f"inputs have shape {np.shape(X)}; inputs (P, n_samples, {self.n_inputs}), one "
                f"batch per individual, need params (P, {self.n_params})"
            )
        params = self._check_params(params, population=population)
        X = check_inputs(X, self.n_inputs, self.dtype, stacked=population)
        if X.ndim == 3:
            check_batches(X, len(params), "individuals")
        return X, params

    def forward(self, X, params=None, *, check: bool = True) -> np.ndarray:
        """Outputs of the network.

        - X (n, n_in), params None or (n_params,): (n, n_out);
        - X (n, n_in), params (P, n_params): every individual on the same inputs, in one
          batched call: (P, n, n_out);
        - X (P, n, n_in), params (P, n_params): individual p on its own inputs X[p] (e.g. a
          minibatch of its own): (P, n, n_out).

        check=False skips every check and conversion (the optimizers' fast path): X must then
        be an ndarray of this network's dtype and params None or an array of that dtype,
        shaped as above.
        """
        if check:
            X, params = self._checked(X, params)
        elif params is None:
            params = self.params
        return self._forward(X, params)

    __call__ = forward

    def losses(self, X, y, loss: str = "mse", params=None, *, check: bool = True) -> np.ndarray:
        """Mean loss of each individual of a population params (P, n_params) -> (P,); for
        params None or (n_params,), a 0-d array. X as for :meth:`forward`; y the targets of
        X's samples ((n, n_out) or (n,) as ``networks.losses.check_targets`` takes them),
        with X (P, n, n_in) one set per individual: (P, n, n_out) or (P, n).

        check=False: X and params as for ``forward(check=False)``, y as check_targets
        returns it (with the leading P axis for X (P, n, n_in)), loss a known name."""
        if check:
            check_loss(loss)
            X, params = self._checked(X, params)
            y = check_targets(loss, y, X.shape[-2], self.n_outputs, self.dtype, lead=X.shape[:-2])
        elif params is None:
            params = self.params
        return loss_value(loss, self._forward(X, params), y)

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

    def loss_and_grad(
        self, X, y, loss: str = "mse", params=None, *, check: bool = True
    ) -> tuple[float, np.ndarray]:
        """Mean loss over the samples X (n, n_in) with targets y, and its exact gradient
        (n_params,), by reverse mode, for one parameter vector params (n_params,) (None:
        the network's own).

        check=False skips the checks of X, y, loss and params (the optimizers' fast path): X
        must then be a (n, n_in) ndarray of this network's dtype, y as
        ``networks.losses.check_targets`` returns it, params None or (n_params,) of that
        dtype. A network without derivatives is refused either way."""
        if check:
            check_loss(loss)
            self.check_differentiable()
            X = check_inputs(X, self.n_inputs, self.dtype)
            y = check_targets(loss, y, X.shape[0], self.n_outputs, self.dtype)
            params = self._check_params(params, population=False)
        else:
            self.check_differentiable()
            if params is None:
                params = self.params
        H, Z = self._run(X, params, keep_z=True)
        value, d_out = loss_grad(loss, H[-self.n_outputs :].T, y)
        return value, self._backward(H, Z, d_out, params)

    def vjp(self, X, d_out, params=None, *, check: bool = True) -> np.ndarray:
        """Vector-Jacobian product: the gradient (n_params,) of sum(d_out * forward(X,
        params)) with respect to params, for X (n, n_in), d_out (n, n_out) and one
        parameter vector params (n_params,) (None: the network's own). Any loss built on
        the outputs gets its gradient from this and its own output gradient d_out.

        check=False skips the checks (X, d_out and params ndarrays of this network's dtype,
        shaped as above). A network without derivatives is refused either way."""
        self.check_differentiable()
        if check:
            X = check_inputs(X, self.n_inputs, self.dtype)
            params = self._check_params(params, population=False)
            d_out = self._check_output_grad(d_out, X.shape[0])
        elif params is None:
            params = self.params
        H, Z = self._run(X, params, keep_z=True)
        return self._backward(H, Z, d_out, params)

    def _check_output_grad(self, d_out, n: int) -> np.ndarray:
        try:
            d_out = np.asarray(d_out, dtype=self.dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"d_out is not numeric: {exc}") from None
        if d_out.shape != (n, self.n_outputs):
            raise ValueError(
                f"d_out has shape {d_out.shape}; expected ({n}, {self.n_outputs}), one row "
                "per sample and one column per output"
            )
        if not np.isfinite(d_out).all():
            raise ValueError("d_out contains NaN or inf")
        return d_out

    def _backward(
        self, H: np.ndarray, Z: dict, d_out: np.ndarray, params: np.ndarray
    ) -> np.ndarray:
        """The reverse pass: gradient (n_params,) of sum(d_out * outputs) for the forward
        pass ``H, Z = self._run(X, params, keep_z=True)`` of one parameter vector params
        (n_params,); d_out (n, n_out)."""
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
        return grad

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
