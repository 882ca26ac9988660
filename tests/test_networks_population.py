"""Batched evaluation: a population of parameter vectors of one topology
(Network.forward / Network.losses with params (P, n_params), on shared or per-individual
inputs), a population of Graphs of different topologies (PopulationBatch / forward_many, on
shared or per-graph inputs) and a population as one struct of arrays (Genomes). Every
batched result is checked against the naive per-node evaluation (strategies.
reference_forward) of each individual on its own, not only against the batched code."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    ALL_ACTIVATIONS,
    DIFFERENTIABLE,
    graphs,
    random_targets,
    reference_forward,
    reference_loss,
)

import networks.network
import networks.population
from networks import (
    Genomes,
    Graph,
    PopulationBatch,
    compile,
    find_pairs,
    forward_many,
    minimal,
    mlp,
    segment_gather,
    segment_offsets,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = dict(rtol=1e-12, atol=1e-12)
TOL32 = dict(rtol=1e-4, atol=1e-4)


def reference_outputs(net, params, X) -> np.ndarray:
    """The naive evaluation of the network's graph with weights params (n_params,)."""
    return reference_forward(net.to_graph(params), X)[0]


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
        np.testing.assert_allclose(out[i], reference_outputs(net, params[i], X), **TOL)
        np.testing.assert_array_equal(out[i], net.forward(X, params[i]))


