"""The single pole on a cart (Barto, Sutton & Anderson 1983) with Gymnasium CartPole-v1's
conventions: Euler steps of 0.02 s, a bang-bang force of +-10 N, failure past +-12 degrees
or +-2.4 m, episodes truncated at 500 decisions, every state variable starting
U(-0.05, 0.05). The action is the sign of the network's first output (> 0: push right),
and the network sees the raw state (x, x', theta, theta')."""

from __future__ import annotations

import math

import numpy as np

from .base import Environment

__all__ = ["CartPole"]

GRAVITY = 9.8
MASS_CART = 1.0
MASS_POLE = 0.1
TOTAL_MASS = MASS_CART + MASS_POLE
HALF_LENGTH = 0.5
POLE_MASS_LENGTH = MASS_POLE * HALF_LENGTH
FORCE = 10.0
TAU = 0.02
THETA_LIMIT = 12 * 2 * math.pi / 360
X_LIMIT = 2.4


class CartPole(Environment):
    """See the module docstring. ``max_steps``: the truncation (500 as in CartPole-v1)."""

    name = "cartpole"
    n_state = 4
    n_observations = 4
    n_outputs = 1
    actions = "sign"

    def __init__(self, max_steps: int = 500) -> None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"cartpole.max_steps must be an integer >= 1, got {max_steps!r}")
        self.max_steps = max_steps

    def initial(self, shape, rng):
        return rng.uniform(-0.05, 0.05, size=(*tuple(shape), 4))

    def observe(self, state):
        return state

    def step(self, state, outputs):
        x, x_dot, theta, theta_dot = np.moveaxis(state, -1, 0)
        force = np.where(outputs[..., 0] > 0, FORCE, -FORCE)
        cos, sin = np.cos(theta), np.sin(theta)
        temp = (force + POLE_MASS_LENGTH * theta_dot**2 * sin) / TOTAL_MASS
        theta_acc = (GRAVITY * sin - cos * temp) / (
            HALF_LENGTH * (4.0 / 3.0 - MASS_POLE * cos**2 / TOTAL_MASS)
        )
        x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos / TOTAL_MASS
        x = x + TAU * x_dot
        x_dot = x_dot + TAU * x_acc
        theta = theta + TAU * theta_dot
        theta_dot = theta_dot + TAU * theta_acc
        failed = (np.abs(x) > X_LIMIT) | (np.abs(theta) > THETA_LIMIT)
        return np.stack([x, x_dot, theta, theta_dot], axis=-1), failed

    def to_dict(self) -> dict:
        return {"name": self.name, "max_steps": self.max_steps}
