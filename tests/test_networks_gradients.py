"""Network.loss_and_grad and Network.vjp against central finite differences, for every
differentiable activation and every loss, on layered MLPs and on random DAGs; vjp against
loss_and_grad through a long-hand output gradient of each loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import (
    DIFFERENTIABLE,
    KINKED,
    graphs,
    random_targets,
    reference_forward,
    reference_loss,
    with_random_values,
)

import networks
from networks import Graph, compile, mlp

# (loss, n_outputs): mse; binary cross-entropy (one logit); softmax cross-entropy (k logits)
LOSS_CASES = [("mse", 2), ("cross_entropy", 1), ("cross_entropy", 3)]
LOSS_IDS = ["mse", "binary_ce", "softmax_ce"]
RTOL = 1e-6
EPS = 1e-4  # five-point stencil: truncation O(EPS^4), rounding O(1e-16 * loss / EPS)
FLOOR = 1e-4  # below this gradient norm the check is absolute: |a - b| < RTOL * FLOOR
KINK_MARGIN = 1e-3  # kinked activations: no pre-activation this close to 0 (>> 2 * EPS)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def central_differences(f, params, eps=EPS):
    """Central differences of f: (m, n_params) -> (m,) at params (n_params,), with the
    five-point stencil (-f(p + 2h e_i) + 8 f(p + h e_i) - 8 f(p - h e_i) + f(p - 2h e_i)) / 12h,
    every i at once through one batched call of f.

    The two-point stencil cannot meet RTOL on every random DAG: at h = 1e-6 rounding in
    the loss (~1e-16 / h) fails tiny gradients, at h = 1e-5 truncation (~h^2 f''') fails
    steep neat_sigmoid chains; each in about 0.3% of examples.
    """
    steps = np.eye(len(params)) * eps
    shifted = np.concatenate(
        [params + 2 * steps, params + steps, params - steps, params - 2 * steps]
    )
    f2, f1, m1, m2 = f(shifted).reshape(4, len(params))
    return (-f2 + 8 * f1 - 8 * m1 + m2) / (12 * eps)


def finite_difference(net, X, y, loss, params, eps=EPS):
    """Central differences of the mean loss, through the population loss."""
    return central_differences(lambda ps: net.losses(X, y, loss, params=ps), params, eps)


def vjp_finite_difference(net, X, d_out, params, eps=EPS):
    """Central differences of sum(d_out * forward(X, params)), through the population
    forward."""
    return central_differences(
        lambda ps: np.sum(d_out * net.forward(X, ps), axis=(1, 2)), params, eps
    )


def reference_output_grad(loss: str, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d(mean loss)/d(outputs) (n, k), written out the long way."""
    n, k = out.shape
    if loss == "mse":
        return 2.0 * (out - np.asarray(y, dtype=np.float64).reshape(n, k)) / (n * k)
    y = np.asarray(y).astype(int)
    if k == 1:
        return ((1.0 / (1.0 + np.exp(-out[:, 0])) - y) / n)[:, None]
    p = np.exp(out - out.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(n), y] -= 1.0
    return p / n


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(FLOOR, np.linalg.norm(a) + np.linalg.norm(b))


def kink_margin(graph: Graph, X) -> float:
    """Smallest |z| over the nodes whose activation has a kink at 0 (inf if none)."""
    _, pre = reference_forward(graph, X)
    kinked = [n.id for n in graph.nodes if n.activation in KINKED and n.id in pre]
    return min((float(np.abs(pre[i]).min()) for i in kinked), default=np.inf)


def check_gradient(graph: Graph, X, y, loss: str) -> None:
    net = compile(graph)
    value, grad = net.loss_and_grad(X, y, loss)
    assert grad.shape == (net.n_params,) and grad.dtype == np.float64
    # the loss value itself, against the naive evaluation and a long-hand loss
    out, _ = reference_forward(graph, X)
    assert value == pytest.approx(reference_loss(loss, out, y), rel=1e-12, abs=1e-12)
    fd = finite_difference(net, X, y, loss, net.params)
    assert rel_error(grad, fd) < RTOL, (grad, fd)
    # the vector-Jacobian product with the loss's output gradient is the loss's gradient
    via_vjp = net.vjp(X, reference_output_grad(loss, out, y))
    np.testing.assert_allclose(via_vjp, grad, rtol=1e-9, atol=1e-12)
    check_dense_trainer(net, X, y, loss, grad)


def check_dense_trainer(net, X, y, loss: str, grad) -> None:
    """An MLP's dense trainer: the same loss and gradient in its own layout, at the
    network's parameters and at others, with each batch size's buffers reused."""
    trainer = net.dense_trainer()
    if trainer is None:
        return
    from networks.losses import check_targets

    y = check_targets(loss, y, X.shape[0], net.n_outputs, net.dtype)
    theta = trainer.theta(net.params)
    np.testing.assert_array_equal(trainer.params(theta), net.params)
    assert sorted(trainer.index.tolist()) == list(range(net.n_params))  # a permutation
    got = np.full_like(theta, np.nan)
    value = trainer.loss_and_grad(X, y, loss, theta, got)
    assert value == pytest.approx(net.loss_and_grad(X, y, loss, check=False)[0], rel=1e-13)
    np.testing.assert_allclose(trainer.params(got), grad, rtol=1e-10, atol=1e-14)
    p = net.params + np.random.default_rng(1).normal(size=net.n_params)
    for rows in (slice(None), slice(0, 4), slice(None)):  # a second size, then the first again
        trainer.loss_and_grad(X[rows], y[rows], loss, trainer.theta(p), got)
        _, expected = net.loss_and_grad(X[rows], y[rows], loss, p, check=False)
        np.testing.assert_allclose(trainer.params(got), expected, rtol=1e-10, atol=1e-14)
    # a batch gathered from the data with its ones column gives the same numbers as its rows
    pick = np.random.default_rng(2).permutation(X.shape[0])[:5]
    again = np.empty_like(got)
    v1 = trainer.loss_and_grad(X[pick], y[pick], loss, theta, got)
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    v2 = trainer.loss_and_grad_rows(X1, pick, y[pick], loss, theta, again)
    assert v1 == v2
    np.testing.assert_array_equal(got, again)


def check_vjp(graph: Graph, X, rng: np.random.Generator) -> None:
    net = compile(graph)
    d_out = rng.normal(size=(X.shape[0], net.n_outputs))
    grad = net.vjp(X, d_out)
    assert grad.shape == (net.n_params,) and grad.dtype == np.float64
    fd = vjp_finite_difference(net, X, d_out, net.params)
    assert rel_error(grad, fd) < RTOL, (grad, fd)
    # at other params, and the unchecked path gives the same numbers
    p = rng.normal(size=net.n_params)
    np.testing.assert_array_equal(net.vjp(X, d_out, p, check=False), net.vjp(X, d_out, p))
    np.testing.assert_array_equal(
        net.vjp(X, d_out, p), compile(net.to_graph(p)).vjp(X, d_out, check=False)
    )


def test_only_layered_dense_networks_get_a_dense_trainer():
    rng = np.random.default_rng(0)
    assert compile(mlp(3, [5, 4], 2, rng=rng)).dense_trainer() is not None
    assert compile(mlp(3, [], 2, rng=rng)).dense_trainer() is not None
    g = mlp(2, [3], 1, rng=rng)
    skip = Graph.from_lists(
        g.nodes, [*g.connections, (int(g.input_ids[0]), int(g.output_ids[0]), 0.5)]
    )
    assert compile(skip).dense_trainer() is None  # a connection skips the hidden layer
    mixed = g.replace(node_act=np.where(g.node_id == g.hidden_ids[0], 2, g.node_act))
    assert compile(mixed).dense_trainer() is None  # two activations in one layer
    two = [compile(g).dense_trainer() for _ in range(2)]
    assert two[0] is not two[1]  # each run trains with buffers of its own


@pytest.mark.parametrize("activation", DIFFERENTIABLE)
@pytest.mark.parametrize(("loss", "n_out"), LOSS_CASES, ids=LOSS_IDS)
def test_mlp_gradient_matches_finite_differences(activation, loss, n_out):
    for seed in range(50):  # the first seed whose pre-activations keep away from kinks
        rng = np.random.default_rng(seed)
        graph = mlp(3, [5, 4], n_out, activation=activation, output_activation=activation, rng=rng)
        bias = rng.uniform(-1, 1, graph.n_nodes)
        graph = graph.replace(node_bias=np.where(graph.node_kind == 0, 0.0, bias))
        X = rng.uniform(-1, 1, size=(9, 3))
        if kink_margin(graph, X) > KINK_MARGIN:
            break
    check_gradient(graph, X, random_targets(loss, 9, n_out, rng), loss)
    check_vjp(graph, X, rng)


@st.composite
def dag_problem(draw, activations=DIFFERENTIABLE):
    loss, n_out = draw(st.sampled_from(LOSS_CASES))
    if n_out > 1:
        n_out = draw(st.integers(2, 3))
    graph = draw(graphs(n_outputs=n_out, activations=activations))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    graph = with_random_values(graph, rng, scale=1.5)
    X = rng.uniform(-1, 1, size=(6, graph.n_inputs))
    return graph, X, random_targets(loss, 6, n_out, rng), loss


@SETTINGS
@given(dag_problem())
def test_random_dag_gradient_mixed_activations(problem):
    graph, X, y, loss = problem
    assume(kink_margin(graph, X) > KINK_MARGIN)
    check_gradient(graph, X, y, loss)


@SETTINGS
@given(dag_problem(), st.integers(0, 2**32 - 1))
def test_random_dag_vjp_matches_finite_differences(problem, seed):
    graph, X, _, _ = problem
    assume(kink_margin(graph, X) > KINK_MARGIN)
    check_vjp(graph, X, np.random.default_rng(seed))


@pytest.mark.parametrize("activation", DIFFERENTIABLE)
@settings(SETTINGS, max_examples=25)
@given(data=st.data())
def test_random_dag_gradient_each_activation(activation, data):
    graph, X, y, loss = data.draw(dag_problem(activations=(activation,)))
    assume(kink_margin(graph, X) > KINK_MARGIN)
    check_gradient(graph, X, y, loss)


def test_gradient_worked_example():
    # out = sigmoid(w x + b), mse: dL/dw = mean(2 (out - y) out (1 - out) x), dL/db likewise
    w, b = 0.7, -0.2
    graph = Graph.from_lists(
        [(5, "input", "identity", 0.0), (9, "output", "sigmoid", b)], [(5, 9, w)]
    )
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.25])
    out = 1 / (1 + np.exp(-(w * x + b)))
    common = 2 * (out - y) * out * (1 - out) / 3
    value, grad = compile(graph).loss_and_grad(x[:, None], y)
    assert value == pytest.approx(np.mean((out - y) ** 2), rel=1e-14)
    np.testing.assert_allclose(grad, [np.sum(common * x), np.sum(common)], rtol=1e-13)


def test_gradient_at_given_params_equals_gradient_of_written_back_graph():
    rng = np.random.default_rng(3)
    net = compile(mlp(4, [6], 3, activation="tanh", rng=rng))
    X, y = rng.normal(size=(10, 4)), rng.integers(0, 3, 10)
    p = rng.normal(size=net.n_params)
    v1, g1 = net.loss_and_grad(X, y, "cross_entropy", params=p)
    v2, g2 = compile(net.to_graph(p)).loss_and_grad(X, y, "cross_entropy")
    assert v1 == pytest.approx(v2, rel=1e-14)
    np.testing.assert_allclose(g1, g2, rtol=1e-13)
    # the unchecked path the optimizers use gives the same numbers (labels as
    # check_targets returns them: int64)
    v3, g3 = net.loss_and_grad(X, y.astype(np.int64), "cross_entropy", p, check=False)
    assert v3 == v1
    np.testing.assert_array_equal(g3, g1)
    v4, g4 = net.loss_and_grad(X, y.astype(np.int64), "cross_entropy", check=False)
    v5, g5 = net.loss_and_grad(X, y, "cross_entropy")
    assert v4 == v5
    np.testing.assert_array_equal(g4, g5)


def test_float32_gradient_close_to_float64():
    rng = np.random.default_rng(4)
    graph = mlp(5, [8, 8], 2, activation="sigmoid", rng=rng)
    X, y = rng.normal(size=(20, 5)), rng.normal(size=(20, 2))
    v64, g64 = compile(graph).loss_and_grad(X, y, "mse")
    v32, g32 = compile(graph, dtype=np.float32).loss_and_grad(X, y, "mse")
    assert g32.dtype == np.float32
    assert v32 == pytest.approx(v64, rel=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-6)


def test_step_activation_is_refused_by_loss_and_grad():
    graph = Graph.from_lists(
        [(0, "input", "identity", 0.0), (1, "hidden", "step", 0.1), (2, "output", "tanh", 0.0)],
        [(0, 1, 1.0), (1, 2, 1.0)],
    )
    net = compile(graph)
    assert not net.differentiable and not graph.differentiable
    np.testing.assert_allclose(net.forward([[1.0], [-1.0]]), np.tanh([[1.0], [0.0]]))
    with pytest.raises(ValueError, match=r"step.*no derivative"):
        net.loss_and_grad([[1.0]], [[0.0]])
    with pytest.raises(ValueError, match=r"step.*no derivative"):
        net.loss_and_grad(np.ones((1, 1)), np.zeros((1, 1)), check=False)
    for check in (True, False):
        with pytest.raises(ValueError, match=r"step.*no derivative"):
            net.vjp(np.ones((1, 1)), np.ones((1, 1)), check=check)
    with pytest.raises(ValueError, match="no derivative"):
        net.check_differentiable()
    assert compile(mlp(2, [2], 1, rng=np.random.default_rng(0))).differentiable


def test_every_registered_differentiable_activation_is_covered():
    # a new activation must be added to the gradient tests (and the reference table)
    registered = {a.name for a in networks.ACTIVATIONS if a.differentiable}
    assert registered == set(DIFFERENTIABLE)


def test_vjp_worked_example():
    # out = tanh(w x + b): d/dw sum(d * out) = sum(d (1 - out^2) x), d/db = sum(d (1 - out^2))
    w, b = -0.3, 0.4
    graph = Graph.from_lists([(0, "input", "identity", 0.0), (1, "output", "tanh", b)], [(0, 1, w)])
    x, d = np.array([0.5, -1.0, 2.0]), np.array([1.0, -2.0, 0.5])
    slope = 1 - np.tanh(w * x + b) ** 2
    grad = compile(graph).vjp(x[:, None], d[:, None])
    np.testing.assert_allclose(grad, [np.sum(d * slope * x), np.sum(d * slope)], rtol=1e-14)


def test_vjp_is_linear_in_d_out_and_float32_close_to_float64():
    rng = np.random.default_rng(7)
    graph = mlp(3, [5, 4], 2, activation="tanh", rng=rng)
    net, net32 = compile(graph), compile(graph, dtype=np.float32)
    X = rng.normal(size=(8, 3))
    d1, d2 = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    np.testing.assert_allclose(
        net.vjp(X, 2 * d1 - d2), 2 * net.vjp(X, d1) - net.vjp(X, d2), rtol=1e-12, atol=1e-12
    )
    g32 = net32.vjp(X, d1)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, net.vjp(X, d1), rtol=1e-4, atol=1e-5)
    # d_out is not changed by the backward pass, which works in a buffer of its own
    before = d1.copy()
    net.vjp(X, d1, check=False)
    np.testing.assert_array_equal(d1, before)


@pytest.mark.parametrize(
    ("d_out", "match"),
    [
        (np.zeros((4, 3)), r"d_out has shape \(4, 3\); expected \(4, 2\)"),
        (np.zeros((5, 2)), r"d_out has shape \(5, 2\); expected \(4, 2\)"),
        (np.zeros(4), r"d_out has shape \(4,\); expected \(4, 2\)"),
        (np.full((4, 2), np.nan), r"d_out contains NaN or inf"),
        ([["a", "b"]] * 4, r"d_out is not numeric"),
    ],
)
def test_vjp_refuses_bad_output_gradients(d_out, match):
    net = compile(mlp(3, [4], 2, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match=match):
        net.vjp(np.zeros((4, 3)), d_out)


def test_vjp_refuses_bad_inputs_and_a_population():
    net = compile(mlp(3, [4], 2, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"inputs have 2 columns; this network takes 3"):
        net.vjp(np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"inputs have shape \(2, 4, 3\)"):
        net.vjp(np.zeros((2, 4, 3)), np.zeros((4, 2)))
    with pytest.raises(
        ValueError, match=r"params have shape \(2, 26\); this network needs \(26,\)$"
    ):
        net.vjp(np.zeros((4, 3)), np.zeros((4, 2)), np.zeros((2, 26)))


@pytest.mark.parametrize(("loss", "k"), LOSS_CASES, ids=LOSS_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_node_major_output_gradient_matches_loss_grad(loss, k, dtype):
    """The training path computes the loss and its output gradient on the outputs as the
    row buffer holds them, (n_out, n): the same numbers as networks.losses.loss_grad on
    (n, n_out), to rounding."""
    from networks._output_grad import output_grad as _output_grad
    from networks.losses import check_targets, loss_grad

    rng = np.random.default_rng(3)
    out = (4 * rng.normal(size=(k, 37))).astype(dtype)
    y = check_targets(loss, random_targets(loss, 37, k, rng), 37, k, dtype)
    value, grad = _output_grad(loss, out, y)
    expected_value, expected_grad = loss_grad(loss, out.T, y)
    assert grad.shape == (k, 37) and grad.dtype == dtype
    rtol = 1e-13 if dtype == np.float64 else 1e-5
    assert value == pytest.approx(expected_value, rel=rtol)
    np.testing.assert_allclose(grad.T, expected_grad, rtol=rtol, atol=rtol * 1e-2)
