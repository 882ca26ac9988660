"""Backprop: update rules against hand-worked steps, the optimizer end to end (SGD/Adam
steps, weight decay, clipping, maximisation, early stopping, divergence), exact metering,
and quality bars on digits and two spirals."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from helpers import (
    MaximizeProblem,
    objective,
    regression_problem,
    run,
    sine_initial,
    xor_initial,
    xor_problem,
)

import networks
import optimizers
from networks import Graph
from optimizers import SGD, Adam, Architecture, Budget, Momentum, SupervisedProblem, fit
from optimizers.updates import clip_by_global_norm

Backprop = optimizers.get("backprop")


def weights(graph: Graph) -> dict:
    """{(source, target): weight} and {node: bias} of a Graph, for hand-worked checks."""
    w = {(c.source, c.target): c.weight for c in graph.connections}
    b = {n.id: n.bias for n in graph.nodes if n.kind != "input"}
    return w, b


def one_step(problem, initial: Graph, **params):
    """The run after exactly one full-batch epoch (= one update) from ``initial``."""
    result = fit(
        Backprop(batch_size=None, **params),
        problem,
        Budget(steps=1),
        np.random.default_rng(0),
        initial=initial,
    )
    assert result.meter["steps"] == 1
    return result


# --------------------------------------------------------------------------- update rules
def test_sgd_step():
    g = np.array([0.4, -0.2])
    step, state = SGD(lr=0.1).update(g, SGD(lr=0.1).init(g))
    assert step == pytest.approx([-0.04, 0.02], abs=1e-17)
    assert state == ()


def test_momentum_and_nesterov_two_steps_by_hand():
    g1, g2 = np.array([1.0]), np.array([0.5])
    heavy = Momentum(lr=0.1, beta=0.9)
    s1, st = heavy.update(g1, heavy.init(g1))  # v1 = 1 -> step -0.1
    s2, st = heavy.update(g2, st)  # v2 = 0.9 * 1 + 0.5 = 1.4 -> step -0.14
    assert s1[0] == pytest.approx(-0.1, abs=1e-15)
    assert s2[0] == pytest.approx(-0.14, abs=1e-15)
    assert st.velocity[0] == pytest.approx(1.4, abs=1e-15)
    nest = Momentum(lr=0.1, beta=0.9, nesterov=True)  # step = -lr (g + beta v), as PyTorch
    s1, st = nest.update(g1, nest.init(g1))  # v1 = 1; -0.1 * (1 + 0.9) = -0.19
    s2, st = nest.update(g2, st)  # v2 = 1.4; -0.1 * (0.5 + 0.9 * 1.4) = -0.176
    assert s1[0] == pytest.approx(-0.19, abs=1e-15)
    assert s2[0] == pytest.approx(-0.176, abs=1e-15)


def test_adam_two_steps_by_hand():
    rule = Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    g1, g2 = np.array([0.4, -2.0]), np.array([-0.2, -2.0])
    s1, st = rule.update(g1, rule.init(g1))
    # step 1: mu = 0.1 g, nu = 0.001 g^2; bias-corrected mu_hat = g, nu_hat = g^2, so the
    # step is -lr * g / (|g| + eps), i.e. -lr * sign(g) up to eps
    assert s1 == pytest.approx([-0.1 * 0.4 / (0.4 + 1e-8), 0.1 * 2.0 / (2.0 + 1e-8)], rel=1e-14)
    # step 2 (first coordinate): mu = 0.9 * 0.04 + 0.1 * -0.2 = 0.016
    # nu = 0.999 * 0.00016 + 0.001 * 0.04 = 0.00019984
    # mu_hat = 0.016 / (1 - 0.81) = 0.0842105..., nu_hat = 0.00019984 / (1 - 0.998001)
    # the state holds the sums m = mu / (1 - b1), v = nu / (1 - b2)
    s2, st = rule.update(g2, st)
    assert st.count == 2
    assert st.m[0] == pytest.approx(0.016 / 0.1, rel=1e-14)
    assert st.v[0] == pytest.approx(0.00019984 / 0.001, rel=1e-14)
    mu_hat, nu_hat = 0.016 / 0.19, 0.00019984 / 0.001999
    assert s2[0] == pytest.approx(-0.1 * mu_hat / (math.sqrt(nu_hat) + 1e-8), rel=1e-13)
    # a constant gradient keeps the step at -lr * sign(g)
    assert s2[1] == pytest.approx(0.1 * 2.0 / (2.0 + 1e-8), rel=1e-13)


@pytest.mark.parametrize(
    "rule, n_arrays",
    [(SGD(0.1), 0), (Momentum(0.1), 1), (Momentum(0.1, nesterov=True), 1), (Adam(), 2)],
)
def test_update_rules_are_pure(rule, n_arrays):
    g = np.array([0.3, -0.7, 1.1])
    state = rule.init(g)
    _, state = rule.update(g, state)
    frozen = [np.array(a, copy=True) for a in state if isinstance(a, np.ndarray)]
    assert len(frozen) == n_arrays  # SGD has no state; momentum a velocity; Adam mu and nu
    g_copy = g.copy()
    a, _ = rule.update(g, state)
    b, _ = rule.update(g, state)
    assert np.array_equal(a, b)
    assert np.array_equal(g, g_copy)
    assert all(
        np.array_equal(x, y)
        for x, y in zip(frozen, [s for s in state if isinstance(s, np.ndarray)])
    )


@pytest.mark.parametrize(
    "rule", [SGD(0.1), Momentum(0.1), Momentum(0.1, nesterov=True), Adam(lr=0.01)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_apply_moves_params_in_place_as_update_steps(rule, dtype):
    """``apply`` is the in-place form of ``update``: after each call the parameters are bit
    for bit ``params + step`` and the state holds the same arrays' values; the gradient is
    left alone."""
    rng = np.random.default_rng(0)
    params = rng.normal(size=7).astype(dtype)
    pure_params, pure_state = params.copy(), rule.init(params)
    state = rule.init(params)
    for _ in range(4):
        g = rng.normal(size=7).astype(dtype)
        g_copy = g.copy()
        step, pure_state = rule.update(g, pure_state)
        pure_params = pure_params + step
        state = rule.apply(params, g, state)
        assert np.array_equal(g, g_copy)
        assert params.dtype == dtype
        np.testing.assert_array_equal(params, pure_params)
        for a, b in zip(state, pure_state):
            np.testing.assert_array_equal(a, b)


def with_skip(graph: Graph) -> Graph:
    """``graph`` with a connection from its input straight to its output: not a layered
    MLP any more, so backprop trains it through the network's general reverse mode."""
    i, o = int(graph.input_ids[0]), int(graph.output_ids[0])
    innovation = int(graph.conn_innov.max()) + 1
    return Graph.from_lists(graph.nodes, [*graph.connections, (i, o, 0.3, True, innovation)])


