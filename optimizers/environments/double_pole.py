"""Two poles on one cart (Wieland 1991), exactly as the NEAT paper's code simulates it
(Stanley & Miikkulainen 2002; physics by F. Gomez): RK4 with tau = 0.01 s, two steps per
decision, poles of half-lengths 0.5 m and 0.05 m (masses 0.1 and 0.01 kg) on a 1 kg cart,
pole friction 2e-6, gravity -9.8 (the code's sign), failure past +-2.4 m or either pole
past 36 degrees (0.628329 rad), start with the long pole at 0.07 rad and everything else
0. The force is continuous: (output - 0.5) x 20 N, the output clipped to [0, 1] (NEAT's
sigmoid output lies there). A decision runs compiled by numba where it is installed
(``optimizers.environments._compiled``, the same equations), else vectorised in numpy. Each decision counts, the failing one included, so an
episode's return is NEAT's fitness (decisions balanced, at most ``max_steps``, 100,000 for
success).

The network sees x/4.8, x'/2, theta1/0.52, theta1'/2, theta2/0.52, theta2'/2 (NEAT's
scaling; its constant 0.5 bias input is left out because our nodes have biases), or only
x, theta1 and theta2 so scaled without velocities (``velocities=False``, a task that
needs memory). ``cart_friction``: a friction coefficient subtracted from the force as
mu_c sign(x') (Heidrich-Meisner & Igel 2009 use 5e-4; NEAT's code defines it but leaves
it out: 0, the default).
"""

from __future__ import annotations

import numpy as np

from .base import Environment

__all__ = ["DoublePole"]

_DECIDE: list = []  # the compiled decision step (or None), imported on first use


def _compiled():
    if not _DECIDE:
        from ._compiled import decide

        _DECIDE.append(decide)
    return _DECIDE[0]


GRAVITY = -9.8
MASS_CART = 1.0
MASS_1, MASS_2 = 0.1, 0.01
LENGTH_1, LENGTH_2 = 0.5, 0.05  # half-lengths
MU_POLE = 0.000002
FORCE = 10.0
TAU = 0.01
SUBSTEPS = 2
X_LIMIT = 2.4
ANGLE_LIMIT = 0.628329  # 36 degrees, as NEAT's code writes it
START_ANGLE = 0.07
_SCALE = np.array([4.8, 2.0, 0.52, 2.0, 0.52, 2.0])
_MASS = np.array([MASS_1, MASS_2])
_LENGTH = np.array([LENGTH_1, LENGTH_2])
_MASS_LENGTH = _MASS * _LENGTH
_WITHOUT_VELOCITIES = np.array([0, 2, 4])


