"""Test helpers shared by the networks tests (and later the NEAT tests).

- :func:`graphs`: a hypothesis strategy for random valid feed-forward Graphs: random
  hidden nodes, random feed-forward connections (input->output skips included), some
  disabled, hidden nodes that reach no output, constant hidden nodes, per-node activations,
  arbitrary (also negative) node ids, shuffled node and connection order.
- :func:`recurrent_graphs`: such a Graph with random recurrent connections added (cycles,
  self-loops, connections leaving outputs; some disabled).
- :func:`reference_forward`: a deliberately naive evaluator (a Python loop over nodes in
  topological order, over ``Graph.nodes`` / ``Graph.connections``), with its own activation
  table, independent of ``networks``' compiled code; :func:`reference_steps` the same for
  recurrent Graphs, one time step after another.
"""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np
from hypothesis import strategies as st

from networks import Graph

DIFFERENTIABLE = (
    "identity",
    "sigmoid",
    "neat_sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "gauss",
    "sin",
    "abs",
)
KINKED = ("relu", "leaky_relu", "abs")  # derivative jumps at z = 0
ALL_ACTIVATIONS = (*DIFFERENTIABLE, "step")

REFERENCE_ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "neat_sigmoid": lambda z: 1.0 / (1.0 + np.exp(-4.9 * z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "gauss": lambda z: np.exp(-(z**2)),
    "sin": np.sin,
    "abs": np.abs,
    "step": lambda z: (z > 0).astype(np.float64),
}


@st.composite
def graphs(
    draw,
    *,
    n_inputs: int | None = None,
    n_outputs: int | None = None,
    max_inputs: int = 4,
    max_outputs: int = 3,
    max_hidden: int = 6,
    activations: tuple[str, ...] = DIFFERENTIABLE,
    allow_disabled: bool = True,
) -> Graph:
    """A random valid Graph. Hidden nodes get a random topological order; any connection
    that respects it may be present (input->hidden, input->output, hidden->later hidden,
    hidden->output)."""
    n_in = n_inputs if n_inputs is not None else draw(st.integers(1, max_inputs))
    n_out = n_outputs if n_outputs is not None else draw(st.integers(1, max_outputs))
    n_hid = draw(st.integers(0, max_hidden))
    n = n_in + n_out + n_hid
    ids = draw(st.lists(st.integers(-20, 300), min_size=n, max_size=n, unique=True))
    inputs, outputs, hidden = ids[:n_in], ids[n_in : n_in + n_out], ids[n_in + n_out :]

    candidates = [(i, h) for i in inputs for h in hidden]
    candidates += [(i, o) for i in inputs for o in outputs]
    candidates += [(a, b) for k, a in enumerate(hidden) for b in hidden[k + 1 :]]
    candidates += [(h, o) for h in hidden for o in outputs]
    chosen = draw(st.lists(st.booleans(), min_size=len(candidates), max_size=len(candidates)))
    edges = [e for e, keep in zip(candidates, chosen) if keep]
    edges = draw(st.permutations(edges)) if edges else []
    weight = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    enabled = st.sampled_from([True, True, True, False]) if allow_disabled else st.just(True)
    innov = draw(
        st.lists(st.integers(0, 10_000), min_size=len(edges), max_size=len(edges), unique=True)
    )
    conns = [(s, t, draw(weight), draw(enabled), k) for (s, t), k in zip(edges, innov)]

    kinds = {**dict.fromkeys(inputs, "input"), **dict.fromkeys(outputs, "output")}
    order = draw(st.permutations(ids))
    bias = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)
    nodes = []
    for i in order:
        kind = kinds.get(i, "hidden")
        if kind == "input":
            nodes.append((i, kind, "identity", 0.0))
        else:
            nodes.append((i, kind, draw(st.sampled_from(activations)), draw(bias)))
    return Graph.from_lists(nodes, conns)


@st.composite
def recurrent_graphs(draw, *, min_recurrent: int = 1, **kw) -> Graph:
    """A random valid Graph (``graphs(**kw)``) with recurrent connections added between any
    free pairs whose source is hidden or an output and whose target is not an input."""
    base = draw(graphs(**kw))
    nodes = base.nodes
    taken = {(c.source, c.target) for c in base.connections}
    free = [
        (a.id, b.id)
        for a in nodes
        for b in nodes
        if a.kind != "input" and b.kind != "input" and (a.id, b.id) not in taken
    ]
    pick = draw(st.lists(st.sampled_from(free), min_size=min(min_recurrent, len(free)),
                         max_size=min(6, len(free)), unique=True)) if free else []  # fmt: skip
    top = max((c.innovation for c in base.connections), default=-1)
    weight = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    enabled = st.sampled_from([True, True, True, False])
    extra = [
        (s, t, draw(weight), draw(enabled), top + 1 + k, True) for k, (s, t) in enumerate(pick)
    ]
    return Graph.from_lists(nodes, list(base.connections) + extra)