@pytest.mark.parametrize("skip", [False, True], ids=["mlp-dense-trainer", "skip-general"])
def test_backprop_trains_as_a_loop_over_the_pure_rule(skip):
    """Backprop's in-place epoch is the plain loop: shuffle, gradient of each mini-batch,
    ``params + Adam.update(...)`` step. Same weights, bit for bit, after three epochs; the
    gradient of an MLP from its dense trainer (in the trainer's layout), of any other graph
    from ``loss_and_grad``."""
    problem = regression_problem()
    initial = with_skip(sine_initial()) if skip else sine_initial()
    opt = Backprop(rule="adam", lr=0.05, batch_size=5)
    opt.setup(problem, initial, np.random.default_rng(7))
    for _ in range(3):
        opt.step()
    net = networks.compile(initial)
    trainer = net.dense_trainer()
    assert (trainer is None) == skip
    rule, rng = Adam(lr=0.05), np.random.default_rng(7)
    params = net.params.copy() if skip else trainer.theta(net.params)
    state = rule.init(params)
    for _ in range(3):
        order = rng.permutation(problem.n_train)
        for start in range(0, problem.n_train, 5):
            rows = order[start : start + 5]
            X, y = problem.X[rows], problem.y[rows]
            if skip:
                _, grad = net.loss_and_grad(X, y, "mse", params)
            else:
                grad = np.empty_like(params)
                trainer.loss_and_grad(X, y, "mse", params, grad)
            step, state = rule.update(grad, state)
            params = params + step
    if not skip:
        params = trainer.params(params)
    np.testing.assert_array_equal(opt.params, params)
    assert opt.best().to_json() == net.to_graph(params).to_json()


