"""What issue 9 asks of the shared loop so that runs compare fairly.

- the curve is the loop's own measurement of ``best()`` (backprop; minibatch fitness),
  never the optimizer's own figure;
- every evaluation is charged, early stopping's validation pass included;
- bad settings fail up front with a ValueError naming the setting (also a population too
  large to allocate, instead of a MemoryError);
- one Problem serves two runs at once, each with its own meter;
- one starting Graph gives every optimizer the same starting weights;
- a RunResult round-trips through JSON; statuses done / diverged / failed / timeout;
- an OptimizerSpec of a class registered in a script builds in a loky worker;
- sep-CMA-ES takes DEAP's settings, with the separable covariance learning rates.

(``record_every`` and Budget.affordable: test_optimizers_interface.py, test_problems.py.)
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import os
import subprocess
import sys
import textwrap
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers import (
    SINE_NET,
    XOR_NET,
    objective,
    regression_problem,
    run,
    sine_initial,
    summary,
    xor_initial,
    xor_problem,
)

import networks
import optimizers
from optimizers import Architecture, Budget, RunResult, Status, SupervisedProblem, fit
from optimizers.cmaes import WEIGHTS, SepStrategy

get = optimizers.get


# --------------------------------------------------------------------------- the curve
def run_measuring(opt, problem, budget):
    """A run from seed 0, and for each recorded step (the curve's train_loss, best() at
    that moment measured independently by :func:`helpers.objective`)."""
    measured = []
    result = run(
        opt,
        problem,
        budget,
        0,
        on_step=lambda r: measured.append((r["train_loss"], objective(problem, opt.best()))),
    )
    return result, measured


def test_backprop_curve_is_best_scored_independently():
    """Every recorded step's train_loss is best() at that step measured by networks'
    Network.losses on all training rows. With mini-batches of 4 the optimizer's own figure
    (the epoch's mean mini-batch loss, taken while the weights moved) is another number."""
    problem = regression_problem()
    opt = get("backprop")(rule="adam", lr=0.05, batch_size=4)
    result, measured = run_measuring(opt, problem, Budget(steps=20))
    assert len(measured) == 20
    for loop, independent in measured:
        assert loop == pytest.approx(independent, rel=1e-12)
    last = result.curve[-1]
    assert last["train_loss"] == pytest.approx(objective(problem, result.best), rel=1e-12)
    assert last["best_objective"] == last["epoch_loss"] != last["train_loss"]


@pytest.mark.parametrize("name", ["ga", "cmaes"])
def test_minibatch_curve_is_the_full_data_loss_of_best(name):
    """With fitness on 2 of 24 rows, the curve's train_loss is best()'s loss on all 24
    rows; best_objective is the 2-row figure, a different number at every step."""
    problem = regression_problem()
    assert problem.n_train == 24
    opt = get(name)(minibatch_size=2)
    result, measured = run_measuring(opt, problem, Budget(evaluations=300))
    assert len(measured) == len(result.curve) >= 10
    for loop, independent in measured:
        assert loop == pytest.approx(independent, rel=1e-12)
    for r in result.curve:
        assert r["best_objective"] != pytest.approx(r["train_loss"], rel=1e-6)


# --------------------------------------------------------------------------- metering
def sine_with_validation(sign: float) -> SupervisedProblem:
    """24 training rows; 10 validation rows whose targets are ``sign`` times sin."""
    x = np.linspace(-2.0, 2.0, 24)[:, None]
    xv = np.linspace(-1.9, 1.9, 10)[:, None]
    return SupervisedProblem(
        x,
        np.sin(1.5 * x[:, 0]),
        task_type="regression",
        X_val=xv,
        y_val=sign * np.sin(1.5 * xv[:, 0]),
        name="sine",
    )


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["improving", "stopping-early"])
def test_early_stopping_validation_pass_is_charged(sign):
    """Each epoch costs 3 n_train samples and each validation pass n_val, exactly: samples
    3 * 24 * epochs + 10 * passes, evaluations 3 * epochs + passes * 10 / 24 (exact)."""
    problem = sine_with_validation(sign)
    opt = get("backprop")(rule="adam", lr=0.01, batch_size=8, patience=3)
    result = run(opt, problem, Budget(steps=12), 0)
    epochs = result.meter["steps"]
    passes = sum("val_objective_now" in r for r in result.curve)
    assert passes == epochs  # one validation pass after every epoch
    if sign < 0:  # validation loss rises from the first epoch on: stops after 1 + 3
        assert opt.done and epochs == 4
    else:
        assert not opt.done and epochs == 12
    c = sine_initial().n_enabled
    assert result.meter["samples"] == 3 * 24 * epochs + 10 * passes
    assert result.meter["macs"] == c * (3 * 24 * epochs + 10 * passes)
    exact = Fraction(3 * epochs) + Fraction(10 * passes, 24)
    assert opt.problem.meter._evaluations == exact
    assert result.meter["evaluations"] == float(exact)


