"""``backprop``: gradient descent (SGD, momentum, Nesterov, Adam) on any differentiable Graph.

One step is one epoch over the shuffled training rows in mini-batches. Gradients are exact
reverse mode (networks.Network.loss_and_grad) through the run's metered problem, so an
epoch on n rows costs 3n sample evaluations; the last mini-batch of a run is cut to the rows
the budget still has room for. The problem hands over the gradient of what to minimise
(the direction is the problem's business). Optional L2 weight decay, gradient clipping by
global norm, and early stopping with ``patience`` on the validation objective, whose pass
is charged like any other evaluation (the best-validation weights are restored when it
stops; ``patience`` without a validation split is refused).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Optimizer, check
from .candidates import Candidates
from .updates import RuleConfig, clip_by_global_norm

__all__ = ["Backprop"]


@dataclass(frozen=True, kw_only=True)
class BackpropConfig(RuleConfig):
    batch_size: int | None = 32  # None: full batch
    weight_decay: float = 0.0
    clip_norm: float | None = None
    patience: int | None = None  # epochs without validation improvement before stopping
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.batch_size is not None:
            check("batch_size", self.batch_size, low=1, integer=True)
        check("weight_decay", self.weight_decay, low=0)
        if self.clip_norm is not None:
            check("clip_norm", self.clip_norm, low=0, low_open=True)
        if self.patience is not None:
            check("patience", self.patience, low=1, integer=True)
        check("min_delta", self.min_delta, low=0)


class Backprop(Optimizer):
    """Mini-batch gradient descent (SGD, momentum, Nesterov or Adam) on any differentiable
    network, with optional early stopping on the validation split.

    Details in the module docstring."""

    name = "backprop"
    Config = BackpropConfig
    needs_gradient = True
    trains_recurrent = False
    problem_kinds = ("dataset",)

    def _setup(self) -> None:
        c, problem = self.config, self.problem
        if getattr(problem, "episodic", False):
            raise ValueError(
                f"backprop needs target outputs to backpropagate; {problem.name!r} is a control "
                "task (episodes, no targets): use policy-gradient or an evolutionary optimizer "
                "(neat, cmaes, ga, es, random-search)"
            )
        if not problem.differentiable:
            raise ValueError(
                f"backprop needs a problem with gradients; {problem.name!r} has none: "
                "use an evolutionary optimizer (ga, es, cmaes, neat)"
            )
        if c.patience is not None and not problem.has_validation:
            raise ValueError(
                f"patience={c.patience} needs a validation split, and problem "
                f"{problem.name!r} has none: give X_val/y_val or drop patience"
            )
        self.network = problem.compile(self.initial)
        self.network.check_differentiable()
        self.rule = c.make_rule()
        self.params = self.network.params.copy()
        # an MLP trains in the dense trainer's layout (theta, the same numbers in another
        # order: the rules act element by element), any other graph in the network's own
        self.trainer = self.network.dense_trainer() if problem.dense_training else None
        self.theta = self.params if self.trainer is None else self.trainer.theta(self.params)
        self._grad = None if self.trainer is None else np.empty_like(self.theta)  # written into
        self.state = self.rule.init(self.theta)
        self._zeros = np.zeros_like(self.theta)  # for the finiteness check of a gradient
        self.val_best = -np.inf  # the best validation fitness so far
        self.val_best_params = None
        self.val_best_objective = float("nan")
        self.epochs_since_best = 0

    def step(self) -> dict:
        c, problem = self.config, self.problem
        n = problem.n_train
        batch = n if c.batch_size is None else min(c.batch_size, n)
        # a full batch needs no shuffle: the same rows, one gradient
        order = np.arange(n) if batch == n else self.rng.permutation(n)
        with np.errstate(all="ignore"):  # diverging weights overflow: the check below sees it
            total, seen = self._epoch(order, batch, n)
        self.generation += 1
        if not seen:
            return {"epoch_loss": float("nan")}
        epoch_loss = total / seen
        theta, trainer = self.theta, self.trainer
        params = self.params if trainer is None else trainer.params(theta, out=self.params)
        self._keep(params, epoch_loss)
        info = {"epoch_loss": epoch_loss}
        if c.patience is not None and not self.done and not problem.exhausted:
            self._early_stopping(params, epoch_loss, info)
        return info

    def _epoch(self, order: np.ndarray, batch: int, n: int) -> tuple[float, int]:
        """One pass over the mini-batches of ``order``: (sum of batch losses x rows, rows).
        ``self.theta`` is this run's own array, moved in place by the rule's apply (what
        leaves the optimizer, a best-so-far or a validation best, is a copy)."""
        c, problem = self.config, self.problem
        total, seen = 0.0, 0
        theta, network, rule, trainer = self.theta, self.network, self.rule, self.trainer
        decay, clip = c.weight_decay, c.clip_norm
        isfinite = math.isfinite
        for start in range(0, n, batch):
            # the rows are cut to what the budget still has room for (None: not one row)
            rows = order[start : start + batch]
            if trainer is None:
                got = problem.objective_grad_and_rows(network, theta, rows)
                if got is None:
                    break
                loss, grad, idx = got
            else:
                got = problem.dense_objective_grad_and_rows(
                    trainer, network, theta, rows, self._grad
                )
                if got is None:
                    break
                (loss, idx), grad = got, self._grad
            # a non-finite gradient makes this sum NaN (0 * inf is NaN), a finite one 0
            if not isfinite(loss) or not isfinite(grad @ self._zeros):
                self.done = self.diverged = True
                break
            if decay:
                grad = grad + decay * theta
            if clip is not None:
                grad = clip_by_global_norm(grad, clip)
            self.state = rule.apply(theta, grad, self.state)
            total, seen = total + loss * len(idx), seen + len(idx)
            if problem.exhausted:
                break
        return total, seen

    def _keep(self, params: np.ndarray, objective: float) -> None:
        """The current weights are the best so far (gradient descent moves them on; its
        own figure for them is the epoch's mean mini-batch objective)."""
        self.offer([objective], Candidates.of_params(self.network, params), replace=True)

    def _early_stopping(self, params: np.ndarray, epoch_loss: float, info: dict) -> None:
        c = self.config
        val = self.problem.validation_objective(self.network, params)
        if val is None:  # no budget left for the validation pass
            return
        info["val_objective_now"] = val
        fitness = float(self.problem.fitness(val))  # higher is better, whatever the direction
        if self.val_best_params is None or fitness > self.val_best + c.min_delta:
            self.val_best, self.val_best_params = fitness, params.copy()
            self.val_best_objective = epoch_loss
            self.epochs_since_best = 0
            return
        self.epochs_since_best += 1
        if self.epochs_since_best >= c.patience:
            self.done = True
            self.params[:] = self.val_best_params
            if self.trainer is not None:  # the weights the optimizer holds, in both layouts
                self.theta[:] = self.trainer.theta(self.params)
            self._keep(self.params, self.val_best_objective)