def test_clip_by_global_norm():
    g = np.array([3.0, 4.0])
    assert np.allclose(clip_by_global_norm(g, 1.0), [0.6, 0.8])
    assert clip_by_global_norm(g, 10.0) is g


# --------------------------------------------------------------------------- one epoch
LINEAR = Graph.from_lists(
    [(0, "input", "identity", 0.0), (1, "output", "identity", 0.1)], [(0, 1, 0.5)]
)  # one input, one identity output: out = w x + b, with w = 0.5, b = 0.1


def linear_problem(**kw) -> SupervisedProblem:
    """One row x = 2, target 1, for :data:`LINEAR`."""
    return SupervisedProblem([[2.0]], [1.0], task_type="regression", **kw)


def test_one_sgd_step_by_hand():
    # out = 0.5 * 2 + 0.1 = 1.1; loss = (1.1 - 1)^2 = 0.01; dL/dout = 2 * 0.1 = 0.2
    # dL/dw = 0.2 * x = 0.4, dL/db = 0.2; lr 0.1: w = 0.46, b = 0.08
    result = one_step(linear_problem(), LINEAR, rule="sgd", lr=0.1)
    w, b = weights(result.best)
    assert w[(0, 1)] == pytest.approx(0.46, abs=1e-15)
    assert b[1] == pytest.approx(0.08, abs=1e-15)
    assert result.curve[0]["epoch_loss"] == pytest.approx(0.01, abs=1e-15)


def test_one_adam_step_by_hand():
    # first Adam step: -lr * g / (|g| + eps) with g = (0.4, 0.2)
    result = one_step(linear_problem(), LINEAR, rule="adam", lr=0.1)
    w, b = weights(result.best)
    assert w[(0, 1)] == pytest.approx(0.5 - 0.1 * 0.4 / (0.4 + 1e-8), abs=1e-15)
    assert b[1] == pytest.approx(0.1 - 0.1 * 0.2 / (0.2 + 1e-8), abs=1e-15)


def test_one_sgd_step_through_a_tanh_hidden_unit_by_hand():
    # x = 1 -> h = tanh(0.5 x + 0) -> out = 2 h + 0, target 0, mse
    graph = Graph.from_lists(
        [
            (0, "input", "identity", 0.0),
            (1, "output", "identity", 0.0),
            (2, "hidden", "tanh", 0.0),
        ],
        [(0, 2, 0.5), (2, 1, 2.0)],
    )
    problem = SupervisedProblem([[1.0]], [0.0], task_type="regression")
    h = math.tanh(0.5)
    out = 2 * h
    d_out = 2 * out  # d(out - 0)^2 / d out
    g_w2, g_b2 = d_out * h, d_out
    d_h = d_out * 2.0 * (1 - h * h)
    g_w1, g_b1 = d_h * 1.0, d_h
    w, b = weights(one_step(problem, graph, rule="sgd", lr=0.1).best)
    assert w[(2, 1)] == pytest.approx(2.0 - 0.1 * g_w2, rel=1e-14)
    assert b[1] == pytest.approx(-0.1 * g_b2, rel=1e-14)
    assert w[(0, 2)] == pytest.approx(0.5 - 0.1 * g_w1, rel=1e-14)
    assert b[2] == pytest.approx(-0.1 * g_b1, rel=1e-14)


def test_one_sgd_step_cross_entropy_by_hand():
    # one logit z = w x + b, w = b = 0; label 1: dL/dz = sigmoid(0) - 1 = -0.5
    # two samples x = 1 (label 1) and x = -1 (label 0): mean gradient
    # dw = ((0.5 - 1) * 1 + (0.5 - 0) * -1) / 2 = -0.5, db = ((-0.5) + 0.5) / 2 = 0
    graph = Graph.from_lists(
        [(0, "input", "identity", 0.0), (1, "output", "identity", 0.0)], [(0, 1, 0.0)]
    )
    problem = SupervisedProblem([[1.0], [-1.0]], ["yes", "no"], task_type="classification")
    assert list(problem.classes) == ["no", "yes"]  # label "yes" is class 1
    w, b = weights(one_step(problem, graph, rule="sgd", lr=1.0).best)
    assert w[(0, 1)] == 0.5 and b[1] == 0.0


