"""ga, es and cmaes: weight search over the flat parameter vector with DEAP.

Beyond the contract suite (which runs them automatically): configs validated up front,
one batched evaluation per generation, minibatch fitness, maximisation, no global random
state except the stdlib ``random`` that fit seeds, no ``deap.creator``, DEAP's Logbook in
the curve, IPOP restarts, the separable CMA-ES, and the quality bars on XOR and iris.

Every run starts from an explicit Graph (``initial=``) drawn from a fixed seed, so a test's
runs are the same whatever the run's own seed draws first.
"""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
from deap import creator, tools
from helpers import XOR_X, XOR_Y, MaximizeProblem, objective, xor_initial, xor_problem
from sklearn.datasets import load_iris

import networks
import optimizers
from optimizers import Architecture, Budget, SupervisedProblem, fit
from optimizers.cmaes import CMAES, DIAGONAL_AUTO_N, FullStrategy, SepStrategy
from optimizers.es import ES
from optimizers.ga import GA

NAMES = ("ga", "es", "cmaes")


def sigmoid_xor(seed: int) -> tuple[SupervisedProblem, networks.Graph]:
    """The issue's XOR: mse on 0/1 targets, and its 2-2-1 sigmoid initial network drawn
    from ``seed``."""
    return xor_problem(), xor_initial(seed, activation="sigmoid")


IRIS_NET = Architecture(hidden=(8,), activation="tanh")


def iris() -> SupervisedProblem:
    """Iris, standardised, all 150 samples as the training set."""
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return SupervisedProblem(X, y, task_type="classification", name="iris")


def iris_initial(seed: int = 0) -> networks.Graph:
    """A 4-8-3 tanh network for iris drawn from ``default_rng(seed)``."""
    return IRIS_NET.build(4, 3, rng=np.random.default_rng(seed))


def solves_xor(graph: networks.Graph) -> bool:
    out = networks.compile(graph).forward(XOR_X)[:, 0]
    return bool(np.all((out > 0.5) == (XOR_Y == 1)))


