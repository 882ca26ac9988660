"""ga, es and cmaes: weight search over the flat parameter vector with DEAP.

Beyond the contract suite (which runs them automatically): configs validated up front,
one batched evaluation per generation, minibatch fitness, maximisation, no global random
state except the stdlib ``random`` that fit seeds, no ``deap.creator``, DEAP's Logbook in
the curve, IPOP restarts, the separable CMA-ES, and the quality bars on XOR and iris.
"""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
from deap import creator, tools
from helpers import MaximizeProblem, objective, xor_problem
from sklearn.datasets import load_iris

import networks
import optimizers
from optimizers import Budget, SupervisedProblem, fit
from optimizers.cmaes import CMAES, DIAGONAL_AUTO_N, FullStrategy, SepStrategy
from optimizers.es import ES
from optimizers.ga import GA

NAMES = ("ga", "es", "cmaes")
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def sigmoid_xor(seed: int) -> SupervisedProblem:
    """The issue's XOR: 2-2-1 sigmoid, mse on 0/1 targets, initial network from ``seed``."""
    return xor_problem(activation="sigmoid", init_seed=seed)


def iris(seed: int = 0) -> SupervisedProblem:
    """Iris, 4-8-3 tanh, standardised, all 150 samples as the training set."""
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return SupervisedProblem(
        X, y, task="classification", hidden=(8,), activation="tanh", init_seed=seed, name="iris"
    )


def solves_xor(problem: SupervisedProblem, graph: networks.Graph) -> bool:
    out = problem.compile(graph).forward(XOR_X)[:, 0]
    return bool(np.all((out > 0.5) == (XOR_Y == 1)))


def run(name: str, problem, evaluations: float, seed: int, **params):
    return fit(
        optimizers.get(name)(**params),
        problem,
        Budget(evaluations=evaluations),
        np.random.default_rng(seed),
    )


# -- configuration ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, params, field",
    [
        (GA, {"population": 1}, "population"),
        (GA, {"crossover": "uniform"}, "crossover"),
        (GA, {"cxpb": 1.5}, "cxpb"),
        (GA, {"mutation_sigma": 0.0}, "mutation_sigma"),
        (GA, {"indpb": 0.0}, "indpb"),
        (GA, {"elite": 100}, "elite"),
        (GA, {"minibatch_size": 0}, "minibatch_size"),
        (ES, {"kind": "bracket"}, "kind"),
        (ES, {"mu": 20, "lambda_": 10, "kind": "comma"}, "lambda_"),
        (ES, {"cxpb": 0.6, "mutpb": 0.6}, "mutpb"),
        (ES, {"c": -1.0}, "c"),
        (ES, {"init_sigma": 0.0}, "init_sigma"),
        (CMAES, {"sigma0": 0.0}, "sigma0"),
        (CMAES, {"sigma0": float("nan")}, "sigma0"),
        (CMAES, {"population": 1}, "population"),
        (CMAES, {"diagonal": "yes"}, "diagonal"),
        (CMAES, {"restarts": -1}, "restarts"),
        (CMAES, {"weights": "cubic"}, "weights"),
        (CMAES, {"population": 10, "mu": 11}, "mu"),
    ],
)
def test_bad_config_is_refused_naming_the_field(cls, params, field):
    with pytest.raises(ValueError, match=field):
        cls(**params)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_is_refused(name):
    with pytest.raises(ValueError, match="unknown parameter"):
        optimizers.get(name)(sigma=1.0, bogus=2)


def test_mu_larger_than_default_population_is_refused_at_setup():
    with pytest.raises(ValueError, match="mu"):
        CMAES(mu=50).setup(sigmoid_xor(0), np.random.default_rng(0))


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trips_through_json_types(name):
    cls = optimizers.get(name)
    config = cls().config.to_dict()
    assert cls(**config).config == cls().config