# --------------------------------------------------------------------------- bad settings
def test_patience_without_validation_split_is_refused():
    with pytest.raises(ValueError, match="patience"):
        run(get("backprop")(patience=2), regression_problem(), Budget(steps=1), 0)


@pytest.mark.parametrize("name", ["ga", "es", "cmaes"])
def test_minibatch_larger_than_the_training_set_is_refused(name):
    with pytest.raises(ValueError, match=r"minibatch_size=5 is larger than the training set"):
        run(get(name)(minibatch_size=5), xor_problem(), Budget(steps=1), 0)


@pytest.mark.parametrize(
    "name, params, field",
    [
        ("ga", {"population": 10**9}, "population"),
        ("cmaes", {"population": 10**9}, "population"),
        ("es", {"lambda_": 10**9}, "lambda_"),
        ("es", {"mu": 10**9, "lambda_": 60}, "mu"),
        ("random-search", {"population": 10**9}, "population"),
    ],
)
def test_population_too_large_to_allocate_names_the_field(name, params, field):
    """10**9 vectors of 100 float64 parameters (800 GB) cannot be allocated: a ValueError
    naming the field, raised before anything is allocated (not a MemoryError)."""
    initial = Architecture(hidden=(33,)).build(1, 1, rng=np.random.default_rng(0))
    assert networks.compile(initial).n_params == 100
    with pytest.raises(ValueError, match=rf"^{field}=1000000000 needs about .* {field}$"):
        run(get(name)(**params), regression_problem(), Budget(steps=1), 0, initial=initial)


# --------------------------------------------------------------------------- sharing
def test_one_problem_serves_two_runs_at_once():
    """Two fits on one Problem in two threads, meeting mid-run (a barrier at their first
    step), each give what the same run gives alone, meter included; the Problem is left
    as it was. (Optimizers that draw only from the run's rng: GA and ES also read Python's
    global random through DEAP, which two threads would share.)"""
    problem = regression_problem()
    before = dict(vars(problem))
    budget = Budget(evaluations=240)
    pairs = [[("cmaes", 0), ("backprop", 1)], [("cmaes", 2), ("cmaes", 3)]]

    def one(job, barrier=None):
        name, seed = job
        first = []

        def meet(_record):
            if barrier is not None and not first:
                first.append(True)
                barrier.wait(timeout=30)

        return summary(run(get(name)(), problem, budget, seed, initial=SINE_NET, on_step=meet))

    for jobs in pairs:
        alone = [one(job) for job in jobs]
        barrier = threading.Barrier(2)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            together = list(pool.map(one, jobs, [barrier] * len(jobs)))
        assert together == alone
        assert alone[0] != alone[1]
    assert not hasattr(problem, "meter")
    assert vars(problem).keys() == before.keys()
    assert all(vars(problem)[k] is v for k, v in before.items())


