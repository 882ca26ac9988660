"""Small problems and run helpers shared by the optimizer tests.

- :func:`xor_problem`: the classic XOR (mse on a 0/1 target) and :data:`XOR_NET`, its
  2-2-1 network (tanh hidden, sigmoid output); :func:`xor_initial` draws one.
- :func:`regression_problem`: a small sine regression and :data:`SINE_NET` (1-4-1 tanh).
- :func:`cartpole_problem`: a short cartpole (an episodic problem), :func:`cartpole_initial`.
- :class:`MaximizeProblem`: any Problem turned into a maximisation (objective = -loss).
- :func:`counting_rows`: counts every row any network evaluates, independently of the meter.
- :func:`run_summary`: one metered run reduced to plain data (for equality checks and for
  joblib workers: it is importable, so loky can run it in another process).
"""

from __future__ import annotations

import contextlib
import json

import numpy as np

import networks
import optimizers
from optimizers import Architecture, Budget, Problem, SupervisedProblem

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])
XOR_X.flags.writeable = XOR_Y.flags.writeable = False


XOR_NET = Architecture(hidden=(2,), activation="tanh", output_activation="sigmoid")
SINE_NET = Architecture(hidden=(4,), activation="tanh")


def xor_problem(**kw) -> SupervisedProblem:
    params = dict(task_type="classification", loss="mse", name="xor")
    params.update(kw)
    return SupervisedProblem(XOR_X, XOR_Y, **params)


def xor_initial(seed: int = 0, **kw):
    """A 2-2-1 XOR network (``XOR_NET`` with ``kw`` changed) drawn from ``default_rng(seed)``."""
    arch = Architecture(**{**XOR_NET.to_dict(), **kw})
    return arch.build(2, 1, rng=np.random.default_rng(seed))


def regression_problem(n: int = 24, **kw) -> SupervisedProblem:
    x = np.linspace(-2.0, 2.0, n)[:, None]
    params = dict(task_type="regression", name="sine")
    params.update(kw)
    return SupervisedProblem(x, np.sin(1.5 * x[:, 0]), **params)


def sine_initial(seed: int = 1):
    return SINE_NET.build(1, 1, rng=np.random.default_rng(seed))


class MaximizeProblem(Problem):
    """``inner`` as a maximisation: objective = -(inner's loss), its gradient negated too.
    Its ruler (``score``) reports the inner problem's figures unchanged."""

    maximize = True

    def __init__(self, inner: SupervisedProblem) -> None:
        self.inner = inner
        self.name = f"max-{inner.name}"
        self.n_inputs, self.n_outputs = inner.n_inputs, inner.n_outputs
        self.differentiable, self.dtype, self.n_train = True, inner.dtype, inner.n_train
        self.metric, self.metric_maximize = inner.metric, inner.metric_maximize

    def _objectives(self, candidates, rows, rng):
        return -self.inner._objectives(candidates, rows, rng)

    def _objective_and_grad(self, network, params, rows):
        value, grad = self.inner._objective_and_grad(network, params, rows)
        return -value, -grad

    dense_training = True  # an MLP trains through its dense trainer, as on the inner problem

    def _dense_objective_and_grad(self, trainer, theta, rows, grad):
        value = self.inner._dense_objective_and_grad(trainer, theta, rows, grad)
        np.multiply(grad, -1.0, out=grad)
        return -value

    def score(self, graph) -> dict:
        return self.inner.score(graph)


def objective(problem: Problem, graph) -> float:
    """The problem's objective of one Graph on all training rows, unmetered, computed by
    the networks package directly (not through the problem's own evaluation code)."""
    inner = problem.inner if isinstance(problem, MaximizeProblem) else problem
    net = networks.compile(graph)
    value = float(net.losses(inner.X, inner.y, inner.loss))
    return -value if isinstance(problem, MaximizeProblem) else value


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


def cartpole_problem() -> optimizers.EpisodicProblem:
    """Cartpole with 100-decision episodes, 2 per evaluation, a 3-episode ruler."""
    return optimizers.EpisodicProblem(
        optimizers.CartPole(max_steps=100), episodes=2, score_episodes=3, name="cartpole"
    )


