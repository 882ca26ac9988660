"""The rollout of a stateful environment (Gymnasium's, ``optimizers.environments.gym``):
P candidates x K episodes as one vector environment of P x K sub-environments, stepped
all at once; each decision one batched forward pass of every candidate on its own
observations. Metered and cut to the budget exactly as the functional rollout is
(``EpisodicProblem.rollout``): a decision is a sample, MACs are the candidate's enabled
connections per decision. Sub-environments whose episode ended are reset by Gymnasium and
stepped on, masked out (their rewards never count).
"""

from __future__ import annotations

import math

import numpy as np

from .episodic import Rollout, _tallies, finished

__all__ = ["vector_rollout"]


def vector_rollout(
    env,
    candidates,
    rng: np.random.Generator,
    k: int,
    limit: int,
    *,
    samples_left: float = math.inf,
    macs_left: float = math.inf,
    policy=None,
    keep: bool = False,
) -> Rollout:
    p = len(candidates)
    envs, obs = env.open(p * k, rng)
    try:
        alive, returns, samples, macs_per, budget = _tallies(candidates, k, samples_left, macs_left)
        truncated = False
        kept: list[tuple] = []
        act = candidates.stepper()
        for _ in range(limit):
            live = alive.sum(axis=1)
            if not budget.take(live, macs_per):
                truncated = True
                break
            seen = obs.reshape(p, k, -1).astype(candidates.dtype, copy=False)
            outputs = act(seen)
            actions = outputs if policy is None else policy(outputs, rng)
            obs, reward, terminated, cut, _ = envs.step(env.to_actions(actions.reshape(p * k, -1)))
            obs = np.asarray(obs, dtype=np.float64).reshape(p * k, -1)
            reward = np.asarray(reward, dtype=np.float64).reshape(p, k) * alive
            if keep:
                kept.append((seen, outputs, actions, alive.copy(), reward))
            returns += reward
            samples += live
            alive &= ~(np.asarray(terminated) | np.asarray(cut)).reshape(p, k)
            if not alive.any():
                break
    finally:
        envs.close()
    return finished(returns, samples, alive, truncated, kept)
