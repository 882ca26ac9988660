"""What the policy gradient needs besides the network: how actions are drawn from its
outputs (a head) and what each decision's return is compared against (a baseline).

Heads turn a network's outputs into a stochastic policy and give the gradient of the log
probability of the actions taken with respect to those outputs, which the network's
vector-Jacobian product carries back to its weights:

- :class:`BernoulliHead`, for environments that act on the sign of the first output
  (cartpole): P(positive action) = sigmoid(output), d log pi / d output = a - p.
- :class:`CategoricalHead`, for environments that take the argmax of n outputs (a
  Gymnasium Discrete(n)): P(i) = softmax(outputs)_i, d log pi / d outputs = onehot - p.
- :class:`GaussianHead`, for continuous outputs (the double pole's force): actions drawn
  around the outputs with a learned standard deviation per output (its log is a
  parameter of the learner, not of the network), d log pi / d mean = (a - mean) / std^2,
  d log pi / d log std = (a - mean)^2 / std^2 - 1.

Baselines (the expected return-to-go of a decision, subtracted from its return to lower
the variance of the estimate without biasing it; each is fitted on earlier batches only):

- ``"linear"``: a linear value function of the observations, their squares and powers of
  the time step, refitted by ridge regression on each batch (Duan et al. 2016's linear
  feature baseline), the learned baseline;
- ``"mean"``: the running mean of the returns-to-go at each time step;
- ``"none"``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BernoulliHead",
    "CategoricalHead",
    "GaussianHead",
    "make_head",
    "BASELINES",
    "make_baseline",
]


class BernoulliHead:
    """A binary action from the sign of output 0, drawn with P(+1) = sigmoid(output 0)."""

    n_extra = 0  # parameters of its own (none)

    def __init__(self, n_outputs: int) -> None:
        self.n_outputs = n_outputs

    def initial_extra(self) -> np.ndarray:
        return np.zeros(0)

    def sample(self, outputs: np.ndarray, extra: np.ndarray, rng: np.random.Generator):
        p = _sigmoid(outputs[..., 0])
        positive = rng.random(p.shape) < p
        actions = np.zeros_like(outputs)
        actions[..., 0] = np.where(positive, 1.0, -1.0)
        return actions

    def log_prob_grads(self, outputs, actions, extra):
        """d log pi(actions) / d outputs (n, n_out), and / d extra (n, 0)."""
        d = np.zeros_like(outputs)
        d[:, 0] = (actions[:, 0] > 0) - _sigmoid(outputs[:, 0])
        return d, np.zeros((len(outputs), 0))

    def log_prob(self, outputs, actions, extra) -> np.ndarray:
        """log pi(actions) (n,): what :meth:`log_prob_grads` differentiates."""
        z = outputs[:, 0]
        signed = np.where(actions[:, 0] > 0, z, -z)
        return -np.logaddexp(0.0, -signed)


class GaussianHead:
    """Continuous actions: outputs + std x N(0, 1), std = exp(extra) per output."""

    def __init__(self, n_outputs: int, init_std: float) -> None:
        self.n_outputs = self.n_extra = n_outputs
        self.init_std = init_std

    def initial_extra(self) -> np.ndarray:
        return np.full(self.n_outputs, np.log(self.init_std))

    def sample(self, outputs, extra, rng):
        return outputs + np.exp(extra) * rng.standard_normal(outputs.shape)

    def log_prob_grads(self, outputs, actions, extra):
        inv_var = np.exp(-2.0 * extra)
        diff = actions - outputs
        return diff * inv_var, diff * diff * inv_var - 1.0

    def log_prob(self, outputs, actions, extra) -> np.ndarray:
        diff = (actions - outputs) * np.exp(-extra)
        return np.sum(-0.5 * diff * diff - extra - 0.5 * np.log(2 * np.pi), axis=1)


class CategoricalHead:
    """One of n actions, the argmax of one-hot actions drawn with P(i) = softmax(outputs)_i."""

    n_extra = 0

    def __init__(self, n_outputs: int) -> None:
        self.n_outputs = n_outputs

    def initial_extra(self) -> np.ndarray:
        return np.zeros(0)

    def sample(self, outputs, extra, rng):
        p = _softmax(outputs)
        u = rng.random(p.shape[:-1] + (1,))
        pick = np.minimum((np.cumsum(p, axis=-1) < u).sum(axis=-1), p.shape[-1] - 1)
        actions = np.zeros_like(outputs)
        np.put_along_axis(actions, pick[..., None], 1.0, axis=-1)
        return actions

    def log_prob_grads(self, outputs, actions, extra):
        return actions - _softmax(outputs), np.zeros((len(outputs), 0))

    def log_prob(self, outputs, actions, extra) -> np.ndarray:
        z = outputs - outputs.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return (logp * actions).sum(axis=1)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def make_head(actions: str, n_outputs: int, init_std: float):
    """The head for an environment's ``actions`` kind ("sign", "argmax" or "continuous")."""
    if actions == "sign":
        return BernoulliHead(n_outputs)
    if actions == "argmax":
        return CategoricalHead(n_outputs)
    if actions == "continuous":
        return GaussianHead(n_outputs, init_std)
    raise ValueError(f"the policy gradient has no head for actions {actions!r}")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


# -- baselines -----------------------------------------------------------------------------
BASELINES = ("linear", "mean", "none")


class _NoBaseline:
    def predict(self, observations: np.ndarray, times: np.ndarray) -> np.ndarray:
        return np.zeros(len(times))

    def update(self, observations, times, returns) -> None:
        pass


class _MeanBaseline(_NoBaseline):
    """The running mean of the returns-to-go at each time step (0 where none seen yet)."""

    def __init__(self) -> None:
        self.total = np.zeros(0)
        self.count = np.zeros(0)

    def predict(self, observations, times):
        out = np.zeros(len(times))
        known = times < len(self.total)
        t = times[known]
        out[known] = self.total[t] / np.maximum(self.count[t], 1)
        return out

    def update(self, observations, times, returns):
        n = int(times.max()) + 1 if len(times) else 0
        if n > len(self.total):
            self.total = np.pad(self.total, (0, n - len(self.total)))
            self.count = np.pad(self.count, (0, n - len(self.count)))
        self.total += np.bincount(times, weights=returns, minlength=len(self.total))
        self.count += np.bincount(times, minlength=len(self.count))


class _LinearBaseline(_NoBaseline):
    """Ridge regression of the returns-to-go on [obs, obs^2, t, t^2, t^3, 1] (t the time
    step over the episode limit), refitted on each batch."""

    def __init__(self, horizon: int, ridge: float = 1e-5) -> None:
        self.horizon, self.ridge = float(horizon), ridge
        self.coef: np.ndarray | None = None

    def _features(self, observations, times):
        t = (times / self.horizon)[:, None]
        ones = np.ones_like(t)
        return np.hstack([observations, observations**2, t, t**2, t**3, ones])

    def predict(self, observations, times):
        if self.coef is None:
            return np.zeros(len(times))
        return self._features(observations, times) @ self.coef

    def update(self, observations, times, returns):
        F = self._features(observations, times)
        gram = F.T @ F
        gram[np.diag_indices_from(gram)] += self.ridge
        coef = np.linalg.solve(gram, F.T @ returns)
        if np.isfinite(coef).all():
            self.coef = coef


def make_baseline(name: str, horizon: int):
    """The baseline called ``name`` (one of BASELINES) for episodes of at most ``horizon``
    decisions."""
    if name == "linear":
        return _LinearBaseline(horizon)
    if name == "mean":
        return _MeanBaseline()
    if name == "none":
        return _NoBaseline()
    raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