# -- how they spend compute ---------------------------------------------------------------
class CountingProblem(SupervisedProblem):
    """Records the shape of every evaluate call and the rows it used."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.calls: list[tuple[tuple[int, ...], np.ndarray | None]] = []

    def evaluate(self, params, network, idx=None):
        self.calls.append((np.shape(params), None if idx is None else np.array(idx)))
        return super().evaluate(params, network, idx)


def counting_xor(**kw) -> CountingProblem:
    return CountingProblem(
        XOR_X,
        XOR_Y,
        task="classification",
        loss="mse",
        hidden=(2,),
        activation="sigmoid",
        output_activation="sigmoid",
        **kw,
    )


@pytest.mark.parametrize("name", NAMES)
def test_one_batched_evaluation_per_generation(name):
    problem = counting_xor()
    result = run(name, problem, 400, 0)
    n = problem.compile(problem.initial).n_params
    assert len(problem.calls) == result.meter["steps"] > 1
    assert all(len(shape) == 2 and shape[1] == n and shape[0] >= 1 for shape, _ in problem.calls)
    assert all(idx is None for _, idx in problem.calls)


@pytest.mark.parametrize("name", NAMES)
def test_starts_from_the_problems_initial_network(name):
    problem = sigmoid_xor(3)
    opt = optimizers.get(name)()
    opt.setup(problem, np.random.default_rng(0))
    x0 = problem.compile(problem.initial).params
    if name == "cmaes":
        assert np.array_equal(opt.strategy.centroid, x0)
    else:
        assert np.array_equal(opt.ask()[0], x0)
    assert opt.best().to_json() == problem.initial.to_json()


def test_full_batch_ga_evaluates_only_changed_individuals():
    problem = counting_xor()
    run("ga", problem, 1000, 0, population=20, cxpb=0.0, mutpb=0.5, elite=2)
    sizes = [shape[0] for shape, _ in problem.calls]
    assert sizes[0] == 20  # the whole first population
    assert all(s < 20 for s in sizes[1:])  # elites and unchanged clones keep their fitness


@pytest.mark.parametrize("name", NAMES)
def test_minibatch_fitness_uses_a_fresh_subset_each_generation(name):
    X, y = load_iris(return_X_y=True)
    problem = CountingProblem(X, y, task="classification", hidden=(4,), init_seed=0)
    result = run(name, problem, 300, 0, minibatch_size=10)
    idxs = [idx for _, idx in problem.calls]
    assert all(idx is not None and len(idx) == 10 and len(set(idx)) == 10 for idx in idxs)
    assert len({tuple(idx) for idx in idxs}) > 1
    # each generation re-measures its whole population on its minibatch: P * 10 samples
    sizes = [shape[0] for shape, _ in problem.calls]
    c = optimizers.get(name).Config()
    if name == "ga":
        whole = c.population
    elif name == "es":  # (mu + lambda): parents and offspring
        whole = c.mu + c.lambda_
    else:  # cmaes samples lambda new points each generation
        whole = sizes[0]
    assert sizes[1:] == [whole] * (len(sizes) - 1)
    samples = sum(shape[0] * 10 for shape, _ in problem.calls)
    assert result.meter["samples"] == samples
    assert result.meter["evaluations"] == pytest.approx(samples / 150)
    assert run_summary_of(name, minibatch_size=10) == run_summary_of(name, minibatch_size=10)


def run_summary_of(name, **params):
    X, y = load_iris(return_X_y=True)
    problem = SupervisedProblem(X, y, task="classification", hidden=(4,), init_seed=0)
    r = run(name, problem, 200, 1, **params)
    return r.best.to_json(), [c["population_best"] for c in r.curve]


@pytest.mark.parametrize("name", NAMES)
def test_minibatch_as_large_as_the_data_is_full_batch(name):
    problem = counting_xor()
    run(name, problem, 100, 0, minibatch_size=4)
    assert all(idx is None for _, idx in problem.calls)


def test_minibatch_cmaes_learns_iris():
    problem = iris(0)
    start = objective(problem, problem.initial)
    opt = CMAES(minibatch_size=16)  # each generation costs 16 x 16 / 150 evaluations
    result = fit(opt, problem, Budget(steps=200), np.random.default_rng(0))
    assert objective(problem, result.best) < start
    assert result.metrics["train_accuracy"] >= 0.9


# -- maximisation -------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_maximising_minus_loss_is_minimising_loss(name):
    minimise = run(name, sigmoid_xor(1), 1000, 2)
    maximise = run(name, MaximizeProblem(sigmoid_xor(1)), 1000, 2)
    assert maximise.best.to_json() == minimise.best.to_json()
    for a, b in zip(minimise.curve, maximise.curve):
        assert b["train_loss"] == -a["train_loss"]
        assert b["population_best"] == -a["population_best"]
        assert b["population_worst"] == -a["population_worst"]
    assert maximise.curve[-1]["train_loss"] > maximise.curve[0]["train_loss"]


# -- randomness and pickling --------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_ignores_numpy_global_random_state(name):
    saved = np.random.get_state()  # noqa: NPY002 - this test perturbs the legacy state
    try:
        np.random.seed(0)  # noqa: NPY002
        a = run(name, sigmoid_xor(0), 500, 1)
        np.random.seed(12345)  # noqa: NPY002
        b = run(name, sigmoid_xor(0), 500, 1)
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    assert a.best.to_json() == b.best.to_json()


@pytest.mark.parametrize("name", NAMES)
def test_never_seeds_stdlib_random_itself(name, monkeypatch):
    rng = np.random.default_rng(0)
    optimizers.seed_stdlib_random(rng)  # what fit does, once

    def refuse(*args, **kw):
        raise AssertionError("random.seed called outside optimizers.seed_stdlib_random")

    monkeypatch.setattr(random, "seed", refuse)
    opt = optimizers.get(name)()
    opt.setup(sigmoid_xor(0), rng)
    for _ in range(3):
        opt.step()


@pytest.mark.parametrize("name", NAMES)
def test_uses_no_deap_creator_classes_and_pickles_mid_run(name):
    before = set(vars(creator))
    opt = optimizers.get(name)()
    rng = np.random.default_rng(0)
    optimizers.seed_stdlib_random(rng)
    opt.setup(sigmoid_xor(0), rng)
    opt.step()
    opt.step()
    assert set(vars(creator)) == before
    blob = pickle.dumps(opt)
    assert b"deap.creator" not in blob
    clone = pickle.loads(blob)
    assert len(clone.logbook) == len(opt.logbook) == 2


# -- what a step reports ------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_logbook_statistics_flow_into_the_curve(name):
    opt = optimizers.get(name)()
    result = fit(opt, sigmoid_xor(0), Budget(steps=4), np.random.default_rng(0))
    assert len(opt.logbook) == len(result.curve) == 4
    assert opt.logbook.select("gen") == [0, 1, 2, 3]
    for record, entry in zip(result.curve, opt.logbook):
        assert record["population_best"] == entry["min"]  # minimisation: best is the min
        assert record["population_worst"] == entry["max"]
        assert record["population_std"] == entry["std"] >= 0
        assert record["nevals"] == entry["nevals"] >= 1
        assert record["failed"] == 0
    extra = {"es": "step_size", "cmaes": "sigma"}.get(name)
    if extra:
        assert all(np.isfinite(r[extra]) and r[extra] > 0 for r in result.curve)


def test_ga_elitism_never_loses_the_best():
    result = run("ga", sigmoid_xor(0), 3000, 0)
    best = [r["population_best"] for r in result.curve]
    assert all(b <= a for a, b in zip(best, best[1:]))


@pytest.mark.parametrize("crossover", ["blend", "two_point", "sbx"])
def test_every_ga_crossover_improves(crossover):
    problem = iris(0)
    opt = optimizers.get("ga")(crossover=crossover)
    opt.setup(problem, np.random.default_rng(0))
    operators = {"blend": tools.cxBlend, "two_point": tools.cxTwoPoint}
    assert opt.toolbox.mate.func is operators.get(crossover, tools.cxSimulatedBinary)
    start = objective(problem, problem.initial)
    result = run("ga", problem, 2000, 0, crossover=crossover)
    assert objective(problem, result.best) < 0.5 * start


@pytest.mark.parametrize("kind", ["comma", "plus"])
def test_es_kinds_improve_and_keep_step_sizes_above_the_floor(kind):
    opt = ES(kind=kind, mu=10, lambda_=40, min_strategy=0.05)
    problem = iris(0)
    start = objective(problem, problem.initial)
    fit(opt, problem, Budget(evaluations=3000), np.random.default_rng(0))
    assert opt.best_value < 0.5 * start
    assert all(min(ind.strategy) >= 0.05 for ind in opt.population)


class FailingProblem(SupervisedProblem):
    """Every third individual's evaluation fails (NaN)."""

    def evaluate(self, params, network, idx=None):
        values = super().evaluate(params, network, idx)
        values[::3] = np.nan
        return values


