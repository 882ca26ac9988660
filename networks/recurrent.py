"""Graphs with recurrent connections, compiled to networks that step with state.

A recurrent connection carries its source's value from the previous time step. Every
compiled form here reduces one time step to a feed-forward pass of the machinery that
already exists (``networks.network``, ``networks.population``), on an *unrolled* Graph:

- each node that a recurrent connection leaves (a memory source: hidden or output) gets a
  memory input, and the recurrent connections leave that input instead;
- each hidden memory source gets a memory output, fed from it by a connection of weight 1
  (an output's value is read from the output itself).

One step takes [observations, memory] and gives [outputs, memory outputs]; the next
memory is gathered from the latter (the state starts at 0, as in NEAT). The unrolling is
done on concatenated Graph arrays, for one Graph or a whole population at once (each
graph padded to the population's largest memory, so they share their input and output
sizes): no Python loop per graph or per node.

- :class:`RecurrentNetwork` (``compile`` of a recurrent Graph): one topology, its flat
  parameter vector that of the Graph (the copying weights are fixed, not parameters), so
  weight search works on it unchanged.
- :class:`RecurrentBatch`: Graphs of any topologies, recurrent or not, compiled together.

Both step with ``step(X, state) -> (outputs, state)`` and give a :class:`Stepper` that
keeps the state between decisions. Gradients through time are not provided.
"""

from __future__ import annotations

import numpy as np

from .activations import activation_code
from .graph import CONN_FIELDS, HIDDEN, INPUT, NODE_FIELDS, OUTPUT, Graph
from .graph_algorithms import find_sorted

__all__ = ["RecurrentNetwork", "RecurrentBatch", "Stepper", "unroll"]

_ACT_IDENTITY = activation_code("identity")


def _segment_rank(owner: np.ndarray, n: int) -> np.ndarray:
    """Position of each element within its owner's run (``owner`` sorted)."""
    starts = np.searchsorted(owner, np.arange(n))
    return np.arange(len(owner)) - starts[owner]