def test_one_initial_graph_gives_every_optimizer_the_same_start():
    problem = xor_problem()
    initial = xor_initial(seed=5)
    x0 = networks.compile(initial).params
    starts = {}
    for seed, name in enumerate(("backprop", "ga", "cmaes", "es")):
        opt = get(name)()
        opt.setup(problem, initial, np.random.default_rng(seed))  # the seed does not matter
        starts[name] = {
            "backprop": lambda o: o.params,
            "ga": lambda o: o.population[0],
            "es": lambda o: o.population[0],
            "cmaes": lambda o: o.strategy.centroid,
        }[name](opt)
    for name, start in starts.items():
        assert np.array_equal(np.asarray(start, dtype=np.float64), x0), name


@pytest.mark.parametrize("name", ["backprop", "ga", "cmaes", "es"])
def test_an_architecture_start_depends_on_the_seed(name):
    """fit(initial=Architecture) draws the starting weights from the run's rng."""
    starts = []
    for seed in (0, 1):
        opt = get(name)()
        fit(opt, xor_problem(), Budget(steps=1), np.random.default_rng(seed), initial=XOR_NET)
        assert opt.initial == XOR_NET.build(2, 1, rng=np.random.default_rng(seed))
        starts.append(networks.compile(opt.initial).params)
    assert not np.array_equal(*starts)


# --------------------------------------------------------------------------- results
def test_run_result_round_trips_through_json():
    problem = xor_problem(X_val=xor_problem().X, y_val=[0, 1, 1, 0])
    result = run(get("ga")(population=10), problem, Budget(evaluations=60), 0)
    back = RunResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.best == result.best and back.best is not result.best
    assert back.curve == result.curve and back.meter == result.meter
    assert back.metrics == result.metrics and back.config == result.config
    assert back.status is Status.DONE
    assert back.budget == {"evaluations": 60} and back.problem == "xor"
    assert back.optimizer == "ga" and back.error is None
    assert back == result


@pytest.mark.parametrize("key", ["best", "metrics", "curve", "meter", "status"])
def test_run_result_from_dict_names_a_missing_key(key):
    data = run(get("random-search")(population=2), xor_problem(), Budget(steps=1), 0).to_dict()
    del data[key]
    with pytest.raises(ValueError, match=rf"run result lacks {key}$"):
        RunResult.from_dict(data)


def test_run_result_from_dict_names_an_unknown_status():
    data = run(get("random-search")(population=2), xor_problem(), Budget(steps=1), 0).to_dict()
    data["status"] = "crashed"
    with pytest.raises(ValueError, match="unknown run status 'crashed'; known: done, diverged"):
        RunResult.from_dict(data)
    with pytest.raises(ValueError, match="must be a JSON object, got list"):
        RunResult.from_dict([data])


def test_statuses_are_spelled_out():
    assert [s.value for s in Status] == ["done", "diverged", "failed", "timeout"]
    assert Status("timeout") is Status.TIMEOUT and Status.DONE == "done"


def test_a_diverging_backprop_run_ends_diverged():
    opt = get("backprop")(rule="sgd", lr=1e6)
    result = run(opt, regression_problem(), Budget(steps=200), 0)
    assert result.status is Status.DIVERGED and opt.diverged
    assert result.meter["steps"] < 200
    assert RunResult.from_dict(json.loads(json.dumps(result.to_dict()))).status is Status.DIVERGED


def test_max_seconds_ends_a_run_with_timeout():
    result = run(
        get("random-search")(population=2),
        xor_problem(),
        Budget(steps=10**9),
        0,
        max_seconds=1e-6,
    )
    assert result.status is Status.TIMEOUT
    assert result.meter["steps"] < 10