def run(name: str, problem, evaluations: float, seed: int, initial, **params):
    return fit(
        optimizers.get(name)(**params),
        problem,
        Budget(evaluations=evaluations),
        np.random.default_rng(seed),
        initial=initial,
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
        CMAES(mu=50).setup(*sigmoid_xor(0), np.random.default_rng(0))


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trips_through_json_types(name):
    cls = optimizers.get(name)
    config = cls().config.to_dict()
    assert cls(**config).config == cls().config


# -- how they spend compute ---------------------------------------------------------------
class CountingProblem(SupervisedProblem):
    """Records the shape of every population it evaluates and the rows it used."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.calls: list[tuple[tuple[int, ...], np.ndarray | None]] = []

    def _objectives(self, candidates, rows, rng):
        self.calls.append((candidates.params.shape, None if rows is None else np.array(rows)))
        return super()._objectives(candidates, rows, rng)


def counting_xor() -> tuple[CountingProblem, networks.Graph]:
    """XOR that records its evaluations, and the 2-2-1 sigmoid network of seed 0."""
    problem = CountingProblem(XOR_X, XOR_Y, task_type="classification", loss="mse")
    return problem, xor_initial(0, activation="sigmoid")


def counting_iris() -> tuple[CountingProblem, networks.Graph]:
    """Raw iris that records its evaluations, and a 4-4-3 tanh network of seed 0."""
    X, y = load_iris(return_X_y=True)
    problem = CountingProblem(X, y, task_type="classification")
    return problem, Architecture(hidden=(4,)).build(4, 3, rng=np.random.default_rng(0))


@pytest.mark.parametrize("name", NAMES)
def test_one_batched_evaluation_per_generation(name):
    problem, initial = counting_xor()
    result = run(name, problem, 400, 0, initial)
    n = problem.compile(initial).n_params
    assert len(problem.calls) == result.meter["steps"] > 1
    assert all(len(shape) == 2 and shape[1] == n and shape[0] >= 1 for shape, _ in problem.calls)
    assert all(idx is None for _, idx in problem.calls)


@pytest.mark.parametrize("name", NAMES)
def test_starts_from_the_runs_initial_network(name):
    problem, initial = sigmoid_xor(3)
    opt = optimizers.get(name)()
    opt.setup(problem, initial, np.random.default_rng(0))
    x0 = problem.compile(initial).params
    if name == "cmaes":
        assert np.array_equal(opt.strategy.centroid, x0)
    else:
        assert np.array_equal(opt.ask().params[0], x0)
    assert opt.best().to_json() == initial.to_json()


def test_full_batch_ga_evaluates_only_changed_individuals():
    problem, initial = counting_xor()
    run("ga", problem, 1000, 0, initial, population=20, cxpb=0.0, mutpb=0.5, elite=2)
    sizes = [shape[0] for shape, _ in problem.calls]
    assert len(sizes) > 1
    assert sizes[0] == 20  # the whole first population
    assert all(s < 20 for s in sizes[1:])  # elites and unchanged clones keep their fitness


@pytest.mark.parametrize("name", NAMES)
def test_minibatch_fitness_uses_a_fresh_subset_each_generation(name):
    problem, initial = counting_iris()
    opt = optimizers.get(name)(minibatch_size=10)
    seen = []  # at each recorded step: best()'s loss on all rows and on the step's minibatch

    def measure(record: dict) -> None:
        net, rows = networks.compile(opt.best()), problem.calls[-1][1]
        full = float(net.losses(problem.X, problem.y, problem.loss))
        seen.append((full, float(net.losses(problem.X[rows], problem.y[rows], problem.loss))))

    result = fit(
        opt,
        problem,
        Budget(evaluations=300),
        np.random.default_rng(0),
        initial=initial,
        on_step=measure,
    )
    idxs = [idx for _, idx in problem.calls]
    assert len(idxs) == len(result.curve) > 1
    assert all(idx is not None and len(idx) == 10 and len(set(idx)) == 10 for idx in idxs)
    assert len({tuple(idx) for idx in idxs}) > 1
    # each generation re-measures its whole population on its minibatch: P * 10 samples
    # (the last one only the candidates its budget had room for)
    sizes = [shape[0] for shape, _ in problem.calls]
    c = optimizers.get(name).Config()
    if name == "ga":
        whole = c.population
    elif name == "es":  # (mu + lambda): parents and offspring
        whole = c.mu + c.lambda_
    else:  # cmaes samples lambda new points each generation
        whole = sizes[0]
    assert sizes[1:-1] == [whole] * (len(sizes) - 2)
    assert 1 <= sizes[-1] <= whole
    samples = sum(shape[0] * 10 for shape, _ in problem.calls)
    assert result.meter["samples"] == samples
    assert result.meter["evaluations"] == pytest.approx(samples / 150)
    assert result.meter["evaluations"] <= 300
    # the curve's train_loss is the loop's ruler: best()'s loss on all the training rows;
    # the optimizer's own figure (best_objective) is its loss on that step's minibatch
    for record, (full, minibatch) in zip(result.curve, seen, strict=True):
        assert record["train_loss"] == pytest.approx(full, rel=1e-12)
        assert record["best_objective"] == pytest.approx(minibatch, rel=1e-12)
    assert sum(r["train_loss"] != r["best_objective"] for r in result.curve) > len(seen) // 2
    assert run_summary_of(name, minibatch_size=10) == run_summary_of(name, minibatch_size=10)


def run_summary_of(name, **params):
    X, y = load_iris(return_X_y=True)
    problem = SupervisedProblem(X, y, task_type="classification")
    initial = Architecture(hidden=(4,)).build(4, 3, rng=np.random.default_rng(0))
    r = run(name, problem, 200, 1, initial, **params)
    return r.best.to_json(), [c["population_best"] for c in r.curve]


@pytest.mark.parametrize("name", NAMES)
def test_minibatch_as_large_as_the_data_is_full_batch(name):
    problem, initial = counting_xor()
    run(name, problem, 100, 0, initial, minibatch_size=4)
    assert problem.calls and all(idx is None for _, idx in problem.calls)


def test_minibatch_cmaes_learns_iris():
    """Minibatch CMA-ES (16 rows) reaches 0.9 training accuracy in 200 generations on
    every seed, and its typical run (the median of 10 seeds) at least halves iris's loss,
    judged on the loop's full-data ruler. One run's trajectory depends on the last bits
    of the BLAS kernels (the same seed gives 0.10 or 0.52 of the start's loss on seed 1
    with OpenBLAS's Haswell or SkylakeX kernels), so the loss bar is on the median."""
    ratios = []
    for seed in range(10):
        problem, initial = iris(), iris_initial(seed)
        start = objective(problem, initial)
        opt = CMAES(minibatch_size=16)  # each generation costs 16 x 16 / 150 evaluations
        result = fit(opt, problem, Budget(steps=200), np.random.default_rng(seed), initial=initial)
        final = objective(problem, result.best)
        assert result.curve[-1]["train_loss"] == pytest.approx(final, rel=1e-12)
        assert result.metrics["train_accuracy"] >= 0.9, (seed, result.metrics)
        ratios.append(final / start)
    assert np.median(ratios) < 0.5, ratios


# -- maximisation -------------------------------------------------------------------------
# a clear improvement on XOR in 1,000 evaluations: the final loss at most this share of the
# initial network's (as the contract suite asks; GA, the slowest here, reached 0.67-0.83
# on seeds 0-9, ES 0.12-0.58, CMA-ES 0-0.64)
MAXIMISE_BAR = 0.9


@pytest.mark.parametrize("name", NAMES)
def test_maximising_minus_loss_is_minimising_loss(name):
    problem, initial = sigmoid_xor(1)
    minimise = run(name, problem, 1000, 2, initial)
    maximise = run(name, MaximizeProblem(problem), 1000, 2, initial)
    assert maximise.best.to_json() == minimise.best.to_json()
    assert len(maximise.curve) == len(minimise.curve) > 1
    for a, b in zip(minimise.curve, maximise.curve):
        assert b["best_objective"] == -a["best_objective"]  # the optimizer's own figure
        assert b["train_loss"] == a["train_loss"]  # the loop's ruler: the same loss
        assert b["population_best"] == -a["population_best"]
        assert b["population_worst"] == -a["population_worst"]
    # the maximiser climbs: its best -mse rises above -MAXIMISE_BAR x the start's mse
    start = objective(problem, initial)
    assert maximise.curve[-1]["best_objective"] > -MAXIMISE_BAR * start
    assert maximise.curve[-1]["train_loss"] < MAXIMISE_BAR * start


# -- randomness and pickling --------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_ignores_numpy_global_random_state(name):
    problem, initial = sigmoid_xor(0)
    saved = np.random.get_state()  # noqa: NPY002 - this test perturbs the legacy state
    try:
        np.random.seed(0)  # noqa: NPY002
        a = run(name, problem, 500, 1, initial)
        np.random.seed(12345)  # noqa: NPY002
        b = run(name, problem, 500, 1, initial)
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    assert a.best.to_json() == b.best.to_json()


@pytest.mark.parametrize("name", NAMES)
def test_keeps_its_own_stdlib_random_stream(name):
    """DEAP's operators read Python's global random: a run keeps its own stream, seeded once
    at setup from its rng, and lends it to the global only around its DEAP calls, so what
    the global held before does not matter and the run leaves it as it found it."""
    problem, initial = sigmoid_xor(0)
    results = []
    for before in (0, 99):
        random.seed(before)
        state = random.getstate()
        results.append(run(name, problem, 300, 1, initial).best.to_json())
        assert random.getstate() == state
    assert results[0] == results[1]


@pytest.mark.parametrize("name", NAMES)
def test_uses_no_deap_creator_classes_and_pickles_mid_run(name):
    before = set(vars(creator))
    opt = optimizers.get(name)()
    opt.setup(*sigmoid_xor(0), np.random.default_rng(0))
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
    problem, initial = sigmoid_xor(0)
    result = fit(opt, problem, Budget(steps=4), np.random.default_rng(0), initial=initial)
    assert len(opt.logbook) == len(result.curve) == 4
    assert opt.logbook.select("gen") == [0, 1, 2, 3]
    for record, entry in zip(result.curve, opt.logbook):
        assert record["population_best"] == entry["min"]  # minimisation: best is the min
        assert record["population_worst"] == entry["max"]
        assert record["population_std"] == entry["std"] >= 0
        assert record["nevals"] == entry["nevals"] >= 1
        assert record["failed"] == 0
    extra = {"ga": [], "es": ["step_size"], "cmaes": ["sigma"]}[name]
    assert all(np.isfinite(r[k]) and r[k] > 0 for r in result.curve for k in extra)


def test_ga_elitism_never_loses_the_best():
    problem, initial = sigmoid_xor(0)
    result = run("ga", problem, 3000, 0, initial)
    best = [r["population_best"] for r in result.curve]
    assert len(best) > 1
    assert all(b <= a for a, b in zip(best, best[1:]))


# a clear improvement on iris: the final loss at most this share of the initial network's
IRIS_IMPROVEMENT = 0.5
IMPROVEMENT_SEEDS = range(3)


@pytest.mark.parametrize("crossover", ["blend", "two_point", "sbx"])
def test_every_ga_crossover_improves(crossover):
    """Each crossover at least halves iris's loss in 2,000 evaluations on every seed
    (measured on seeds 0-9: at most 0.26 of the start's loss for any crossover)."""
    opt = optimizers.get("ga")(crossover=crossover)
    opt.setup(iris(), iris_initial(0), np.random.default_rng(0))
    operators = {"blend": tools.cxBlend, "two_point": tools.cxTwoPoint}
    assert opt.toolbox.mate.func is operators.get(crossover, tools.cxSimulatedBinary)
    for seed in IMPROVEMENT_SEEDS:
        problem, initial = iris(), iris_initial(seed)
        start = objective(problem, initial)
        result = run("ga", problem, 2000, seed, initial, crossover=crossover)
        final = objective(problem, result.best)
        assert final < IRIS_IMPROVEMENT * start, (seed, start, final)


@pytest.mark.parametrize("kind", ["comma", "plus"])
def test_es_kinds_improve_and_keep_step_sizes_above_the_floor(kind):
    """Both kinds at least halve iris's loss in 3,000 evaluations on every seed (measured
    on seeds 0-9: at most 0.37 of the start's loss with comma, 0.07 with plus)."""
    for seed in IMPROVEMENT_SEEDS:
        opt = ES(kind=kind, mu=10, lambda_=40, min_strategy=0.05)
        problem, initial = iris(), iris_initial(seed)
        start = objective(problem, initial)
        fit(opt, problem, Budget(evaluations=3000), np.random.default_rng(seed), initial=initial)
        assert opt.best_value == pytest.approx(objective(problem, opt.best()), rel=1e-12)
        assert opt.best_value < IRIS_IMPROVEMENT * start, (seed, start, opt.best_value)
        assert all(min(ind.strategy) >= 0.05 for ind in opt.population)


class FailingProblem(SupervisedProblem):
    """Every third individual's evaluation fails (NaN)."""

    def _objectives(self, candidates, rows, rng):
        values = np.array(super()._objectives(candidates, rows, rng), dtype=np.float64)
        values[::3] = np.nan
        return values


@pytest.mark.parametrize("name", NAMES)
def test_failed_evaluations_are_survived_and_counted(name):
    problem = FailingProblem(XOR_X, XOR_Y, task_type="classification", loss="mse")
    initial = xor_initial(0, activation="sigmoid", output_activation="identity")
    result = run(name, problem, 500, 0, initial)
    assert result.status == "done"
    assert np.isfinite(result.metrics["train_loss"])
    assert any(r["failed"] > 0 for r in result.curve)


# -- CMA-ES specifics ---------------------------------------------------------------------
def test_default_population_is_4_plus_3_ln_n():
    opt = CMAES()
    opt.setup(iris(), iris_initial(0), np.random.default_rng(0))
    n = opt.network.n_params
    assert n == 67
    assert opt.strategy.lambda_ == int(4 + 3 * np.log(n)) == 16
    assert opt.strategy.mu == 8
    assert isinstance(opt.strategy, FullStrategy)


def test_ipop_restarts_double_the_population_then_stop():
    opt = CMAES(restarts=2, tolx=1e3)  # every strategy "stagnates" at once
    problem, initial = sigmoid_xor(0)
    result = fit(
        opt, problem, Budget(evaluations=10_000), np.random.default_rng(0), initial=initial
    )
    assert opt.done
    assert [r["population_size"] for r in result.curve] == [10, 20, 40]
    assert [r["restarts"] for r in result.curve] == [0, 1, 2]
    assert [r.get("stop") for r in result.curve] == ["tolx"] * 3


def test_restarts_keep_the_best_network():
    problem, initial = sigmoid_xor(3)
    opt = CMAES(restarts=3)
    fit(opt, problem, Budget(evaluations=10_000), np.random.default_rng(0), initial=initial)
    assert opt.restarts_done >= 1
    assert opt.best_value == pytest.approx(objective(problem, opt.best()), abs=1e-12)
    assert solves_xor(opt.best())


def wide_problem(hidden: int = 100) -> tuple[SupervisedProblem, networks.Graph]:
    """Raw iris and a 4-hidden-3 tanh network of seed 0."""
    X, y = load_iris(return_X_y=True)
    problem = SupervisedProblem(X, y, task_type="classification")
    return problem, Architecture(hidden=(hidden,)).build(4, 3, rng=np.random.default_rng(0))


def test_diagonal_auto_switches_to_sep_cma_for_large_networks():
    small, large = CMAES(), CMAES()
    small.setup(iris(), iris_initial(0), np.random.default_rng(0))
    large.setup(*wide_problem(), np.random.default_rng(0))
    assert small.network.n_params <= DIAGONAL_AUTO_N < large.network.n_params
    assert isinstance(small.strategy, FullStrategy)
    assert isinstance(large.strategy, SepStrategy)
    n = large.network.n_params
    assert all(np.size(v) <= 2 * n for v in vars(large.strategy).values())  # no n x n matrix


def test_sep_cma_improves_a_large_network_clearly():
    """sep-CMA-ES on the 4-100-3 network (803 weights: diagonal="auto" picks it) cuts its
    loss by at least a third in 20 generations, on every seed (measured on seeds 0-9: at
    most 0.46 of the start's loss)."""
    for seed in IMPROVEMENT_SEEDS:
        problem, initial = wide_problem()
        opt = CMAES()
        opt.setup(problem, initial, np.random.default_rng(seed))
        assert isinstance(opt.strategy, SepStrategy)
        for _ in range(20):
            opt.step()
        start = objective(problem, initial)
        assert opt.best_value < 2 / 3 * start, (seed, start, opt.best_value)


@pytest.mark.parametrize("diagonal", [True, False])
def test_diagonal_can_be_forced(diagonal):
    opt = CMAES(diagonal=diagonal)
    opt.setup(*(wide_problem(4) if diagonal else wide_problem()), np.random.default_rng(0))
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
    result = run("cmaes", iris(), 4800, 0, iris_initial(0), diagonal=True)
    assert result.metrics["train_accuracy"] >= 0.97


# -- quality bars -------------------------------------------------------------------------
XOR_EVALS = 10_000


@pytest.mark.parametrize("name", NAMES)
def test_xor_solved_on_at_least_9_of_10_seeds(name):
    """Solved: best() puts all four outputs on the correct side of 0.5, as the loop measures
    it (train_accuracy 1) and as checked here on the network itself."""
    solved = []
    for seed in range(10):
        problem, initial = sigmoid_xor(seed)
        result = run(name, problem, XOR_EVALS, seed, initial)
        assert solves_xor(result.best) == (result.metrics["train_accuracy"] == 1.0)
        solved.append(solves_xor(result.best))
    assert sum(solved) >= 9, solved


IRIS_BARS = {"cmaes": (0.99, 4_800), "ga": (0.97, 12_500), "es": (0.97, 12_500)}


def iris_accuracies(name: str, seeds) -> list[float]:
    bar, evals = IRIS_BARS[name]
    out = []
    for seed in seeds:
        result = run(name, iris(), evals, seed, iris_initial(seed))
        assert result.meter["evaluations"] <= evals
        out.append(result.metrics["train_accuracy"])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_iris_quality_bar_ten_seeds(name):
    """GA and ES meet their bar on every seed; CMA-ES (whose bar is 0.99) on at least 9 of
    10 (on seeds 0-39 it meets it on 39, as pycma and DEAP's own loop miss it on some
    seeds)."""
    bar, _ = IRIS_BARS[name]
    acc = iris_accuracies(name, range(10))
    need = 9 if name == "cmaes" else 10
    assert sum(a >= bar for a in acc) >= need, acc
    assert np.median(acc) >= bar
