"""The contract every registered optimizer keeps, run over ``optimizers.available()`` so an
optimizer added later (built in, registered, or from an entry point) joins automatically.

Each optimizer runs with its default configuration on tiny problems (XOR 2-2-1, a 24-point
sine regression) under small budgets, so the whole file stays fast as optimizers join:

- the same seed gives bit-identical results; two seeds without a starting Graph differ;
- no run spends more than its budget in samples, evaluations or MACs, and a run stops only
  when its budget is spent or it is done; every step spends compute;
- every row any network evaluates during ``setup``/``step`` is charged: counted by
  wrapping the networks' evaluation entry points, independently of the meter;
- the loop's curve is its own measurement of ``best()`` (checked against the networks
  package directly);
- the initial Graph, the data and the config are not mutated;
- the optimizer pickles (before setup and mid-run, resuming identically) and runs in a
  joblib loky worker with the same results as in-process;
- it improves clearly on XOR (by 10%) and on the regression (halving its loss);
- maximising -f is the same search as minimising f (the direction is handled once);
- on a non-differentiable network it works or refuses with a clear ValueError.
"""

from __future__ import annotations

import pickle
import random

import joblib
import numpy as np
import pytest
from helpers import (
    XOR_NET,
    MaximizeProblem,
    count_inside,
    counting_rows,
    objective,
    regression_problem,
    run,
    run_summary,
    sine_initial,
    summary,
    xor_initial,
    xor_problem,
)

import optimizers
from optimizers import Budget, fit

# the optimizers that learn datasets (a control-only one keeps tests/test_control_contract.py)
NAMES = [n for n in optimizers.available() if "dataset" in optimizers.get(n).problem_kinds]
BUDGET = Budget(evaluations=600)  # XOR: 200 backprop epochs, ~19 random-search generations
# a clear improvement: the final objective at most this share of the initial network's.
# The sine regression is easy for every default (each halves its loss); on XOR the slowest
# default, Adam at lr 1e-3, needs far more than 200 epochs to leave the start's basin
IMPROVEMENT = {"xor": 0.9, "sine": 0.5}


@pytest.fixture(params=NAMES)
def name(request) -> str:
    return request.param


def make(name: str) -> optimizers.Optimizer:
    return optimizers.get(name)()


def test_builtins_are_in_the_suite():
    assert {"backprop", "random-search"} <= set(NAMES)


def test_same_seed_gives_bit_identical_results(name):
    a = run_summary(name, 7, BUDGET)
    b = run_summary(name, 7, BUDGET)
    assert a == b


def test_seeds_matter_without_a_starting_graph(name):
    """The starting weights come from the run's rng (and so does everything else)."""
    problem = xor_problem()
    a, b = (
        fit(make(name), problem, BUDGET, np.random.default_rng(s), initial=XOR_NET) for s in (0, 1)
    )
    assert a.best.to_json() != b.best.to_json()
    assert a.curve[-1]["train_loss"] != b.curve[-1]["train_loss"]


BUDGETS = [
    Budget(evaluations=50),
    Budget(evaluations=50.5),
    Budget(samples=333),
    Budget(macs=5_000),
    Budget(steps=3),
    Budget(evaluations=1e6, macs=3_001),
]


@pytest.mark.parametrize(
    "budget", BUDGETS, ids=["evaluations", "fractional", "samples", "macs", "steps", "two"]
)
def test_budget_is_never_exceeded(name, budget):
    opt = make(name)
    result = run(opt, xor_problem(), budget, 0)
    curve = result.curve
    assert curve, "the loop ran no step"
    for unit, limit in budget.limits().items():
        assert result.meter[unit] <= limit, (unit, result.meter[unit], limit)
    for k in ("samples", "evaluations", "macs", "steps"):
        assert curve[-1][k] == result.meter[k]
    # it stopped because the budget is spent, or because the optimizer is done
    assert opt.done or budget.spent(opt.problem.meter), "stopped with budget left"
    # every step spends compute through the problem (a free step would loop forever)
    samples = [0.0] + [r["samples"] for r in curve]
    assert all(b > a for a, b in zip(samples, samples[1:]))


