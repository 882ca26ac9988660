"""Network.loss_and_grad against central finite differences, for every differentiable
activation and every loss, on layered MLPs and on random DAGs."""

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


def finite_difference(net, X, y, loss, params, eps=EPS):
    """Central differences with the five-point stencil
    (-f(p + 2h e_i) + 8 f(p + h e_i) - 8 f(p - h e_i) + f(p - 2h e_i)) / 12h, every i at
    once through the population loss (one batched call).

    The two-point stencil cannot meet RTOL on every random DAG: at h = 1e-6 rounding in
    the loss (~1e-16 / h) fails tiny gradients, at h = 1e-5 truncation (~h^2 f''') fails
    steep neat_sigmoid chains; each in about 0.3% of examples.
    """
    steps = np.eye(len(params)) * eps
    shifted = np.concatenate(
        [params + 2 * steps, params + steps, params - steps, params - 2 * steps]
    )
    f2, f1, m1, m2 = net.losses(X, y, loss, params=shifted).reshape(4, len(params))
    return (-f2 + 8 * f1 - 8 * m1 + m2) / (12 * eps)


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
    # the unchecked path the optimizers use gives the same numbers
    v3, g3 = net._loss_and_grad(X, y, "cross_entropy", p)
    assert v3 == v1
    np.testing.assert_array_equal(g3, g1)


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
    with pytest.raises(ValueError, match="no derivative"):
        net.check_differentiable()
    assert compile(mlp(2, [2], 1, rng=np.random.default_rng(0))).differentiable


def test_every_registered_differentiable_activation_is_covered():
    # a new activation must be added to the gradient tests (and the reference table)
    registered = {a.name for a in networks.ACTIVATIONS if a.differentiable}
    assert registered == set(DIFFERENTIABLE)
