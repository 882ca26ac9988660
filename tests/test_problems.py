"""Budgets, the meter and problems: what a Budget affords (exact fractions of evaluations,
MAC prefix sums, samples), exact metering, the metered view of a Problem (the only place
charges happen), and clear errors for bad Problem inputs."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from helpers import XOR_X, XOR_Y, objective, xor_initial, xor_problem

import networks
import optimizers
from optimizers import Budget, Candidates, Meter, SupervisedProblem, fit, get


# --------------------------------------------------------------------------- Budget
@pytest.mark.parametrize(
    "kw, message",
    [
        ({}, "at least one limit"),
        ({"evaluations": 0}, "Budget.evaluations must be a positive finite number, got 0"),
        ({"seconds": -1.0}, "Budget.seconds must be a positive"),
        ({"macs": float("inf")}, "Budget.macs must be a positive"),
        ({"samples": float("nan")}, "Budget.samples must be a positive"),
        ({"steps": "3"}, "Budget.steps must be a positive"),
        ({"steps": True}, "Budget.steps must be a positive"),
        ({"steps": 2.5}, "Budget.steps must be a whole number"),
    ],
)
def test_budget_validation(kw, message):
    with pytest.raises(ValueError, match=message):
        Budget(**kw)


def test_budget_limits_spent_fraction():
    b = Budget(evaluations=10, steps=np.int64(4))
    assert b.limits() == {"evaluations": 10, "steps": 4}
    m = Meter()
    assert not b.spent(m) and b.fraction(m) == 0.0
    m.charge(samples=0, evaluations=5, macs=0)
    assert b.fraction(m) == 0.5 and not b.spent(m)
    m.steps = 4
    assert b.spent(m) and b.fraction(m) == 1.0
    with pytest.raises(TypeError):
        Budget(10)  # keyword-only: the unit is always named


def _meter(samples=0, evaluations=Fraction(0), macs=0, charges=1) -> Meter:
    m = Meter()
    for _ in range(charges):
        m.charge(samples=samples, evaluations=evaluations, macs=macs)
    return m


@pytest.mark.parametrize(
    "budget, meter, cost, k",
    [
        # everything fits with room to spare
        (Budget(evaluations=100), _meter(), (3, Fraction(3, 4), [6.0] * 5), 5),
        # evaluations, exact: 3 / (3/4) = 4 requests use the budget up exactly
        (Budget(evaluations=3), _meter(), (3, Fraction(3, 4), [6.0] * 5), 4),
        # 7 charges of 1/10 spent, 3/10 left: three requests of 1/10 (in floats 0.3 / 0.1
        # is 2.9999999999999996, which would buy two)
        (Budget(evaluations=1), _meter(0, Fraction(1, 10), 0, 7), (1, Fraction(1, 10), [1] * 5), 3),
        # samples: 50 - 20 = 30 left, 8 each: 3
        (Budget(samples=50), _meter(20), (8, Fraction(8, 100), [1.0] * 5), 3),
        # samples already overspent: none (never negative)
        (Budget(samples=50), _meter(60), (8, Fraction(8, 100), [1.0] * 5), 0),
        # MACs: 90 left; prefix sums 30, 50, 100, 105 -> the first two
        (Budget(macs=100), _meter(0, 0, 10), (1, Fraction(1, 100), [30, 20, 50, 5]), 2),
        # MACs: 100 left; prefix sums 30, 50, 100, 105 -> three (100 fits exactly)
        (Budget(macs=100), _meter(), (1, Fraction(1, 100), [30, 20, 50, 5]), 3),
        # several limits: the tightest wins (samples 4, evaluations 2, MACs 3)
        (
            Budget(samples=40, evaluations=1, macs=30),
            _meter(),
            (10, Fraction(1, 2), [10.0] * 5),
            2,
        ),
        # seconds and steps are no part of what a request costs
        (Budget(seconds=1e-9, steps=1), _meter(), (10, Fraction(1), [10.0] * 5), 5),
    ],
)
def test_budget_affordable_by_hand(budget, meter, cost, k):
    samples, evaluations, macs = cost
    got = budget.affordable(
        meter, samples=samples, evaluations=evaluations, macs=np.asarray(macs, dtype=float)
    )
    assert got == k


# --------------------------------------------------------------------------- Meter
def test_meter_sums_evaluations_exactly():
    m = Meter()
    for _ in range(19):
        m.charge(samples=192, evaluations=Fraction(192, 1257), macs=1)
    m.charge(samples=123, evaluations=Fraction(123, 1257), macs=1)
    assert m.evaluations == 3.0 and m.samples == 3771 and m.macs == 20
    m.charge(samples=0, evaluations=0.1, macs=0)  # plain floats are summed exactly too
    m.charge(samples=0, evaluations=0.2, macs=0)
    assert m.evaluations == float(3 + Fraction(0.1) + Fraction(0.2))
    assert m.as_dict() == {
        "samples": 3771,
        "evaluations": m.evaluations,
        "macs": 20,
        "seconds": 0.0,
        "steps": 0,
    }
    assert Meter(evaluations=2.0)._evaluations == 2
    assert Meter() == Meter()


def test_metered_problem_charges_what_it_evaluates():
    problem = xor_problem()
    initial = xor_initial()
    net = problem.compile(initial)
    c = initial.n_enabled
    mp = problem.metered()
    values = mp.evaluate(Candidates.of_params(net, np.stack([net.params] * 5)))  # 5 x 4 rows
    assert values == pytest.approx([objective(problem, initial)] * 5, rel=1e-12)
    assert mp.meter.as_dict() == {
        "samples": 20,
        "evaluations": 5.0,
        "macs": 20 * c,
        "seconds": 0.0,
        "steps": 0,
    }
    mp.evaluate(Candidates.of_graphs([initial] * 3), rows=np.array([0, 1]))  # 3 x 2 rows
    assert mp.meter.samples == 26 and mp.meter.evaluations == 6.5
    assert mp.meter.macs == 20 * c + 6 * c
    mp.objective_and_grad(net, net.params, np.array([2]))  # 1 row forward + backward
    assert mp.meter.samples == 29 and mp.meter.evaluations == 7.25
    assert mp.meter.macs == 29 * c
    with pytest.raises(ValueError, match="has no validation split"):
        mp.validation_objective(net, net.params)
    assert not hasattr(problem, "meter")  # the meter is the run's, not the problem's
    assert problem.metered().meter == Meter()  # a fresh one each time


def test_metered_problem_cuts_requests_to_the_budget():
    problem = xor_problem()
    net = problem.compile(xor_initial())
    mp = problem.metered(budget=Budget(evaluations=2.5))
    values = mp.evaluate(Candidates.of_params(net, np.stack([net.params] * 5)))
    assert len(values) == 2 and mp.exhausted  # 2 of 5 full evaluations fit in 2.5
    assert mp.meter.evaluations == 2.0
    # a gradient gets the rows that fit: 0.5 evaluations left = 2 rows / 3 passes: none
    assert mp.objective_and_grad(net, net.params, np.arange(4)) is None
    assert mp.meter.evaluations == 2.0
    assert list(mp.affordable_rows(np.arange(4), net, passes=1)) == [0, 1]


# --------------------------------------------------------------------------- problem inputs
X4 = XOR_X
Y4 = XOR_Y


@pytest.mark.parametrize(
    "args, kw, message",
    [
        ((X4, Y4), {"task_type": "cls"}, "task_type must be one of classification, regression"),
        ((X4[:, 0], Y4), {}, r"X has shape \(4,\); expected \(n_samples, n_features\)"),
        ((np.zeros((0, 2)), []), {}, "n_samples >= 1"),
        ((np.where(X4 == 1, np.nan, X4), Y4), {}, "training data: inputs contain NaN"),
        (([["a", "b"]] * 4, Y4), {}, "training data: inputs are not numeric"),
        ((X4, Y4[:, None]), {}, r"classification labels have shape \(4, 1\); expected \(4,\)"),
        ((X4, Y4[:3]), {}, r"training labels have shape \(3,\); expected \(4,\)"),
        ((X4, [1, 1, 1, 1]), {}, "at least 2 classes, got 1"),
        ((X4, [0.0, 1.0, np.nan, 1.0]), {}, "labels contain NaN"),
        ((X4, Y4), {"loss": "hinge"}, "unknown loss 'hinge'; choose one of mse, cross_entropy"),
        ((X4, [0.0, 1, 2, 3]), {"task_type": "regression", "loss": "cross_entropy"}, "use mse"),
        ((X4, list("abcd")), {"task_type": "regression"}, "regression targets are not numeric"),
        ((X4, np.zeros((4, 1, 1))), {"task_type": "regression"}, r"regression targets have shape"),
        (
            (X4, [0, 1, np.nan, 0]),
            {"task_type": "regression"},
            "training targets: targets contain NaN",
        ),
        (
            (X4, [0.0, 1, 0]),
            {"task_type": "regression"},
            r"training targets: targets have shape \(3, 1\)",
        ),
        ((X4, Y4), {"X_val": X4}, "give both X_val and y_val, or neither"),
        ((X4, Y4), {"X_val": X4, "y_val": [0, 1, 2, 0]}, "validation labels include 2, which"),
        ((X4, Y4), {"X_val": X4[:, :1], "y_val": Y4}, "validation data: inputs have 1 columns"),
        ((X4, Y4), {"dtype": np.int32}, "dtype must be float32 or float64, got int32"),
        # the starting network is the run's: a Problem holds data only
        ((X4, Y4), {"hidden": (4,)}, "unexpected keyword argument 'hidden'"),
        ((X4, Y4), {"initial": xor_initial()}, "unexpected keyword argument 'initial'"),
    ],
)
def test_supervised_problem_input_errors(args, kw, message):
    kw = {"task_type": "classification", **kw}
    error = TypeError if "unexpected keyword" in message else ValueError
    with pytest.raises(error, match=message):
        SupervisedProblem(*args, **kw)


def test_problem_keeps_private_read_only_copies_of_its_data():
    X, y = X4.copy(), np.array(["b", "a", "a", "b"])
    problem = SupervisedProblem(X, y, task_type="classification", loss="mse")
    X[0, 0] = 99.0
    assert problem.X[0, 0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        problem.X[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        problem.y[0] = 1.0
    assert list(problem.classes) == ["a", "b"] and list(problem.labels) == [1, 0, 0, 1]


def test_classification_outputs_and_targets():
    two = SupervisedProblem(X4, Y4, task_type="classification")
    assert two.n_outputs == 1 and two.loss == "cross_entropy" and two.y.dtype == np.int64
    three = SupervisedProblem(X4, [0, 1, 2, 1], task_type="classification", loss="mse")
    assert three.n_outputs == 3 and np.array_equal(three.y[3], [0.0, 1.0, 0.0])
    reg = SupervisedProblem(X4, np.zeros((4, 2)), task_type="regression")
    assert reg.n_outputs == 2 and reg.loss == "mse" and reg.metric == "mse"
    assert two.metric == "accuracy" and two.metric_maximize and not reg.metric_maximize
    graph = networks.mlp(2, [2], 1, rng=np.random.default_rng(0))
    assert two.predict(graph, X4).shape == (4,)
    assert set(two.predict(graph, X4)) <= {0, 1}
    with pytest.raises(ValueError, match="inputs have 3 columns"):
        two.predict(graph, np.zeros((1, 3)))


def test_base_problem_is_not_differentiable_by_default():
    p = optimizers.Problem()
    assert not p.differentiable and not p.maximize and not p.has_validation
    with pytest.raises(ValueError, match="has no gradient"):
        p._objective_and_grad(None, None, None)
    with pytest.raises(NotImplementedError):
        p._objectives(None, None, None)
    with pytest.raises(NotImplementedError):
        p.score(None)

    class NoGradient(SupervisedProblem):
        differentiable = False

    problem = NoGradient(X4, Y4, task_type="classification", loss="mse", name="nograd")
    with pytest.raises(ValueError, match="backprop needs a problem with gradients; 'nograd'"):
        fit(get("backprop")(), problem, Budget(steps=1), np.random.default_rng(0))


def test_meter_row_charges_sum_exactly_like_fractions():
    """charge_rows (whole rows over a common denominator, the hot path) keeps the same
    exact total as charge with Fractions, across a change of denominator and mixed with
    arbitrary charges."""
    rng = np.random.default_rng(0)
    fast, slow = Meter(), Meter()
    for per in (1257, 1257, 24, 1257, 7):
        for _ in range(40):
            if rng.random() < 0.1:
                e = float(rng.random())
                fast.charge(samples=0, evaluations=e, macs=0)
                slow.charge(samples=0, evaluations=e, macs=0)
                continue
            units = int(rng.integers(1, 200))
            fast.charge_rows(samples=units, units=units, per=per, macs=3.0 * units)
            slow.charge(samples=units, evaluations=Fraction(units, per), macs=3.0 * units)
            assert fast._evaluations == slow._evaluations
            assert fast.as_dict() == slow.as_dict()
    m = Meter()
    for _ in range(19):
        m.charge_rows(samples=192, units=192, per=1257, macs=1)
    m.charge_rows(samples=123, units=123, per=1257, macs=1)
    assert m.evaluations == 3.0 and m._evaluations == 3


def test_objective_grad_and_rows_returns_the_rows_that_fitted():
    problem = xor_problem()
    net = problem.compile(xor_initial())
    mp = problem.metered(budget=Budget(samples=7))
    value, grad, rows = mp.objective_grad_and_rows(net, net.params, np.array([3, 1, 0, 2]))
    assert list(rows) == [3, 1] and mp.exhausted  # 2 rows x 3 passes fit in 7 samples
    expected = problem._objective_and_grad(net, net.params, np.array([3, 1]))
    assert value == expected[0]
    np.testing.assert_array_equal(grad, expected[1])
    assert mp.meter.samples == 6 and mp.meter.evaluations == 6 / 4
    assert mp.objective_grad_and_rows(net, net.params, np.array([0])) is None
    assert mp.meter.samples == 6
