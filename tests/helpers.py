"""Small problems and run helpers shared by the optimizer tests.

- :func:`xor_problem`: the classic XOR (2-2-1, tanh hidden, sigmoid output, mse).
- :func:`regression_problem`: a small sine regression (1-4-1 tanh, mse).
- :class:`MaximizeProblem`: any Problem turned into a maximisation (objective = -loss).
- :func:`run_summary`: one metered run reduced to plain data (for equality checks and for
  joblib workers: it is importable, so loky can run it in another process).
"""

from __future__ import annotations

import json

import numpy as np

import optimizers
from optimizers import Budget, Problem, SupervisedProblem

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])
XOR_X.flags.writeable = XOR_Y.flags.writeable = False


def xor_problem(**kw) -> SupervisedProblem:
    params = dict(
        task="classification",
        loss="mse",
        hidden=(2,),
        activation="tanh",
        output_activation="sigmoid",
        init_seed=0,
        name="xor",
    )
    params.update(kw)
    return SupervisedProblem(XOR_X, XOR_Y, **params)


def regression_problem(n: int = 24, **kw) -> SupervisedProblem:
    x = np.linspace(-2.0, 2.0, n)[:, None]
    params = dict(task="regression", hidden=(4,), activation="tanh", init_seed=1, name="sine")
    params.update(kw)
    return SupervisedProblem(x, np.sin(1.5 * x[:, 0]), **params)


class MaximizeProblem(Problem):
    """``inner`` as a maximisation: objective = -(inner's loss), gradient negated with it.

    It shares the inner problem's meter (so what the loop meters is what the inner problem
    charges) and delegates everything else.
    """

    maximize = True

    def __init__(self, inner: SupervisedProblem) -> None:
        self.inner = inner
        super().__init__()
        self.name = f"max-{inner.name}"
        self.n_inputs, self.n_outputs = inner.n_inputs, inner.n_outputs
        self.differentiable, self.initial = inner.differentiable, inner.initial
        self.dtype, self.n_train = inner.dtype, inner.n_train

    @property
    def meter(self):
        return self.inner.meter

    @meter.setter
    def meter(self, value) -> None:
        self.inner.meter = value

    def evaluate(self, params, network, idx=None):
        return -self.inner.evaluate(params, network, idx)

    def evaluate_graphs(self, graphs, idx=None):
        return -self.inner.evaluate_graphs(graphs, idx)

    def loss_and_grad(self, network, params, idx=None):
        value, grad = self.inner.loss_and_grad(network, params, idx)
        return -value, -grad

    def score(self, graph) -> dict:
        return {"train_objective": -self.inner.score(graph)["train_loss"]}


def objective(problem: Problem, graph) -> float:
    """The problem's objective of one Graph, unmetered (the meter is restored)."""
    saved = problem.meter
    problem.meter = optimizers.Meter()
    try:
        net = problem.compile(graph)
        return float(problem.evaluate(net.params[None], net)[0])
    finally:
        problem.meter = saved


def summary(result: optimizers.RunResult) -> str:
    """A run as canonical JSON without wall-clock seconds: equal strings mean bit-identical
    results (floats are written with repr precision; NaN as NaN)."""
    strip = lambda d: {k: v for k, v in d.items() if k != "seconds"}  # noqa: E731
    return json.dumps(
        {
            "best": result.best.to_dict(),
            "metrics": result.metrics,
            "curve": [strip(r) for r in result.curve],
            "meter": strip(result.meter),
            "status": result.status,
            "config": result.config,
        },
        sort_keys=True,
    )


PROBLEMS = {"xor": xor_problem, "sine": regression_problem}


def run_summary(
    name: str, seed: int, budget: Budget, problem: str = "xor", maximize: bool = False, **params
) -> str:
    """Build the problem and optimizer here (so it works in a fresh worker process), run
    ``fit`` with ``default_rng(seed)`` and return :func:`summary` of the result."""
    p = PROBLEMS[problem]()
    if maximize:
        p = MaximizeProblem(p)
    result = optimizers.fit(optimizers.get(name)(**params), p, budget, np.random.default_rng(seed))
    return summary(result)