def unroll(node_off: np.ndarray, conn_off: np.ndarray, arrays: dict) -> tuple[dict, dict]:
    """The unrolled form (see the module docstring) of Graphs concatenated graph after
    graph (offsets (P + 1,) into the node and connection fields of ``arrays``).

    Returns (``out``, ``info``): ``out`` the unrolled graphs' fields and offsets (feed-forward
    only; the disabled recurrent connections dropped), ``info`` with ``n_memory`` M (memory
    inputs per graph), ``n_copies`` (memory outputs per graph), ``state_cols`` (P, M) the
    column of the step's outputs that each memory input reads next, ``conn_from`` the
    original connection of each unrolled one (-1: a copying connection) and ``node_from``
    likewise for nodes."""
    P = len(node_off) - 1
    n_nodes, n_conn = np.diff(node_off), np.diff(conn_off)
    node_owner = np.repeat(np.arange(P), n_nodes)
    conn_owner = np.repeat(np.arange(P), n_conn)
    node_id, kind = arrays["node_id"], arrays["node_kind"]
    src, rec, on = arrays["conn_src"], arrays["conn_recurrent"], arrays["conn_enabled"]
    live_rec = rec & on

    # memory sources: the distinct (graph, source) pairs of the enabled recurrent connections
    lo = int(node_id.min())
    span = int(node_id.max()) - lo + 1
    node_key = node_owner * span + (node_id - lo)
    key_order = np.argsort(node_key, kind="stable")
    rec_key = conn_owner[live_rec] * span + (src[live_rec] - lo)
    mem_key = np.unique(rec_key)
    mem_owner = mem_key // span
    pos, _ = find_sorted(node_key[key_order], mem_key)
    mem_node = key_order[pos]  # the source's position in the node arrays
    mem_rank = _segment_rank(mem_owner, P)
    counts = np.bincount(mem_owner, minlength=P)
    M = int(counts.max(initial=0))
    hidden = kind[mem_node] == HIDDEN
    h_owner = mem_owner[hidden]
    h_rank = _segment_rank(h_owner, P)
    H = int(np.bincount(h_owner, minlength=P).max(initial=0))

    n_out = int(np.count_nonzero(kind[node_off[0] : node_off[1]] == OUTPUT)) if P else 0
    # the column each memory input reads: an output's own column, or its copy's
    out_rank = np.full(len(node_id), -1, dtype=np.int64)
    is_out = np.flatnonzero(kind == OUTPUT)
    out_rank[is_out] = _segment_rank(node_owner[is_out], P)
    cols = np.where(hidden, 0, out_rank[mem_node])
    cols[hidden] = n_out + h_rank
    state_cols = np.zeros((P, M), dtype=np.int64)
    state_cols[mem_owner, mem_rank] = cols

    # new node ids above each graph's own; M memory inputs then H memory outputs per graph
    seg_start = node_off[:-1]
    base = np.maximum.reduceat(node_id, seg_start) + 1 if len(node_id) else np.zeros(P, np.int64)
    new_owner = np.repeat(np.arange(P), M + H)
    slot = np.tile(np.arange(M + H), P)
    new_nodes = {
        "node_id": base[new_owner] + slot,
        "node_kind": np.where(slot < M, INPUT, OUTPUT).astype(np.int8),
        "node_act": np.full(len(slot), _ACT_IDENTITY, dtype=np.int16),
        "node_bias": np.zeros(len(slot)),
    }

    # connections: the feed-forward ones as they are, the enabled recurrent ones leaving
    # their source's memory input, the disabled recurrent ones dropped, then the copies
    keep = ~rec | on
    conn_src = src.copy()
    rewired = np.flatnonzero(live_rec)
    where = find_sorted(mem_key, rec_key)[0]  # each one's memory source (all are there)
    conn_src[rewired] = base[conn_owner[rewired]] + mem_rank[where]
    innov = arrays["conn_innov"]
    top = np.full(P, -1, dtype=np.int64)
    if len(innov):
        np.maximum.at(top, conn_owner, innov)
    copies = {
        "conn_src": node_id[mem_node[hidden]],
        "conn_dst": base[h_owner] + M + h_rank,
        "conn_weight": np.ones(len(h_owner)),
        "conn_enabled": np.ones(len(h_owner), dtype=bool),
        "conn_innov": top[h_owner] + 1 + h_rank,
        "conn_recurrent": np.zeros(len(h_owner), dtype=bool),
    }

    node_order = np.argsort(np.concatenate([node_owner, new_owner]), kind="stable")
    kept = np.flatnonzero(keep)
    conn_order = np.argsort(np.concatenate([conn_owner[kept], h_owner]), kind="stable")
    out = {}
    for name in NODE_FIELDS:
        out[name] = np.concatenate([arrays[name], new_nodes[name]])[node_order]
    for name in CONN_FIELDS:
        old = conn_src[kept] if name == "conn_src" else arrays[name][kept]
        if name == "conn_recurrent":
            old = np.zeros(len(kept), dtype=bool)
        out[name] = np.concatenate([old, copies[name].astype(old.dtype)])[conn_order]
    out["node_off"] = np.concatenate([[0], np.cumsum(n_nodes + M + H)])
    out["conn_off"] = np.concatenate(
        [
            [0],
            np.cumsum(
                np.bincount(conn_owner[kept], minlength=P) + np.bincount(h_owner, minlength=P)
            ),
        ]
    )
    node_from = np.concatenate([np.arange(len(node_id)), np.full(len(slot), -1)])[node_order]
    conn_from = np.concatenate([kept, np.full(len(h_owner), -1)])[conn_order]
    info = {
        "n_memory": M,
        "n_copies": H,
        "state_cols": state_cols,
        "conn_from": conn_from,
        "node_from": node_from,
    }
    return out, info


