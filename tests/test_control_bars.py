"""The published bars on the control tasks (all ``slow``: minutes each; ``pytest -m slow``).

Each run is what a study runs: the task's problem, its test, its default network and
budget, stopped at the target (the NEAT paper counts the evaluations until a solution).
"""

from __future__ import annotations

import numpy as np
import pytest

import optimizers
from optimizers import Budget, fit
from studies.tasks import get_task

pytestmark = pytest.mark.slow


def study_run(task_name: str, optimizer: str, seed: int, budget: Budget | None = None, **params):
    """(solved, evaluations, scores) of one run as a study runs it (seeded from ``seed``)."""
    task = get_task(task_name)
    rng = np.random.default_rng(seed)
    splits = task.splits(rng)
    problem = task.problem(splits)
    initial = task.network.build(problem.n_inputs, problem.n_outputs, rng=rng)
    test = task.test_scorer(problem, splits)
    stopping = dict(stop=task.solved, screen=task.screen) if task.stop_at_target else {}
    result = fit(optimizers.get(optimizer)(**params), problem, budget or task.budget, rng,
                 initial=initial, measure=test, **stopping)  # fmt: skip
    scores = {**result.metrics, **test(result.best)}
    return task.solved(scores), result.meter["evaluations"], scores


@pytest.mark.xfail(
    reason="not met yet: a 10-seed study (neuroarena, seeds from the study seed 0) solved "
    "10 of 10 with 3,840 evaluations on average (median 3,300); we count whole generations "
    "of 150, the paper pop x (gen - 1) + the winner's index",
    strict=False,
)
def test_neat_solves_the_double_pole_with_velocities_as_in_the_paper():
    """Paper: 3,600 evaluations on average (ESP 3,800)."""
    runs = [study_run("double-pole", "neat", seed) for seed in range(10)]
    solved = [evals for ok, evals, _ in runs if ok]
    assert len(solved) >= 9, [r[:2] for r in runs]
    assert np.mean(solved) <= 3_600, solved


def test_policy_gradient_solves_cartpole_within_500k_decisions():
    """Mean return >= 475 over the 100 test episodes, within 500,000 simulated decisions
    (1.5 M samples: each decision's forward pass and its share of the backward pass)."""
    runs = [
        study_run("cartpole", "policy-gradient", seed, Budget(samples=1_500_000))
        for seed in range(10)
    ]
    assert sum(ok for ok, *_ in runs) >= 8, [r[2] for r in runs]


@pytest.mark.xfail(
    reason="not met yet: 5 of 10 seeds solved (seeds 0-9 from default_rng(seed): 0, 5, 6, "
    "7, 9 at 40,000-87,000 evaluations, mean 56,800; generalisation 220-357, mean 276); "
    "seeds 1, 2, 3, 4, 8 unsolved within 100,000 (best balanced 13,421, 8,398, 5,304, "
    "28,765, 25,842 of the 100,000 decisions)",
    strict=False,
)
def test_neat_with_recurrence_on_the_double_pole_without_velocities():
    """Paper: 33,184 evaluations on average (ESP 169,466), generalisation 286 of 625; NEAT
    with recurrent connections, population 1,000, c3 = 3.0, threshold 4.0 and add-link
    0.3 (the paper's settings for its large population), one species champion tested per
    generation (NEAT's protocol)."""
    params = dict(recurrent=True, population=1_000, c3=3.0, compatibility_threshold=4.0,
                  add_connection_rate=0.3)  # fmt: skip
    runs = [study_run("double-pole-nv", "neat", seed, **params) for seed in range(10)]
    assert sum(ok for ok, *_ in runs) >= 8, [(r[1], r[2]) for r in runs]
