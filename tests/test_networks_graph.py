"""The Graph genotype: validation, builders, JSON, parameters written back, immutability,
and the graph algorithms."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import ALL_ACTIVATIONS, graphs, with_random_values

from networks import (
    CONN_FIELDS,
    FIELD_DTYPES,
    NODE_FIELDS,
    Genomes,
    Graph,
    compile,
    creates_cycle,
    forward_many,
    levels,
    minimal,
    mlp,
    reaches,
)
from networks.graph import CONN_RECORD, JSON_FORMAT_VERSION, NODE_RECORD

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NODES = [
    (0, "input", "identity", 0.0),
    (1, "input", "identity", 0.0),
    (2, "hidden", "tanh", 0.1),
    (3, "hidden", "relu", -0.2),
    (4, "output", "sigmoid", 0.3),
]
CONNS = [(0, 2, 0.5), (1, 2, -0.5), (2, 3, 1.0), (3, 4, 2.0), (0, 4, 0.25, False)]


def small_graph() -> Graph:
    return Graph.from_lists(NODES, CONNS)


def arrays(**changes):
    """Keyword arrays of small_graph() with some replaced."""
    g = small_graph()
    fields = {name: getattr(g, name) for name in g.__dataclass_fields__}
    fields.update(changes)
    return fields


# ------------------------------------------------------------------ validation
def test_small_graph_is_valid_and_described():
    g = small_graph()
    assert g.validate() is g
    assert (g.n_nodes, g.n_connections, g.n_enabled) == (5, 5, 4)
    assert (g.n_inputs, g.n_hidden, g.n_outputs) == (2, 2, 1)
    np.testing.assert_array_equal(g.input_ids, [0, 1])
    np.testing.assert_array_equal(g.hidden_ids, [2, 3])
    np.testing.assert_array_equal(g.output_ids, [4])
    np.testing.assert_array_equal(g.conn_innov, np.arange(5))  # numbered by position
    assert g.nodes[3] == (3, "hidden", "relu", -0.2)
    assert g.connections[4] == (0, 4, 0.25, False, 4, False)
    assert repr(g) == "Graph(inputs=2, hidden=2, outputs=1, connections=5 (4 enabled))"


@pytest.mark.parametrize(
    ("nodes", "conns", "match"),
    [
        (NODES, [*CONNS, (3, 2, 1.0)], r"feed-forward connections form a cycle"),
        (NODES, [(2, 3, 1.0), (3, 2, 1.0), (3, 4, 1.0)], r"feed-forward connections form a cycle"),
        (
            NODES,
            [*CONNS, (2, 2, 1.0)],
            r"feed-forward connections form a cycle: a connection goes from a node to itself",
        ),
        ([*NODES, (2, "hidden", "sin", 0.0)], CONNS, r"node id 2 is used by 2 nodes"),
        (NODES, [*CONNS, (9, 4, 1.0)], r"connection 9->4: source node 9 does not exist"),
        (NODES, [*CONNS, (2, 7, 1.0)], r"connection 2->7: target node 7 does not exist"),
        (NODES, [*CONNS, (2, 1, 1.0)], r"connection 2->1 enters input node 1"),
        (NODES, [*CONNS, (0, 1, 1.0)], r"connection 0->1 enters input node 1"),
        (
            [*NODES, (5, "output", "identity", 0.0)],
            [*CONNS, (4, 5, 1.0)],
            r"connection 4->5 leaves output node 4",
        ),
        (NODES, [*CONNS, (0, 2, 3.0)], r"connection 0->2 appears more than once"),
        (NODES, [*CONNS, (0, 2, 3.0, False)], r"connection 0->2 appears more than once"),
        (NODES, [(0, 2, 1.0, True, 7), (2, 4, 1.0, True, 7)], r"innovation number 7 is used"),
        (NODES[:2] + NODES[2:4], [], r"at least one input and one output node; it has 2 and 0"),
        (NODES[2:], [], r"at least one input and one output node; it has 0 and 1"),
        (NODES, [*CONNS[:-1], (0, 4, float("nan"))], r"connection 0->4: weight is not finite"),
        (NODES, [*CONNS[:-1], (0, 4, float("inf"))], r"connection 0->4: weight is not finite"),
        (
            [*NODES[:-1], (4, "output", "sigmoid", float("nan"))],
            CONNS,
            r"node 4: bias is not finite",
        ),
        ([*NODES[:-1], (4, "output", "sigmoid", -np.inf)], CONNS, r"node 4: bias is not finite"),
        (
            [*NODES[:-1], (4, "output", "swish", 0.0)],
            CONNS,
            r"unknown activation 'swish'; choose one of identity, sigmoid",
        ),
        (
            [*NODES[:-1], (4, "outlet", "sigmoid", 0.0)],
            CONNS,
            r"node 4: kind 'outlet' is not one of input, hidden, output",
        ),
    ],
    ids=[
        "cycle",
        "two-cycle",
        "self-loop",
        "duplicate-node-id",
        "dangling-source",
        "dangling-target",
        "edge-into-input",
        "input-to-input",
        "edge-out-of-output",
        "duplicate-connection",
        "duplicate-disabled-connection",
        "duplicate-innovation",
        "no-outputs",
        "no-inputs",
        "nan-weight",
        "inf-weight",
        "nan-bias",
        "inf-bias",
        "unknown-activation-name",
        "unknown-kind-name",
    ],
)
def test_from_lists_validation_errors(nodes, conns, match):
    with pytest.raises(ValueError, match=match):
        Graph.from_lists(nodes, conns)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"node_act": [0, 0, 3, 4, 99]}, r"node 4: unknown activation code 99 \(0\.\.9\)"),
        ({"node_act": [0, 0, -1, 4, 1]}, r"node 2: unknown activation code -1"),
        ({"node_kind": [0, 0, 1, 3, 2]}, r"node 3: kind 3 is not 0 \(input\), 1 \(hidden\) or 2"),
        ({"node_bias": [0.0, 0.0, 0.1]}, r"'node_bias' has 3 entries, expected 5 \(one per node\)"),
        ({"conn_innov": [0, 1]}, r"'conn_innov' has 2 entries, expected 5 \(one per connection\)"),
        ({"conn_weight": ["a", "b", "c", "d", "e"]}, r"'conn_weight' is not a 1-D numeric array"),
        ({"node_id": [0, 1, 2.5, 3, 4]}, r"'node_id' is not a 1-D numeric array: .*non-integer"),
        ({"node_kind": [0, 0, 1, 1, 258]}, r"'node_kind' is not a 1-D numeric array: .*range"),
        ({"conn_src": [0, 1, 2, 3, 2**70]}, r"'conn_src' is not a 1-D numeric array"),
    ],
    ids=[
        "act-code-too-big",
        "act-code-negative",
        "bad-kind-code",
        "short-node-field",
        "short-conn-field",
        "non-numeric",
        "fractional-id",
        "kind-overflow",
        "id-overflow",
    ],
)
def test_constructor_validation_errors(changes, match):
    with pytest.raises(ValueError, match=match):
        Graph(**arrays(**changes))


def test_validate_false_defers_the_check():
    bad = Graph(**arrays(node_act=[0, 0, 3, 4, 99]), validate=False)
    with pytest.raises(ValueError, match="unknown activation code 99"):
        bad.validate()
    # replace() does not validate unless asked
    g = small_graph().replace(conn_weight=[1.0, 1.0, 1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="weight is not finite"):
        g.validate()
    with pytest.raises(ValueError, match="weight is not finite"):
        small_graph().replace(conn_weight=[1.0, 1.0, 1.0, np.nan, 1.0], validate=True)
    with pytest.raises(ValueError, match=r"unknown Graph field\(s\) \['weights'\]"):
        small_graph().replace(weights=[1.0])


@SETTINGS
@given(graphs(activations=ALL_ACTIVATIONS))
def test_generated_graphs_are_valid_and_differentiable_flag_is_right(graph):
    graph.validate()
    has_step = any(n.activation == "step" for n in graph.nodes if n.kind != "input")
    assert graph.differentiable == (not has_step)


# ------------------------------------------------------------------ builders
@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, [3], 1), r"n_inputs must be an integer >= 1, got 0"),
        ((2, [3], 0), r"n_outputs must be an integer >= 1, got 0"),
        ((-1, [3], 1), r"n_inputs must be an integer >= 1, got -1"),
        ((2.0, [3], 1), r"n_inputs must be an integer >= 1, got 2\.0"),
        ((True, [3], 1), r"n_inputs must be an integer >= 1, got True"),
        (("2", [3], 1), r"n_inputs must be an integer >= 1, got '2'"),
        ((2, [3, 0], 1), r"hidden layer size must be an integer >= 1, got 0"),
        ((2, 0, 1), r"hidden layer size must be an integer >= 1, got 0"),
        ((2, [2.5], 1), r"hidden layer size must be an integer >= 1, got 2\.5"),
    ],
)
def test_mlp_bad_sizes(args, match):
    with pytest.raises(ValueError, match=match):
        mlp(*args, rng=np.random.default_rng(0))


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0), np.random.default_rng])
def test_mlp_and_minimal_need_a_generator(rng):
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        mlp(2, [3], 1, rng=rng)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        minimal(2, 1, rng=rng)


def test_mlp_bad_activation_and_determinism():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        mlp(2, [3], 1, activation="swish", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown activation 'soft'"):
        mlp(2, [3], 1, output_activation="soft", rng=np.random.default_rng(0))
    a = mlp(3, [4, 2], 2, rng=np.random.default_rng(11))
    assert a == mlp(3, [4, 2], 2, rng=np.random.default_rng(11))
    assert a != mlp(3, [4, 2], 2, rng=np.random.default_rng(12))
    assert mlp(3, 4, 2, rng=np.random.default_rng(11)) == mlp(
        3, [4], 2, rng=np.random.default_rng(11)
    )


def test_minimal_is_fully_connected_inputs_to_outputs():
    g = minimal(3, 2, rng=np.random.default_rng(0))
    assert (g.n_inputs, g.n_hidden, g.n_outputs, g.n_connections) == (3, 0, 2, 6)
    pairs = set(zip(g.conn_src.tolist(), g.conn_dst.tolist()))
    assert pairs == {(i, o) for i in g.input_ids.tolist() for o in g.output_ids.tolist()}
    # innovation of input i -> output j is j * n_inputs + i
    for s, d, k in zip(g.conn_src, g.conn_dst, g.conn_innov):
        assert k == (d - 3) * 3 + s
    assert {n.activation for n in g.nodes if n.kind == "output"} == {"neat_sigmoid"}


# ------------------------------------------------------------------ JSON
@SETTINGS
@given(graphs(activations=ALL_ACTIVATIONS), st.integers(0, 2**32 - 1))
def test_json_round_trip(graph, seed):
    text = graph.to_json()
    data = json.loads(text)
    assert data["format"] == "neuroarena.graph" and data["version"] == JSON_FORMAT_VERSION
    back = Graph.from_json(text)
    assert back == graph
    for name in graph.__dataclass_fields__:
        assert getattr(back, name).dtype == getattr(graph, name).dtype
    X = np.random.default_rng(seed).normal(size=(4, graph.n_inputs))
    np.testing.assert_array_equal(compile(back).forward(X), compile(graph).forward(X))
    assert Graph.from_json(text.encode()) == graph
    assert Graph.from_dict(graph.to_dict()) == graph


def test_json_round_trip_is_exact_for_awkward_values():
    g = Graph(
        node_id=[-7, 2**40, 3],
        node_kind=[0, 2, 1],
        node_act=[0, 2, 9],
        node_bias=[0.0, 1e-300, -1 / 3],
        conn_src=[-7, 3, -7],
        conn_dst=[3, 2**40, 2**40],
        conn_weight=[0.1 + 0.2, -5e-324, 1e300],
        conn_enabled=[True, False, True],
        conn_innov=[-1, 0, 2**50],  # any distinct integers, negative ones included
    )
    back = Graph.from_json(g.to_json(indent=2))
    assert back == g


MALFORMED = {
    "bad-syntax": '{"format": "neuroarena.graph", "version": 1,',
    "not-json": "graph",
    "array": "[]",
    "no-format": '{"version": 1, "nodes": [], "connections": []}',
    "wrong-format": '{"format": "neat", "version": 1, "nodes": [], "connections": []}',
    "wrong-version": '{"format": "neuroarena.graph", "version": 3, "nodes": [], "connections": []}',
    "string-version": '{"format": "neuroarena.graph", "version": "1", "nodes": [], "connections": []}',
    "missing-nodes": '{"format": "neuroarena.graph", "version": 1, "connections": []}',
    "missing-connections": '{"format": "neuroarena.graph", "version": 1, "nodes": []}',
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_raises_value_error(text):
    with pytest.raises(ValueError, match=r"graph JSON|not a neuroarena graph|version"):
        Graph.from_json(text)


def _edit(path, value):
    data = small_graph().to_dict()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data)


WRONG_TYPES = {
    "node-id-string": (("nodes", 0, 0), "0", r"malformed graph JSON.*'0' is not a JSON int"),
    "node-id-float": (("nodes", 0, 0), 0.5, r"malformed graph JSON.*not a JSON int"),
    "node-id-bool": (("nodes", 0, 0), False, r"malformed graph JSON.*not a JSON int"),
    "kind-number": (("nodes", 0, 1), 0, r"malformed graph JSON.*not a JSON str"),
    "kind-unknown": (("nodes", 0, 1), "sensor", r"kind 'sensor' is not one of"),
    "activation-number": (("nodes", 2, 2), 3, r"malformed graph JSON.*not a JSON str"),
    "activation-unknown": (("nodes", 2, 2), "swish", r"unknown activation 'swish'"),
    "bias-string": (("nodes", 2, 3), "0.1", r"malformed graph JSON.*not a JSON float"),
    "bias-null": (("nodes", 2, 3), None, r"malformed graph JSON"),
    "node-too-short": (("nodes", 2), [2, "hidden", "tanh"], r"malformed graph JSON"),
    "node-not-a-list": (("nodes", 2), {"id": 2}, r"malformed graph JSON"),
    "nodes-not-a-list": (("nodes",), 5, r"malformed graph JSON"),
    "weight-string": (("connections", 0, 2), "0.5", r"not a JSON float"),
    "weight-bool": (("connections", 0, 2), True, r"not a JSON float"),
    "weight-nan": (("connections", 0, 2), float("nan"), r"weight is not finite"),
    "weight-huge-int": (("connections", 0, 2), 10**400, r"malformed graph JSON"),
    "enabled-string": (("connections", 0, 3), "false", r"'false' is not a JSON bool"),
    "enabled-int": (("connections", 0, 3), 0, r"0 is not a JSON bool"),
    "innovation-float": (("connections", 0, 4), 1.5, r"not a JSON int"),
    "source-missing-node": (("connections", 0, 0), 42, r"source node 42 does not exist"),
    "connection-too-long": (("connections", 0), [0, 2, 0.5, True, 0, 9], r"malformed graph JSON"),
    "connections-null": (("connections",), None, r"malformed graph JSON"),
}


@pytest.mark.parametrize(("path", "value", "match"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_types_in_json_raise_value_error(path, value, match):
    with pytest.raises(ValueError, match=match):
        Graph.from_json(_edit(path, value))


# ------------------------------------------------------------------ parameters written back
@SETTINGS
@given(graphs(activations=ALL_ACTIVATIONS, max_hidden=8), st.integers(0, 2**32 - 1))
def test_to_graph_round_trip(graph, seed):
    net = compile(graph)
    assert net.to_graph() == graph
    p = np.random.default_rng(seed).normal(size=net.n_params)
    g2 = net.to_graph(p)
    net2 = compile(g2)
    np.testing.assert_array_equal(net2.params, p)
    assert net2.n_params == net.n_params and net2.depth == net.depth
    # structure untouched
    for name in (
        "node_id",
        "node_kind",
        "node_act",
        "conn_src",
        "conn_dst",
        "conn_enabled",
        "conn_innov",
    ):
        np.testing.assert_array_equal(getattr(g2, name), getattr(graph, name))
    # weights of disabled or pruned connections and biases of pruned nodes untouched
    changed_w = np.flatnonzero(g2.conn_weight != graph.conn_weight)
    assert len(changed_w) <= net.n_connections
    assert graph.conn_enabled[changed_w].all()
    # the nodes that reach an output over enabled connections
    live_ids = set(graph.output_ids.tolist())
    grew = True
    while grew:
        grew = False
        for c in graph.connections:
            if c.enabled and c.target in live_ids and c.source not in live_ids:
                live_ids.add(c.source)
                grew = True
    dead = ~np.isin(graph.node_id, sorted(live_ids)) | (graph.node_kind == 0)
    np.testing.assert_array_equal(g2.node_bias[dead], graph.node_bias[dead])
    dead_conn = ~np.isin(graph.conn_dst, sorted(live_ids)) | ~graph.conn_enabled
    np.testing.assert_array_equal(g2.conn_weight[dead_conn], graph.conn_weight[dead_conn])
    assert net.n_connections == int((~dead_conn).sum())
    assert net.n_params == net.n_connections + int((~dead).sum())


def test_to_graph_from_float32_network_and_bad_params():
    g = with_random_values(small_graph(), np.random.default_rng(0))
    net32 = compile(g, dtype=np.float32)
    back = net32.to_graph()
    assert back.conn_weight.dtype == np.float64
    np.testing.assert_allclose(back.conn_weight, g.conn_weight, rtol=1e-7)
    net = compile(g)
    with pytest.raises(ValueError, match=r"params have shape \(3,\); this network needs \(7,\)$"):
        net.to_graph(np.zeros(3))
    with pytest.raises(ValueError, match=r"params have shape \(2, 7\)"):
        net.to_graph(np.zeros((2, 7)))
    p = net.params.copy()
    p[4] = np.nan
    with pytest.raises(
        ValueError, match=r"params\[4\] is nan; a Graph's weights and biases must be finite"
    ):
        net.to_graph(p)


# ------------------------------------------------------------------ immutability
def snapshot(g: Graph) -> dict:
    return {name: getattr(g, name).copy() for name in g.__dataclass_fields__}


def test_graph_arrays_are_read_only_and_copied():
    ids = np.array([0, 1, 2])
    g = Graph(
        node_id=ids,
        node_kind=[0, 1, 2],
        node_act=[0, 3, 1],
        node_bias=[0.0, 0.5, 0.0],
        conn_src=[0, 1],
        conn_dst=[1, 2],
        conn_weight=[1.0, 2.0],
    )
    ids[0] = 99  # the Graph holds its own copy
    assert g.node_id[0] == 0
    for name in g.__dataclass_fields__:
        arr = getattr(g, name)
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[...] = arr
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.node_bias = np.zeros(3)
    with pytest.raises(TypeError):
        hash(g)
    assert copy.deepcopy(g) == g
    # replace gives a new Graph and leaves the old one alone
    g2 = g.replace(conn_weight=[5.0, 6.0])
    np.testing.assert_array_equal(g.conn_weight, [1.0, 2.0])
    np.testing.assert_array_equal(g2.conn_weight, [5.0, 6.0])


def test_graph_fields_are_views_of_two_records_and_survive_pickling():
    g = small_graph()
    for name in g.__dataclass_fields__:
        records = g._nodes if name.startswith("node_") else g._conns
        assert np.shares_memory(getattr(g, name), records)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(g, protocol=protocol))
        assert back == g
        np.testing.assert_array_equal(back._level, g._level)
        for name in back.__dataclass_fields__:
            arr = getattr(back, name)
            assert arr.dtype == getattr(g, name).dtype
            assert np.shares_memory(arr, back._nodes if name.startswith("node_") else back._conns)
        for h in (g, back, copy.deepcopy(g)):  # read-only for good, records and levels too
            for arr in (h.conn_weight, h._level, h._nodes, h._conns):
                with pytest.raises(ValueError, match="WRITEABLE"):
                    arr.flags.writeable = True
    # unchecked copies what it is given
    src = {name: getattr(g, name).copy() for name in g.__dataclass_fields__}
    u = Graph.unchecked(**src)
    src["conn_weight"][0] = 42.0
    assert u == g


@SETTINGS
@given(graphs(activations=ALL_ACTIVATIONS))
def test_a_validated_graph_keeps_levels_that_order_all_its_connections(graph):
    level = dict(zip(graph.node_id.tolist(), graph._level.tolist()))
    kind = dict(zip(graph.node_id.tolist(), graph.node_kind.tolist()))
    assert all((lv == 0) == (kind[i] == 0) for i, lv in level.items())
    for s, d in zip(graph.conn_src.tolist(), graph.conn_dst.tolist()):  # disabled ones too
        assert level[d] >= level[s] + 1
    # and they are the longest-path levels, as networks.levels finds them
    ix = {i: k for k, i in enumerate(graph.node_id.tolist())}
    src = np.array([ix[i] for i in graph.conn_src.tolist()], dtype=np.int64)
    dst = np.array([ix[i] for i in graph.conn_dst.tolist()], dtype=np.int64)
    expected = levels(graph.n_nodes, src, dst, start=(graph.node_kind != 0).astype(np.int64))
    np.testing.assert_array_equal(graph._level, expected)


def test_levels_are_kept_only_where_they_still_hold():
    g = small_graph()
    known = g._level.copy()
    assert (known >= 0).all()
    # weights, biases, activations and enabled flags do not move a node's level
    same = g.replace(conn_weight=np.ones(5), node_bias=np.zeros(5), conn_enabled=np.ones(5, bool))
    np.testing.assert_array_equal(same._level, known)
    # a new topology without validation, or no validation at all: unknown until validated
    moved = g.replace(conn_src=[0, 1, 2, 3, 1], conn_dst=[2, 2, 3, 4, 3])
    unvalidated = Graph(**arrays(), validate=False)
    unchecked = Graph.unchecked(**arrays())
    for h in (moved, unvalidated, unchecked):
        assert (h._level == -1).all()
        h.validate()
        assert (h._level >= 0).all()
    np.testing.assert_array_equal(unchecked._level, known)
    assert moved == g.replace(conn_src=[0, 1, 2, 3, 1], conn_dst=[2, 2, 3, 4, 3], validate=True)


@SETTINGS
@given(graphs(activations=("tanh", "relu", "gauss", "abs")), st.integers(0, 2**32 - 1))
def test_compile_forward_and_gradient_never_modify_the_graph(graph, seed):
    before = snapshot(graph)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5, graph.n_inputs))
    y = rng.normal(size=(5, graph.n_outputs))
    net = compile(graph)
    assert not net.params.flags.writeable
    params = rng.normal(size=(3, net.n_params))
    p0 = params.copy()
    net.forward(X)
    net.forward(X, params)
    net.losses(X, y, "mse", params)
    net.loss_and_grad(X, y, "mse", params=params[0])
    net.to_graph(params[1])
    forward_many([graph, graph], X)
    for name, arr in before.items():
        np.testing.assert_array_equal(getattr(graph, name), arr)
    np.testing.assert_array_equal(params, p0)
    np.testing.assert_array_equal(net.params, compile(graph).params)


# ------------------------------------------------------------------ graph algorithms
@st.composite
def edge_lists(draw):
    n = draw(st.integers(1, 8))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=14, unique=True)
    )
    src = np.array([a for a, _ in pairs], dtype=np.int64)
    dst = np.array([b for _, b in pairs], dtype=np.int64)
    return n, src, dst


def is_acyclic(n, src, dst) -> bool:
    try:
        levels(n, src, dst)
    except ValueError:
        return False
    return True


def acyclic_prefix(n, src, dst):
    """The edges in order, leaving out each one that would close a cycle."""
    keep = []
    for k in range(len(src)):
        if is_acyclic(n, src[keep + [k]], dst[keep + [k]]):
            keep.append(k)
    return src[keep], dst[keep]


def reference_ancestors(src, dst, targets) -> set[int]:
    """The nodes with a path to some target (targets included), by a plain depth-first
    search backwards from the targets."""
    into: dict[int, list[int]] = {}
    for s, d in zip(src.tolist(), dst.tolist()):
        into.setdefault(d, []).append(s)
    seen, stack = set(targets), list(targets)
    while stack:
        for s in into.get(stack.pop(), []):
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return seen


def reference_levels(n, src, dst, start=None) -> list[int]:
    """Longest-path depth of every node of an acyclic edge list, never below ``start``
    (default 0), by memoised recursion over each node's incoming edges."""
    into: dict[int, list[int]] = {}
    for s, d in zip(src.tolist(), dst.tolist()):
        into.setdefault(d, []).append(s)
    low = [0] * n if start is None else list(start)
    memo: dict[int, int] = {}

    def depth(v: int) -> int:
        if v not in memo:
            memo[v] = max([low[v]] + [depth(s) + 1 for s in into.get(v, [])])
        return memo[v]

    return [depth(v) for v in range(n)]


