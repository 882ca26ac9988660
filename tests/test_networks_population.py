"""Batched evaluation: a population of parameter vectors of one topology
(Network.forward / Network.losses with params (P, n_params)) and a population of Graphs of
different topologies (PopulationBatch / forward_many)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import ALL_ACTIVATIONS, DIFFERENTIABLE, graphs, random_targets

import networks.network
import networks.population
from networks import Graph, PopulationBatch, compile, forward_many, minimal, mlp

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ one topology, P params
@SETTINGS
@given(graphs(activations=ALL_ACTIVATIONS), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_population_forward_equals_one_by_one(graph, P, seed):
    rng = np.random.default_rng(seed)
    net = compile(graph)
    params = rng.normal(size=(P, net.n_params))
    X = rng.normal(size=(7, net.n_inputs))
    out = net.forward(X, params)
    assert out.shape == (P, 7, net.n_outputs)
    for i in range(P):
        np.testing.assert_allclose(out[i], net.forward(X, params[i]), rtol=1e-12, atol=1e-12)


def test_population_forward_in_chunks(monkeypatch):
    rng = np.random.default_rng(0)
    net = compile(mlp(5, [9, 4], 3, activation="sin", rng=rng))
    params = rng.normal(size=(11, net.n_params))
    X = rng.normal(size=(6, 5))
    whole = net.forward(X, params)
    monkeypatch.setattr(networks.network, "_POP_CHUNK_ELEMENTS", 3 * net.n_rows * 6)
    np.testing.assert_array_equal(net.forward(X, params), whole)  # chunks of 3, last of 2
    monkeypatch.setattr(networks.network, "_POP_CHUNK_ELEMENTS", 1)
    np.testing.assert_array_equal(net.forward(X, params), whole)  # one at a time
    for i in (0, 10):
        np.testing.assert_allclose(whole[i], net.forward(X, params[i]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("loss", "n_out"), [("mse", 2), ("cross_entropy", 1), ("cross_entropy", 4)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_population_losses_equal_individual_losses(loss, n_out, dtype):
    rng = np.random.default_rng(1)
    graph = mlp(3, [5], n_out, activation="tanh", rng=rng)
    net = compile(graph, dtype=dtype)
    params = rng.normal(size=(6, net.n_params))
    X = rng.normal(size=(10, 3))
    y = random_targets(loss, 10, n_out, rng)
    values = net.losses(X, y, loss, params=params)
    assert values.shape == (6,)
    for i in range(6):
        single = net.losses(X, y, loss, params=params[i])
        assert single.shape == ()
        assert float(values[i]) == pytest.approx(
            float(single), rel=1e-5 if dtype == np.float32 else 1e-12
        )
        if dtype == np.float64:
            assert net.loss_and_grad(X, y, loss, params=params[i])[0] == pytest.approx(
                float(values[i]), rel=1e-12
            )


def test_one_row_population_keeps_its_axis():
    net = compile(mlp(2, [3], 1, rng=np.random.default_rng(0)))
    X = np.ones((4, 2))
    assert net.forward(X, net.params[None]).shape == (1, 4, 1)
    assert net.forward(X, net.params).shape == (4, 1)
    np.testing.assert_array_equal(net.forward(X, net.params[None])[0], net.forward(X))


# ------------------------------------------------------------------ many topologies
def population_problem(n_in, n_out, max_graphs=6, activations=ALL_ACTIVATIONS):
    return st.lists(
        graphs(n_inputs=n_in, n_outputs=n_out, activations=activations, max_hidden=7),
        min_size=1,
        max_size=max_graphs,
    )


def check_against_alone(graphs_, X, dtype=np.float64, tol=1e-12):
    batch = PopulationBatch(graphs_, dtype=dtype)
    out = batch.forward(X)
    assert out.shape == (len(graphs_), X.shape[0], graphs_[0].n_outputs)
    assert out.dtype == dtype
    for i, g in enumerate(graphs_):
        alone = compile(g).forward(X)
        np.testing.assert_allclose(out[i], alone, rtol=tol, atol=tol, err_msg=f"graph {i}")
    np.testing.assert_array_equal(batch.n_enabled, [g.n_enabled for g in graphs_])
    return out


@SETTINGS
@given(st.data(), st.sampled_from(["compiled", "fallback"]))
def test_forward_many_equals_each_graph_alone(data, path):
    n_in, n_out = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    graphs_ = data.draw(population_problem(n_in, n_out))
    n = data.draw(st.integers(1, 6))
    X = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(size=(n, n_in))
    with pytest.MonkeyPatch.context() as mp:
        if path == "fallback":
            mp.setattr(networks.population, "_matvecs", None)
        check_against_alone(graphs_, X)


@settings(SETTINGS, max_examples=15)
@given(population_problem(2, 2, activations=DIFFERENTIABLE))
def test_forward_many_float32_close_to_float64(graphs_):
    X = np.random.default_rng(0).normal(size=(6, 2))
    out32 = forward_many(graphs_, X, dtype=np.float32)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, forward_many(graphs_, X), rtol=1e-4, atol=1e-4)


def special_graphs() -> list[Graph]:
    """Disconnected outputs, constant hidden nodes, dead-end hidden nodes, disabled
    connections, negative and overlapping node ids."""
    rng = np.random.default_rng(3)
    g1 = Graph.from_lists(  # output 11 disconnected; hidden 20 constant; 21 a dead end
        [
            (0, "input", "identity", 0.0),
            (1, "input", "identity", 0.0),
            (10, "output", "tanh", 0.3),
            (11, "output", "sigmoid", -0.4),
            (20, "hidden", "sin", 0.5),
            (21, "hidden", "relu", 1.0),
        ],
        [(0, 10, 5.0, False), (20, 10, 2.0), (0, 21, 1.0), (1, 10, -0.5)],
    )
    g2 = Graph.from_lists(  # nothing connected at all
        [
            (-2, "input", "identity", 0.0),
            (-1, "input", "identity", 0.0),
            (0, "output", "identity", 0.25),
            (1, "output", "gauss", 1.5),
        ],
        [],
    )
    g3 = mlp(2, [4, 3], 2, activation="leaky_relu", output_activation="abs", rng=rng)
    g4 = minimal(2, 2, rng=rng)
    g5 = Graph.from_lists(  # deep chain with input skips and a constant feeding it
        [(5, "input", "identity", 0.0), (6, "input", "identity", 0.0)]
        + [(100 + k, "hidden", "tanh", 0.1 * k) for k in range(6)]
        + [(7, "output", "neat_sigmoid", 0.0), (8, "output", "step", 0.2)],
        [(5, 100, 1.0), (6, 102, -1.0)]
        + [(100 + k, 101 + k, 0.9) for k in range(5)]
        + [(105, 7, 1.3), (5, 7, 0.4), (6, 8, 1.0), (103, 8, -0.7)],
    )
    return [g1, g2, g3, g4, g5]


def test_the_compiled_sparse_kernel_is_found():
    # the fast path must not silently fall back on the supported scipy versions
    assert networks.population._matvecs is not None


@pytest.mark.parametrize("path", ["compiled", "fallback"])
def test_forward_many_special_graphs(monkeypatch, path):
    if path == "fallback":
        monkeypatch.setattr(networks.population, "_matvecs", None)
    X = np.random.default_rng(0).normal(size=(9, 2))
    out = check_against_alone(special_graphs(), X)
    np.testing.assert_allclose(out[1], np.broadcast_to([0.25, np.exp(-2.25)], (9, 2)))
    np.testing.assert_allclose(out[0][:, 1], 1 / (1 + np.exp(0.4)))


@pytest.mark.parametrize("path", ["compiled", "fallback"])
def test_forward_many_large_batch(monkeypatch, path):
    if path == "fallback":
        monkeypatch.setattr(networks.population, "_matvecs", None)
    graphs_ = special_graphs()
    X = np.random.default_rng(1).uniform(-1, 1, size=(20_000, 2))
    batch = PopulationBatch(graphs_)
    out = batch.forward(X)
    assert bool(batch._sparse) == (path == "fallback")  # sparse matrices only as fallback
    for i, g in enumerate(graphs_):
        np.testing.assert_allclose(out[i], compile(g).forward(X), rtol=1e-12, atol=1e-12)


def test_population_batch_is_reusable_and_float32():
    graphs_ = special_graphs()
    batch = PopulationBatch(graphs_, dtype=np.float32)
    X = np.random.default_rng(2).normal(size=(4, 2))
    a, b = batch.forward(X), batch.forward(X)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    # the step output may flip on float32 rounding; compare the continuous outputs
    ref = forward_many(graphs_, X)
    np.testing.assert_allclose(a[:, :, 0], ref[:, :, 0], rtol=1e-4, atol=1e-5)


def unknown_levels(g: Graph) -> Graph:
    """The same Graph without the levels its validation keeps."""
    return Graph.unchecked(**{name: getattr(g, name) for name in g.__dataclass_fields__})


def test_kept_and_computed_levels_give_the_same_outputs():
    graphs_ = special_graphs()
    unknown = [unknown_levels(g) for g in graphs_]
    assert all((g._level >= 0).all() for g in graphs_)  # validated, the builders' too
    assert all((g._level == -1).all() for g in unknown)
    X = np.random.default_rng(6).normal(size=(7, 2))
    kept = forward_many(graphs_, X)
    np.testing.assert_array_equal(forward_many(unknown, X), kept)
    np.testing.assert_array_equal(forward_many(graphs_[:3] + unknown[3:], X), kept)
    check_against_alone(unknown, X)


def test_a_disabled_connection_deepens_the_kept_levels_not_the_outputs():
    # 2 -> 3 is disabled: over all connections 3 sits on level 2 and the output on 3; over
    # the enabled ones alone they are on 1 and 2
    g = Graph.from_lists(
        [
            (0, "input", "identity", 0.0),
            (1, "output", "tanh", 0.1),
            (2, "hidden", "sin", 0.2),
            (3, "hidden", "relu", 0.3),
        ],
        [(0, 2, 1.5), (2, 3, 2.0, False), (0, 3, -0.7), (3, 1, 1.1), (2, 1, 0.4)],
    )
    assert g._level.tolist() == [0, 3, 1, 2]
    X = np.linspace(-2, 2, 9)[:, None]
    kept, computed = PopulationBatch([g, g]), PopulationBatch([unknown_levels(g)] * 2)
    assert (len(kept._levels), len(computed._levels)) == (3, 2)
    np.testing.assert_allclose(kept.forward(X)[0], compile(g).forward(X), rtol=1e-15)
    np.testing.assert_array_equal(kept.forward(X), computed.forward(X))


def test_forward_many_refuses_mismatched_sizes_and_bad_items():
    rng = np.random.default_rng(0)
    a = mlp(2, [3], 1, rng=rng)
    with pytest.raises(
        ValueError, match=r"graph 1 has 3 inputs and 1 outputs, graph 0 has 2 and 1"
    ):
        forward_many([a, mlp(3, [3], 1, rng=rng)], np.zeros((1, 2)))
    with pytest.raises(
        ValueError, match=r"graph 2 has 2 inputs and 2 outputs, graph 0 has 2 and 1"
    ):
        PopulationBatch([a, a, mlp(2, [], 2, rng=rng)])
    with pytest.raises(ValueError, match="at least one Graph"):
        forward_many([], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="needs networks.Graph objects, got a str"):
        PopulationBatch([a, "graph"])
    batch = PopulationBatch([a, a])
    with pytest.raises(ValueError, match="inputs have 3 columns; this network takes 2"):
        batch.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        batch.forward(np.array([[np.nan, 0.0]]))


def relabel(graph: Graph, scale: int, shift: int) -> Graph:
    """The same graph with every node id mapped to id * scale + shift."""
    return graph.replace(
        node_id=graph.node_id * scale + shift,
        conn_src=graph.conn_src * scale + shift,
        conn_dst=graph.conn_dst * scale + shift,
        validate=True,
    )


def test_forward_many_with_far_apart_node_ids():
    # ids spread over ~1e12 take the sorted-search lookup instead of the direct table
    graphs_ = special_graphs()
    far = [relabel(g, 10**9 + k, -(5**k)) for k, g in enumerate(graphs_)]
    X = np.random.default_rng(4).normal(size=(3, 2))
    np.testing.assert_array_equal(forward_many(far, X), forward_many(graphs_, X))
    check_against_alone(far, X)


def test_forward_many_with_every_connection_disabled():
    rng = np.random.default_rng(5)
    graphs_ = []
    for _ in range(3):
        g = mlp(2, [3], 2, activation="tanh", output_activation="sigmoid", rng=rng)
        bias = np.where(g.node_kind == 0, 0.0, rng.normal(size=g.n_nodes))
        graphs_.append(g.replace(conn_enabled=np.zeros(g.n_connections, bool), node_bias=bias))
    out = check_against_alone(graphs_, np.ones((4, 2)))
    for g, o in zip(graphs_, out):
        expected = 1 / (1 + np.exp(-g.node_bias[g.node_kind == 2]))
        np.testing.assert_allclose(o, np.broadcast_to(expected, (4, 2)), rtol=1e-15)
    assert PopulationBatch(graphs_).n_enabled.tolist() == [0, 0, 0]


def chain(ids, weights, bias) -> Graph:
    """input ids[0] -> hidden ids[1] -> output ids[2]."""
    (i, h, o), (w1, w2) = ids, weights
    return Graph.from_lists(
        [(i, "input", "identity", 0.0), (h, "hidden", "tanh", bias), (o, "output", "sin", 0.0)],
        [(i, h, w1), (h, o, w2)],
    )


@pytest.mark.parametrize("big", [2**62, 2**63 - 1])
def test_forward_many_with_node_ids_near_the_int64_limits(big):
    # keys graph * span + id would wrap around int64 (graph 4's node 1 onto graph 0's
    # node 5 when big = 2**62): the ids are ranked first
    graphs_ = [chain((0, 5, big), (2.0, 3.0), 0.5)]
    graphs_ += [chain((1, 2, 3), (0.5 + k, -1.0), -0.1 * k) for k in range(5)]
    graphs_.append(chain((-(2**63), -5, 7), (1.5, 0.7), 0.2))
    X = np.linspace(-1, 1, 5)[:, None]
    check_against_alone(graphs_, X)


def test_population_batch_dtype_must_be_a_float_it_computes_in():
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got float16"):
        PopulationBatch(special_graphs(), dtype=np.float16)


@pytest.mark.parametrize("scale", [1, 10**9])  # direct table, sorted search
@pytest.mark.parametrize("where", ["between-ids", "beyond-ids"])
def test_unvalidated_dangling_connection_is_refused(scale, where):
    good = relabel(mlp(2, [2], 1, rng=np.random.default_rng(0)), 2 * scale, 0)
    missing = 2 * scale + 1 if where == "between-ids" else 99 * scale
    first = good.conn_dst == good.conn_dst[0]
    bad = good.replace(conn_dst=np.where(first, missing, good.conn_dst))
    with pytest.raises(ValueError, match="names a node that does not exist in its graph"):
        PopulationBatch([good, bad])