class DoublePole(Environment):
    """See the module docstring."""

    name = "double-pole"
    random_starts = False  # NEAT's one start: every episode of a network is the same
    n_state = 6
    n_outputs = 1
    actions, low, high = "continuous", 0.0, 1.0

    def __init__(
        self, *, velocities: bool = True, cart_friction: float = 0.0, max_steps: int = 100_000
    ) -> None:
        if not isinstance(velocities, bool):
            raise ValueError(f"double-pole.velocities must be true or false, got {velocities!r}")
        if (
            isinstance(cart_friction, bool)
            or not isinstance(cart_friction, (int, float))
            or not 0 <= cart_friction <= 0.5
        ):
            raise ValueError(
                f"double-pole.cart_friction must be in [0, 0.5], got {cart_friction!r}"
            )
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"double-pole.max_steps must be an integer >= 1, got {max_steps!r}")
        self.velocities = velocities
        self.cart_friction = float(cart_friction)
        self.max_steps = max_steps
        self.n_observations = 6 if velocities else 3

    def initial(self, shape, rng):
        state = np.zeros((*tuple(shape), 6))
        state[..., 2] = START_ANGLE
        return state

    def observe(self, state):
        scaled = state / _SCALE
        return scaled if self.velocities else scaled[..., _WITHOUT_VELOCITIES]

    def step(self, state, outputs):
        decide = _compiled()
        if decide is None:
            return self.step_numpy(state, self.force(outputs))
        flat = state.reshape(-1, 6)
        if flat.dtype != np.float64 or not flat.flags.c_contiguous:
            flat = np.ascontiguousarray(flat, dtype=np.float64)
        first = outputs.reshape(-1, outputs.shape[-1])  # (the kernel reads column 0)
        if first.dtype != np.float64:
            first = first.astype(np.float64)
        out = np.empty_like(flat)
        failed = np.empty(len(flat), dtype=bool)
        decide(flat, first, self.cart_friction, out, failed)
        return out.reshape(state.shape), failed.reshape(state.shape[:-1])

    @staticmethod
    def force(outputs):
        """The force (...,) of the outputs (..., n_outputs): (output 0 clipped to [0, 1] -
        0.5) x 20 N; a NaN output gives a NaN force (and a failed episode)."""
        return (np.clip(outputs[..., 0], 0.0, 1.0) - 0.5) * 2 * FORCE

    def step_numpy(self, state, force):
        """:meth:`step` for the forces (...,) in numpy's vectorised form (the compiled
        decision's reference, and what runs where numba is missing)."""
        state = np.ascontiguousarray(np.moveaxis(state, -1, 0))  # (6, ...): a row per variable
        for _ in range(SUBSTEPS):
            state = self._rk4(force, state)
        # written as "not within the limits", so a state that is not a number fails too
        failed = ~(
            (np.abs(state[0]) <= X_LIMIT)
            & (np.abs(state[2]) <= ANGLE_LIMIT)
            & (np.abs(state[4]) <= ANGLE_LIMIT)
        )
        return np.moveaxis(state, 0, -1), failed

    def _derivatives(self, force, y):
        """NEAT's ``step``: d/dt of (x, x', th1, th1', th2, th2') at ``y`` (6, ...), both
        poles computed together as rows of (2, ...) arrays (fewer, larger numpy calls)."""
        if self.cart_friction:
            force = force - self.cart_friction * np.sign(y[1])
        angles, speeds = y[2::2], y[3::2]  # (2, ...): theta1, theta2 and their rates
        shape = (2,) + (1,) * (y.ndim - 1)
        m, ml, l = _MASS.reshape(shape), _MASS_LENGTH.reshape(shape), _LENGTH.reshape(shape)
        cos, sin = np.cos(angles), np.sin(angles)
        friction = MU_POLE * speeds / ml
        g_sin = GRAVITY * sin
        pull = ml * speeds * speeds * sin + 0.75 * m * cos * (friction + g_sin)
        mass = m * (1 - 0.75 * cos * cos)
        x_acc = (force + pull[0] + pull[1]) / (mass[0] + mass[1] + MASS_CART)
        th_acc = -0.75 * (x_acc * cos + g_sin + friction) / l
        out = np.empty_like(y)
        out[0], out[1], out[2::2], out[3::2] = y[1], x_acc, speeds, th_acc
        return out

    def _rk4(self, force, y):
        """One classic Runge-Kutta step of TAU (NEAT's ``rk4``)."""
        k1 = self._derivatives(force, y)
        k2 = self._derivatives(force, y + 0.5 * TAU * k1)
        k3 = self._derivatives(force, y + 0.5 * TAU * k2)
        k4 = self._derivatives(force, y + TAU * k3)
        return y + TAU / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

    def jiggle(self, state):
        """|x| + |x'| + |theta1| + |theta1'| (...,): what Gruau's fitness sums (raw)."""
        return np.abs(state[..., :4]).sum(axis=-1)

    @staticmethod
    def grid_starts() -> np.ndarray:
        """The 625 starts of NEAT's generalisation test (``pole2_epoch``): x, x', theta1 and
        theta1' each at the levels {-0.9, -0.5, 0, 0.5, 0.9} x (2.16 m, 1.35 m/s,
        0.06283 rad, 0.15010 rad/s), theta2 = theta2' = 0. (625, 6)."""
        levels = 2 * np.array([0.05, 0.25, 0.5, 0.75, 0.95]) - 1
        limits = np.array([2.16, 1.35, 0.06283, 0.15010])
        grid = np.stack(np.meshgrid(*(levels * lim for lim in limits), indexing="ij"), -1)
        starts = np.zeros((625, 6))
        starts[:, :4] = grid.reshape(-1, 4)
        return starts

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "velocities": self.velocities,
            "cart_friction": self.cart_friction,
            "max_steps": self.max_steps,
        }
