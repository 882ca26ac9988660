"""The contract of every optimizer that learns control tasks (``problem_kinds`` holding
"control": the evolutionary ones and the policy gradient), on a short cartpole: the same
seed gives bit-identical results and seeds matter, no budget is passed in any unit, every
decision charged was evaluated by a network (counted independently of the meter), the
curve is the loop's own measurement, and it pickles mid-run and runs in a loky worker with
the same results."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
from helpers import (
    cartpole_initial,
    cartpole_problem,
    count_inside,
    counting_rows,
    run,
    run_summary,
)

import optimizers
from optimizers import Architecture, Budget, fit

CONTROL = [n for n in optimizers.available() if "control" in optimizers.get(n).problem_kinds]
BUDGET = Budget(evaluations=150)


@pytest.fixture(params=CONTROL)
def name(request) -> str:
    return request.param


def test_the_control_learners_are_in_the_suite():
    assert {"neat", "cmaes", "ga", "es", "random-search", "policy-gradient"} <= set(CONTROL)
    assert "backprop" not in CONTROL


def test_same_seed_gives_bit_identical_results(name):
    assert run_summary(name, 7, BUDGET, "cartpole") == run_summary(name, 7, BUDGET, "cartpole")


def test_seeds_matter(name):
    arch = Architecture(hidden=(4,), activation="tanh")
    a, b = (
        fit(optimizers.get(name)(), cartpole_problem(), BUDGET, np.random.default_rng(s),
            initial=arch)
        for s in (0, 1)
    )  # fmt: skip
    assert a.best.to_json() != b.best.to_json()


@pytest.mark.parametrize(
    "budget",
    [Budget(evaluations=40), Budget(samples=1_500), Budget(macs=20_000), Budget(steps=3),
     Budget(evaluations=1e6, macs=9_001)],
    ids=["evaluations", "samples", "macs", "steps", "two"],
)  # fmt: skip
def test_budget_is_never_exceeded(name, budget):
    result = run(optimizers.get(name)(), cartpole_problem(), budget, 0)
    assert result.curve, "the loop ran no step"
    for unit, limit in budget.limits().items():
        assert result.meter[unit] <= limit, (unit, result.meter[unit], limit)


def test_every_decision_charged_was_evaluated(name, monkeypatch):
    """A lockstep rollout also evaluates finished episodes of candidates still running
    (wasted work, not charged: a run pays for the decisions its episodes take), so the rows
    the networks evaluate bound the charge from above (tests/test_control.py checks the
    charge against episodes played one by one)."""
    opt = optimizers.get(name)()
    with counting_rows(monkeypatch) as counter:
        count_inside(opt, counter, monkeypatch)  # the optimizer's own calls only
        result = run(opt, cartpole_problem(), BUDGET, 2)
    assert 0 < result.meter["samples"] <= counter["rows"]


def test_curve_is_the_loops_measurement_of_best(name):
    problem = cartpole_problem()
    result = run(optimizers.get(name)(), problem, BUDGET, 3)
    assert result.curve[-1]["train_return"] == problem.score(result.best)["train_return"]
    assert result.metrics["train_return"] == result.curve[-1]["train_return"]


def test_pickles_mid_run_and_resumes_identically(name):
    opt = optimizers.get(name)()
    opt.setup(cartpole_problem(), cartpole_initial(), np.random.default_rng(4))
    opt.step()
    copy = pickle.loads(pickle.dumps(opt))
    for o in (opt, copy):
        o.step()
        o.step()
    assert opt.best().to_json() == copy.best().to_json()
    assert opt.problem.meter == copy.problem.meter


def test_joblib_loky_worker_gives_in_process_results(name):
    remote = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(run_summary)(name, seed, BUDGET, "cartpole") for seed in (0, 1)
    )
    assert remote == [run_summary(name, seed, BUDGET, "cartpole") for seed in (0, 1)]