@pytest.mark.parametrize("name", NAMES)
def test_failed_evaluations_are_survived_and_counted(name):
    problem = FailingProblem(
        XOR_X, XOR_Y, task="classification", loss="mse", hidden=(2,), activation="sigmoid"
    )
    result = run(name, problem, 500, 0)
    assert result.status == "done"
    assert np.isfinite(result.metrics["train_loss"])
    assert any(r["failed"] > 0 for r in result.curve)


# -- CMA-ES specifics ---------------------------------------------------------------------
def test_default_population_is_4_plus_3_ln_n():
    opt = CMAES()
    opt.setup(iris(0), np.random.default_rng(0))
    n = opt.network.n_params
    assert n == 67
    assert opt.strategy.lambda_ == int(4 + 3 * np.log(n)) == 16
    assert opt.strategy.mu == 8
    assert isinstance(opt.strategy, FullStrategy)


def test_ipop_restarts_double_the_population_then_stop():
    opt = CMAES(restarts=2, tolx=1e3)  # every strategy "stagnates" at once
    result = fit(opt, sigmoid_xor(0), Budget(evaluations=10_000), np.random.default_rng(0))
    assert opt.done
    assert [r["population_size"] for r in result.curve] == [10, 20, 40]
    assert [r["restarts"] for r in result.curve] == [0, 1, 2]
    assert [r.get("stop") for r in result.curve] == ["tolx"] * 3


