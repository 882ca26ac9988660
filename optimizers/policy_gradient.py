"""``policy-gradient``: REINFORCE (Williams 1992) on any differentiable feed-forward Graph of
a control task.

One step plays a batch of ``episodes`` episodes with the current weights, all in lockstep
(one batched forward pass and one vectorised physics step per decision, the actions drawn
by the head of :mod:`optimizers.policy_heads`), and takes one gradient step. Each
decision's advantage is its discounted return-to-go (``gamma``) minus the baseline's
estimate (fitted on earlier batches), normalised over the batch (``normalize``); the
gradient of -mean(advantage x log pi(action)) reaches the weights through the network's
vector-Jacobian product over every decision of the batch at once, and the update rule is
backprop's (Adam by default), with optional clipping by global norm.

Costs, charged by the run's metered problem like any evaluation: each decision is one
sample (the rollout's forward pass) and two more for its share of the backward pass, so a
batch of E episodes counts 3E evaluations and 3 x (decisions) samples; a batch is only
played when its backward pass can still be afforded, so no run spends more than its budget.

The loop's ruler measures the network itself, deterministically: the sign of its output
(the Bernoulli head's likelier action) or its outputs as the force (the Gaussian head's
mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from .base import Optimizer, check
from .candidates import Candidates
from .policy_heads import BASELINES, make_baseline, make_head
from .updates import RuleConfig, clip_by_global_norm

__all__ = ["PolicyGradient", "surrogate_grads"]


@dataclass(frozen=True, kw_only=True)
class PolicyGradientConfig(RuleConfig):
    lr: float = 0.01
    episodes: int = 10  # per batch (one gradient step)
    gamma: float = 0.99
    baseline: str = "linear"
    normalize: bool = True
    init_std: float = 0.1  # the Gaussian head's starting standard deviation
    clip_norm: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check("episodes", self.episodes, low=1, integer=True)
        check("gamma", self.gamma, low=0, high=1)
        check("baseline", self.baseline, choices=BASELINES)
        check("normalize", self.normalize, choices=(True, False))
        check("init_std", self.init_std, low=0, low_open=True)
        if self.clip_norm is not None:
            check("clip_norm", self.clip_norm, low=0, low_open=True)


def surrogate_grads(head, outputs, actions, extra, advantages):
    """The gradient of the surrogate loss -mean(advantages x log pi(actions | outputs))
    with respect to the outputs (n, n_out) and to the head's own parameters (n_extra,)."""
    d_out, d_extra = head.log_prob_grads(outputs, actions, extra)
    scale = -advantages[:, None] / len(advantages)
    return d_out * scale, (d_extra * scale).sum(axis=0)


def returns_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Discounted returns-to-go (T, K) of the rewards (T, K) of each decision (0 once an
    episode has ended)."""
    rewards = np.asarray(rewards, dtype=np.float64)[::-1]
    return lfilter([1.0], [1.0, -gamma], rewards, axis=0)[::-1]


class PolicyGradient(Optimizer):
    """REINFORCE with a baseline; details in the module docstring."""

    name = "policy-gradient"
    Config = PolicyGradientConfig
    needs_gradient = True
    trains_recurrent = False
    problem_kinds = ("control",)

    def _setup(self) -> None:
        c, problem = self.config, self.problem
        if not getattr(problem, "episodic", False):
            raise ValueError(
                f"policy-gradient learns from episodes; {problem.name!r} is a dataset: "
                "train it with backprop (or an evolutionary optimizer)"
            )
        if self.initial.recurrent:
            raise ValueError(
                "policy-gradient trains feed-forward networks (no backpropagation through "
                "time); this one has recurrent connections: evolve it with neat, cmaes, ga or es"
            )
        self.network = problem.compile(self.initial)
        self.network.check_differentiable()
        env = problem.environment
        self.head = make_head(env.actions, problem.n_outputs, c.init_std)
        self.baseline = make_baseline(c.baseline, env.max_steps)
        self.rule = c.make_rule()
        n = self.network.n_params
        # one vector for the update rule: the network's parameters, then the head's
        self.theta = np.concatenate([self.network.params, self.head.initial_extra()])
        self.state = self.rule.init(self.theta)
        self.n_params = n
        self.decisions = 0

    def _policy(self, extra):
        head = self.head

        def draw(outputs, rng):
            return head.sample(outputs, extra, rng)

        return draw

    def step(self) -> dict:
        c, problem, net = self.config, self.problem, self.network
        params, extra = self.theta[: self.n_params], self.theta[self.n_params :]
        got = problem.play(net, params, c.episodes, self.rng, self._policy(extra.copy()))
        self.generation += 1
        if got is None or got.truncated or got.trajectory is None:
            self.done = True  # the budget has no room for another batch and its gradient
            return {}
        tr = got.trajectory
        alive = tr.alive[:, 0]  # (T, K): one parameter vector
        live = np.nonzero(alive)
        times = live[0]
        X = tr.observations[:, 0][live]
        outputs, actions = tr.outputs[:, 0][live], tr.actions[:, 0][live]
        G = returns_to_go(tr.rewards[:, 0], c.gamma)[live]
        advantages = G - self.baseline.predict(X, times)
        self.baseline.update(X, times, G)
        if c.normalize and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        d_out, d_extra = surrogate_grads(self.head, outputs, actions, extra, advantages)
        grad = problem.episode_vjp(net, params, X, d_out, c.episodes)
        batch_return = float(got.returns[0])
        self.decisions += len(X)
        if grad is None:
            self.done = True
            return {"batch_return": batch_return}
        grad = np.concatenate([grad, d_extra])
        if not np.isfinite(grad).all():
            self.done = self.diverged = True
            return {"batch_return": batch_return}
        if c.clip_norm is not None:
            grad = clip_by_global_norm(grad, c.clip_norm)
        self.state = self.rule.apply(self.theta, grad, self.state)
        if not np.isfinite(self.theta).all():
            self.done = self.diverged = True
            return {"batch_return": batch_return}
        # the weights moved on: they are the best so far, with the batch's figure
        self.offer(
            [batch_return], Candidates.of_params(net, self.theta[: self.n_params]), replace=True
        )
        info = {"batch_return": batch_return, "decisions": self.decisions}
        if self.head.n_extra:
            info["policy_std"] = float(np.exp(self.theta[self.n_params :]).mean())
        return info
