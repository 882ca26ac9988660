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
    # Budget(evaluations=3 * k) stops after exactly k epochs. The exact total is
    # _base + _units / _per: charges of whole rows over one denominator (a problem's
    # n_train, through charge_rows) add integers to _units, any other charge goes into the
    # Fraction _base (so the hot path of every mini-batch does no Fraction arithmetic)
    _base: Fraction = field(default=Fraction(0), repr=False, compare=False)
    _units: int = field(default=0, repr=False, compare=False)
    _per: int = field(default=1, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._base = Fraction(self.evaluations)

    @property
    def _evaluations(self) -> Fraction:
        """The exact number of evaluations charged so far."""
        return self._base + Fraction(self._units, self._per)

    def charge(self, *, samples: float, evaluations: float | Fraction, macs: float) -> None:
        """Add a cost. ``evaluations`` may be a Fraction (exact) or any real number."""
        self.samples += samples
        self._base += Fraction(evaluations)
        self.evaluations = float(self._evaluations)
        self.macs += macs

    def charge_rows(self, *, samples: float, units: int, per: int, macs: float) -> None:
        """Add a cost of exactly ``units / per`` evaluations (integers: rows evaluated and
        the rows of one full evaluation), as :meth:`charge` would, without Fractions while
        ``per`` stays the same."""
        self.samples += samples
        self.macs += macs
        if per != self._per:  # a new denominator: fold what was counted over the old one
            self._base += Fraction(self._units, self._per)
            self._units, self._per = 0, per
        self._units += units
        if self._base:
            self.evaluations = float(self._evaluations)
        else:  # int / int is correctly rounded, as float(Fraction) is
            self.evaluations = self._units / self._per

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

    def affordable_uniform(
        self, meter: Meter, *, count: int, samples: int, units: int, per: int, macs: float
    ) -> int:
        """:meth:`affordable` for ``count`` requests that all cost the same: ``samples``,
        exactly ``units / per`` evaluations and ``macs`` each. Far from every limit it
        answers from one float comparison; near one, exactly as :meth:`affordable` does."""
        if self._room(meter, count * samples, count * units / per, count * macs):
            return count
        return self.affordable(
            meter,
            samples=samples,
            evaluations=Fraction(units, per),
            macs=np.full(count, macs, dtype=np.float64),
        )

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