@settings(max_examples=150, deadline=None)
@given(edge_lists(), st.data())
def test_creates_cycle_agrees_with_levels(edges, data):
    n, src, dst = edges
    src, dst = acyclic_prefix(n, src, dst)
    a, b = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
    assert creates_cycle(src, dst, a, b) == (not is_acyclic(n, np.r_[src, a], np.r_[dst, b]))
    lv = levels(n, src, dst)
    assert (lv[dst] > lv[src]).all()  # every edge goes up a level


@settings(max_examples=150, deadline=None)
@given(edge_lists(), st.data())
def test_graph_algorithms_agree_with_plain_searches(edges, data):
    n, src, dst = edges
    src, dst = acyclic_prefix(n, src, dst)
    assert levels(n, src, dst).tolist() == reference_levels(n, src, dst)
    start = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    got = levels(n, src, dst, start=np.array(start))
    assert got.tolist() == reference_levels(n, src, dst, start)
    # reaches(): exactly the nodes with a path to one of the targets (targets included)
    targets = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    mask = reaches(np.array(targets), n, src, dst)
    assert set(np.flatnonzero(mask).tolist()) == reference_ancestors(src, dst, targets)
    for t in range(n):
        expected_mask = np.isin(np.arange(n), sorted(reference_ancestors(src, dst, [t])))
        np.testing.assert_array_equal(reaches(np.array([t]), n, src, dst), expected_mask)
    # creates_cycle(a -> b): exactly when a == b or there already is a path b -> a
    for a in range(n):
        for b in range(n):
            closes = a == b or b in reference_ancestors(src, dst, [a])
            assert creates_cycle(src, dst, a, b) == closes, (a, b)