def cartpole_initial(seed: int = 2):
    return Architecture(hidden=(4,), activation="tanh").build(4, 1, rng=np.random.default_rng(seed))


PROBLEMS = {
    "xor": (xor_problem, xor_initial),
    "sine": (regression_problem, sine_initial),
    "cartpole": (cartpole_problem, cartpole_initial),
}


def run(opt, problem, budget, seed, initial=None, **kw) -> optimizers.RunResult:
    """``fit`` with ``default_rng(seed)``, from ``initial`` (default: the problem's test
    network for its name, drawn from its fixed seed)."""
    if initial is None:
        initial = PROBLEMS[problem.name.removeprefix("max-")][1]()
    return optimizers.fit(opt, problem, budget, np.random.default_rng(seed), initial=initial, **kw)


def run_summary(
    name: str, seed: int, budget: Budget, problem: str = "xor", maximize: bool = False, **params
) -> str:
    """Build the problem and optimizer here (so it works in a fresh worker process), run
    :func:`run` and return :func:`summary` of the result."""
    p = PROBLEMS[problem][0]()
    if maximize:
        p = MaximizeProblem(p)
    return summary(run(optimizers.get(name)(**params), p, budget, seed))


def stored_runs(path) -> int:
    """How many runs a study store holds (0 while it does not exist yet), read-only."""
    import sqlite3

    from studies.store import connect_readonly

    try:
        con = connect_readonly(path)
        try:
            return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@contextlib.contextmanager
def counting_rows(monkeypatch):
    """Count every row any network evaluates while ``counter["on"]``: forward passes of
    Network (shared or per-individual inputs, P rows of parameters) and PopulationBatch,
    backward passes (twice a forward's rows), and a DenseTrainer's training passes (both). The count does not read the meter."""
    counter = {"on": False, "rows": 0}
    run_, backward, batch_forward = (
        networks.Network._run,
        networks.Network._backward,
        networks.PopulationBatch._forward,
    )
    dense, by_rows = (
        networks.DenseTrainer.loss_and_grad,
        networks.DenseTrainer.loss_and_grad_rows,
    )

    def counted_run(self, X, params, *a, **k):
        if counter["on"]:
            counter["rows"] += X.shape[-2] * (params.shape[0] if params.ndim == 2 else 1)
        return run_(self, X, params, *a, **k)

    def counted_backward(self, H, Z, d_out, params):
        if counter["on"]:
            counter["rows"] += 2 * d_out.shape[0]
        return backward(self, H, Z, d_out, params)

    def counted_batch(self, X):
        if counter["on"]:
            counter["rows"] += self.n_graphs * X.shape[-2]
        return batch_forward(self, X)

    def counted_dense(self, X, y, loss, theta, grad):
        if counter["on"]:
            counter["rows"] += 3 * X.shape[0]  # a forward and a backward pass
        return dense(self, X, y, loss, theta, grad)

    def counted_rows(self, X1, rows, y, loss, theta, grad):
        if counter["on"]:
            counter["rows"] += 3 * len(rows)
        return by_rows(self, X1, rows, y, loss, theta, grad)

    monkeypatch.setattr(networks.DenseTrainer, "loss_and_grad", counted_dense)
    monkeypatch.setattr(networks.DenseTrainer, "loss_and_grad_rows", counted_rows)
    monkeypatch.setattr(networks.Network, "_run", counted_run)
    monkeypatch.setattr(networks.Network, "_backward", counted_backward)
    monkeypatch.setattr(networks.PopulationBatch, "_forward", counted_batch)
    yield counter


def count_inside(opt, counter: dict, monkeypatch) -> None:
    """Switch ``counter["on"]`` on only inside ``opt``'s own ``setup`` and ``step`` (what the
    optimizer spends, not the loop's measurements)."""
    for method in ("setup", "step"):
        inner = getattr(opt, method)

        def counted(*a, _inner=inner, **k):
            counter["on"] = True
            try:
                return _inner(*a, **k)
            finally:
                counter["on"] = False

        monkeypatch.setattr(opt, method, counted)
