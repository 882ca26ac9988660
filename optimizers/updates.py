"""Gradient update rules as pairs of small pure functions (in the manner of optax).

Each rule is a frozen dataclass of hyperparameters with ``init(params) -> state`` and
``update(grads, state) -> (step, state)``; the caller applies ``params + step``. States are
tiny NamedTuples; ``update`` changes nothing in place, so a rule can be reused (the ES that
wants an Adam step calls the same ``Adam``).

``apply(params, grads, state) -> state`` is the same step for a training loop that owns its
parameters and state (backprop, once per mini-batch): ``params`` is moved in place and the
state's arrays are overwritten with the new ones, with no fresh arrays per call beyond a
scratch vector or two. The arithmetic is that of ``update``, operation for operation, so
``apply`` leaves ``params`` bit for bit equal to ``params + update(grads, state)[0]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Config, check

__all__ = [
    "SGD",
    "Momentum",
    "Adam",
    "RULES",
    "make_rule",
    "clip_by_global_norm",
    "RuleConfig",
]


class EmptyState(NamedTuple):
    pass


class MomentumState(NamedTuple):
    velocity: np.ndarray


class AdamState(NamedTuple):
    """Adam's moments as plain exponential sums: ``m = beta1 m + g`` and ``v = beta2 v +
    g^2``, so that Kingma & Ba's ``mu = (1 - beta1) m`` and ``nu = (1 - beta2) v`` (the
    factors folded into the step's scalars: two passes over the vector fewer per step)."""

    count: int
    m: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent: step = -lr * g."""

    lr: float = 0.01

    def init(self, params: np.ndarray) -> EmptyState:
        return EmptyState()

    def update(self, grads: np.ndarray, state: EmptyState):
        return -self.lr * grads, state

    def apply(self, params: np.ndarray, grads: np.ndarray, state: EmptyState) -> EmptyState:
        params += -self.lr * grads
        return state


@dataclass(frozen=True)
class Momentum:
    """Heavy-ball momentum (v = beta v + g; step = -lr v), or Nesterov's variant
    (step = -lr (g + beta v)), as in PyTorch's SGD."""

    lr: float = 0.01
    beta: float = 0.9
    nesterov: bool = False

    def init(self, params: np.ndarray) -> MomentumState:
        return MomentumState(np.zeros_like(params))

    def update(self, grads: np.ndarray, state: MomentumState):
        v = self.beta * state.velocity + grads
        direction = grads + self.beta * v if self.nesterov else v
        return -self.lr * direction, MomentumState(v)

    def apply(self, params: np.ndarray, grads: np.ndarray, state: MomentumState):
        v = state.velocity
        v *= self.beta
        v += grads
        params += -self.lr * (grads + self.beta * v if self.nesterov else v)
        return state


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def init(self, params: np.ndarray) -> AdamState:
        return AdamState(0, np.zeros_like(params), np.zeros_like(params))

    def update(self, grads: np.ndarray, state: AdamState):
        # m = b1 m + g, v = b2 v + g^2 (mu = (1 - b1) m, nu = (1 - b2) v); the step
        # -lr mu_hat / (sqrt(nu_hat) + eps), with mu_hat = mu / (1 - b1^t) and nu_hat = nu /
        # (1 - b2^t), is -lr (1 - b1) c / (1 - b1^t) * m / (sqrt(v) + eps c) with c =
        # sqrt((1 - b2^t) / (1 - b2)): one square root and one division of arrays (both slow
        # next to a multiplication), every constant folded into scalars. Written with
        # in-place operations on fresh arrays; the state is not modified.
        count = state.count + 1
        m = self.beta1 * state.m
        m += grads
        v = grads * grads
        v += self.beta2 * state.v
        step = np.sqrt(v)
        self._finish(step, m, count)
        return step, AdamState(count, m, v)

    def apply(self, params: np.ndarray, grads: np.ndarray, state: AdamState) -> AdamState:
        # update's operations, into the state's arrays and one scratch vector (the
        # gradient is left as it is): the same numbers bit for bit
        count = state.count + 1
        m, v = state.m, state.v
        m *= self.beta1
        m += grads
        tmp = np.multiply(grads, grads)
        v *= self.beta2
        v += tmp
        np.sqrt(v, out=tmp)
        self._finish(tmp, m, count)
        params += tmp
        return AdamState(count, m, v)

    def _finish(self, root: np.ndarray, m: np.ndarray, count: int) -> None:
        """sqrt(v) in ``root`` -> the step, in place."""
        c = math.sqrt((1 - self.beta2**count) / (1 - self.beta2))
        root += self.eps * c
        np.divide(m, root, out=root)
        root *= -self.lr * (1 - self.beta1) * c / (1 - self.beta1**count)


RULES = ("sgd", "momentum", "nesterov", "adam")


def make_rule(
    name: str,
    *,
    lr: float,
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
):
    """The update rule called ``name`` (one of RULES)."""
    if name == "sgd":
        return SGD(lr)
    if name in ("momentum", "nesterov"):
        return Momentum(lr, momentum, nesterov=name == "nesterov")
    if name == "adam":
        return Adam(lr, beta1, beta2, eps)
    raise ValueError(f"unknown update rule {name!r}; choose one of {', '.join(RULES)}")


def clip_by_global_norm(grads: np.ndarray, max_norm: float) -> np.ndarray:
    """grads scaled down so that their L2 norm is at most max_norm."""
    norm = float(np.sqrt(np.dot(grads, grads)))
    return grads * (max_norm / norm) if norm > max_norm else grads


@dataclass(frozen=True, kw_only=True)
class RuleConfig(Config):
    """The update rule's settings, shared by the optimizers that step by gradient (backprop,
    the policy gradient): ``rule`` one of RULES, its learning rate and constants."""

    rule: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        check("rule", self.rule, choices=RULES)
        check("lr", self.lr, low=0, low_open=True)
        check("momentum", self.momentum, low=0, high=1)
        check("beta1", self.beta1, low=0, high=1, high_open=True)
        check("beta2", self.beta2, low=0, high=1, high_open=True)
        check("eps", self.eps, low=0, low_open=True)

    def make_rule(self):
        """The configured update rule."""
        return make_rule(
            self.rule,
            lr=self.lr,
            momentum=self.momentum,
            beta1=self.beta1,
            beta2=self.beta2,
            eps=self.eps,
        )