# ------------------------------------------------------------------ the field schema
def test_the_field_schema_is_declared_once_and_the_record_layout_is_pinned():
    assert NODE_FIELDS + CONN_FIELDS == tuple(FIELD_DTYPES)
    assert tuple(Graph.__dataclass_fields__) == NODE_FIELDS + CONN_FIELDS
    genome_fields = ("node_off", *NODE_FIELDS, "conn_off", *CONN_FIELDS)
    assert tuple(f.name for f in dataclasses.fields(Genomes)) == genome_fields
    g = small_graph()
    for name, dtype in FIELD_DTYPES.items():
        assert getattr(g, name).dtype == dtype, name
    # pickled Graphs hold these records: their layout must never change
    layout = {
        NODE_RECORD: (24, {"node_id": 0, "node_bias": 8, "node_level": 16, "node_act": 20,
                           "node_kind": 22}),
        CONN_RECORD: (40, {"conn_src": 0, "conn_dst": 8, "conn_weight": 16, "conn_innov": 24,
                           "conn_enabled": 32, "conn_recurrent": 33}),
    }  # fmt: skip
    for record, (size, offsets) in layout.items():
        assert record.itemsize == size
        assert {name: record.fields[name][1] for name in record.names} == offsets
    assert NODE_RECORD["node_level"] == np.int32
    for name in NODE_FIELDS:
        assert NODE_RECORD[name] == FIELD_DTYPES[name]
    for name in CONN_FIELDS:
        assert CONN_RECORD[name] == FIELD_DTYPES[name]
    with pytest.raises(TypeError):
        FIELD_DTYPES["node_id"] = np.dtype(np.int32)  # read-only
