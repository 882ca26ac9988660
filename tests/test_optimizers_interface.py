"""The optimizers package's interface: registry, Budget, Meter, the fit loop, config
validation, best-so-far bookkeeping, and clear errors for bad Problem inputs."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from helpers import XOR_X, XOR_Y, MaximizeProblem, regression_problem, xor_problem

import networks
import optimizers
from optimizers import (
    AskTell,
    Budget,
    Meter,
    Optimizer,
    SupervisedProblem,
    available,
    fit,
    get,
    register,
    registry,
    unregister,
)
from optimizers.random_search import RandomSearch


# --------------------------------------------------------------------------- registry
def test_builtins_resolve_to_optimizer_classes():
    assert {"backprop", "random-search"} <= set(available())
    assert available() == sorted(available())
    for name in available():
        cls = get(name)
        assert issubclass(cls, Optimizer) and cls.name == name


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown optimizer 'nope'; available: .*backprop"):
        get("nope")


def test_register_and_unregister():
    @register
    class Mine(RandomSearch):
        name = "test-mine"

    try:
        assert get("test-mine") is Mine and "test-mine" in available()
        with pytest.raises(ValueError, match="already registered"):
            register(Mine)
        with pytest.raises(ValueError, match="already registered"):
            register("backprop")(Mine)
    finally:
        unregister("test-mine")
    assert "test-mine" not in available()


def test_register_under_another_name():
    register("test-other")(type("Other", (RandomSearch,), {}))
    try:
        assert get("test-other").name == "test-other"
    finally:
        unregister("test-other")


@pytest.mark.parametrize("bad", [object, dict, 3])
def test_register_refuses_non_optimizers(bad):
    with pytest.raises(ValueError, match="Optimizer subclasses"):
        register("test-bad")(bad)
    assert "test-bad" not in available()


def test_register_needs_a_name():
    with pytest.raises(ValueError, match="non-empty string name"):
        register(type("Nameless", (Optimizer,), {"name": ""}))


class _EntryPoint:
    def __init__(self, name, value, target=None, error=None):
        self.name, self.value, self.target, self.error = name, value, target, error

    def load(self):
        if self.error:
            raise self.error
        return self.target


def test_entry_point_optimizers(monkeypatch):
    eps = {
        "ext-good": _EntryPoint("ext-good", "ext:Good", target=RandomSearch),
        "ext-bad": _EntryPoint("ext-bad", "ext:Bad", error=ImportError("no module ext")),
    }
    monkeypatch.setattr(registry, "_entry_points", lambda: eps)
    assert {"ext-good", "ext-bad"} <= set(available())
    assert get("ext-good") is RandomSearch
    with pytest.raises(ValueError, match=r"'ext-bad' \(entry point ext:Bad\) failed to load"):
        get("ext-bad")


def test_missing_dependency_of_a_builtin_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(registry._BUILTIN, "test-missing", "no_such_module_xyz:Opt")
    with pytest.raises(ValueError, match="needs a package that is not installed"):
        get("test-missing")


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


def test_problem_charges_what_it_evaluates():
    problem = xor_problem()
    net = problem.compile(problem.initial)
    c = problem.initial.n_enabled
    problem.evaluate(np.stack([net.params] * 5), net)  # 5 individuals x 4 rows
    assert problem.meter.as_dict() | {"seconds": 0} == {
        "samples": 20,
        "evaluations": 5.0,
        "macs": 20 * c,
        "seconds": 0,
        "steps": 0,
    }
    problem.evaluate_graphs([problem.initial] * 3, idx=np.array([0, 1]))  # 3 x 2 rows
    assert problem.meter.samples == 26 and problem.meter.evaluations == 6.5
    assert problem.meter.macs == 20 * c + 6 * c
    problem.loss_and_grad(net, net.params, np.array([2]))  # 1 row forward + backward
    assert problem.meter.samples == 29 and problem.meter.evaluations == 7.25


# --------------------------------------------------------------------------- fit loop
def test_fit_records_one_curve_entry_per_step():
    records = []
    problem = xor_problem(X_val=XOR_X, y_val=XOR_Y)
    result = fit(
        get("random-search")(population=4),
        problem,
        Budget(steps=5),
        np.random.default_rng(0),
        on_step=records.append,
    )
    assert result.curve == records and len(records) == 5
    for i, r in enumerate(records, 1):
        assert r["steps"] == i and r["evaluations"] == 4 * i
        assert {"samples", "macs", "seconds", "train_loss", "val_loss", "val_accuracy"} <= set(r)
        assert {"population_best", "population_mean", "failed"} <= set(r)
    seconds = [r["seconds"] for r in records]
    assert seconds == sorted(seconds)
    assert result.meter["steps"] == 5 and result.status == "done"
    assert result.optimizer == "random-search" and result.config["population"] == 4
    assert set(result.metrics) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert result.metrics["train_loss"] == records[-1]["train_loss"]  # the same network
    json.loads(json.dumps(result.to_dict()))  # plain data
    assert networks.Graph.from_dict(result.to_dict()["best"]) == result.best


def test_curve_has_no_validation_entries_without_validation_data():
    result = fit(get("backprop")(), xor_problem(), Budget(steps=2), np.random.default_rng(0))
    assert not any(k.startswith("val_") for r in result.curve for k in r)


def test_fit_stops_when_the_optimizer_is_done():
    class Twice(RandomSearch):
        name = "test-twice"

        def step(self):
            info = super().step()
            self.done = self.generation >= 2
            return info

    result = fit(Twice(population=2), xor_problem(), Budget(steps=50), np.random.default_rng(0))
    assert result.meter["steps"] == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (("opt", "problem", Budget(steps=1), np.random.default_rng(0)), "needs an optimizers"),
        ((None, None, 5, np.random.default_rng(0)), "budget must be an optimizers.Budget"),
        ((None, "problem", Budget(steps=1), np.random.default_rng(0)), "optimizers.Problem"),
        ((None, None, Budget(steps=1), 42), "rng must be a numpy.random.Generator"),
    ],
)
def test_fit_argument_errors(args, message):
    opt, problem, budget, rng = args
    opt = get("backprop")() if opt is None else opt
    problem = xor_problem() if problem is None else problem
    with pytest.raises(ValueError, match=message):
        fit(opt, problem, budget, rng)


def test_setup_and_best_errors():
    opt = get("random-search")()
    with pytest.raises(ValueError, match="call setup"):
        opt.best()
    with pytest.raises(ValueError, match="optimizers.Problem"):
        opt.setup("problem", np.random.default_rng(0))
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        opt.setup(xor_problem(), 0)
    problem = xor_problem()
    opt.setup(problem, np.random.default_rng(0))
    assert opt.best() is problem.initial  # before any step


# --------------------------------------------------------------------------- best-so-far
def test_offer_keeps_the_best_and_ignores_failed_evaluations():
    problem = xor_problem()
    opt = get("random-search")()
    opt.setup(problem, np.random.default_rng(0))
    net = problem.compile(problem.initial)
    P = np.stack([net.params, net.params * 2, net.params * 3])
    opt.offer(np.array([np.nan, np.nan, np.nan]), params=P, network=net)
    assert np.isnan(opt.best_value) and opt.best() is problem.initial
    opt.offer(np.array([0.5, np.nan, 0.3]), params=P, network=net)
    assert opt.best_value == 0.3 and opt.best() == net.to_graph(P[2])
    opt.offer(np.array([0.4]), params=P[:1], network=net)  # worse: kept 0.3
    assert opt.best_value == 0.3
    opt.offer(np.array([0.9]), params=P[:1], network=net, replace=True)  # noisy: replaced
    assert opt.best_value == 0.9 and opt.best() == net.to_graph(P[0])
    opt.offer(np.array([0.1, 0.2]), graphs=[problem.initial, net.to_graph(P[1])])
    assert opt.best_value == 0.1 and opt.best() is problem.initial


def test_fitness_and_is_better_follow_the_direction():
    lo, hi = xor_problem(), MaximizeProblem(xor_problem())
    v = np.array([1.0, np.nan, -2.0])
    assert np.array_equal(lo.fitness(v), [-1.0, -np.inf, 2.0])
    assert np.array_equal(hi.fitness(v), [1.0, -np.inf, -2.0])
    assert lo.is_better(1.0, 2.0) and not hi.is_better(1.0, 2.0)
    assert lo.is_better(1.0, np.nan) and hi.is_better(1.0, np.nan)
    assert not lo.is_better(np.nan, 1.0) and not hi.is_better(np.nan, np.nan)


def test_asktell_reports_population_statistics_in_the_problem_direction():
    class Fixed(AskTell):
        name = "test-fixed"

        def _setup(self):
            self.network = self.problem.compile(self.problem.initial)

        def ask(self):
            return np.stack([self.network.params, self.network.params * 0.0])

        def tell(self, fitness):
            self.told = fitness

    for problem in (regression_problem(), MaximizeProblem(regression_problem())):
        opt = Fixed()
        opt.setup(problem, np.random.default_rng(0))
        info = opt.step()
        values = -opt.told if not problem.maximize else opt.told
        best = values.max() if problem.maximize else values.min()
        assert info["population_best"] == best == opt.best_value
        assert info["failed"] == 0 and opt.generation == 1


# --------------------------------------------------------------------------- configs
@pytest.mark.parametrize(
    "name, params, message",
    [
        ("backprop", {"rule": "rmsprop"}, "rule must be one of 'sgd', 'momentum'"),
        ("backprop", {"lr": 0}, "lr must be > 0, got 0"),
        ("backprop", {"lr": float("nan")}, "lr must be a number"),
        ("backprop", {"lr": "0.1"}, "lr must be a number"),
        ("backprop", {"momentum": 1.5}, "momentum must be >= 0 and <= 1, got 1.5"),
        ("backprop", {"beta1": 1.0}, "beta1 must be >= 0 and < 1, got 1.0"),
        ("backprop", {"beta2": -0.1}, "beta2 must be >= 0 and < 1"),
        ("backprop", {"eps": 0.0}, "eps must be > 0"),
        ("backprop", {"batch_size": 0}, "batch_size must be >= 1, got 0"),
        ("backprop", {"batch_size": 2.0}, "batch_size must be an integer, got 2.0"),
        ("backprop", {"batch_size": True}, "batch_size must be an integer"),
        ("backprop", {"weight_decay": -1e-4}, "weight_decay must be >= 0"),
        ("backprop", {"clip_norm": 0}, "clip_norm must be > 0"),
        ("backprop", {"patience": 0}, "patience must be >= 1"),
        ("backprop", {"min_delta": -1}, "min_delta must be >= 0"),
        (
            "backprop",
            {"learning_rate": 0.1},
            "backprop: unknown parameter.s. learning_rate; known: ",
        ),
        ("random-search", {"population": 0}, "population must be >= 1"),
        ("random-search", {"sigma": -1.0}, "sigma must be > 0"),
        ("random-search", {"mode": "grid"}, "mode must be one of 'perturb', 'sample'"),
        ("random-search", {"popsize": 3}, "random-search: unknown parameter.s. popsize"),
    ],
)
def test_config_errors_name_the_parameter_value_and_range(name, params, message):
    with pytest.raises(ValueError, match=message):
        get(name)(**params)


@pytest.mark.parametrize("name", available())
def test_configs_are_frozen_and_round_trip_through_json(name):
    cls = get(name)
    opt = cls()
    data = json.loads(json.dumps(opt.config.to_dict()))
    assert cls(**data).config == opt.config
    with pytest.raises(AttributeError):
        opt.config.x = 1  # frozen
    with pytest.raises(TypeError):
        type(opt.config)(1)  # keyword-only


def test_update_rule_names():
    assert isinstance(optimizers.make_rule("nesterov", lr=0.1), optimizers.Momentum)
    with pytest.raises(ValueError, match="unknown update rule 'rprop'; choose one of sgd"):
        optimizers.make_rule("rprop", lr=0.1)


# --------------------------------------------------------------------------- problem inputs
X4 = XOR_X
Y4 = XOR_Y


@pytest.mark.parametrize(
    "args, kw, message",
    [
        ((X4, Y4), {"task": "cls"}, "task must be one of classification, regression"),
        ((X4[:, 0], Y4), {}, r"X has shape \(4,\); expected \(n_samples, n_features\)"),
        ((np.zeros((0, 2)), []), {}, "n_samples >= 1"),
        ((np.where(X4 == 1, np.nan, X4), Y4), {}, "training data: inputs contain NaN"),
        (([["a", "b"]] * 4, Y4), {}, "training data: inputs are not numeric"),
        ((X4, Y4[:, None]), {}, r"classification labels have shape \(4, 1\); expected \(4,\)"),
        ((X4, Y4[:3]), {}, r"training labels have shape \(3,\); expected \(4,\)"),
        ((X4, [1, 1, 1, 1]), {}, "at least 2 classes, got 1"),
        ((X4, [0.0, 1.0, np.nan, 1.0]), {}, "labels contain NaN"),
        ((X4, Y4), {"loss": "hinge"}, "unknown loss 'hinge'; choose one of mse, cross_entropy"),
        ((X4, [0.0, 1, 2, 3]), {"task": "regression", "loss": "cross_entropy"}, "use mse"),
        ((X4, list("abcd")), {"task": "regression"}, "regression targets are not numeric"),
        ((X4, np.zeros((4, 1, 1))), {"task": "regression"}, r"regression targets have shape"),
        ((X4, [0, 1, np.nan, 0]), {"task": "regression"}, "training targets: targets contain NaN"),
        (
            (X4, [0.0, 1, 0]),
            {"task": "regression"},
            r"training targets: targets have shape \(3, 1\)",
        ),
        ((X4, Y4), {"X_val": X4}, "give both X_val and y_val, or neither"),
        ((X4, Y4), {"X_val": X4, "y_val": [0, 1, 2, 0]}, "validation labels include 2, which"),
        ((X4, Y4), {"X_val": X4[:, :1], "y_val": Y4}, "validation data: inputs have 1 columns"),
        ((X4, Y4), {"initial": "graph"}, "initial must be a networks.Graph, got str"),
        ((X4, Y4), {"dtype": np.int32}, "dtype must be float32 or float64, got int32"),
        ((X4, Y4), {"hidden": (0,)}, "hidden layer size must be an integer >= 1, got 0"),
        ((X4, Y4), {"activation": "swish"}, "unknown activation 'swish'"),
    ],
)
def test_supervised_problem_input_errors(args, kw, message):
    kw = {"task": "classification", **kw}
    with pytest.raises(ValueError, match=message):
        SupervisedProblem(*args, **kw)


def test_initial_network_must_fit_the_data():
    g = networks.mlp(3, [2], 1, rng=np.random.default_rng(0))
    with pytest.raises(
        ValueError, match="initial network has 3 inputs and 1 outputs; this problem needs 2 and 1"
    ):
        SupervisedProblem(X4, Y4, task="classification", initial=g)


def test_problem_keeps_private_read_only_copies_of_its_data():
    X, y = X4.copy(), np.array(["b", "a", "a", "b"])
    problem = SupervisedProblem(X, y, task="classification", loss="mse")
    X[0, 0] = 99.0
    assert problem.X[0, 0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        problem.X[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        problem.y[0] = 1.0
    assert list(problem.classes) == ["a", "b"] and list(problem.labels) == [1, 0, 0, 1]


def test_classification_outputs_and_targets():
    two = SupervisedProblem(X4, Y4, task="classification")
    assert two.n_outputs == 1 and two.loss == "cross_entropy" and two.y.dtype == np.int64
    three = SupervisedProblem(X4, [0, 1, 2, 1], task="classification", loss="mse")
    assert three.n_outputs == 3 and np.array_equal(three.y[3], [0.0, 1.0, 0.0])
    reg = SupervisedProblem(X4, np.zeros((4, 2)), task="regression")
    assert reg.n_outputs == 2 and reg.loss == "mse" and reg.metric_name == "mse"
    assert two.predict(two.initial, X4).shape == (4,)
    with pytest.raises(ValueError, match="inputs have 3 columns"):
        two.predict(two.initial, np.zeros((1, 3)))


def test_base_problem_is_not_differentiable_by_default():
    p = optimizers.Problem()
    with pytest.raises(ValueError, match="not differentiable"):
        p.loss_and_grad(None, None)
    with pytest.raises(NotImplementedError):
        p.evaluate(None, None)
