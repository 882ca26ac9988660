"""Speciation and offspring allotment (Stanley & Miikkulainen 2002, section 3.3).

- :func:`distances`: the compatibility distance d = c1 E / N + c2 D / N + c3 W of every genome
  of one set against every genome of another, E and D counting excess and disjoint
  connection genes, W the mean absolute weight difference of matching genes (0 when none
  match), N the number of genes of the larger genome (1 when both have fewer than
  ``normalize_min_genes``). Symmetric and zero from a genome to itself.
- :func:`speciate`: each genome joins the first species whose representative is within the
  threshold, else founds a new species.
- :func:`shared_fitness`, :func:`allot`: explicit fitness sharing and offspring counts.
"""

from __future__ import annotations

import numpy as np

from networks import Genomes, find_sorted

__all__ = ["distances", "speciate", "shared_fitness", "allot"]

_CHUNK = 1 << 22  # elements of one (b genomes x a genes) block in distances
_FULL_MATRIX = 64  # speciate: at most this many unplaced genomes compared all at once


def _top(g: Genomes) -> np.ndarray:
    """Each genome's highest innovation number (connections in canonical order); genomes
    without connections get the lowest int64, below everything."""
    top = np.full(g.n, np.iinfo(np.int64).min, dtype=np.int64)
    has = g.n_conn > 0
    top[has] = g.conn_innov[g.conn_off[1:][has] - 1]
    return top


def _above(g: Genomes, tops: np.ndarray) -> np.ndarray:
    """(g.n, len(tops)): how many connection genes of each genome have an innovation
    number above each of ``tops``. Each gene is placed among the sorted tops, its genome's
    histogram of places summed from the top down."""
    order = np.argsort(tops, kind="stable")
    k = len(tops) + 1
    place = np.searchsorted(tops[order], g.conn_innov)  # how many tops lie below the gene
    hist = np.bincount(g.conn_owner * k + place, minlength=g.n * k).reshape(g.n, k)
    above = np.cumsum(hist[:, :0:-1], axis=1)[:, ::-1]  # above[:, j] = hist[:, j + 1:].sum()
    out = np.empty_like(above)
    out[:, order] = above
    return out


