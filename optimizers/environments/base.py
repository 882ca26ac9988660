"""The :class:`Environment` interface (see the package docstring)."""

from __future__ import annotations

import numpy as np

__all__ = ["Environment"]


class Environment:
    """A control task as pure functions of a state array (..., n_state).

    Subclasses set ``name``, ``n_state``, ``n_observations`` (network inputs),
    ``n_outputs`` (network outputs), ``max_steps`` (an episode's length limit: reaching
    it is success, not failure) and ``random_starts``, and implement :meth:`initial`, :meth:`observe` and
    :meth:`step`. Every decision an episode takes earns a reward of 1 (the failing one
    included), so an episode's return is the number of decisions it lasted.

    ``actions`` says how ``step`` reads the outputs, which a stochastic policy (the policy
    gradient) needs to know to sample them: ``"sign"``, a binary choice by the sign of
    the first output (> 0: one action, else the other), ``"argmax"``, one of n actions by
    the largest output, or ``"continuous"``, the output values themselves (``low``..
    ``high``, clipped there by the environment).

    A ``stateful`` environment (Gymnasium's) keeps its own state instead and is rolled
    out through its vector API (``optimizers.environments.gym``).
    """

    name: str = "environment"
    random_starts: bool = True  # whether ``initial`` draws (episodes then differ)
    n_state: int
    n_observations: int
    n_outputs: int = 1
    max_steps: int
    actions: str = "continuous"  # "sign", "argmax" or "continuous"
    stateful: bool = False
    low: float = -1.0  # the continuous outputs' range
    high: float = 1.0

    def initial(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Start states (*shape, n_state), drawn from ``rng`` where the task draws."""
        raise NotImplementedError

    def observe(self, state: np.ndarray) -> np.ndarray:
        """What a network sees of ``state``: (..., n_observations)."""
        raise NotImplementedError

    def step(self, state: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One decision: the network ``outputs`` (..., n_outputs) applied to ``state``
        (..., n_state) -> (the next states, whether each episode failed there (...,))."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        """The environment's name and parameters, as plain data."""
        return {"name": self.name}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "name")
        return f"{type(self).__name__}({params})"