@SETTINGS
@given(
    graphs(activations=DIFFERENTIABLE),
    st.integers(1, 5),
    st.integers(0, 6),
    st.sampled_from([np.float64, np.float32]),
    st.integers(0, 2**32 - 1),
)
def test_per_individual_inputs_equal_separate_calls(graph, P, n, dtype, seed):
    rng = np.random.default_rng(seed)
    net = compile(graph, dtype=dtype)
    params = rng.normal(size=(P, net.n_params)).astype(dtype)
    X = rng.normal(size=(P, n, net.n_inputs)).astype(dtype)
    out = net.forward(X, params)
    assert out.shape == (P, n, net.n_outputs) and out.dtype == dtype
    np.testing.assert_array_equal(net.forward(X, params, check=False), out)
    for i in range(P):
        expected = reference_outputs(net, params[i], X[i])
        np.testing.assert_allclose(out[i], expected, **(TOL if dtype == np.float64 else TOL32))
        np.testing.assert_allclose(out[i], net.forward(X[i], params[i]), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("per_individual", [False, True])
def test_population_forward_in_chunks(monkeypatch, per_individual):
    rng = np.random.default_rng(0)
    net = compile(mlp(5, [9, 4], 3, activation="sin", rng=rng))
    params = rng.normal(size=(11, net.n_params))
    X = rng.normal(size=(11, 6, 5) if per_individual else (6, 5))
    whole = net.forward(X, params)
    monkeypatch.setattr(networks.network, "_POP_CHUNK_ELEMENTS", 3 * net.n_rows * 6)
    np.testing.assert_array_equal(net.forward(X, params), whole)  # chunks of 3, last of 2
    monkeypatch.setattr(networks.network, "_POP_CHUNK_ELEMENTS", 1)
    np.testing.assert_array_equal(net.forward(X, params), whole)  # one at a time
    for i in range(11):
        Xi = X[i] if per_individual else X
        np.testing.assert_allclose(whole[i], reference_outputs(net, params[i], Xi), **TOL)


@pytest.mark.parametrize(
    ("loss", "n_out"), [("mse", 2), ("cross_entropy", 1), ("cross_entropy", 4)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("per_individual", [False, True])
def test_population_losses_equal_individual_losses(loss, n_out, dtype, per_individual):
    rng = np.random.default_rng(1)
    graph = mlp(3, [5], n_out, activation="tanh", rng=rng)
    net = compile(graph, dtype=dtype)
    params = rng.normal(size=(6, net.n_params))
    if per_individual:  # inputs and targets of each individual's own
        X = rng.normal(size=(6, 10, 3))
        y = np.stack([random_targets(loss, 10, n_out, rng) for _ in range(6)])
    else:
        X = rng.normal(size=(10, 3))
        y = random_targets(loss, 10, n_out, rng)
    values = net.losses(X, y, loss, params=params)
    assert values.shape == (6,)
    rel = 1e-5 if dtype == np.float32 else 1e-12
    for i in range(6):
        Xi, yi = (X[i], y[i]) if per_individual else (X, y)
        expected = reference_loss(loss, reference_outputs(net, params[i], Xi), yi)
        assert float(values[i]) == pytest.approx(expected, rel=rel)
        single = net.losses(Xi, yi, loss, params=params[i])
        assert single.shape == ()
        assert float(single) == pytest.approx(expected, rel=rel)
        if dtype == np.float64:
            assert net.loss_and_grad(Xi, yi, loss, params=params[i])[0] == pytest.approx(
                expected, rel=1e-12
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


def per_graph_inputs(X: np.ndarray, P: int) -> np.ndarray:
    """(P, n, n_in): a different batch for every graph, derived from X (n, n_in)."""
    return np.stack([np.roll(X, p, axis=0) * (1.0 + 0.5 * p) - 0.1 * p for p in range(P)])


def check_against_alone(graphs_, X, dtype=np.float64, tol=1e-12):
    """The batch on shared inputs X (n, n_in) and on per-graph inputs derived from it,
    against each graph compiled alone and the naive evaluation of each graph."""
    batch = PopulationBatch(graphs_, dtype=dtype)
    out = batch.forward(X)
    assert out.shape == (len(graphs_), X.shape[0], graphs_[0].n_outputs)
    assert out.dtype == dtype
    X3 = per_graph_inputs(X, len(graphs_))
    out3 = batch.forward(X3)
    assert out3.shape == out.shape and out3.dtype == dtype
    for i, g in enumerate(graphs_):
        for o, Xi in ((out[i], X), (out3[i], X3[i])):
            np.testing.assert_allclose(o, reference_forward(g, Xi)[0], rtol=tol, atol=tol)
            np.testing.assert_allclose(o, compile(g).forward(Xi), rtol=tol, atol=tol)
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
    ref = np.stack([reference_forward(g, X)[0] for g in graphs_])
    np.testing.assert_allclose(out32, ref, **TOL32)
    np.testing.assert_allclose(out32, forward_many(graphs_, X), **TOL32)


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
        np.testing.assert_allclose(out[i], reference_forward(g, X)[0], **TOL)
        np.testing.assert_allclose(out[i], compile(g).forward(X), **TOL)


def test_population_batch_is_reusable_and_float32():
    graphs_ = special_graphs()
    batch = PopulationBatch(graphs_, dtype=np.float32)
    X = np.random.default_rng(2).normal(size=(4, 2))
    a, b = batch.forward(X), batch.forward(X)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    # the step output may flip on float32 rounding; compare the continuous outputs
    ref = np.stack([reference_forward(g, X)[0] for g in graphs_])
    np.testing.assert_allclose(a[:, :, 0], ref[:, :, 0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(a[:4], ref[:4], rtol=1e-4, atol=1e-5)  # (no step in these)


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
    np.testing.assert_allclose(kept.forward(X)[0], reference_forward(g, X)[0], **TOL)
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


# ------------------------------------------------------------------ per-graph inputs
@SETTINGS
@given(
    st.data(),
    st.sampled_from(["compiled", "fallback"]),
    st.sampled_from([np.float64, np.float32]),
)
def test_per_graph_inputs_equal_each_graph_alone(data, path, dtype):
    n_in, n_out = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    acts = ALL_ACTIVATIONS if dtype == np.float64 else DIFFERENTIABLE  # (a step may flip)
    graphs_ = data.draw(population_problem(n_in, n_out, activations=acts))
    P, n = len(graphs_), data.draw(st.integers(0, 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(P, n, n_in))
    tol = TOL if dtype == np.float64 else TOL32
    with pytest.MonkeyPatch.context() as mp:
        if path == "fallback":
            mp.setattr(networks.population, "_matvecs", None)
        batch = PopulationBatch(graphs_, dtype=dtype)
        out = batch.forward(X)
        assert out.shape == (P, n, n_out) and out.dtype == dtype
        np.testing.assert_array_equal(batch.forward(X.astype(dtype), check=False), out)
        np.testing.assert_array_equal(forward_many(graphs_, X, dtype=dtype), out)
        for i, g in enumerate(graphs_):
            np.testing.assert_allclose(out[i], reference_forward(g, X[i])[0], **tol)
            alone = compile(g, dtype=dtype).forward(X[i])
            np.testing.assert_allclose(out[i], alone, **tol, err_msg=f"graph {i}")


@pytest.mark.parametrize("path", ["compiled", "fallback"])
def test_per_graph_inputs_that_are_all_the_same_give_the_shared_result(monkeypatch, path):
    if path == "fallback":
        monkeypatch.setattr(networks.population, "_matvecs", None)
    graphs_ = special_graphs()
    batch = PopulationBatch(graphs_)
    X = np.random.default_rng(9).normal(size=(8, 2))
    same = np.broadcast_to(X, (len(graphs_), 8, 2)).copy()
    # the same sums in the same order, from other rows: bit for bit the same outputs
    np.testing.assert_array_equal(batch.forward(same), batch.forward(X))
    np.testing.assert_array_equal(batch.forward(X, check=False), batch.forward(X))
    # and the shared path still works after the per-graph one was built
    np.testing.assert_allclose(batch.forward(X)[2], reference_forward(graphs_[2], X)[0], **TOL)


def test_per_graph_inputs_of_one_graph_and_of_many_samples():
    rng = np.random.default_rng(10)
    g = mlp(3, [4], 2, activation="tanh", rng=rng)
    X = rng.normal(size=(1, 5, 3))
    np.testing.assert_allclose(forward_many([g], X)[0], reference_forward(g, X[0])[0], **TOL)
    graphs_ = special_graphs()
    X = rng.uniform(-1, 1, size=(len(graphs_), 5000, 2))
    out = forward_many(graphs_, X)
    for i, g in enumerate(graphs_):
        np.testing.assert_allclose(out[i], reference_forward(g, X[i])[0], **TOL)


def test_batch_refuses_bad_per_graph_inputs():
    batch = PopulationBatch(special_graphs())  # 5 graphs, 2 inputs
    with pytest.raises(
        ValueError,
        match=r"inputs have shape \(4, 3, 2\): 4 input batches for 5 graphs; per-graph "
        r"inputs need \(5, n_samples, 2\)",
    ):
        batch.forward(np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match="inputs have 3 columns; this network takes 2"):
        batch.forward(np.zeros((5, 3, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        batch.forward(np.full((5, 3, 2), np.inf))
    with pytest.raises(
        ValueError, match=r"inputs have shape \(1, 5, 3, 2\); expected \(n_samples, 2\) or"
    ):
        batch.forward(np.zeros((1, 5, 3, 2)))
    with pytest.raises(ValueError, match=r"4 input batches for 5 graphs"):
        forward_many(special_graphs(), np.zeros((4, 3, 2)))


# ------------------------------------------------------------------ Genomes
@settings(SETTINGS, max_examples=30)
@given(population_problem(2, 2), st.integers(0, 2**32 - 1))
def test_genomes_batch_equals_the_graphs_evaluated_alone(graphs_, seed):
    genomes = Genomes.from_graphs(graphs_)
    assert genomes.n == len(graphs_)
    batch = genomes.batch(np.float64)
    np.testing.assert_array_equal(batch.n_enabled, [g.n_enabled for g in graphs_])
    X = np.random.default_rng(seed).normal(size=(4, 2))
    for XX in (X, per_graph_inputs(X, len(graphs_))):
        out = batch.forward(XX)
        for i, g in enumerate(graphs_):
            Xi = XX if XX.ndim == 2 else XX[i]
            np.testing.assert_allclose(out[i], reference_forward(g, Xi)[0], **TOL)


def test_segment_helpers_worked_example():
    off = segment_offsets(np.array([2, 0, 3]))
    assert off.tolist() == [0, 2, 2, 5]
    pos, new_off = segment_gather(off, np.array([2, 0, 2, 1]))
    assert pos.tolist() == [2, 3, 4, 0, 1, 2, 3, 4] and new_off.tolist() == [0, 3, 5, 8, 8]
    # which wanted (owner, key) pairs occur among the sorted (owner, key), and where
    owner, key = np.array([0, 0, 1, 1, 1]), np.array([3, 7, -1, 3, 9])
    want_owner, want_key = np.array([1, 0, 0, 1, 2]), np.array([3, 3, 9, -1, 3])
    hit, at = find_pairs(want_owner, want_key, owner, key)
    assert hit.tolist() == [0, 1, 3] and at.tolist() == [3, 0, 2]
    # unsorted pairs, with the order that sorts them: positions among the unsorted ones
    perm = np.array([3, 0, 4, 2, 1])
    o, k = owner[perm], key[perm]
    hit, at = find_pairs(want_owner, want_key, o, k, order=np.lexsort((k, o)))
    assert hit.tolist() == [0, 1, 3] and perm[at].tolist() == [3, 0, 2]
    assert [len(a) for a in find_pairs(want_owner, want_key, owner[:0], key[:0])] == [0, 0]