def test_restarts_keep_the_best_network():
    problem = sigmoid_xor(3)
    opt = CMAES(restarts=3)
    fit(opt, problem, Budget(evaluations=10_000), np.random.default_rng(0))
    assert opt.restarts_done >= 1
    assert opt.best_value == pytest.approx(objective(problem, opt.best()), abs=1e-12)
    assert solves_xor(problem, opt.best())


def wide_problem(hidden: int = 100) -> SupervisedProblem:
    X, y = load_iris(return_X_y=True)
    return SupervisedProblem(X, y, task="classification", hidden=(hidden,), init_seed=0)


def test_diagonal_auto_switches_to_sep_cma_for_large_networks():
    small, large = CMAES(), CMAES()
    small.setup(iris(0), np.random.default_rng(0))
    large.setup(wide_problem(), np.random.default_rng(0))
    assert small.network.n_params <= DIAGONAL_AUTO_N < large.network.n_params
    assert isinstance(small.strategy, FullStrategy)
    assert isinstance(large.strategy, SepStrategy)
    n = large.network.n_params
    assert all(np.size(v) <= 2 * n for v in vars(large.strategy).values())  # no n x n matrix
    for _ in range(20):
        large.step()
    assert large.best_value < objective(large.problem, large.problem.initial)


@pytest.mark.parametrize("diagonal", [True, False])
def test_diagonal_can_be_forced(diagonal):
    opt = CMAES(diagonal=diagonal)
    opt.setup(wide_problem(4) if diagonal else wide_problem(), np.random.default_rng(0))
    assert isinstance(opt.strategy, SepStrategy if diagonal else FullStrategy)


def ellipsoid(X: np.ndarray) -> np.ndarray:
    n = X.shape[1]
    return (10.0 ** (6.0 * np.arange(n) / (n - 1)) * X**2).sum(axis=1)


def minimise(strategy, f, rng, max_evals: int) -> tuple[int, float]:
    from optimizers._deap_tools import Individual

    evals, best = 0, np.inf
    while evals < max_evals and best > 1e-10:
        X = strategy.sample(rng.standard_normal((strategy.lambda_, strategy.dim)))
        values = f(X)
        evals, best = evals + len(X), min(best, values.min())
        population = []
        for x, v in zip(X.tolist(), values.tolist()):
            ind = Individual(x)
            ind.fitness.values = (-v,)
            population.append(ind)
        strategy.update(population)
    return evals, best


def test_sep_cma_solves_a_separable_ellipsoid_faster_than_full_cma():
    n, lam = 20, int(4 + 3 * np.log(20))
    sep = SepStrategy(np.ones(n), 1.0, lambda_=lam, mu=None, weights="superlinear")
    full = FullStrategy(np.ones(n), 1.0, lambda_=lam)
    sep_evals, sep_best = minimise(sep, ellipsoid, np.random.default_rng(0), 100_000)
    full_evals, full_best = minimise(full, ellipsoid, np.random.default_rng(0), 100_000)
    assert sep_best <= 1e-10 and full_best <= 1e-10
    assert sep_evals < full_evals / 2  # Ros & Hansen 2008: about (n + 2) / 3 here


def test_sep_cma_on_iris():
    result = run("cmaes", iris(0), 4800, 0, diagonal=True)
    assert result.metrics["train_accuracy"] >= 0.97


# -- quality bars -------------------------------------------------------------------------
XOR_EVALS = 10_000


@pytest.mark.parametrize("name", NAMES)
def test_xor_solved_on_at_least_9_of_10_seeds(name):
    solved = []
    for seed in range(10):
        problem = sigmoid_xor(seed)
        result = run(name, problem, XOR_EVALS, seed)
        solved.append(solves_xor(problem, result.best))
    assert sum(solved) >= 9, solved


IRIS_BARS = {"cmaes": (0.99, 4_800), "ga": (0.97, 12_500), "es": (0.97, 12_500)}


def iris_accuracies(name: str, seeds) -> list[float]:
    bar, evals = IRIS_BARS[name]
    out = []
    for seed in seeds:
        result = run(name, iris(seed), evals, seed)
        assert result.meter["evaluations"] <= evals + 100
        out.append(result.metrics["train_accuracy"])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_iris_quality_bar_ten_seeds(name):
    """GA and ES meet their bar on every seed; CMA-ES (whose bar is 0.99) on at least 9 of
    10 (on seeds 0-39 it meets it on 39; seed 0 stops at 0.987, two errors, as pycma and
    DEAP's own loop also do on some seeds)."""
    bar, _ = IRIS_BARS[name]
    acc = iris_accuracies(name, range(10))
    need = 9 if name == "cmaes" else 10
    assert sum(a >= bar for a in acc) >= need, acc
    assert np.median(acc) >= bar