def with_random_values(graph: Graph, rng: np.random.Generator, scale: float = 1.0) -> Graph:
    """The same topology with continuous random weights and biases (so no pre-activation
    is exactly zero by construction, as hypothesis' favourite 0.0 would make it)."""
    return graph.replace(
        conn_weight=rng.uniform(-scale, scale, graph.n_connections),
        node_bias=np.where(graph.node_kind == 0, 0.0, rng.uniform(-scale, scale, graph.n_nodes)),
    )


def reference_forward(graph: Graph, X: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Naive evaluation, float64: outputs (n, n_out) in the graph's output order, and the
    pre-activation z (n,) of every computed non-input node, by node id."""
    X = np.asarray(X, dtype=np.float64)
    nodes = graph.nodes
    incoming = defaultdict(list)
    fanout = defaultdict(list)
    indegree = {nd.id: 0 for nd in nodes}
    for c in graph.connections:
        if c.enabled:
            incoming[c.target].append((c.source, c.weight))
            fanout[c.source].append(c.target)
            indegree[c.target] += 1
    ready = deque(nd.id for nd in nodes if indegree[nd.id] == 0)
    topo = []
    while ready:
        i = ready.popleft()
        topo.append(i)
        for t in fanout[i]:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    assert len(topo) == len(nodes), "the graph has a cycle"

    by_id = {nd.id: nd for nd in nodes}
    inputs = [nd.id for nd in nodes if nd.kind == "input"]
    value = {i: X[:, k] for k, i in enumerate(inputs)}
    pre = {}
    for i in topo:
        nd = by_id[i]
        if nd.kind == "input":
            continue
        z = np.full(X.shape[0], nd.bias)
        for s, w in incoming[i]:
            z = z + w * value[s]
        pre[i] = z
        value[i] = REFERENCE_ACTIVATIONS[nd.activation](z)
    outputs = [nd.id for nd in nodes if nd.kind == "output"]
    return np.stack([value[o] for o in outputs], axis=1), pre


def reference_steps(graph: Graph, X: np.ndarray) -> np.ndarray:
    """Naive stepping of a recurrent Graph, float64: X (T, n, n_in) one batch of inputs per
    time step -> outputs (T, n, n_out). Each node, in topological order of the
    feed-forward connections: activation(bias + feed-forward inputs of this step + recurrent
    inputs of the previous step's values, 0 before the first)."""
    X = np.asarray(X, dtype=np.float64)
    nodes = graph.nodes
    live = [c for c in graph.connections if c.enabled]
    ff = [c for c in live if not c.recurrent]
    order, done = [], {nd.id for nd in nodes if nd.kind == "input"}
    waiting = [nd for nd in nodes if nd.kind != "input"]
    while waiting:
        ready = [nd for nd in waiting if all(c.source in done for c in ff if c.target == nd.id)]
        assert ready, "the feed-forward connections have a cycle"
        for nd in ready:
            order.append(nd)
            done.add(nd.id)
            waiting.remove(nd)
    inputs = [nd.id for nd in nodes if nd.kind == "input"]
    outputs = [nd.id for nd in nodes if nd.kind == "output"]
    prev = {nd.id: np.zeros(X.shape[1]) for nd in nodes}
    out = []
    for x in X:
        value = {i: x[:, k] for k, i in enumerate(inputs)}
        for nd in order:
            z = np.full(X.shape[1], nd.bias)
            for c in live:
                if c.target == nd.id:
                    z = z + c.weight * (prev[c.source] if c.recurrent else value[c.source])
            value[nd.id] = REFERENCE_ACTIVATIONS[nd.activation](z)
        out.append(np.stack([value[o] for o in outputs], axis=1))
        prev = {nd.id: value.get(nd.id, np.zeros(X.shape[1])) for nd in nodes}
    return np.stack(out)


def reference_loss(loss: str, out: np.ndarray, y: np.ndarray) -> float:
    """Mean loss written out the long way: out (n, k) outputs/logits."""
    out = np.asarray(out, dtype=np.float64)
    if loss == "mse":
        return float(np.mean((out - np.asarray(y, dtype=np.float64).reshape(out.shape)) ** 2))
    y = np.asarray(y).astype(int)
    if out.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-out[:, 0]))
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    shifted = out - out.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(logp[np.arange(len(y)), y]))


def random_targets(loss: str, n: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Targets fitting ``loss``: floats (n, n_out) for mse, labels (n,) for cross_entropy."""
    if loss == "mse":
        return rng.normal(size=(n, n_out))
    return rng.integers(0, max(n_out, 2), size=n)