def test_weight_decay_and_clipping():
    # weight decay adds wd * params to the gradient: w = 0.5 - 0.1 (0.4 + 0.5 * 0.5)
    w, b = weights(one_step(linear_problem(), LINEAR, rule="sgd", lr=0.1, weight_decay=0.5).best)
    assert w[(0, 1)] == pytest.approx(0.5 - 0.1 * (0.4 + 0.25), abs=1e-15)
    assert b[1] == pytest.approx(0.1 - 0.1 * (0.2 + 0.05), abs=1e-15)
    # clipping the gradient (0.4, 0.2) to norm 0.1
    scale = 0.1 / math.hypot(0.4, 0.2)
    w, b = weights(one_step(linear_problem(), LINEAR, rule="sgd", lr=1.0, clip_norm=0.1).best)
    assert w[(0, 1)] == pytest.approx(0.5 - 0.4 * scale, abs=1e-15)
    assert b[1] == pytest.approx(0.1 - 0.2 * scale, abs=1e-15)


def test_mini_batch_step_uses_the_mean_gradient_of_its_rows():
    # two samples, batch 1: two SGD updates per epoch, in the order the rng shuffles them
    problem = SupervisedProblem([[2.0], [1.0]], [1.0, 0.0], task_type="regression")
    result = fit(
        Backprop(rule="sgd", lr=0.1, batch_size=1),
        problem,
        Budget(steps=1),
        np.random.default_rng(3),
        initial=LINEAR,
    )
    # a Graph as the start draws nothing and backprop seeds no stdlib random: the
    # epoch's shuffle is the run's rng's first draw
    order = np.random.default_rng(3).permutation(2)
    assert not np.array_equal(order, [0, 1])  # the order matters to the result below
    X, y = np.array([2.0, 1.0]), np.array([1.0, 0.0])
    w, b = 0.5, 0.1
    for i in order:
        d = 2 * (w * X[i] + b - y[i])
        w, b = w - 0.1 * d * X[i], b - 0.1 * d
    got_w, got_b = weights(result.best)
    assert got_w[(0, 1)] == pytest.approx(w, abs=1e-15)
    assert got_b[1] == pytest.approx(b, abs=1e-15)


# --------------------------------------------------------------------------- maximisation
def test_maximisation_climbs_the_objective():
    """On a maximising problem whose objective is -loss, one SGD step is the same step as
    descending the loss of the wrapped problem: the same weights, the loop measures the
    same loss, and the optimizer's own figure is the negated loss."""
    plain = one_step(regression_problem(), sine_initial(), rule="sgd", lr=0.05)
    climbed = one_step(MaximizeProblem(regression_problem()), sine_initial(), rule="sgd", lr=0.05)
    assert climbed.best == plain.best
    assert climbed.curve[0]["best_objective"] == -plain.curve[0]["best_objective"]
    assert climbed.curve[0]["train_loss"] == plain.curve[0]["train_loss"]
    assert plain.curve[0]["best_objective"] > 0


# --------------------------------------------------------------------------- stopping
def sine_with_validation(y_val_sign: float) -> SupervisedProblem:
    x = np.linspace(-2.0, 2.0, 24)[:, None]
    y = np.sin(1.5 * x[:, 0])
    return SupervisedProblem(x, y, task_type="regression", X_val=x, y_val=y_val_sign * y)