@pytest.mark.parametrize("budget", [BUDGET, Budget(evaluations=50.5)], ids=["600", "50.5"])
def test_every_row_evaluated_is_charged(name, budget, monkeypatch):
    opt = make(name)
    with counting_rows(monkeypatch) as counter:
        count_inside(opt, counter, monkeypatch)  # the optimizer's own calls only
        result = run(opt, xor_problem(), budget, 2)
    assert counter["rows"] > 0
    assert counter["rows"] == result.meter["samples"]


@pytest.mark.parametrize("make_problem", [xor_problem, regression_problem], ids=["xor", "sine"])
def test_curve_is_the_loops_measurement_of_best(name, make_problem):
    problem = make_problem()
    result = run(make(name), problem, BUDGET, 3)
    last = result.curve[-1]
    assert last["train_loss"] == pytest.approx(objective(problem, result.best), rel=1e-12)
    assert result.metrics["train_loss"] == last["train_loss"]


def test_does_not_mutate_its_inputs(name):
    problem = xor_problem()
    initial = xor_initial()
    initial_json = initial.to_json()
    X, y = problem.X.copy(), problem.y.copy()
    opt = make(name)
    config = opt.config.to_dict()
    result = run(opt, problem, BUDGET, 1, initial=initial)
    assert initial.to_json() == initial_json
    assert np.array_equal(problem.X, X) and np.array_equal(problem.y, y)
    assert opt.config.to_dict() == config
    # the best Graph keeps the problem's interface and is a valid Graph
    best = result.best.validate()
    assert (best.n_inputs, best.n_outputs) == (problem.n_inputs, problem.n_outputs)


def test_pickles_before_setup(name):
    opt = pickle.loads(pickle.dumps(make(name)))
    result = run(opt, xor_problem(), BUDGET, 3)
    assert summary(result) == run_summary(name, 3, BUDGET)


def test_pickles_mid_run_and_resumes_identically(name):
    opt = make(name)
    opt.setup(xor_problem(), xor_initial(), np.random.default_rng(4))
    opt.step()
    copy = pickle.loads(pickle.dumps(opt))
    # DEAP's stream of Python random numbers travels with the optimizer: whatever the
    # global held, both go on identically
    for o, before in ((opt, 1), (copy, 2)):
        random.seed(before)
        o.step()
        o.step()
    assert opt.best().to_json() == copy.best().to_json()
    assert np.array_equal(opt.best_value, copy.best_value, equal_nan=True)
    assert opt.problem.meter == copy.problem.meter
    assert opt.problem.meter.samples > 0


def test_joblib_loky_worker_gives_in_process_results(name):
    seeds = (0, 1)
    remote = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(run_summary)(name, seed, BUDGET) for seed in seeds
    )
    assert remote == [run_summary(name, seed, BUDGET) for seed in seeds]


@pytest.mark.parametrize(
    "make_problem, initial",
    [(xor_problem, xor_initial), (regression_problem, sine_initial)],
    ids=["xor", "sine"],
)
def test_improves_clearly_within_a_small_budget(name, make_problem, initial):
    problem = make_problem()
    start = objective(problem, initial())
    result = run(make(name), problem, BUDGET, 5)
    assert result.status == "done"
    final = objective(problem, result.best)
    assert final < IMPROVEMENT[problem.name] * start, (start, final)


def test_maximising_minus_f_is_minimising_f(name):
    plain = run(make(name), regression_problem(), BUDGET, 6)
    flipped = run(make(name), MaximizeProblem(regression_problem()), BUDGET, 6)
    assert flipped.status == "done"
    assert flipped.best.to_json() == plain.best.to_json()
    assert [r["best_objective"] for r in flipped.curve] == [
        -r["best_objective"] for r in plain.curve
    ]
    # the objective is -mse: the optimizer's best is negative, and what it found is the
    # same network as the minimiser's
    assert flipped.curve[-1]["best_objective"] < 0


def test_non_differentiable_network_works_or_is_refused_clearly(name):
    problem = xor_problem()
    try:
        result = run(
            make(name), problem, Budget(evaluations=60), 0, initial=xor_initial(activation="step")
        )
    except ValueError as exc:
        assert "differentiable" in str(exc) or "derivative" in str(exc)
    else:
        assert result.status == "done"
        assert np.isfinite(objective(problem, result.best))
