"""Compiled forward pass against a naive per-node evaluation; MLP layout; dtypes; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    ALL_ACTIVATIONS,
    DIFFERENTIABLE,
    REFERENCE_ACTIVATIONS,
    graphs,
    reference_forward,
    reference_loss,
    with_random_values,
)

import networks
from networks import Graph, compile, mlp

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def seeded(draw) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


@pytest.mark.parametrize("size", [61, 5001], ids=["small", "large"])  # sigmoids switch paths
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reference_table_matches_registry(size, dtype):
    assert set(REFERENCE_ACTIVATIONS) == set(networks.activation_names())
    z = np.linspace(-200, 200, size).astype(dtype)
    tol = {np.float64: 1e-15, np.float32: 1e-6}[dtype]
    for code, act in enumerate(networks.ACTIVATIONS):
        assert networks.activation_code(act.name) == code
        with np.errstate(over="ignore"):  # the reference's exp overflows to inf in the tails
            expected = REFERENCE_ACTIVATIONS[act.name](z.astype(np.float64))
        out = act.f(z, np.empty_like(z))
        inplace = z.copy()
        act.f(inplace, inplace)  # the compiled network applies activations in place
        assert out.dtype == dtype
        np.testing.assert_allclose(out, expected, rtol=tol * 4, atol=tol, err_msg=act.name)
        np.testing.assert_array_equal(inplace, out)


# ------------------------------------------------------------------ against the reference
@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
@pytest.mark.parametrize("hidden", [[], [7], [5, 6, 4]])
def test_mlp_forward_matches_reference(activation, hidden):
    rng = np.random.default_rng(len(hidden))
    graph = mlp(4, hidden, 3, activation=activation, output_activation="sigmoid", rng=rng)
    graph = with_random_values(graph, rng)
    X = rng.normal(size=(25, 4))
    expected, _ = reference_forward(graph, X)
    out = compile(graph).forward(X)
    assert out.shape == (25, 3) and out.dtype == np.float64
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    if activation != "step":  # a step may flip between float32 and float64
        out32 = compile(graph, dtype=np.float32).forward(X)
        assert out32.dtype == np.float32
        np.testing.assert_allclose(out32, expected, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(graphs(activations=ALL_ACTIVATIONS, max_hidden=8), st.data())
def test_random_dag_forward_matches_reference_float64(graph, data):
    X = seeded(data.draw).normal(size=(data.draw(st.integers(1, 9)), graph.n_inputs))
    expected, _ = reference_forward(graph, X)
    out = compile(graph).forward(X)
    assert out.shape == (X.shape[0], graph.n_outputs)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(graphs(activations=DIFFERENTIABLE, max_hidden=8), st.data())
def test_random_dag_forward_float32_close_to_reference(graph, data):
    X = seeded(data.draw).normal(size=(5, graph.n_inputs))
    expected, _ = reference_forward(graph, X)
    net32 = compile(graph, dtype=np.float32)
    assert net32.params.dtype == np.float32
    out = net32.forward(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out, compile(graph).forward(X), rtol=1e-4, atol=1e-4)


def test_disconnected_output_and_constant_hidden_node():
    # output 11 has no incoming connection: act(bias); hidden 20 has no inputs: a constant;
    # hidden 21 reaches no output; the 0->10 connection is disabled
    graph = Graph.from_lists(
        [
            (0, "input", "identity", 0.0),
            (10, "output", "tanh", 0.3),
            (11, "output", "sigmoid", -0.4),
            (20, "hidden", "sin", 0.5),
            (21, "hidden", "relu", 1.0),
        ],
        [(0, 10, 5.0, False), (20, 10, 2.0), (0, 21, 1.0)],
    )
    X = np.array([[1.0], [-2.0]])
    out = compile(graph).forward(X)
    np.testing.assert_allclose(out[:, 0], np.tanh(0.3 + 2 * np.sin(0.5)))
    np.testing.assert_allclose(out[:, 1], 1 / (1 + np.exp(0.4)))
    net = compile(graph)
    assert net.n_params == 1 + 3  # the one live connection; biases of 20, 10, 11
    assert net.n_connections == 1


def test_losses_match_reference_loss():
    rng = np.random.default_rng(2)
    graph = with_random_values(mlp(3, [4], 3, rng=rng), rng)
    net = compile(graph)
    X = rng.normal(size=(12, 3))
    out, _ = reference_forward(graph, X)
    y_reg, y_cls = rng.normal(size=(12, 3)), rng.integers(0, 3, 12)
    value = net.losses(X, y_reg, "mse")
    assert value.shape == () and float(value) == pytest.approx(reference_loss("mse", out, y_reg))
    assert float(net.losses(X, y_cls, "cross_entropy")) == pytest.approx(
        reference_loss("cross_entropy", out, y_cls)
    )
    one = compile(with_random_values(mlp(3, [4], 1, rng=rng), rng))
    out1 = one.forward(X)
    y01 = rng.integers(0, 2, 12)
    assert float(one.losses(X, y01, "cross_entropy")) == pytest.approx(
        reference_loss("cross_entropy", out1, y01)
    )
    # with one output, mse takes (n,) targets as well as (n, 1)
    assert float(one.losses(X, y_reg[:, 0], "mse")) == float(one.losses(X, y_reg[:, :1], "mse"))


# ------------------------------------------------------------------ MLP layout
def test_mlp_params_layout_is_weight_matrices_then_biases():
    rng = np.random.default_rng(5)
    sizes = [4, 6, 5, 3]
    graph = mlp(sizes[0], sizes[1:-1], sizes[-1], activation="tanh", rng=rng)
    net = compile(graph)
    assert net.depth == len(sizes) - 1
    assert net.n_params == sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    # the initial params are the mlp's weights (connections target-major, layer by layer)
    # with zero biases after each layer
    np.testing.assert_array_equal(net.params[: 6 * 4], graph.conn_weight[: 6 * 4])
    np.testing.assert_array_equal(net.params[6 * 4 : 6 * 4 + 6], 0.0)

    p = rng.normal(size=net.n_params)
    X = rng.normal(size=(8, 4))
    a, at = X, 0
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        W = p[at : at + n_out * n_in].reshape(n_out, n_in)
        b = p[at + n_out * n_in : at + n_out * n_in + n_out]
        at += n_out * n_in + n_out
        a = a @ W.T + b
        if k < len(sizes) - 2:
            a = np.tanh(a)
    np.testing.assert_allclose(net.forward(X, p), a, rtol=1e-12, atol=1e-12)

    # W1[j, i] is the weight of the connection input i -> j-th node of the first layer
    g2 = net.to_graph(p)
    first_hidden = graph.node_id[graph.node_kind == 1][:6]
    for j in (0, 3, 5):
        for i in (0, 2):
            sel = (g2.conn_src == i) & (g2.conn_dst == first_hidden[j])
            assert g2.conn_weight[sel][0] == p[j * 4 + i]
        assert g2.node_bias[g2.node_id == first_hidden[j]][0] == p[24 + j]


@pytest.mark.parametrize("hidden", [[], [3], [3, 3], [2, 5, 2, 4]])
def test_layered_mlp_compiles_to_one_level_per_layer(hidden):
    net = compile(mlp(2, hidden, 2, rng=np.random.default_rng(0)))
    assert net.depth == len(hidden) + 1
    assert repr(net).startswith("Network(") and f"levels={net.depth}" in repr(net)


# ------------------------------------------------------------------ bad input
@pytest.fixture
def net():
    return compile(mlp(3, [4], 2, rng=np.random.default_rng(0)))


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros((5, 4)), r"inputs have 4 columns; this network takes 3"),
        (np.zeros((5, 2)), r"inputs have 2 columns"),
        (np.zeros(3), r"inputs have shape \(3,\); expected \(n_samples, 3\)"),
        (np.zeros((2, 3, 1)), r"inputs have shape \(2, 3, 1\)"),
        (np.array([[0.0, np.nan, 1.0]]), r"NaN or inf"),
        (np.array([[0.0, np.inf, 1.0]]), r"NaN or inf"),
        ([["a", "b", "c"]], r"inputs are not numeric"),
    ],
)
def test_bad_inputs_raise_helpful_errors(net, X, match):
    with pytest.raises(ValueError, match=match):
        net.forward(X)
    with pytest.raises(ValueError, match=match):
        net.loss_and_grad(X, np.zeros((len(np.atleast_1d(X)), 2)))
    with pytest.raises(ValueError, match=match):
        net.losses(X, np.zeros((len(np.atleast_1d(X)), 2)))


@pytest.mark.parametrize(
    ("loss", "y", "match"),
    [
        ("mse", np.array([[0.0, np.nan]] * 4), r"targets contain NaN or inf"),
        ("mse", np.zeros((4, 3)), r"targets have shape \(4, 3\); mse needs \(4, 2\)"),
        ("mse", np.zeros(4), r"targets have shape \(4,\)"),
        ("mse", np.array([["a", "b"]] * 4), r"targets must be numbers"),
        ("cross_entropy", np.array([0, 1, 2, 1]), r"labels must lie in 0\.\.1"),
        ("cross_entropy", np.array([0, -1, 1, 1]), r"labels must lie in 0\.\.1"),
        ("cross_entropy", np.array([0.0, 0.5, 1.0, 1.0]), r"not whole numbers"),
        ("cross_entropy", np.array([0.0, np.nan, 1.0, 1.0]), r"labels contain NaN"),
        ("cross_entropy", np.array(["a", "b", "a", "b"]), r"labels must be integers"),
        ("cross_entropy", np.zeros((4, 2), dtype=int), r"labels have shape \(4, 2\)"),
        ("cross_entropy", np.zeros(5, dtype=int), r"labels have shape \(5,\)"),
        ("hinge", np.zeros(4), r"unknown loss 'hinge'; choose one of mse, cross_entropy"),
    ],
)
def test_bad_targets_raise_helpful_errors(net, loss, y, match):
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match=match):
        net.loss_and_grad(X, y, loss)
    with pytest.raises(ValueError, match=match):
        net.losses(X, y, loss)


def test_whole_float_labels_and_binary_labels_are_accepted(net):
    X = np.zeros((4, 3))
    a = net.loss_and_grad(X, np.array([0.0, 1.0, 1.0, 0.0]), "cross_entropy")
    b = net.loss_and_grad(X, np.array([0, 1, 1, 0]), "cross_entropy")
    assert a[0] == b[0]
    one = compile(mlp(3, [], 1, rng=np.random.default_rng(0)))
    one.loss_and_grad(X, np.array([True, False, True, True]), "cross_entropy")
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1 for a network with 1 output"):
        one.loss_and_grad(X, np.array([0, 1, 2, 0]), "cross_entropy")


@pytest.mark.parametrize(
    "params",
    [np.zeros(3), np.zeros((2, 3)), np.zeros((1, 2, 26)), np.zeros(27)],
    ids=["short", "2d-short", "3d", "long"],
)
def test_wrong_params_shape(net, params):
    assert net.n_params == 26
    with pytest.raises(ValueError, match=r"params have shape .*; this network needs \(26,\)"):
        net.forward(np.zeros((2, 3)), params)
    with pytest.raises(ValueError, match=r"this network needs \(26,\)"):
        net.loss_and_grad(np.zeros((2, 3)), np.zeros((2, 2)), params=params)


def test_loss_and_grad_refuses_a_population(net):
    with pytest.raises(
        ValueError, match=r"params have shape \(2, 26\); this network needs \(26,\)$"
    ):
        net.loss_and_grad(np.zeros((2, 3)), np.zeros((2, 2)), params=np.zeros((2, 26)))


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.complex128])
def test_compile_refuses_other_dtypes(dtype):
    graph = mlp(2, [2], 1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        compile(graph, dtype=dtype)


def test_compile_needs_a_graph():
    with pytest.raises(ValueError, match="compile needs a networks.Graph, got dict"):
        compile({"nodes": []})


def test_forward_accepts_lists_ints_and_empty_batches(net):
    X = [[1, 2, 3], [0, 0, 1]]
    np.testing.assert_array_equal(net.forward(X), net.forward(np.array(X, dtype=float)))
    np.testing.assert_array_equal(net(X), net.forward(X))
    assert net.forward(np.zeros((0, 3))).shape == (0, 2)


def test_unchecked_forward_and_losses_give_the_same_numbers(net):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(5, 3))
    P = rng.normal(size=(4, net.n_params))
    X3 = rng.normal(size=(4, 5, 3))
    for params in (None, P[0], P):
        np.testing.assert_array_equal(net.forward(X, params, check=False), net.forward(X, params))
    np.testing.assert_array_equal(net.forward(X3, P, check=False), net.forward(X3, P))
    y, labels = rng.normal(size=(5, 2)), rng.integers(0, 2, 5)
    y3, labels3 = rng.normal(size=(4, 5, 2)), rng.integers(0, 2, (4, 5))
    for loss, yy, yy3 in (("mse", y, y3), ("cross_entropy", labels, labels3)):
        for params in (None, P[1], P):
            np.testing.assert_array_equal(
                net.losses(X, yy, loss, params, check=False), net.losses(X, yy, loss, params)
            )
        np.testing.assert_array_equal(
            net.losses(X3, yy3, loss, P, check=False), net.losses(X3, yy3, loss, P)
        )
        np.testing.assert_array_equal(
            net.loss_and_grad(X, yy, loss, P[2], check=False)[1],
            net.loss_and_grad(X, yy, loss, P[2])[1],
        )


@pytest.mark.parametrize(
    ("X", "params", "match"),
    [
        (np.zeros((2, 5, 3)), np.zeros((3, 26)), r"2 input batches for 3 individuals"),
        (np.zeros((3, 5, 4)), np.zeros((3, 26)), r"inputs have 4 columns; this network takes 3"),
        (np.full((3, 5, 3), np.nan), np.zeros((3, 26)), r"inputs contain NaN or inf"),
        (
            np.zeros((3, 5, 3)),
            None,
            r"inputs have shape \(3, 5, 3\); inputs \(P, n_samples, 3\), one batch per "
            r"individual, need params \(P, 26\)",
        ),
        (np.zeros((3, 5, 3)), np.zeros(26), r"inputs have shape \(3, 5, 3\);.*need params"),
        (
            np.zeros((1, 3, 5, 3)),
            np.zeros((3, 26)),
            r"inputs have shape \(1, 3, 5, 3\); expected \(n_samples, 3\) or "
            r"\(P, n_samples, 3\)",
        ),
    ],
    ids=["batches-vs-params", "columns", "nan", "no-population", "one-vector", "4d"],
)
def test_bad_per_individual_inputs_raise_helpful_errors(net, X, params, match):
    with pytest.raises(ValueError, match=match):
        net.forward(X, params)
    with pytest.raises(ValueError, match=match):
        net.losses(X, np.zeros(X.shape[:-1] + (2,)), "mse", params)


@pytest.mark.parametrize(
    ("loss", "y", "match"),
    [
        ("mse", np.zeros((5, 2)), r"targets have shape \(5, 2\); mse needs \(3, 5, 2\)"),
        ("mse", np.zeros((3, 5, 1)), r"targets have shape \(3, 5, 1\); mse needs \(3, 5, 2\)"),
        ("cross_entropy", np.zeros(5, int), r"labels have shape \(5,\); .* needs \(3, 5\)"),
        ("cross_entropy", np.full((3, 5), 2), r"labels must lie in 0\.\.1"),
    ],
)
def test_bad_per_individual_targets_raise_helpful_errors(net, loss, y, match):
    with pytest.raises(ValueError, match=match):
        net.losses(np.zeros((3, 5, 3)), y, loss, np.zeros((3, 26)))


# ------------------------------------------------------------------ population evaluation
@SETTINGS
@given(
    graphs(activations=ALL_ACTIVATIONS),
    st.integers(1, 7),
    st.integers(0, 5),
    st.booleans(),
    st.sampled_from([np.float64, np.float32]),
    st.integers(0, 2**32 - 1),
)
def test_population_outputs_do_not_depend_on_the_chunking(graph, P, n, per_individual, dtype, seed):
    """A population is evaluated in chunks of individuals sized to stay in cache: each
    individual's outputs are the same, bit for bit, whatever the chunk, and the same as its
    own single-vector forward on shared inputs."""
    rng = np.random.default_rng(seed)
    net = compile(graph, dtype=dtype)
    params = rng.normal(size=(P, net.n_params)).astype(dtype)
    X = rng.normal(size=(P, n, net.n_inputs) if per_individual else (n, net.n_inputs))
    X = X.astype(dtype)
    whole = net.forward(X, params)
    assert whole.shape == (P, n, net.n_outputs) and whole.dtype == dtype
    for chunk in (1, 2, 3):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(networks.network, "_POP_CHUNK_ELEMENTS", chunk * net.n_rows * max(n, 1))
            np.testing.assert_array_equal(net.forward(X, params), whole)
    if not per_individual:
        for i in range(P):
            np.testing.assert_array_equal(net.forward(X, params[i]), whole[i])


@pytest.mark.parametrize(("dtype", "n_identity"), [(np.float64, 4), (np.float32, 0)])
def test_population_gauss_unit_on_one_sample(dtype, n_identity):
    """numpy 2.4's in-place np.negative (inside the gauss activation) misreads an array
    strided by 8 float64 or 4 float32. On one sample, the population buffer of these
    networks (2 inputs, a row of ones, n_identity hidden units feeding one gauss unit) has
    exactly that stride per individual, and must still give the right outputs."""
    nodes = [(0, "input", "identity", 0.0), (1, "input", "identity", 0.0)]
    nodes += [(-1, "output", "identity", 0.0), (9, "hidden", "gauss", 0.3)]
    conns = [(9, -1, 1.0), (0, 9, 0.7), (1, 9, -0.2)]
    for h in range(2, 2 + n_identity):
        nodes.append((h, "hidden", "identity", 0.1 * h))
        conns += [(h % 2, h, 0.5 - 0.1 * h), (h, 9, 0.3)]
    net = compile(Graph.from_lists(nodes, conns), dtype=dtype)
    assert net.n_rows - net.n_outputs + 1 == {np.float64: 8, np.float32: 4}[dtype]
    rng = np.random.default_rng(0)
    params = rng.normal(size=(3, net.n_params)).astype(dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for X in (rng.normal(size=(3, 1, 2)), rng.normal(size=(1, 2))):
        out = net.forward(X.astype(dtype), params)
        for i in range(3):
            Xi = X[i] if X.ndim == 3 else X
            expected = reference_forward(net.to_graph(params[i]), Xi)[0]
            np.testing.assert_allclose(out[i], expected, **tol)


@pytest.mark.parametrize(("dtype", "k"), [(np.float64, 8), (np.float32, 4)])
def test_population_gauss_output_on_one_sample(dtype, k):
    """The same numpy stride on the outputs: k outputs, the last one gauss, one sample."""
    nodes = [(0, "input", "identity", 0.0)]
    nodes += [(-j, "output", "identity", 0.1 * j) for j in range(1, k)]
    nodes += [(-k, "output", "gauss", 0.2)]
    conns = [(0, -j, 0.3 + 0.1 * j) for j in range(1, k + 1)]
    net = compile(Graph.from_lists(nodes, conns), dtype=dtype)
    rng = np.random.default_rng(1)
    params = rng.normal(size=(3, net.n_params)).astype(dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for X in (rng.normal(size=(3, 1, 1)), rng.normal(size=(1, 1))):
        out = net.forward(X.astype(dtype), params)
        for i in range(3):
            Xi = X[i] if X.ndim == 3 else X
            expected = reference_forward(net.to_graph(params[i]), Xi)[0]
            np.testing.assert_allclose(out[i], expected, **tol)


# ------------------------------------------------------------------ compiling to_graph's Graphs
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiling_a_graph_of_to_graph_reuses_the_layout(dtype):
    """compile(net.to_graph(p)) shares net's layout and is the Network a fresh compile
    gives: the same parameters, outputs and gradients, bit for bit; a pickled copy of the
    Graph (no link to net) and a Graph whose network is gone compile afresh."""
    import gc
    import pickle

    rng = np.random.default_rng(5)
    net = compile(mlp(3, [6, 4], 2, activation="gauss", rng=rng), dtype=dtype)
    p = rng.normal(size=net.n_params)
    graph = net.to_graph(p)
    reused, fresh = compile(graph, dtype=dtype), networks.Network(graph, dtype=dtype)
    assert reused._levels is net._levels and reused.graph is graph and reused.dtype == dtype
    assert fresh._levels is not net._levels
    X = rng.normal(size=(7, 3)).astype(dtype)
    y = rng.normal(size=(7, 2)).astype(dtype)
    for a in (reused, compile(pickle.loads(pickle.dumps(graph)), dtype=dtype)):
        np.testing.assert_array_equal(a.params, fresh.params)
        assert not a.params.flags.writeable
        np.testing.assert_array_equal(a.forward(X), fresh.forward(X))
        np.testing.assert_array_equal(
            a.forward(X, np.stack([p, -p])), fresh.forward(X, np.stack([p, -p]))
        )
        va, ga = a.loss_and_grad(X, y)
        vf, gf = fresh.loss_and_grad(X, y)
        assert va == vf
        np.testing.assert_array_equal(ga, gf)
        assert a.to_graph() == graph
    other = compile(graph, dtype=np.float64 if dtype == np.float32 else np.float32)
    assert other._levels is net._levels and other.params.dtype != dtype
    del net, reused, other
    gc.collect()
    assert compile(graph, dtype=dtype)._levels is not fresh._levels  # afresh, still right
    np.testing.assert_array_equal(compile(graph, dtype=dtype).params, fresh.params)