def test_early_stopping_triggers_when_validation_loss_rises():
    """Validation targets are the negated training targets: as training fits sin, the
    validation loss rises every epoch after the first, so with patience 3 the run stops
    after epoch 4 and restores the weights of epoch 1 (the best validation loss)."""
    problem = sine_with_validation(-1.0)
    opt = Backprop(rule="adam", lr=0.01, batch_size=8, patience=3)
    result = fit(opt, problem, Budget(steps=100), np.random.default_rng(0), initial=sine_initial())
    val = [r["val_objective_now"] for r in result.curve]
    assert len(val) == 4
    assert all(b > a for a, b in zip(val, val[1:])), val
    assert opt.done and result.meter["steps"] == 4
    first = fit(
        Backprop(rule="adam", lr=0.01, batch_size=8),
        problem,
        Budget(steps=1),
        np.random.default_rng(0),
        initial=sine_initial(),
    )
    assert result.best == first.best
    # the restored weights, measured independently by the networks package: their
    # validation loss is the first epoch's (the best), their training loss what the loop
    # reports for the run
    net = networks.compile(result.best)
    val_loss = float(net.losses(problem.X_val, problem.y_val, "mse"))
    assert val_loss == pytest.approx(val[0], rel=1e-12)
    assert result.metrics["val_loss"] == pytest.approx(val_loss, rel=1e-12)
    assert result.metrics["train_loss"] == pytest.approx(objective(problem, result.best), rel=1e-12)
    # the optimizer's own figure for them is epoch 1's mean mini-batch objective (taken
    # while the weights moved), so it is not their loss: it is what the first run reported
    assert opt.best_value == first.curve[0]["best_objective"] == first.curve[0]["epoch_loss"]
    # the weights the optimizer holds are the restored ones, in its training layout too
    assert opt.trainer is not None
    np.testing.assert_array_equal(opt.trainer.params(opt.theta), net.params)


def test_a_problem_that_computes_its_own_gradient_is_trained_through_it():
    """A SupervisedProblem subclass with its own ``_objective_and_grad`` (here: twice the
    loss) is trained through it, not through the dense trainer of an MLP."""

    class Doubled(SupervisedProblem):
        def _objective_and_grad(self, network, params, rows):
            value, grad = super()._objective_and_grad(network, params, rows)
            return 2 * value, 2 * grad

    plain, doubled = regression_problem(), None
    doubled = Doubled(plain.X, plain.y, task_type="regression")
    assert plain.dense_training and not doubled.dense_training
    runs = []
    for problem in (plain, doubled):
        opt = Backprop(rule="sgd", lr=0.01, batch_size=5)
        runs.append(
            fit(opt, problem, Budget(steps=2), np.random.default_rng(0), initial=sine_initial())
        )
        assert (opt.trainer is None) == (problem is doubled)
    # SGD on twice the loss at half the rate would be the same run: here the rate is the
    # same, so the doubled run moved further (its own gradient was used)
    assert runs[1].curve[-1]["best_objective"] != 2 * runs[0].curve[-1]["best_objective"]
    assert runs[0].best != runs[1].best


def test_no_early_stop_while_validation_improves():
    opt = Backprop(rule="adam", lr=0.01, batch_size=8, patience=3)
    result = fit(
        opt,
        sine_with_validation(1.0),
        Budget(steps=30),
        np.random.default_rng(0),
        initial=sine_initial(),
    )
    assert not opt.done and result.meter["steps"] == 30


def test_divergence_is_reported_not_raised():
    opt = Backprop(rule="sgd", lr=1e3, batch_size=4)
    result = run(opt, regression_problem(), Budget(steps=50), 0)
    assert result.status == "diverged"
    assert opt.diverged and opt.done
    assert result.meter["steps"] < 50  # it stopped by itself
    result.best.validate()  # the last finite weights


def test_refuses_a_non_differentiable_network():
    with pytest.raises(ValueError, match="differentiable"):
        run(Backprop(), xor_problem(), Budget(steps=1), 0, initial=xor_initial(activation="step"))


def test_patience_needs_a_validation_split():
    with pytest.raises(ValueError, match="patience=3 needs a validation split"):
        run(Backprop(patience=3), regression_problem(), Budget(steps=1), 0)