# --------------------------------------------------------------------------- specs in workers
SCRIPT = """
import json
import sys

import joblib
import numpy as np
from helpers import summary, xor_initial, xor_problem

import optimizers
from optimizers import Budget, OptimizerSpec, fit, register
from optimizers.random_search import RandomSearch


@register
class Scripted(RandomSearch):
    name = "test-scripted"

    def ask(self):  # samples half as wide as random-search, so the class itself matters
        self.children = self.parent + 0.5 * self.config.sigma * self.rng.standard_normal(
            (self.config.population, self.network.n_params)
        )
        return optimizers.Candidates.of_params(self.network, self.children)


def job(spec, seed):
    opt = spec.build()
    result = fit(opt, xor_problem(), Budget(evaluations=40), np.random.default_rng(seed),
                 initial=xor_initial())
    registered_here = "test-scripted" in optimizers.available()
    return summary(result), type(opt).__name__, result.optimizer, registered_here


if __name__ == "__main__":
    spec = OptimizerSpec("test-scripted", {"population": 4})
    local = [job(spec, seed) for seed in (0, 1)]
    remote = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(job)(spec, seed) for seed in (0, 1)
    )
    plain = [job(OptimizerSpec("random-search", {"population": 4}), 0)]
    json.dump({"local": local, "remote": remote, "plain": plain}, sys.stdout)
"""


def test_a_spec_of_a_script_registered_class_runs_in_a_loky_worker(tmp_path):
    """A script registers an optimizer in ``__main__`` and fits it through an OptimizerSpec
    in-process and in two loky workers (which never ran the script's ``register``): the
    results are identical, and they are the script's class's, not random-search's."""
    script = tmp_path / "study.py"
    script.write_text(textwrap.dedent(SCRIPT))
    tests = Path(__file__).parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tests), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tests,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    local, remote, plain = out["local"], out["remote"], out["plain"]
    assert [r[1:] for r in local] == [["Scripted", "test-scripted", True]] * 2
    assert [r[1:] for r in remote] == [["Scripted", "test-scripted", False]] * 2
    assert [r[0] for r in remote] == [r[0] for r in local]
    assert local[0][0] != local[1][0]  # the seed matters
    assert local[0][0] != plain[0][0]  # and so does the class


# --------------------------------------------------------------------------- sep-CMA-ES
@functools.cache
def deap_strategy(n: int):
    """One deap.cma.Strategy per n (its eigendecomposition of an n x n matrix is slow)."""
    from deap import cma

    return cma.Strategy(np.zeros(n), 0.3)


@pytest.mark.parametrize(
    "n, lambda_, mu",
    [
        (5, None, None),
        (50, None, None),
        (600, None, None),
        (50, 40, None),
        (600, 24, 6),
        (2, 200, 100),
    ],
)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_sep_cmaes_takes_deaps_settings(n, lambda_, mu, weights):
    """mu, the recombination weights, mueff, cc, cs and damps are DEAP's
    (deap.cma.Strategy.computeParams) for the same n and lambda; the covariance learning
    rates are the separable ones of Ros & Hansen 2008, written out here. (n=2 with mu=100
    is where DEAP caps its rank-mu rate at 1 - ccov1.)"""
    lam = int(4 + 3 * np.log(n)) if lambda_ is None else lambda_
    deap = deap_strategy(n)
    deap.lambda_ = lam  # DEAP's way to change lambda: set it, then computeParams again
    deap.computeParams({"weights": weights, **({} if mu is None else {"mu": mu})})
    sep = SepStrategy(np.zeros(n), 0.3, lambda_=lam, mu=mu, weights=weights)
    assert sep.lambda_ == deap.lambda_ == lam
    assert sep.mu == deap.mu == (lam // 2 if mu is None else mu)
    assert np.array_equal(sep.weights, deap.weights)
    for name in ("mueff", "cc", "cs", "damps"):
        assert getattr(sep, name) == getattr(deap, name), name
    mueff = deap.mueff
    ccov1 = min(1.0, (n + 2) / 3 * 2 / ((n + 1.3) ** 2 + mueff))
    ccovmu = min(1 - ccov1, (n + 2) / 3 * 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
    assert sep.ccov1 == pytest.approx(ccov1, rel=1e-13)
    assert sep.ccovmu == pytest.approx(ccovmu, rel=1e-13)
    assert 0 < sep.ccov1 + sep.ccovmu <= 1