def distances(
    a: Genomes, b: Genomes, *, c1=1.0, c2=1.0, c3=0.4, normalize_min_genes: int = 20
) -> np.ndarray:
    """Compatibility distance of every genome of ``a`` to every genome of ``b``:
    (a.n, b.n). See the module docstring.

    ``b`` (usually the few representatives) becomes a dense (U, b.n) table over its own U
    innovation numbers, in which every gene of ``a`` is looked up; excess genes are counted
    from where each gene falls among the other set's highest innovation numbers. Weight
    differences are added in innovation order (the canonical gene order), so d(x, y) and
    d(y, x) are bitwise equal.
    """
    na, nb = a.n_conn, b.n_conn
    above_a = _above(a, _top(b))  # excess genes of a (above b's highest innovation)
    above_b = _above(b, _top(a)).T
    uniq = np.unique(b.conn_innov)
    U = len(uniq)
    match = np.zeros((a.n, b.n))
    wsum = np.zeros((a.n, b.n))
    if U:
        col = np.searchsorted(uniq, b.conn_innov)
        present = np.zeros((U, b.n))
        present[col, b.conn_owner] = 1.0
        weight = np.zeros((U, b.n))
        weight[col, b.conn_owner] = b.conn_weight
        col, found = find_sorted(uniq, a.conn_innov)
        hit = np.flatnonzero(found)
        col, w, owner = col[hit], a.conn_weight[hit], a.conn_owner[hit]
        if len(hit):
            # a's looked-up genes are grouped by genome. Weight differences are summed one
            # by one in gene (innovation) order with bincount: a pairwise sum would group
            # the terms by where the zeros of non-matching genes fall, which differs
            # between d(x, y) and d(y, x)
            rows = np.flatnonzero(np.bincount(owner, minlength=a.n))
            starts = np.searchsorted(owner, rows)
            step = max(1, _CHUNK // len(hit))
            for j0 in range(0, b.n, step):
                j1 = min(b.n, j0 + step)
                pres = present[col, j0:j1]
                diff = weight[col, j0:j1]
                diff -= w[:, None]
                np.abs(diff, out=diff)
                diff *= pres
                width = j1 - j0
                flat = (owner * width)[:, None] + np.arange(width)
                m = np.add.reduceat(pres, starts, axis=0)
                d = np.bincount(flat.ravel(), diff.ravel(), a.n * width).reshape(a.n, width)
                match[rows, j0:j1] = m
                wsum[:, j0:j1] = d
    excess = above_a + above_b
    disjoint = (na[:, None] - match - above_a) + (nb[None, :] - match - above_b)
    mean_w = np.divide(wsum, match, out=np.zeros_like(wsum), where=match > 0)
    size = np.maximum(na[:, None], nb[None, :]).astype(np.float64)
    size = np.where(size < normalize_min_genes, 1.0, np.maximum(size, 1.0))
    return c1 * excess / size + c2 * disjoint / size + c3 * mean_w


def speciate(
    genomes: Genomes, reps: Genomes | None, threshold: float, **dist
) -> tuple[np.ndarray, np.ndarray]:
    """Species of each genome: the first representative within ``threshold`` (labels
    0..reps.n-1), else a new species (labels reps.n, reps.n + 1, ...) founded by the first
    genome left, which every later genome within the threshold of it joins.

    Returns labels (n,) and the founders (n_new,) of the new species, in label order.
    """
    labels = np.full(genomes.n, -1, dtype=np.int64)
    n_old = 0
    if reps is not None and reps.n:
        n_old = reps.n
        within = distances(genomes, reps, **dist) < threshold
        has = within.any(axis=1)
        labels[has] = np.argmax(within[has], axis=1)
    founders: list[int] = []
    rest = np.flatnonzero(labels < 0)
    if len(rest) == 1:
        labels[rest] = n_old
        founders.append(int(rest[0]))
    elif 1 < len(rest) <= _FULL_MATRIX:  # few left (the usual case): one distance matrix
        left_over = genomes.take(rest)
        near = distances(left_over, left_over, **dist) < threshold
        left = np.ones(len(rest), dtype=bool)
        for i in range(len(rest)):
            if left[i]:
                joined = left & near[i]
                joined[i] = True
                labels[rest[joined]] = n_old + len(founders)
                founders.append(int(rest[i]))
                left &= ~joined
    while len(rest) and (labels[rest] < 0).any():  # many: one founder at a time
        rest = rest[labels[rest] < 0]
        u = int(rest[0])
        joined = distances(genomes.take(rest), genomes.take([u]), **dist)[:, 0] < threshold
        joined[0] = True
        labels[rest[joined]] = n_old + len(founders)
        founders.append(u)
    return labels, np.array(founders, dtype=np.int64)


def shared_fitness(fitness: np.ndarray, how: str = "min") -> np.ndarray:
    """Non-negative fitness for sharing from higher-is-better fitness (-inf: failed).

    ``"min"``: fitness minus the lowest finite fitness (failed: 0); ``"rank"``: the rank,
    0 for the worst (failed ones share rank 0).
    """
    fitness = np.asarray(fitness, dtype=np.float64)
    ok = np.isfinite(fitness)
    out = np.zeros(len(fitness))
    if not ok.any():
        return out
    if how == "min":
        out[ok] = fitness[ok] - fitness[ok].min()
    elif how == "rank":
        order = np.argsort(np.where(ok, fitness, -np.inf), kind="stable")
        out[order] = np.arange(len(fitness), dtype=np.float64)
        out[~ok] = 0.0
    else:
        raise ValueError(f"fitness_shift must be 'min' or 'rank', got {how!r}")
    return out


def allot(share: np.ndarray, total: int) -> np.ndarray:
    """Integer offspring counts proportional to ``share`` (S,) >= 0 summing to ``total``
    (largest remainders; ties to the lower index). All-zero shares split evenly."""
    share = np.asarray(share, dtype=np.float64)
    if not (share.sum() > 0) or not np.isfinite(share.sum()):
        share = np.ones(len(share))
    exact = share / share.sum() * total
    counts = np.floor(exact).astype(np.int64)
    left = total - int(counts.sum())
    if left > 0:
        order = np.lexsort((np.arange(len(share)), -(exact - counts)))
        counts[order[:left]] += 1
    return counts
