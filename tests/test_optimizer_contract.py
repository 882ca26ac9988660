"""The contract every registered optimizer keeps, run over ``optimizers.available()`` so an
optimizer added later (built in, registered, or from an entry point) joins automatically.

Each optimizer runs with its default configuration on tiny problems (XOR 2-2-1, a 24-point
sine regression) under small budgets, so the whole file stays fast as optimizers join:

- the same seed gives bit-identical results (best Graph JSON, curves, meter, metrics);
- the budget is never exceeded by more than one step, and every step spends compute;
- the problem's initial Graph and data are not mutated;
- the optimizer pickles (before setup and mid-run, resuming identically) and runs in a
  joblib loky worker with the same results as in-process;
- it improves on XOR and on the regression (best objective < the initial network's);
- on a maximisation problem it moves toward higher objective;
- on a non-differentiable network it works or refuses with a clear ValueError.
"""

from __future__ import annotations

import pickle
import random

import joblib
import numpy as np
import pytest
from helpers import (
    MaximizeProblem,
    objective,
    regression_problem,
    run_summary,
    summary,
    xor_problem,
)

import optimizers
from optimizers import Budget, fit

NAMES = optimizers.available()
BUDGET = Budget(evaluations=600)  # XOR: 200 backprop epochs, ~19 random-search generations


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


@pytest.mark.parametrize(
    "budget",
    [Budget(evaluations=50), Budget(samples=333), Budget(macs=5_000), Budget(steps=3)],
    ids=["evaluations", "samples", "macs", "steps"],
)
def test_budget_never_exceeded_by_more_than_one_step(name, budget):
    (unit, limit), *_ = budget.limits().items()
    opt = make(name)
    result = fit(opt, xor_problem(), budget, np.random.default_rng(0))
    curve = result.curve
    assert curve, "the loop ran no step"
    for k in ("samples", "evaluations", "macs", "steps"):
        assert curve[-1][k] == result.meter[k]
    # every step but the last started with budget left: only the last step may overspend
    before_last = [r[unit] for r in curve[:-1]]
    assert all(v < limit for v in before_last), (unit, limit, before_last)
    assert opt.done or curve[-1][unit] >= limit, "stopped with budget left"
    # every step spends compute through the problem (a free step would loop forever)
    samples = [0.0] + [r["samples"] for r in curve]
    assert all(b > a for a, b in zip(samples, samples[1:]))


def test_does_not_mutate_its_inputs(name):
    problem = xor_problem()
    initial_json = problem.initial.to_json()
    X, y = problem.X.copy(), problem.y.copy()
    opt = make(name)
    config = opt.config.to_dict()
    result = fit(opt, problem, BUDGET, np.random.default_rng(1))
    assert problem.initial.to_json() == initial_json
    assert np.array_equal(problem.X, X) and np.array_equal(problem.y, y)
    assert opt.config.to_dict() == config
    # the best Graph keeps the problem's interface and is a valid Graph
    best = result.best.validate()
    assert (best.n_inputs, best.n_outputs) == (problem.n_inputs, problem.n_outputs)


def test_pickles_before_setup(name):
    opt = pickle.loads(pickle.dumps(make(name)))
    result = fit(opt, xor_problem(), BUDGET, np.random.default_rng(3))
    assert summary(result) == run_summary(name, 3, BUDGET)


def test_pickles_mid_run_and_resumes_identically(name):
    opt = make(name)
    rng = np.random.default_rng(4)
    optimizers.seed_stdlib_random(rng)
    opt.setup(xor_problem(), rng)
    opt.step()
    copy = pickle.loads(pickle.dumps(opt))
    # DEAP's operators read Python's global random, which fit seeds once per run and is
    # no part of the optimizer: give both the same stream
    stdlib_state = random.getstate()
    for o in (opt, copy):
        random.setstate(stdlib_state)
        o.step()
        o.step()
    assert opt.best().to_json() == copy.best().to_json()
    assert np.array_equal(opt.best_value, copy.best_value, equal_nan=True)
    assert opt.problem.meter == copy.problem.meter


def test_joblib_loky_worker_gives_in_process_results(name):
    seeds = (0, 1)
    remote = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(run_summary)(name, seed, BUDGET) for seed in seeds
    )
    assert remote == [run_summary(name, seed, BUDGET) for seed in seeds]


@pytest.mark.parametrize("make_problem", [xor_problem, regression_problem], ids=["xor", "sine"])
def test_improves_within_a_small_budget(name, make_problem):
    problem = make_problem()
    start = objective(problem, problem.initial)
    result = fit(make(name), problem, BUDGET, np.random.default_rng(5))
    assert result.status == "done"
    final = objective(problem, result.best)
    assert final < start, (start, final)


def test_maximisation_moves_toward_higher_objective(name):
    problem = MaximizeProblem(regression_problem())
    start = objective(problem, problem.initial)
    assert start < 0  # objective = -mse
    result = fit(make(name), problem, BUDGET, np.random.default_rng(6))
    assert result.status == "done"
    final = objective(problem, result.best)
    assert final > start, (start, final)
    # what the optimizer reports as its best is on the objective's (negative) scale
    assert result.curve[-1]["train_loss"] <= 0


def test_non_differentiable_network_works_or_is_refused_clearly(name):
    problem = xor_problem(activation="step")
    assert not problem.differentiable
    try:
        result = fit(make(name), problem, Budget(evaluations=60), np.random.default_rng(0))
    except ValueError as exc:
        assert "differentiable" in str(exc)
    else:
        assert result.status == "done"
        assert np.isfinite(objective(problem, result.best))
