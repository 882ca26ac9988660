"""What compute costs: the meter every evaluation goes through, and budgets over it.

Units:
- ``samples``: sample evaluations, one network on one input row; a backward pass costs two
  (so a gradient over n rows costs 3n).
- ``evaluations``: network evaluations as NEAT papers count them, one individual evaluated
  on the training data; a forward+backward pass over a fraction f of the training rows
  counts 3f (a full-batch gradient is three evaluations' worth of work).
- ``macs``: multiply-accumulates, enabled connections x samples (backward twice forward).
- ``seconds``: wall-clock seconds since the run started (optimizer overhead included).
- ``steps``: epochs or generations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from fractions import Fraction

import numpy as np

__all__ = ["Meter", "Budget", "UNITS", "COUNTED"]

UNITS = ("samples", "evaluations", "macs", "seconds", "steps")
COUNTED = ("samples", "evaluations", "macs")  # the units a request is cut to fit


@dataclass
class Meter:
    """Running totals of compute spent (see the module docstring for the units)."""

    samples: float = 0.0
    evaluations: float = 0.0
    macs: float = 0.0
    seconds: float = 0.0
    steps: int = 0
    # set when a request was cut to fit the budget: the run has spent what it may
    exhausted: bool = field(default=False, compare=False)
    # evaluations are summed exactly (charges are fractions of the training set, e.g.
    # 3 * 64 / 1257 per batch), so a full epoch of mini-batches counts exactly 3 and a
    # Budget(evaluations=3 * k) stops after exactly k epochs
    _evaluations: Fraction = field(default=Fraction(0), repr=False, compare=False)

    def __post_init__(self) -> None:
        self._evaluations = Fraction(self.evaluations)

    def charge(self, *, samples: float, evaluations: float | Fraction, macs: float) -> None:
        """Add a cost. ``evaluations`` may be a Fraction (exact) or any real number."""
        self.samples += samples
        self._evaluations += Fraction(evaluations)
        self.evaluations = float(self._evaluations)
        self.macs += macs

    def as_dict(self) -> dict:
        return {unit: getattr(self, unit) for unit in UNITS}


@dataclass(frozen=True, kw_only=True)
class Budget:
    """A limit in any of the meter's units; the run stops when any one is reached.

    Example: ``Budget(evaluations=10_000)`` or ``Budget(steps=50, seconds=60)``.
    """

    samples: float | None = None
    evaluations: float | None = None
    macs: float | None = None
    seconds: float | None = None
    steps: int | None = None

    def __post_init__(self) -> None:
        set_any = False
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            set_any = True
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, float, np.integer, np.floating))
                or not math.isfinite(v)
                or v <= 0
            ):
                raise ValueError(f"Budget.{f.name} must be a positive finite number, got {v!r}")
            if f.name == "steps" and v != int(v):
                raise ValueError(f"Budget.steps must be a whole number of steps, got {v!r}")
        if not set_any:
            raise ValueError(f"a Budget needs at least one limit: one of {', '.join(UNITS)}")

    def limits(self) -> dict:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    def spent(self, meter: Meter) -> bool:
        """Whether any limit has been reached (or a request was cut to fit one)."""
        return meter.exhausted or any(
            getattr(meter, unit) >= limit for unit, limit in self.limits().items()
        )

    def affordable(
        self, meter: Meter, *, samples: int, evaluations: Fraction, macs: np.ndarray
    ) -> int:
        """How many of P equal-sized requests fit what is left, in order: each costs
        ``samples`` and ``evaluations`` (exact), and request p costs ``macs[p]`` (P,)."""
        k = len(macs)
        if self._room(meter, k * samples, k * float(evaluations), float(np.sum(macs))):
            return k  # everything fits with room to spare: no exact arithmetic needed
        if self.samples is not None and samples > 0:
            k = min(k, int((self.samples - meter.samples) // samples))
        if self.evaluations is not None and evaluations > 0:
            left = Fraction(self.evaluations) - meter._evaluations
            k = min(k, math.floor(left / Fraction(evaluations)))
        if self.macs is not None and k > 0:
            k = min(k, int(np.searchsorted(np.cumsum(macs[:k]), self.macs - meter.macs, "right")))
        return max(k, 0)

    def _room(self, meter: Meter, samples: float, evaluations: float, macs: float) -> bool:
        """Whether a request of this size fits with a margin no rounding can cross."""
        margin = 1 - 1e-9
        return (
            (self.samples is None or meter.samples + samples < self.samples * margin)
            and (
                self.evaluations is None
                or meter.evaluations + evaluations < self.evaluations * margin
            )
            and (self.macs is None or meter.macs + macs < self.macs * margin)
        )

    def fraction(self, meter: Meter) -> float:
        """The largest fraction of any limit spent so far (for progress bars)."""
        return max(getattr(meter, unit) / limit for unit, limit in self.limits().items())
