"""``backprop``: gradient descent (SGD, momentum, Nesterov, Adam) on any differentiable Graph.

One step is one epoch over the shuffled training rows in mini-batches. Gradients are exact
reverse mode (networks.Network.loss_and_grad) through the problem's meter, so an epoch on n
rows costs 3n sample evaluations. On a maximising problem (``problem.maximize``) the
objective that ``problem.loss_and_grad`` returns is climbed instead of descended. Optional L2 weight decay, gradient clipping by global norm,
and early stopping on validation loss with ``patience`` (the best-validation weights are
restored when it stops).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Config, Optimizer, check
from .updates import RULES, clip_by_global_norm, make_rule

__all__ = ["Backprop"]


@dataclass(frozen=True, kw_only=True)
class BackpropConfig(Config):
    rule: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    batch_size: int | None = 32  # None: full batch
    weight_decay: float = 0.0
    clip_norm: float | None = None
    patience: int | None = None  # epochs without validation improvement before stopping
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        check("rule", self.rule, choices=RULES)
        check("lr", self.lr, low=0, low_open=True)
        check("momentum", self.momentum, low=0, high=1)
        check("beta1", self.beta1, low=0, high=1, high_open=True)
        check("beta2", self.beta2, low=0, high=1, high_open=True)
        check("eps", self.eps, low=0, low_open=True)
        if self.batch_size is not None:
            check("batch_size", self.batch_size, low=1, integer=True)
        check("weight_decay", self.weight_decay, low=0)
        if self.clip_norm is not None:
            check("clip_norm", self.clip_norm, low=0, low_open=True)
        if self.patience is not None:
            check("patience", self.patience, low=1, integer=True)
        check("min_delta", self.min_delta, low=0)


class Backprop(Optimizer):
    """Mini-batch gradient descent; see the module docstring."""

    name = "backprop"
    Config = BackpropConfig

    def _setup(self) -> None:
        c, problem = self.config, self.problem
        if not problem.differentiable:
            raise ValueError(
                f"backprop needs a differentiable problem and network; {problem.name!r} is not "
                "(a step activation, or a fitness without gradients): use an evolutionary optimizer"
            )
        self.network = problem.compile(problem.initial)
        self.network.check_differentiable()
        self.rule = make_rule(
            c.rule, lr=c.lr, momentum=c.momentum, beta1=c.beta1, beta2=c.beta2, eps=c.eps
        )
        self.params = self.network.params.copy()
        self.state = self.rule.init(self.params)
        self.val_best = np.inf
        self.val_best_params = None
        self.val_best_objective = float("nan")
        self.epochs_since_best = 0

    def step(self) -> dict:
        c, problem = self.config, self.problem
        n = problem.n_train
        batch = n if c.batch_size is None else min(c.batch_size, n)
        order = self.rng.permutation(n)
        total = 0.0
        params = self.params
        ascend = problem.maximize
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            loss, grad = problem.loss_and_grad(self.network, params, idx)
            if not np.isfinite(loss) or not np.isfinite(grad).all():
                self.done = True
                total = float("nan")
                break
            if ascend:  # the objective is a fitness: climb it
                grad = -grad
            if c.weight_decay:
                grad = grad + c.weight_decay * params
            if c.clip_norm is not None:
                grad = clip_by_global_norm(grad, c.clip_norm)
            update, self.state = self.rule.update(grad, self.state)
            params = params + update
            total += loss * len(idx)
        self.params = params
        epoch_loss = total / n
        self.offer(np.array([epoch_loss]), params=params, network=self.network, replace=True)
        info = {"epoch_loss": epoch_loss}
        if c.patience is not None and problem_has_validation(problem) and not self.done:
            val = float(self.network.losses(problem.X_val, problem.y_val, problem.loss, params))
            info["val_loss_now"] = val
            if val < self.val_best - c.min_delta:
                self.val_best, self.val_best_params = val, params.copy()
                self.val_best_objective = epoch_loss
                self.epochs_since_best = 0
            else:
                self.epochs_since_best += 1
                if self.epochs_since_best >= c.patience:
                    self.done = True
                    self.params = self.val_best_params
                    self.offer(
                        np.array([self.val_best_objective]),
                        params=self.params,
                        network=self.network,
                        replace=True,
                    )
        self.generation += 1
        return info


def problem_has_validation(problem) -> bool:
    return getattr(problem, "X_val", None) is not None
