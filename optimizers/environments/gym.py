"""Any Gymnasium environment by id, through Gymnasium's vector API (``pip install -e
".[gym]"``).

A Gymnasium environment keeps its own state, so it cannot be one of the pure functions of
a state array the other environments are; it is ``stateful`` instead: an episodic problem
rolls it out by opening one vector environment of P x K sub-environments, resetting them
from seeds drawn from the run's rng and stepping them all at once, one batched forward
pass of the networks per decision (``optimizers.problems.vector_rollout``). An episode
ends when Gymnasium says it terminated or was truncated (its time limit), or at
``max_steps``; its return is the sum of its rewards.

Observations must be a Box (flattened into the network's inputs). Actions: a Discrete(n)
space takes the argmax of n outputs (``actions = "argmax"``); a Box takes the outputs
themselves, clipped to its bounds (``"continuous"``).
"""

from __future__ import annotations

import numpy as np

from .base import Environment

__all__ = ["GymEnvironment"]


def _gymnasium():
    try:
        import gymnasium
    except ImportError:
        raise ValueError(
            'gym tasks need Gymnasium, which is not installed: pip install -e ".[gym]"'
        ) from None
    return gymnasium


class GymEnvironment(Environment):
    """A Gymnasium environment ``id``, its episodes cut at ``max_steps`` (None: the
    environment's own time limit, else 1,000)."""

    stateful = True
    random_starts = True
    name = "gym"

    def __init__(self, id: str, max_steps: int | None = None) -> None:  # noqa: A002
        gymnasium = _gymnasium()
        if not isinstance(id, str) or not id:
            raise ValueError(f"gym.id must be a Gymnasium environment id, got {id!r}")
        try:
            spec = gymnasium.spec(id)
            probe = gymnasium.make(id)
        except Exception as exc:  # noqa: BLE001 - Gymnasium raises several kinds
            raise ValueError(f"gym.id: Gymnasium cannot make {id!r}: {exc}") from None
        try:
            obs, act = probe.observation_space, probe.action_space
        finally:
            probe.close()
        spaces = gymnasium.spaces
        if not isinstance(obs, spaces.Box):
            raise ValueError(
                f"gym.id: {id!r} observes {obs}; only Box observations can be fed to a network"
            )
        self.id = id
        self.n_observations = int(np.prod(obs.shape))
        if isinstance(act, spaces.Discrete):
            self.actions, self.n_outputs = "argmax", int(act.n)
            self._start = int(act.start)
        elif isinstance(act, spaces.Box):
            self.actions, self.n_outputs = "continuous", int(np.prod(act.shape))
            self._shape = act.shape
            self.low, self.high = act.low.reshape(-1), act.high.reshape(-1)
        else:
            raise ValueError(
                f"gym.id: {id!r} acts in {act}; only Discrete and Box actions are supported"
            )
        limit = max_steps if max_steps is not None else spec.max_episode_steps or 1_000
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"gym.max_steps must be an integer >= 1, got {max_steps!r}")
        self.max_steps = limit
        self.reward_threshold = spec.reward_threshold
        self.n_state = self.n_observations

    def open(self, n: int, rng: np.random.Generator):
        """A vector environment of ``n`` sub-environments, reset from seeds drawn from
        ``rng``: (the vector environment, the first observations (n, n_observations))."""
        gymnasium = _gymnasium()
        envs = gymnasium.make_vec(self.id, num_envs=n, vectorization_mode="sync")
        seeds = rng.integers(0, 2**31 - 1, size=n).tolist()
        obs, _ = envs.reset(seed=seeds)
        return envs, np.asarray(obs, dtype=np.float64).reshape(n, -1)

    def to_actions(self, outputs: np.ndarray):
        """What the vector environment is given for the outputs (n, n_outputs)."""
        if self.actions == "argmax":
            return np.argmax(outputs, axis=-1) + self._start
        clipped = np.clip(outputs, self.low, self.high)
        return clipped.reshape((len(outputs), *self._shape)).astype(np.float32)

    # the pure-function interface does not apply to a stateful environment
    def initial(self, shape, rng):
        raise ValueError("a Gymnasium environment keeps its own state: roll it out with open()")

    observe = step = initial

    def to_dict(self) -> dict:
        return {"name": self.name, "id": self.id, "max_steps": self.max_steps}
