"""An episodic problem: networks as policies of a control environment, rolled out in
lockstep.

A population of P candidates x K episodes is one batch: each time step observes every
live episode's state, runs one batched forward pass on each candidate's own observations
((P, K, n_observations) -> (P, K, n_outputs)) and advances the whole batch by one
vectorised simulation step; episodes end independently (a mask). A candidate's objective
is its mean return over its K episodes (higher is better); start states come from the rng
the optimizer passes to ``evaluate`` (the run's).

Costs, in the units of every other problem (charged by :class:`MeteredProblem`, never
here): one network evaluated on one observation is one sample, one episode of one
network is one evaluation (as the NEAT paper counts), and MACs are the network's enabled
connections per sample. A rollout that would pass the budget's samples or MACs stops at
the last whole time step that fits; the candidates whose episodes it cut get no objective
(NaN, a failed evaluation).

The loop's ruler (:meth:`EpisodicProblem.score`) plays ``score_episodes`` episodes from
starts of a fixed seed, unmetered, so every optimizer's best network is measured on the
same starts.
"""

from __future__ import annotations

import math

import numpy as np

from networks import Graph, Network

from ..candidates import Candidates
from ..environments import Environment
from .base import Problem

__all__ = ["EpisodicProblem", "Rollout"]


class Rollout:
    """What a rollout gives back: ``returns`` (P,) mean return per candidate (NaN where the
    budget cut an episode), ``samples`` (P,) network evaluations per candidate (live
    episode steps), ``truncated`` (whether the budget stopped it)."""

    __slots__ = ("returns", "samples", "truncated")

    def __init__(self, returns: np.ndarray, samples: np.ndarray, truncated: bool) -> None:
        self.returns, self.samples, self.truncated = returns, samples, truncated


class EpisodicProblem(Problem):
    """Policies of ``environment`` (an :class:`~optimizers.environments.Environment`).

    ``episodes``: K episodes per candidate per evaluation (its objective is the mean
    return); ``score_episodes``: episodes of the ruler's measurement (``score``), from
    starts drawn with ``score_seed``.
    """

    maximize = True
    metric = "return"
    metric_maximize = True
    differentiable = False
    episodic = True

    def __init__(
        self,
        environment: Environment,
        *,
        episodes: int = 1,
        score_episodes: int = 10,
        score_seed: int = 0,
        name: str | None = None,
    ) -> None:
        if not isinstance(environment, Environment):
            raise ValueError(
                f"environment must be an optimizers.environments.Environment, got {type(environment).__name__}"
            )
        for what, value in (("episodes", episodes), ("score_episodes", score_episodes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{what} must be an integer >= 1, got {value!r}")
        self.environment = environment
        self.episodes = episodes
        self.score_episodes = score_episodes
        self.score_seed = int(score_seed)
        self.name = name or environment.name
        self.n_inputs = environment.n_observations
        self.n_outputs = environment.n_outputs
        self.n_train = 1  # one evaluation = one episode of one network (charged per episode)
        # random starts make an evaluation a sample: values of two evaluations don't compare
        self.noisy = bool(environment.random_starts)

    # -- rollouts (unmetered; MeteredProblem charges what they used) --------------------
    def rollout(
        self,
        candidates: Candidates,
        rng: np.random.Generator,
        *,
        episodes: int | None = None,
        samples_left: float = math.inf,
        macs_left: float = math.inf,
    ) -> Rollout:
        """Roll every candidate out for ``episodes`` (default K) episodes in lockstep,
        stopping before a time step would pass ``samples_left`` or ``macs_left``."""
        env = self.environment
        k = self.episodes if episodes is None else episodes
        p = len(candidates)
        state = env.initial((p, k), rng)
        alive = np.ones((p, k), dtype=bool)
        returns = np.zeros((p, k))
        samples = np.zeros(p, dtype=np.int64)
        macs_per = candidates.n_enabled.astype(np.float64)
        spent_samples = spent_macs = 0.0
        truncated = False
        with np.errstate(all="ignore"):
            for _ in range(env.max_steps):
                live = alive.sum(axis=1)
                need_samples, need_macs = float(live.sum()), float(live @ macs_per)
                if (
                    spent_samples + need_samples > samples_left
                    or spent_macs + need_macs > macs_left
                ):
                    truncated = True
                    break
                outputs = candidates.forward(env.observe(state))
                nxt, failed = env.step(state, outputs)
                state = np.where(alive[..., None], nxt, state)
                returns += alive
                samples += live
                spent_samples += need_samples
                spent_macs += need_macs
                alive &= ~failed
                if not alive.any():
                    break
        mean = returns.mean(axis=1)
        if truncated:
            mean = np.where(alive.any(axis=1), np.nan, mean)
        return Rollout(mean, samples, truncated)

    def _objectives(self, candidates, rows, rng):
        return self.rollout(candidates, rng).returns

    def n_rows(self, rows) -> int:
        return self.episodes  # evaluations per candidate: its K episodes

    # -- measurement (not metered) --------------------------------------------------
    def score(self, graph: Graph) -> dict:
        """Mean return of ``graph`` over ``score_episodes`` episodes from fixed starts:
        ``{"train_return": ...}`` (control has no data splits)."""
        net = self.compile(graph)
        rng = np.random.default_rng(self.score_seed)
        got = self.rollout(Candidates.of_params(net, net.params), rng, episodes=self.score_episodes)
        return {f"train_{self.metric}": float(got.returns[0])}

    def _objective_and_grad(self, network: Network, params, rows):
        raise ValueError(
            f"problem {self.name!r} is a control task with no target outputs to backpropagate; "
            "use an evolutionary optimizer (neat, cmaes, ga, es, random-search)"
        )

    def __repr__(self) -> str:
        return f"EpisodicProblem({self.environment!r}, episodes={self.episodes})"
