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
    count: int
    mu: np.ndarray
    nu: np.ndarray


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
        # mu = b1 mu + (1 - b1) g;  nu = b2 nu + (1 - b2) g^2;
        # step = -lr mu_hat / (sqrt(nu_hat) + eps), with mu_hat = mu / (1 - b1^t) and
        # nu_hat = nu / (1 - b2^t), computed as -lr c2 / (1 - b1^t) * mu / (sqrt(nu) + eps c2)
        # with c2 = sqrt(1 - b2^t): one square root and one division of arrays (both slow
        # next to a multiplication), the bias corrections folded into scalars. Written with
        # in-place operations on fresh arrays; the state is not modified.
        count = state.count + 1
        mu = self.beta1 * state.mu
        mu += (1 - self.beta1) * grads
        nu = grads * grads
        nu *= 1 - self.beta2
        nu += self.beta2 * state.nu
        step = np.sqrt(nu)
        self._finish(step, mu, count)
        return step, AdamState(count, mu, nu)

    def apply(self, params: np.ndarray, grads: np.ndarray, state: AdamState) -> AdamState:
        # update's operations in the same order, into the state's arrays and one scratch
        # vector (the gradient is left as it is)
        count = state.count + 1
        mu, nu = state.mu, state.nu
        mu *= self.beta1
        tmp = np.multiply(grads, 1 - self.beta1)
        mu += tmp
        np.multiply(grads, grads, out=tmp)
        tmp *= 1 - self.beta2
        nu *= self.beta2
        nu += tmp
        np.sqrt(nu, out=tmp)
        self._finish(tmp, mu, count)
        params += tmp
        return AdamState(count, mu, nu)

    def _finish(self, root: np.ndarray, mu: np.ndarray, count: int) -> None:
        """sqrt(nu) in ``root`` -> the step, in place."""
        c2 = math.sqrt(1 - self.beta2**count)
        root += self.eps * c2
        np.divide(mu, root, out=root)
        root *= -self.lr * c2 / (1 - self.beta1**count)


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
