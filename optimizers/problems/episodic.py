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

__all__ = ["EpisodicProblem", "Rollout", "Trajectory", "StepBudget", "FITNESS", "finished"]

FITNESS = ("return", "gruau")
_JIGGLE_WINDOW = 100


class Rollout:
    """What a rollout gives back: ``returns`` (P,) mean return per candidate (NaN where the
    budget cut an episode), ``samples`` (P,) network evaluations per candidate (live
    episode steps), ``truncated`` (whether the budget stopped it) and, when asked to keep
    it, the ``trajectory``; ``episode_returns`` (P, K) each episode's."""

    __slots__ = ("returns", "samples", "truncated", "trajectory", "episode_returns")

    def __init__(self, returns, samples, truncated, trajectory=None, episode_returns=None):
        self.returns, self.samples, self.truncated = returns, samples, truncated
        self.trajectory: Trajectory | None = trajectory
        self.episode_returns = episode_returns  # (P, K) each episode's own


class Trajectory:
    """Every decision of a rollout, time-major: ``observations`` (T, P, K, n_obs) what the
    networks saw, ``outputs`` (T, P, K, n_out) what they answered, ``actions`` (T, P, K,
    n_out) what the environment was given (the outputs, or what a policy drew from them),
    ``alive`` (T, P, K) whether the episode was still running at that decision, and
    ``rewards`` (T, P, K) what each decision earned (1 per live decision on the built-in
    environments; 0 once an episode has ended). T is the longest episode's length."""

    __slots__ = ("observations", "outputs", "actions", "alive", "rewards")

    def __init__(self, observations, outputs, actions, alive, rewards) -> None:
        self.observations, self.outputs = observations, outputs
        self.actions, self.alive, self.rewards = actions, alive, rewards


class StepBudget:
    """What a rollout may still spend, decision by decision: :meth:`take` charges one time
    step of ``live`` (P,) live episodes per candidate, whose decisions cost ``macs_per``
    (P,) MACs each, if it fits, else says it does not (the rollout stops there)."""

    __slots__ = ("samples", "macs", "samples_left", "macs_left")

    def __init__(self, samples_left: float = math.inf, macs_left: float = math.inf) -> None:
        self.samples = self.macs = 0.0
        self.samples_left, self.macs_left = samples_left, macs_left

    def take(self, live: np.ndarray, macs_per: np.ndarray) -> bool:
        samples, macs = self.samples + float(live.sum()), self.macs + float(live @ macs_per)
        if samples > self.samples_left or macs > self.macs_left:
            return False
        self.samples, self.macs = samples, macs
        return True


