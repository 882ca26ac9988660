"""The optimizers package's interface: registry and OptimizerSpec, the fit loop (and
``record_every``), config validation, best-so-far bookkeeping, and clear errors for bad
starting networks. (Budget, Meter and Problem inputs: test_problems.py.)"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from helpers import (
    XOR_X,
    XOR_Y,
    MaximizeProblem,
    regression_problem,
    run,
    sine_initial,
    xor_initial,
    xor_problem,
)

import networks
import optimizers
from optimizers import (
    Architecture,
    AskTell,
    Budget,
    Candidates,
    Optimizer,
    OptimizerSpec,
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
            register(type("Other", (RandomSearch,), {"name": "test-mine"}))
        assert get("test-mine") is Mine
    finally:
        unregister("test-mine")
    assert "test-mine" not in available()


def test_a_script_run_twice_registers_its_class_again():
    def define():  # the same class statement executed twice, as a re-run script does
        class Mine(RandomSearch):
            name = "test-again"

        return Mine

    first, second = define(), define()
    assert first is not second
    register(first)
    try:
        assert register(second) is second and get("test-again") is second
    finally:
        unregister("test-again")


def test_register_refuses_a_builtin_name():
    @register
    class Mine(RandomSearch):
        name = "test-mine"

    try:
        with pytest.raises(ValueError, match="already registered"):
            register("backprop")(Mine)
    finally:
        unregister("test-mine")
    assert "test-mine" not in available()


def test_register_under_another_name_leaves_the_class_alone():
    other = type("Other", (RandomSearch,), {})
    assert register("test-other")(other) is other
    try:
        assert get("test-other") is other
        assert other.name == "random-search" == RandomSearch.name  # not renamed
        assert get("random-search") is RandomSearch
    finally:
        unregister("test-other")
    assert "test-other" not in available()


def test_optimizer_spec_builds_a_configured_optimizer():
    spec = OptimizerSpec("ga", {"population": 10})
    a, b = spec.build(), spec.build()
    assert type(a) is get("ga") and a is not b
    assert a.config.population == 10 and a.config == b.config
    assert spec.cls is None  # a built-in travels by name
    assert pickle.loads(pickle.dumps(spec)) == spec


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("ga", {"population": 1}, "population must be >= 2, got 1"),
        ("ga", {"popsize": 10}, "ga: unknown parameter.s. popsize"),
        ("cmaes", {"sigma0": 0}, "sigma0 must be > 0, got 0"),
        ("nope", {}, "unknown optimizer 'nope'"),
    ],
)
def test_optimizer_spec_validates_when_made(name, params, message):
    with pytest.raises(ValueError, match=message):
        OptimizerSpec(name, params)


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
        assert {"best_objective", "population_best", "population_mean", "failed"} <= set(r)
    seconds = [r["seconds"] for r in records]
    assert seconds == sorted(seconds)
    assert result.meter["steps"] == 5 and result.status == "done"
    assert result.optimizer == "random-search" and result.config["population"] == 4
    assert result.problem == "xor" and result.budget == {"steps": 5}
    assert set(result.metrics) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert result.metrics["train_loss"] == records[-1]["train_loss"]  # the same network
    json.loads(json.dumps(result.to_dict()))  # plain data
    assert networks.Graph.from_dict(result.to_dict()["best"]) == result.best


def test_measure_adds_figures_to_every_record_unmetered_and_unseen():
    problem = xor_problem()
    seen = []

    def measure(graph):
        seen.append(graph)
        return {"test_loss": problem.score(graph)["train_loss"], "test_accuracy": 0.25}

    runs = [
        fit(get("ga")(population=6), problem, Budget(steps=4), np.random.default_rng(3), **kw)
        for kw in ({}, {"measure": measure})
    ]
    plain, measured = runs
    # measured at each record, but once per best network (a best kept is not measured again)
    assert 1 <= len(seen) <= len(measured.curve) == 4
    assert all(a is not b for a, b in zip(seen, seen[1:]))
    for a, b in zip(plain.curve, measured.curve):
        assert b["test_accuracy"] == 0.25 and b["test_loss"] == b["train_loss"]
        assert {k: v for k, v in b.items() if not k.startswith("test_")}.keys() == a.keys()
    # the optimizer never sees what measure adds: the same run, the same compute
    for unit in ("samples", "evaluations", "macs", "steps"):
        assert plain.meter[unit] == measured.meter[unit]
    assert measured.best == plain.best
    assert "test_accuracy" not in measured.metrics  # the final figures are the problem's own


def test_curve_has_no_validation_entries_without_validation_data():
    result = fit(get("backprop")(), xor_problem(), Budget(steps=2), np.random.default_rng(0))
    assert len(result.curve) == 2
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
    initial = xor_initial()
    with pytest.raises(ValueError, match="call setup"):
        opt.best()
    with pytest.raises(ValueError, match="setup needs an optimizers.Problem, got str"):
        opt.setup("problem", initial, np.random.default_rng(0))
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        opt.setup(xor_problem(), initial, 0)
    opt.setup(xor_problem(), initial, np.random.default_rng(0))
    assert opt.best() is initial  # before any step


@pytest.mark.parametrize(
    "initial, message",
    [
        ("graph", "the initial network must be a networks.Graph, got str"),
        (
            networks.mlp(3, [2], 1, rng=np.random.default_rng(0)),
            "the initial network has 3 inputs and 1 outputs; problem 'xor' needs 2 and 1",
        ),
    ],
)
def test_initial_network_must_fit_the_data(initial, message):
    with pytest.raises(ValueError, match=message):
        get("random-search")().setup(xor_problem(), initial, np.random.default_rng(0))
    with pytest.raises(ValueError, match=message):
        fit(
            get("backprop")(),
            xor_problem(),
            Budget(steps=1),
            np.random.default_rng(0),
            initial=initial,
        )


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"hidden": (0,)}, r"hidden layer sizes must be integers >= 1, got \(0,\)"),
        ({"hidden": "eight"}, "hidden layer sizes must be integers >= 1"),
        ({"activation": "swish"}, "activation: unknown activation 'swish'"),
        ({"output_activation": "swish"}, "output_activation: unknown activation 'swish'"),
    ],
)
def test_architecture_errors(kw, message):
    with pytest.raises(ValueError, match=message):
        Architecture(**kw)


@pytest.mark.parametrize(
    "name, budget, k",
    [
        ("ga", Budget(steps=10), 3),
        ("ga", Budget(steps=9), 3),
        ("backprop", Budget(evaluations=50), 4),
    ],
)
def test_record_every_thins_the_curve_only(name, budget, k):
    every = run(get(name)(), xor_problem(), budget, 0)
    thin = run(get(name)(), xor_problem(), budget, 0, record_every=k)
    last = every.meter["steps"]
    steps = [r["steps"] for r in thin.curve]
    assert steps == sorted({1, *range(k, last + 1, k), last})
    strip = lambda d: {u: v for u, v in d.items() if u != "seconds"}  # noqa: E731
    assert strip(thin.meter) == strip(every.meter)
    by_step = {r["steps"]: strip(r) for r in every.curve}
    assert [strip(r) for r in thin.curve] == [by_step[s] for s in steps]


def test_a_run_of_one_step_records_it_once_whatever_record_every():
    result = run(get("ga")(population=8), xor_problem(), Budget(steps=1), 0, record_every=5)
    assert [r["steps"] for r in result.curve] == [1]


# --------------------------------------------------------------------------- best-so-far
def test_offer_keeps_the_best_and_ignores_failed_evaluations():
    problem, initial = xor_problem(), xor_initial()
    opt = get("random-search")()
    opt.setup(problem, initial, np.random.default_rng(0))
    net = problem.compile(initial)
    P = np.stack([net.params, net.params * 2, net.params * 3])
    cands = Candidates.of_params(net, P)
    opt.offer(np.array([np.nan, np.nan, np.nan]), cands)
    assert np.isnan(opt.best_value) and opt.best() is initial
    opt.offer(np.array([0.5, np.nan, 0.3]), cands)
    assert opt.best_value == 0.3 and opt.best() == net.to_graph(P[2])
    opt.offer(np.array([0.4]), cands)  # worse: kept 0.3
    assert opt.best_value == 0.3 and opt.best() == net.to_graph(P[2])
    opt.offer(np.array([0.9]), cands, replace=True)  # noisy: replaced
    assert opt.best_value == 0.9 and opt.best() == net.to_graph(P[0])
    opt.offer(np.array([0.1, 0.2]), Candidates.of_graphs([initial, net.to_graph(P[1])]))
    assert opt.best_value == 0.1 and opt.best() == initial


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
            self.network = self.problem.compile(self.initial)

        def ask(self):
            return Candidates.of_params(
                self.network, np.stack([self.network.params, self.network.params * 0.0])
            )

        def tell(self, fitness):
            self.told = fitness

    for problem in (regression_problem(), MaximizeProblem(regression_problem())):
        opt = Fixed()
        opt.setup(problem, sine_initial(), np.random.default_rng(0))
        info = opt.step()
        values = -opt.told if not problem.maximize else opt.told
        assert values[0] != values[1]
        best = values.max() if problem.maximize else values.min()
        assert info["population_best"] == best == opt.best_value
        assert info["failed"] == 0 and opt.generation == 1


def test_asktell_needs_candidates():
    class Bare(AskTell):
        name = "test-bare"

        def ask(self):
            return np.zeros((2, 9))

    opt = Bare()
    opt.setup(xor_problem(), xor_initial(), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"test-bare.ask\(\) must return optimizers.Candidates"):
        opt.step()


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
