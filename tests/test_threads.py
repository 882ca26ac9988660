"""A run's result depends only on its own rng, also with other runs in other threads of the
same process (a Dask worker with several threads, or ``optimizers.fit`` called in threads).

Every registered optimizer runs one seed alone, then the same seed in a thread pool at the
same time as runs of other seeds (all on one shared Problem, as the loop allows): the
threaded run must give bit-identical results. The GIL's switch interval is made tiny so
that the threads interleave many times inside every generation, not just between them.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from helpers import run, summary, xor_problem

import optimizers
from optimizers import Budget

NAMES = [n for n in optimizers.available() if "dataset" in optimizers.get(n).problem_kinds]
SEEDS = (11, 12, 13, 14)  # the first is checked against its solo run
# long enough for dozens of generations on XOR (backprop: ~200 epochs, each recorded)
BUDGET = Budget(evaluations=3000)
BUDGETS = {"backprop": Budget(evaluations=600)}


@pytest.fixture(autouse=True)
def frequent_thread_switches():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def in_threads(jobs: list[tuple[str, int]], problem) -> list[optimizers.RunResult]:
    """Run every (optimizer name, seed) of ``jobs`` at once, one thread each, all started
    together, on the one ``problem``."""
    barrier = threading.Barrier(len(jobs))

    def job(name: str, seed: int) -> optimizers.RunResult:
        opt = optimizers.get(name)()
        barrier.wait()
        return run(opt, problem, BUDGETS.get(name, BUDGET), seed)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(job, *zip(*jobs)))


def assert_same_run(threaded: optimizers.RunResult, solo: optimizers.RunResult) -> None:
    assert np.array_equal(threaded.best.conn_weight, solo.best.conn_weight)
    assert np.array_equal(threaded.best.node_bias, solo.best.node_bias)
    assert [r["train_loss"] for r in threaded.curve] == [r["train_loss"] for r in solo.curve]
    assert summary(threaded) == summary(solo)  # best, metrics, whole curve, meter


@pytest.mark.parametrize("name", NAMES)
def test_a_run_in_threads_with_other_seeds_matches_it_alone(name):
    problem = xor_problem()
    solo = run(optimizers.get(name)(), problem, BUDGETS.get(name, BUDGET), SEEDS[0])
    threaded = in_threads([(name, seed) for seed in SEEDS], problem)
    assert_same_run(threaded[0], solo)


def test_every_optimizer_at_once_matches_each_alone():
    problem = xor_problem()
    solo = [run(optimizers.get(name)(), problem, BUDGETS.get(name, BUDGET), 5) for name in NAMES]
    threaded = in_threads([(name, 5) for name in NAMES], problem)
    for name, a, b in zip(NAMES, threaded, solo):
        assert summary(a) == summary(b), name