class EpisodicProblem(Problem):
    """Policies of ``environment`` (an :class:`~optimizers.environments.Environment`).

    ``episodes``: K episodes per candidate per evaluation (its objective is the mean
    return); ``score_episodes``: episodes of the ruler's measurement (``score``), from
    starts drawn with ``score_seed``, each at most ``score_steps`` decisions (default: the
    environment's ``max_steps``).

    ``fitness``: the objective of an episode. ``"return"``: its return (decisions
    balanced). ``"gruau"``: Gruau et al.'s anti-jiggle fitness for the double pole
    without velocities (Stanley & Miikkulainen 2002), over episodes of at most
    ``max_steps`` decisions (1,000 in the paper): 0.1 t / max_steps, plus, when t > 100,
    0.9 x 0.75 / (the sum over the last 100 states before the end of |x| + |x'| +
    |theta1| + |theta1'|, the environment's ``jiggle``), t the decisions survived. The
    ruler always measures the return.
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
        score_steps: int | None = None,
        fitness: str = "return",
        name: str | None = None,
    ) -> None:
        if not isinstance(environment, Environment):
            raise ValueError(
                f"environment must be an optimizers.environments.Environment, got {type(environment).__name__}"
            )
        for what, value in (("episodes", episodes), ("score_episodes", score_episodes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{what} must be an integer >= 1, got {value!r}")
        if fitness not in FITNESS:
            raise ValueError(f"fitness must be one of {', '.join(FITNESS)}, got {fitness!r}")
        if fitness == "gruau" and not hasattr(environment, "jiggle"):
            raise ValueError(
                f"fitness 'gruau' needs an environment with a jiggle; {environment.name!r} has none"
            )
        if score_steps is not None and (
            isinstance(score_steps, bool) or not isinstance(score_steps, int) or score_steps < 1
        ):
            raise ValueError(f"score_steps must be an integer >= 1, got {score_steps!r}")
        self.environment = environment
        self.fitness_kind = fitness
        self.score_steps = environment.max_steps if score_steps is None else score_steps
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
        policy=None,
        keep: bool = False,
        starts: np.ndarray | None = None,
        max_steps: int | None = None,
        fitness: str | None = None,
    ) -> Rollout:
        """Roll every candidate out for ``episodes`` (default K) episodes in lockstep,
        stopping before a time step would pass ``samples_left`` or ``macs_left``.

        ``policy(outputs, rng) -> actions``: what the environment is given for the
        networks' outputs (P, K, n_out) (default: the outputs themselves; a stochastic
        policy draws its actions from ``rng`` here). ``keep``: also return the
        :class:`Trajectory`. ``starts`` (K, n_state): the start states, the same for every
        candidate (default: the environment's, from ``rng``); ``max_steps``: the episode
        limit (default the environment's); ``fitness``: what ``returns`` holds (default
        this problem's objective; see the class docstring)."""
        env = self.environment
        fitness = self.fitness_kind if fitness is None else fitness
        limit = env.max_steps if max_steps is None else max_steps
        if getattr(env, "stateful", False):
            from .vector_rollout import vector_rollout

            if starts is not None:
                raise ValueError(f"{env.name}: a stateful environment starts where it resets")
            k = self.episodes if episodes is None else episodes
            return vector_rollout(
                env, candidates, rng, k, limit, samples_left=samples_left,
                macs_left=macs_left, policy=policy, keep=keep,
            )  # fmt: skip
        if starts is not None:
            starts = np.asarray(starts, dtype=np.float64)
            episodes = len(starts)
        k = self.episodes if episodes is None else episodes
        p = len(candidates)
        if starts is None:
            state = env.initial((p, k), rng)
        else:
            state = np.broadcast_to(starts, (p, k, starts.shape[-1])).copy()
        jiggle = np.zeros((p, k, _JIGGLE_WINDOW)) if fitness == "gruau" else None
        alive, returns, samples, macs_per, budget = _tallies(candidates, k, samples_left, macs_left)
        truncated = False
        kept: list[tuple] = []
        act = candidates.stepper()  # recurrent candidates keep their state in it
        # the candidates still stepped (by their index) and the finished ones' figures: once
        # half of them have no episode left, the rest go on alone (no work on the dead)
        rows = np.arange(p)
        done = {"returns": returns, "samples": samples, "alive": alive, "jiggle": jiggle}
        done = {name: None if a is None else a.copy() for name, a in done.items()}
        with np.errstate(all="ignore"):
            for t in range(limit):
                live = alive.sum(axis=1)
                active = np.count_nonzero(live)
                if not keep and 2 * active <= len(rows) and len(rows) > 1:
                    on = live > 0
                    off = rows[~on]
                    for name, a in (("returns", returns), ("samples", samples),
                                    ("alive", alive), ("jiggle", jiggle)):  # fmt: skip
                        if a is not None:
                            done[name][off] = a[~on]
                    rows, state, alive, returns = rows[on], state[on], alive[on], returns[on]
                    samples, live, macs_per = samples[on], live[on], macs_per[on]
                    jiggle = None if jiggle is None else jiggle[on]
                    candidates, act = _compacted(candidates, act, np.flatnonzero(on))
                if not budget.take(live, macs_per):
                    truncated = True
                    break
                seen = env.observe(state)
                outputs = act(seen)
                actions = outputs if policy is None else policy(outputs, rng)
                if keep:
                    kept.append((seen, outputs, actions, alive.copy(), alive.astype(np.float64)))
                nxt, failed = env.step(state, actions)
                state = np.where(alive[..., None], nxt, state)
                returns += alive
                samples += live
                alive &= ~failed
                if jiggle is not None:  # the states the live episodes survived into
                    slot = jiggle[..., t % _JIGGLE_WINDOW]
                    slot[alive] = env.jiggle(state)[alive]
                if not alive.any():
                    break
        for name, a in (("returns", returns), ("samples", samples), ("alive", alive),
                        ("jiggle", jiggle)):  # fmt: skip
            if a is not None:
                done[name][rows] = a
        returns, samples, alive, jiggle = (
            done[n] for n in ("returns", "samples", "alive", "jiggle")
        )
        if jiggle is not None:
            returns = _gruau(returns - ~alive, jiggle.sum(axis=-1), limit)
        return finished(returns, samples, alive, truncated, kept)

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
        got = self.rollout(
            Candidates.of_params(net, net.params),
            rng,
            episodes=self.score_episodes,
            max_steps=self.score_steps,
            fitness="return",
        )
        return {f"train_{self.metric}": float(got.returns[0])}

    def _objective_and_grad(self, network: Network, params, rows):
        raise ValueError(
            f"problem {self.name!r} is a control task with no target outputs to backpropagate; "
            "use policy-gradient or an evolutionary optimizer (neat, cmaes, ga, es, random-search)"
        )

    def __repr__(self) -> str:
        return f"EpisodicProblem({self.environment!r}, episodes={self.episodes})"


def _tallies(candidates: Candidates, k: int, samples_left: float, macs_left: float):
    """A rollout's running tallies: alive (P, K), returns (P, K), samples (P,), the MACs of
    one decision of each candidate (P,), and its :class:`StepBudget`."""
    p = len(candidates)
    return (
        np.ones((p, k), dtype=bool),
        np.zeros((p, k)),
        np.zeros(p, dtype=np.int64),
        candidates.n_enabled.astype(np.float64),
        StepBudget(samples_left, macs_left),
    )


def finished(returns, samples, alive, truncated: bool, kept: list) -> Rollout:
    """The :class:`Rollout` of these tallies (a candidate whose episode the budget cut has
    no return: NaN) and of the decisions kept (none: no trajectory)."""
    mean = returns.mean(axis=1)
    if truncated:
        mean = np.where(alive.any(axis=1), np.nan, mean)
    trajectory = Trajectory(*(np.stack(parts) for parts in zip(*kept))) if kept else None
    return Rollout(mean, samples, truncated, trajectory, returns)


def _compacted(candidates: Candidates, act, keep: np.ndarray):
    """The candidates ``keep`` (indices) and a stepper for them that goes on from where
    ``act`` was (a recurrent one's state carried over)."""
    sub = candidates.subset(keep)
    new = sub.stepper()
    state = getattr(act, "state", None)
    if state is not None and sub.recurrent:
        # each graph keeps its memory columns; the padding may shrink with the company
        new.state = state[keep][..., : new.n_memory]
    return sub, new


def _gruau(balanced: np.ndarray, jiggle_sum: np.ndarray, limit: int) -> np.ndarray:
    """Gruau's fitness of episodes that survived ``balanced`` decisions (..., ) with this
    sum of their last 100 jiggles."""
    with np.errstate(divide="ignore", invalid="ignore"):
        steady = np.where(balanced > _JIGGLE_WINDOW, 0.9 * 0.75 / jiggle_sum, 0.0)
    return 0.1 * balanced / limit + steady