class Stepper:
    """One decision after another for a batch of episodes: ``stepper(X) -> outputs``, the
    memory kept in between (zeros before the first decision)."""

    def __init__(self, net, full=None) -> None:
        self._net, self._full, self.state = net, full, None

    @property
    def n_memory(self) -> int:
        """Memory columns of the state (per graph; padded to the largest in a batch)."""
        return self._net.n_memory

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.state is None:
            lead = X.shape[:-1] if X.ndim == 3 else self._net._lead(X, self._full)
            self.state = np.zeros(lead + (self._net.n_memory,), dtype=X.dtype)
        outputs, self.state = self._net._step(X, self.state, self._full)
        return outputs


class RecurrentNetwork:
    """A compiled recurrent Graph (see the module docstring): ``step(X, state, params)``
    for X (n, n_in) or (P, n, n_in) with params (P, n_params), state (..., n_memory)."""

    recurrent = True

    def __init__(self, graph: Graph, *, dtype=np.float64) -> None:
        from .network import Network  # (that module compiles through this one)

        arrays = {name: getattr(graph, name) for name in NODE_FIELDS + CONN_FIELDS}
        out, info = unroll(np.array([0, graph.n_nodes]), np.array([0, graph.n_connections]), arrays)
        out.pop("node_off"), out.pop("conn_off")  # (one graph: the Graph needs no offsets)
        self.graph = graph
        self.inner = Network(Graph(**out), dtype=dtype)
        self.dtype = self.inner.dtype
        self.n_memory = info["n_memory"]
        self._cols = info["state_cols"][0]
        self.n_inputs, self.n_outputs = graph.n_inputs, graph.n_outputs
        self.n_enabled = graph.n_enabled  # the copying connections cost nothing
        self.n_connections = self.inner.n_connections - info["n_copies"]
        self.differentiable = graph.differentiable
        # which of the unrolled network's parameters are the Graph's: weights of the
        # Graph's connections and biases of its nodes (not the copies' 1s and 0s)
        inner = self.inner
        w_conn = info["conn_from"][inner._conn_index]
        b_node = info["node_from"][inner._bias_node]
        free_w, free_b = w_conn >= 0, b_node >= 0
        self._w_pos, self._w_conn = inner._weight_pos[free_w], w_conn[free_w]
        self._b_pos, self._b_node = inner._bias_pos[free_b], b_node[free_b]
        self._free = np.concatenate([self._w_pos, self._b_pos])
        self.n_params = len(self._free)
        self.params = inner.params[self._free]
        self.params.flags.writeable = False
        self._template = inner.params.copy()

    def full_params(self, params: np.ndarray) -> np.ndarray:
        """The unrolled network's parameters (P, n_inner) for this network's (P, n_params)."""
        params = np.asarray(params, dtype=self.dtype)
        full = np.repeat(self._template[None], len(params), axis=0)
        full[:, self._free] = params
        return full

    def to_graph(self, params=None) -> Graph:
        """The source Graph with weights and biases taken from ``params`` (n_params,)."""
        params = self.params if params is None else np.asarray(params, dtype=np.float64)
        if params.shape != (self.n_params,):
            raise ValueError(
                f"params have shape {params.shape}; this network needs ({self.n_params},)"
            )
        if not np.isfinite(params).all():
            raise ValueError("a Graph's weights and biases must be finite")
        n_w = len(self._w_pos)
        weight = self.graph.conn_weight.copy()
        weight[self._w_conn] = params[:n_w]
        bias = self.graph.node_bias.copy()
        bias[self._b_node] = params[n_w:]
        return self.graph.replace(conn_weight=weight, node_bias=bias)

    def step(self, X, state, params=None):
        """One time step: (outputs (..., n_out), next state (..., n_memory)) for X (n, n_in)
        and state (n, n_memory) with params None (its own) or (n_params,); or X (n, n_in)
        shared or (P, n, n_in), state (P, n, n_memory), params (P, n_params)."""
        full = self.inner.params if params is None else self.full_params(np.atleast_2d(params))
        if params is not None and np.ndim(params) == 1:
            full = full[0]
        return self._step(X, state, full)

    def _step(self, X, state, full):
        if full.ndim == 2 and X.ndim == 2:
            X = np.broadcast_to(X, (len(full),) + X.shape)
        inputs = np.concatenate([X, state.astype(X.dtype, copy=False)], axis=-1)
        got = self.inner.forward(inputs, full, check=False)
        return got[..., : self.n_outputs], got[..., self._cols]

    def _lead(self, X, full) -> tuple:
        """The state's leading shape for inputs X (n, n_in)."""
        return X.shape[:-1] if full.ndim == 1 else (len(full),) + X.shape[:-1]

    def stepper(self, params=None) -> Stepper:
        """A :class:`Stepper` over parameter rows ``params`` (P, n_params) (None: its own)."""
        full = self.inner.params if params is None else self.full_params(np.atleast_2d(params))
        return Stepper(self, full)

    def forward(self, X, params=None, *, check: bool = True):
        raise ValueError(
            "a recurrent network steps with state: use step(X, state) or stepper(), one "
            "decision after another (an episodic problem does)"
        )

    def __repr__(self) -> str:
        return (
            f"RecurrentNetwork(inputs={self.n_inputs}, outputs={self.n_outputs}, "
            f"memory={self.n_memory}, params={self.n_params}, dtype={self.dtype})"
        )


