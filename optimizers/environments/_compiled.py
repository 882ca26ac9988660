"""The double pole's decision step compiled with numba, where numba is installed.

One call advances n states by one decision (two RK4 steps) for the networks' outputs, a plain loop over the states
in machine code: the same equations, in the same order of operations, as
``DoublePole._derivatives`` and ``DoublePole._rk4`` (NEAT's ``step`` and ``rk4``). The
vectorised numpy form pays a fixed cost per array operation (about 200 of them a
decision), which dominates when few episodes are left running, as in the long tail of a
100,000-step success; compiled, a decision of one state costs well under a microsecond.

``decide`` is None where numba cannot be imported; the numpy form is then used.
"""

from __future__ import annotations

import math

try:  # numba is a dependency, but the numpy form keeps working without it
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

__all__ = ["decide"]


# (imported here, when the double pole first steps: that module is loaded by then)
from .double_pole import (  # noqa: E402
    ANGLE_LIMIT,
    FORCE,
    GRAVITY,
    LENGTH_1,
    LENGTH_2,
    MASS_1,
    MASS_2,
    MASS_CART,
    MU_POLE,
    SUBSTEPS,
    TAU,
    X_LIMIT,
)

ML1, ML2 = MASS_1 * LENGTH_1, MASS_2 * LENGTH_2


def _derivatives(force, friction, y0, y1, y2, y3, y4, y5):
    if friction != 0.0:
        sign = 1.0 if y1 > 0 else (-1.0 if y1 < 0 else 0.0)
        force = force - friction * sign
    cos1, sin1 = math.cos(y2), math.sin(y2)
    cos2, sin2 = math.cos(y4), math.sin(y4)
    fr1 = MU_POLE * y3 / ML1
    fr2 = MU_POLE * y5 / ML2
    gs1, gs2 = GRAVITY * sin1, GRAVITY * sin2
    pull1 = ML1 * y3 * y3 * sin1 + 0.75 * MASS_1 * cos1 * (fr1 + gs1)
    pull2 = ML2 * y5 * y5 * sin2 + 0.75 * MASS_2 * cos2 * (fr2 + gs2)
    mass1 = MASS_1 * (1 - 0.75 * cos1 * cos1)
    mass2 = MASS_2 * (1 - 0.75 * cos2 * cos2)
    x_acc = (force + pull1 + pull2) / (mass1 + mass2 + MASS_CART)
    a1 = -0.75 * (x_acc * cos1 + gs1 + fr1) / LENGTH_1
    a2 = -0.75 * (x_acc * cos2 + gs2 + fr2) / LENGTH_2
    return y1, x_acc, y3, a1, y5, a2


def _decide(state, outputs, friction, out, failed):
    h = 0.5 * TAU
    for i in range(state.shape[0]):
        o = outputs[i, 0]  # clipped to [0, 1] as np.clip does (NaN stays NaN)
        o = 0.0 if o < 0.0 else (1.0 if o > 1.0 else o)
        f = (o - 0.5) * 2 * FORCE
        y0, y1, y2, y3, y4, y5 = (state[i, 0], state[i, 1], state[i, 2], state[i, 3],
                                  state[i, 4], state[i, 5])  # fmt: skip
        for _ in range(SUBSTEPS):
            k1 = _derivatives(f, friction, y0, y1, y2, y3, y4, y5)
            k2 = _derivatives(f, friction, y0 + h * k1[0], y1 + h * k1[1], y2 + h * k1[2],
                             y3 + h * k1[3], y4 + h * k1[4], y5 + h * k1[5])  # fmt: skip
            k3 = _derivatives(f, friction, y0 + h * k2[0], y1 + h * k2[1], y2 + h * k2[2],
                             y3 + h * k2[3], y4 + h * k2[4], y5 + h * k2[5])  # fmt: skip
            k4 = _derivatives(f, friction, y0 + TAU * k3[0], y1 + TAU * k3[1],
                             y2 + TAU * k3[2], y3 + TAU * k3[3], y4 + TAU * k3[4],
                             y5 + TAU * k3[5])  # fmt: skip
            c = TAU / 6.0
            y0 = y0 + c * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0])
            y1 = y1 + c * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1])
            y2 = y2 + c * (k1[2] + 2.0 * k2[2] + 2.0 * k3[2] + k4[2])
            y3 = y3 + c * (k1[3] + 2.0 * k2[3] + 2.0 * k3[3] + k4[3])
            y4 = y4 + c * (k1[4] + 2.0 * k2[4] + 2.0 * k3[4] + k4[4])
            y5 = y5 + c * (k1[5] + 2.0 * k2[5] + 2.0 * k3[5] + k4[5])
        out[i, 0], out[i, 1], out[i, 2] = y0, y1, y2
        out[i, 3], out[i, 4], out[i, 5] = y3, y4, y5
        # "not within the limits": a state that is not a number fails too
        failed[i] = not (abs(y0) <= X_LIMIT and abs(y2) <= ANGLE_LIMIT and abs(y4) <= ANGLE_LIMIT)


# module-level functions of module-level constants only: numba caches them on disk
if numba is not None:
    _derivatives = numba.njit(cache=True, inline="always")(_derivatives)
    decide = numba.njit(cache=True)(_decide)
else:  # pragma: no cover
    decide = None
