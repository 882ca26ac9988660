"""The three numbers a comparison of two optimizers rests on: Holm's adjusted p values, the
Vargha-Delaney A effect size, and the smallest p a rank test can give at all.

- Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
  Journal of Statistics* 6(2), 65-70.
- Vargha, A. & Delaney, H. D. (2000). A critique and improvement of the CL common language
  effect size statistics of McGraw and Wong. *Journal of Educational and Behavioral
  Statistics* 25(2), 101-132.
- The exact null distributions of the Mann-Whitney U and the Wilcoxon signed-rank
  statistics (e.g. Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods*, 2014):
  the most extreme outcome has probability 1 / C(n1 + n2, n1) and 1 / 2^n respectively.
"""

from __future__ import annotations

import math

import numpy as np

from ._frames import finite

__all__ = ["holm", "a12", "smallest_p"]


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p values of ``pvalues`` (any shape; same shape back).

    Over the m non-NaN p values sorted ascending, p_(i) becomes
    max_{j <= i} min(1, (m - j + 1) p_(j)): monotone in the raw p, never above 1. A
    hypothesis is rejected at level alpha when its adjusted p is < alpha, which controls
    the family-wise error rate (Holm 1979). NaN entries stay NaN and do not count in m.
    """
    p = np.asarray(pvalues, dtype=float)
    flat = p.ravel()
    ok = ~np.isnan(flat)
    q = flat[ok]
    if np.any((q < 0) | (q > 1)):
        raise ValueError(f"p values must lie in [0, 1], got {q[(q < 0) | (q > 1)][0]}")
    m = len(q)
    out = np.full(flat.shape, np.nan)
    if m:
        order = np.argsort(q, kind="stable")
        scaled = (m - np.arange(m)) * q[order]
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
        out[ok] = adjusted
    return out.reshape(p.shape)


def a12(x, y, maximize: bool = True) -> float:
    """Vargha & Delaney's A: the probability that a run drawn from ``x`` is better than one
    drawn from ``y``, ties counting half: (#{x_i better than y_j} + 0.5 #{x_i = y_j}) /
    (n1 n2), "better" meaning larger when ``maximize`` and smaller otherwise. Equals the
    Mann-Whitney U of ``x`` divided by n1 n2. 0.5 means no effect; Vargha & Delaney call
    |A - 0.5| >= 0.06, 0.14, 0.21 small, medium, large. NaN when either side has no finite
    value (non-finite entries are dropped).
    """
    xs, ys = finite(x), np.sort(finite(y))
    if len(xs) == 0 or len(ys) == 0:
        return math.nan
    below = np.searchsorted(ys, xs, side="left")  # y_j < x_i
    upto = np.searchsorted(ys, xs, side="right")  # y_j <= x_i
    ties = float(np.sum(upto - below))
    wins = float(np.sum(below)) if maximize else float(np.sum(len(ys) - upto))
    return (wins + 0.5 * ties) / (len(xs) * len(ys))


def _count(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{name} must be a non-negative integer (a number of runs), got {n!r}")
    return int(n)


def smallest_p(n1: int, n2: int | None = None, *, paired: bool = False) -> float:
    """The smallest two-sided p value the rank test can give with these sample sizes.

    Unpaired (Mann-Whitney U, exact): 2 / C(n1 + n2, n1), reached when the two samples do
    not overlap; ``n2`` defaults to ``n1``. Paired (Wilcoxon signed-rank, exact): 2 / 2^n
    with n = ``n1`` pairs, reached when every difference has the same sign (``n2``, if
    given, must equal ``n1``). Capped at 1. If this is not below alpha (times the Holm
    factor of the family), no outcome of the experiment can be significant: 5 paired
    repetitions give 0.0625, 5 against 5 unpaired give 0.0079.
    """
    n1 = _count(n1, "n1")
    if paired:
        if n2 is not None and _count(n2, "n2") != n1:
            raise ValueError(f"paired samples have one size: got n1 = {n1} and n2 = {n2}")
        return min(1.0, 2.0 ** (1 - n1))
    n2 = n1 if n2 is None else _count(n2, "n2")
    return min(1.0, 2.0 / math.comb(n1 + n2, n1))