class RecurrentBatch:
    """Graphs of any topologies, with or without recurrent connections, compiled together
    (a :class:`networks.PopulationBatch` of their unrolled forms); ``n_enabled`` (P,)
    counts each graph's own enabled connections."""

    recurrent = True

    def __init__(self, node_off, conn_off, arrays: dict, *, dtype=np.float64) -> None:
        from .population import PopulationBatch

        out, info = unroll(np.asarray(node_off), np.asarray(conn_off), arrays)
        node_off2, conn_off2 = out.pop("node_off"), out.pop("conn_off")
        self.inner = PopulationBatch.from_arrays(
            np.diff(node_off2), np.diff(conn_off2), out, dtype=dtype
        )
        self.dtype = self.inner.dtype
        self.n_graphs = self.inner.n_graphs
        self.n_memory = info["n_memory"]
        self.n_inputs = self.inner.n_inputs - self.n_memory
        self.n_outputs = self.inner.n_outputs - info["n_copies"]
        owner = np.repeat(np.arange(self.n_graphs), np.diff(np.asarray(conn_off)))
        self.n_enabled = np.bincount(owner[arrays["conn_enabled"]], minlength=self.n_graphs)
        self._cols = info["state_cols"][:, None, :]  # (P, 1, M) against (P, K, n_cols)

    def step(self, X, state, params=None):
        """One time step of every graph: X (n, n_in) or (P, n, n_in), state (P, n, M) ->
        (outputs (P, n, n_out), next state (P, n, M))."""
        return self._step(X, state, None)

    def _step(self, X, state, full):
        if X.ndim == 2:
            X = np.broadcast_to(X, (self.n_graphs,) + X.shape)
        inputs = np.concatenate([X, state.astype(X.dtype, copy=False)], axis=-1)
        got = self.inner.forward(inputs, check=False)
        cols = np.broadcast_to(self._cols, got.shape[:2] + (self.n_memory,))
        return got[..., : self.n_outputs], np.take_along_axis(got, cols, axis=-1)

    def _lead(self, X, full) -> tuple:
        return (self.n_graphs,) + X.shape[:-1]

    def stepper(self) -> Stepper:
        return Stepper(self)

    def forward(self, X, *, check: bool = True):
        raise ValueError(
            "recurrent networks step with state: use stepper(), one decision after another "
            "(an episodic problem does)"
        )
