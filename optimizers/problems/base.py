"""The problem an optimizer sees, and the one place where compute is charged.

A :class:`Problem` states sizes, whether a gradient exists, the objective's direction and
the headline metric with its direction; it computes objectives of a population of
candidates, unmetered. It holds no meter and no run state, so one Problem serves many runs
at once (threads in a worker, several runs in a row).

A run sees its problem through a :class:`MeteredProblem`: the same problem with the run's
own :class:`~optimizers.meter.Meter` and budget. Every evaluation an optimizer uses to
decide (a population's objectives, a gradient, a validation pass) goes through it and is
charged there, by the base class, never by a subclass. A request that does not fit what is
left of the budget is cut (a population evaluates only the candidates that fit, a gradient
only the rows that fit) and the meter is marked exhausted, so no run spends more than its
budget in the countable units (samples, evaluations, MACs).

Objective values are losses (lower is better) unless ``maximize``; :meth:`Problem.fitness`
turns them into higher-is-better numbers with NaN mapped to -inf, which is what selection
code uses. The objective's direction is handled here and in the optimizer base class only.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

import networks
from networks import Graph, Network

from ..candidates import Candidates
from ..meter import Budget, Meter

__all__ = ["Problem", "MeteredProblem"]


class Problem:
    """Base class of what optimizers evaluate networks on.

    Subclasses set ``name``, ``n_inputs``, ``n_outputs``, ``differentiable`` (whether the
    objective has a gradient), ``maximize`` (the objective's direction), ``metric`` and
    ``metric_maximize`` (the headline metric), ``dtype``, ``n_train`` (rows of one full
    evaluation: what one "evaluation" of the meter is); and implement :meth:`_objectives`,
    :meth:`score` and, if differentiable, :meth:`_objective_and_grad`.
    """

    name: str = "problem"
    n_inputs: int
    n_outputs: int
    differentiable: bool = False
    maximize: bool = False
    metric: str = "objective"
    metric_maximize: bool = False
    dtype: np.dtype = np.dtype(np.float64)
    n_train: int = 1

    # -- what subclasses provide (unmetered) ------------------------------------------
    def _objectives(self, candidates: Candidates, rows, rng) -> np.ndarray:
        """Objective of each candidate on ``rows`` (None: all): (P,) float64."""
        raise NotImplementedError

    def _objective_and_grad(self, network: Network, params: np.ndarray, rows):
        """(objective on ``rows``, its gradient (n_params,)) for one parameter vector."""
        raise ValueError(f"problem {self.name!r} has no gradient; use an evolutionary optimizer")

    def _validation_objective(self, network: Network, params: np.ndarray) -> float:
        raise ValueError(f"problem {self.name!r} has no validation split")

    # whether :meth:`_dense_objective_and_grad` exists (backprop then trains an MLP
    # through ``Network.dense_trainer()``)
    dense_training: bool = False

    def _dense_objective_and_grad(self, trainer, theta: np.ndarray, rows, grad) -> float:
        """:meth:`_objective_and_grad` through a ``networks`` DenseTrainer, in its layout."""
        raise NotImplementedError

    def n_rows(self, rows) -> int:
        """Rows evaluated per candidate for ``rows`` (None: a full evaluation)."""
        return self.n_train if rows is None else len(rows)

    @property
    def n_validation(self) -> int:
        """Rows of the validation split (0: none)."""
        return 0

    @property
    def has_validation(self) -> bool:
        return self.n_validation > 0

    def score(self, graph: Graph) -> dict:
        """Unmetered measurement of one Graph, the loop's ruler: loss and headline metric
        on every split (``train_loss``, ``train_<metric>``, ``val_...``)."""
        raise NotImplementedError

    # -- shared helpers ---------------------------------------------------------------
    def compile(self, graph: Graph) -> Network:
        """Compile a Graph in this problem's dtype."""
        return networks.compile(graph, dtype=self.dtype)

    def fitness(self, values) -> np.ndarray:
        """Objective values -> higher-is-better fitness, NaN (a failed evaluation) -> -inf."""
        values = np.asarray(values, dtype=np.float64)
        f = values if self.maximize else -values
        return np.where(np.isnan(f), -np.inf, f)

    def objective_of(self, fitness) -> np.ndarray:
        """The inverse of :meth:`fitness` (a failed evaluation's -inf back to NaN)."""
        fitness = np.asarray(fitness, dtype=np.float64)
        values = fitness if self.maximize else -fitness
        return np.where(np.isneginf(fitness), np.nan, values)

    def is_better(self, a: float, b: float) -> bool:
        """Whether objective value a beats b (NaN never beats anything)."""
        if np.isnan(a):
            return False
        if np.isnan(b):
            return True
        return a > b if self.maximize else a < b

    def check_graph(self, graph: Graph, what: str = "the initial network") -> Graph:
        """``graph`` if it is a Graph with this problem's inputs and outputs."""
        if not isinstance(graph, Graph):
            raise ValueError(f"{what} must be a networks.Graph, got {type(graph).__name__}")
        if (graph.n_inputs, graph.n_outputs) != (self.n_inputs, self.n_outputs):
            raise ValueError(
                f"{what} has {graph.n_inputs} inputs and {graph.n_outputs} outputs; "
                f"problem {self.name!r} needs {self.n_inputs} and {self.n_outputs}"
            )
        if graph.recurrent and not getattr(self, "episodic", False):
            raise ValueError(
                f"{what} has recurrent connections, and problem {self.name!r} is a dataset "
                "with no time steps; recurrent networks need a control task"
            )
        return graph

    def metered(self, meter: Meter | None = None, budget: Budget | None = None):
        """A run's view of this problem, charging ``meter`` (a new one if None) and cut to
        ``budget`` (no limit if None)."""
        return MeteredProblem(self, Meter() if meter is None else meter, budget)


class MeteredProblem:
    """One run's view of a :class:`Problem`: its evaluations charged to the run's meter and
    cut to the run's budget. Everything else (sizes, data, ``fitness``...) is the problem's.

    Costs: a candidate evaluated on n rows costs n samples, n / n_train evaluations and
    n x (its enabled connections) MACs; a gradient on n rows costs three times that (the
    backward pass costs twice the forward); a validation pass costs n_val rows. On an
    episodic problem a decision is a row and an episode an evaluation: a rollout costs its
    decisions and episodes, the backward pass over a played batch (the policy gradient's)
    twice that.
    """

    def __init__(self, problem: Problem, meter: Meter, budget: Budget | None) -> None:
        if not isinstance(problem, Problem):
            raise ValueError(f"expected an optimizers.Problem, got {type(problem).__name__}")
        self.problem, self.meter, self.budget = problem, meter, budget

    def __getattr__(self, name: str):
        if name == "problem":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.problem, name)

    @property
    def exhausted(self) -> bool:
        """Whether a request was cut to fit the budget (the run has spent what it may)."""
        return self.meter.exhausted

    def _fit(self, count: int, rows: int, macs: np.ndarray) -> int:
        """How many of ``count`` requests of ``rows`` rows each (``macs`` (count,)) fit;
        marks the meter exhausted when not all do."""
        if self.budget is None:
            return count
        evaluations = Fraction(rows, self.problem.n_train)
        k = self.budget.affordable(self.meter, samples=rows, evaluations=evaluations, macs=macs)
        if k < count:
            self.meter.exhausted = True
        return k

    def _fit_uniform(self, count: int, rows: int, macs: float) -> int:
        """:meth:`_fit` for ``count`` requests that cost ``macs`` each (a scalar)."""
        if self.budget is None:
            return count
        k = self.budget.affordable_uniform(
            self.meter, count=count, samples=rows, units=rows, per=self.problem.n_train, macs=macs
        )
        if k < count:
            self.meter.exhausted = True
        return k

    def _charge(self, rows: int, count: int, macs: float) -> None:
        self.meter.charge_rows(
            samples=count * rows, units=count * rows, per=self.problem.n_train, macs=macs
        )

    def evaluate(self, candidates: Candidates, rows=None, rng=None) -> np.ndarray:
        """Objectives of the candidates that fit the budget, in order: (k,) with k <=
        len(candidates) (k < len(candidates) only when the budget ran out). ``rows``:
        training rows to evaluate on (None: all); ``rng``: for problems that draw (e.g.
        episode starts)."""
        if not isinstance(candidates, Candidates):
            raise ValueError(
                f"evaluate takes optimizers.Candidates, got {type(candidates).__name__}"
            )
        if getattr(self.problem, "episodic", False):
            return self._evaluate_episodes(candidates, rng)
        n = self.problem.n_rows(rows)
        per = candidates.n_enabled * n
        k = self._fit(len(candidates), n, per)
        if k == 0:
            return np.zeros(0)
        if k < len(candidates):
            candidates, per = candidates.take(k), per[:k]
        self._charge(n, k, float(per.sum()))
        with np.errstate(all="ignore"):
            return np.asarray(self.problem._objectives(candidates, rows, rng), dtype=np.float64)

    def _evaluate_episodes(self, candidates: Candidates, rng) -> np.ndarray:
        """An episodic problem's evaluation: K episodes per candidate, as many candidates as
        the budget's evaluations allow; the rollout stops before a time step would pass
        its samples or MACs. Charged afterwards with what the rollout used: its samples
        (network evaluations), K evaluations per candidate, and their MACs."""
        got = self._rollout(candidates, rng, self.problem.episodes)
        return np.zeros(0) if got is None else np.asarray(got.returns, dtype=np.float64)

    def _rollout(self, candidates, rng, episodes: int, *, passes: int = 1, **options):
        """The metered rollout behind every episodic request: as many candidates as fit
        ``passes`` x (their episodes) evaluations, the rollout stopped before a time step
        would pass 1 / ``passes`` of the samples or MACs left (``passes`` 3: room is kept
        for the backward pass over every decision), charged with one pass. None when not
        one candidate fits."""
        if rng is None:
            raise ValueError(f"problem {self.problem.name!r} draws episode starts: pass rng")
        k = self._fit(len(candidates), passes * episodes, np.zeros(len(candidates)))
        if k == 0:
            return None
        if k < len(candidates):
            candidates = candidates.take(k)
        left = {"samples_left": math.inf, "macs_left": math.inf}
        if self.budget is not None and self.budget.samples is not None:
            left["samples_left"] = (self.budget.samples - self.meter.samples) / passes
        if self.budget is not None and self.budget.macs is not None:
            left["macs_left"] = (self.budget.macs - self.meter.macs) / passes
        got = self.problem.rollout(candidates, rng, episodes=episodes, **left, **options)
        macs = float(got.samples @ candidates.n_enabled.astype(np.float64))
        self.meter.charge(
            samples=float(got.samples.sum()), evaluations=Fraction(k * episodes), macs=macs
        )
        if got.truncated:
            self.meter.exhausted = True
        return got

    def play(self, network: Network, params: np.ndarray, episodes: int, rng, policy):
        """``episodes`` episodes of one parameter vector, its actions drawn by ``policy``
        (see :meth:`EpisodicProblem.rollout`), kept as a trajectory for a gradient to be
        taken over it: the rollout is charged as any evaluation, and it stops where the
        backward pass over its decisions (:meth:`episode_vjp`) would no longer fit. None
        when not even that fits (the run has spent what it may)."""
        if not getattr(self.problem, "episodic", False):
            raise ValueError(f"problem {self.problem.name!r} has no episodes to play")
        candidates = Candidates.of_params(network, params)
        return self._rollout(candidates, rng, episodes, passes=3, policy=policy, keep=True)

    def episode_vjp(
        self, network: Network, params: np.ndarray, X: np.ndarray, d_out: np.ndarray, episodes: int
    ) -> np.ndarray | None:
        """The gradient (n_params,) of sum(d_out * outputs) over the decisions X (n, n_in) of
        ``episodes`` episodes (``networks.Network.vjp``), charged as their backward pass:
        2n samples, 2 evaluations per episode, 2n x (enabled connections) MACs (their
        forward pass was the rollout's). None when it does not fit the budget."""
        n = len(X)
        macs = 2.0 * n * network.n_enabled
        if self.budget is not None:
            need = np.array([macs])
            if (
                self.budget.affordable(
                    self.meter, samples=2 * n, evaluations=Fraction(2 * episodes), macs=need
                )
                < 1
            ):
                self.meter.exhausted = True
                return None
        self.meter.charge(samples=2.0 * n, evaluations=Fraction(2 * episodes), macs=macs)
        with np.errstate(all="ignore"):
            return network.vjp(X, d_out, params, check=False)

    def affordable_rows(self, rows: np.ndarray, network: Network, passes: int = 3) -> np.ndarray:
        """The leading rows of ``rows`` that a pass costing ``passes`` x forward fits
        (a gradient: 3); marks the meter exhausted when not all do."""
        return rows[: self._fit_uniform(len(rows), passes, passes * network.n_enabled)]

    def objective_and_grad(self, network: Network, params: np.ndarray, rows: np.ndarray):
        """(objective on training ``rows``, gradient of the quantity to minimise: the
        objective, or minus it when the problem maximises) for one parameter vector; rows
        cut to fit the budget (None when none fits)."""
        got = self.objective_grad_and_rows(network, params, rows)
        return None if got is None else got[:2]

    def objective_grad_and_rows(self, network: Network, params: np.ndarray, rows: np.ndarray):
        """:meth:`objective_and_grad`, with the rows it was taken on: (objective, gradient,
        the leading rows of ``rows`` that fitted the budget), or None when none fits."""
        rows = self._gradient_rows(network, rows)
        if rows is None:
            return None
        with np.errstate(all="ignore"):
            value, grad = self.problem._objective_and_grad(network, params, rows)
        return float(value), (-grad if self.problem.maximize else grad), rows

    def dense_objective_grad_and_rows(self, trainer, network: Network, theta, rows, grad):
        """:meth:`objective_grad_and_rows` through ``network.dense_trainer()`` (a problem
        with ``dense_training``): the parameters ``theta`` and the gradient, written into
        ``grad``, in the trainer's layout; (objective, rows) or None. Charged the same.
        The hot loop of backprop: numpy's floating-point warnings (an overflow on the way
        to divergence) are the caller's to silence, once for many calls."""
        rows = self._gradient_rows(network, rows)
        if rows is None:
            return None
        value = self.problem._dense_objective_and_grad(trainer, theta, rows, grad)
        if self.problem.maximize:
            np.multiply(grad, -1.0, out=grad)
        return float(value), rows

    def _gradient_rows(self, network: Network, rows) -> np.ndarray | None:
        """Charge a gradient on ``rows``: the leading rows that fit the budget, or None
        when none does (the one place a gradient is charged)."""
        if not self.problem.differentiable:  # refuse before anything is charged
            raise ValueError(
                f"problem {self.problem.name!r} has no gradient; use an evolutionary optimizer"
            )
        rows = np.asarray(rows)
        n = len(rows)
        if self.budget is not None:
            k = self._fit_uniform(n, 3, 3 * network.n_enabled)
            if k == 0:
                return None
            if k < n:
                rows, n = rows[:k], k
        elif n == 0:
            return None
        self._charge(3 * n, 1, 3.0 * n * network.n_enabled)
        return rows

    def validation_objective(self, network: Network, params: np.ndarray) -> float | None:
        """The objective on the validation split (charged: n_val rows); None when the
        budget has no room for it."""
        n = self.problem.n_validation
        if n == 0:
            raise ValueError(f"problem {self.problem.name!r} has no validation split")
        if self._fit_uniform(1, n, n * network.n_enabled) == 0:
            return None
        self._charge(n, 1, float(n * network.n_enabled))
        with np.errstate(all="ignore"):
            return float(self.problem._validation_objective(network, params))