# --------------------------------------------------------------------------- metering
@pytest.mark.parametrize("n, batch", [(10, 3), (10, None), (7, 2), (1257, 64)])
def test_meter_one_epoch_exactly(n, batch):
    """One epoch on n rows of a network with c connections: n forward + 2n backward sample
    evaluations, 3 n c MACs, and exactly 3 evaluations (whatever the batch split)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    problem = SupervisedProblem(X, X[:, 0] > 0, task_type="classification")
    initial = Architecture(hidden=(5, 4)).build(3, 1, rng=np.random.default_rng(0))
    c = initial.n_enabled
    assert c == 3 * 5 + 5 * 4 + 4 * 1
    result = run(Backprop(batch_size=batch), problem, Budget(steps=2), 0, initial=initial)
    first = result.curve[0]
    assert first["samples"] == 3 * n
    assert first["macs"] == 3 * n * c
    assert first["evaluations"] == 3.0
    assert result.meter["evaluations"] == 6.0


def test_evaluation_budget_buys_exactly_that_many_epochs():
    X = np.random.default_rng(1).normal(size=(1257, 2))
    problem = SupervisedProblem(X, X[:, 0] > 0, task_type="classification")
    opt = Backprop(batch_size=64)
    result = fit(
        opt, problem, Budget(evaluations=30), np.random.default_rng(0), initial=Architecture()
    )
    assert result.meter["steps"] == 10
    assert opt.problem.meter._evaluations == Fraction(30)  # the run's own meter


# --------------------------------------------------------------------------- quality bars
def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)


def test_digits_test_accuracy():
    """64-64-10 relu, Adam lr 1e-3, batch 64, 50 epochs on digits (X / 16, stratified
    70/30 split): median test accuracy over 5 initialisations >= 0.965 (scikit-learn's
    MLPClassifier gets ~0.97 on this setup). Measured over seeds 0-19: median 0.972, every
    seed >= 0.966. Only the final network is scored (record_every: the curve is unused)."""
    Xtr, Xte, ytr, yte = digits_split()
    accs = []
    for seed in range(5):
        problem = SupervisedProblem(Xtr, ytr, task_type="classification")
        initial = Architecture(hidden=(64,), activation="relu").build(
            64, 10, rng=np.random.default_rng(seed)
        )
        result = fit(
            Backprop(rule="adam", lr=1e-3, batch_size=64),
            problem,
            Budget(steps=50),
            np.random.default_rng(seed),
            initial=initial,
            record_every=50,
        )
        accs.append(float(np.mean(problem.predict(result.best, Xte) == yte)))
    assert np.median(accs) >= 0.965, accs
    assert min(accs) >= 0.95, accs


def two_spirals() -> tuple[np.ndarray, np.ndarray]:
    """Lang & Witbrock's two spirals: 97 points per spiral (194 in all)."""
    i = np.arange(97)
    a = i * np.pi / 16
    r = 6.5 * (104 - i) / 104
    spiral = np.column_stack([r * np.sin(a), r * np.cos(a)])
    return np.vstack([spiral, -spiral]), np.r_[np.ones(97, int), np.zeros(97, int)]


def spirals_train_accuracy(seed: int) -> float:
    """2-30-30-1 tanh, Adam lr 0.03, full batch, 1500 epochs (raw coordinates)."""
    X, y = two_spirals()
    problem = SupervisedProblem(X, y, task_type="classification")
    initial = Architecture(hidden=(30, 30), activation="tanh").build(
        2, 1, rng=np.random.default_rng(seed)
    )
    result = fit(
        Backprop(rule="adam", lr=0.03, batch_size=None),
        problem,
        Budget(steps=1500),
        np.random.default_rng(seed),
        initial=initial,
        record_every=1500,  # only the final network is scored
    )
    return result.metrics["train_accuracy"]


def test_two_spirals_solved_on_most_seeds():
    """Backprop solves two spirals (100% training accuracy) on at least 8 of 10 seeds and
    gets >= 0.9 on every one (the initial weights change with the seed). Measured over
    seeds 0-39: 38 reach 100% (12 and 26 miss), the worst 0.959; at a 95% solve rate
    "at least 8 of 10" fails about once in a hundred draws of ten seeds, where "all 10"
    (the earlier bar) would fail four times in ten. ~1 s per seed."""
    accs = [spirals_train_accuracy(seed) for seed in range(10)]
    assert sum(a == 1.0 for a in accs) >= 8, accs
    assert min(accs) >= 0.9, accs
