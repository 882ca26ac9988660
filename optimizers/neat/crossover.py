"""Crossover aligned on innovation numbers (Stanley & Miikkulainen 2002, section 3.2).

Genes with the same innovation number in both parents (matching genes) are inherited from a
parent chosen at random per gene; disjoint and excess genes come from the fitter parent, so
the child has the fitter parent's structure (and stays acyclic). A matching gene disabled
in either parent is disabled in the child with probability ``disable_rate`` (0.75), else
enabled. Node genes are aligned the same way on node ids (bias and activation from a random
parent, for nodes of the same kind). All children of a generation are aligned together: each gene is keyed by (child,
innovation number) and looked up among the population's sorted keys.
"""

from __future__ import annotations

import numpy as np

from networks import Genomes, Graph, find_pairs

__all__ = ["crossover", "crossover_graphs"]


def crossover(
    pop: Genomes,
    fitter: np.ndarray,
    other: np.ndarray,
    rng: np.random.Generator,
    *,
    disable_rate: float = 0.75,
    into: Genomes | None = None,
    rows: np.ndarray | None = None,
) -> Genomes:
    """Children of parents ``fitter`` and ``other`` (indices into pop, (M,) each).

    Without ``into``, returns M new genomes. With ``into`` (writable Genomes whose genomes
    ``rows`` (M,) are copies of ``pop``'s genomes ``fitter``), aligns those in place and
    returns ``into``. Each child gene is looked up, as (other parent, innovation number),
    among pop's (genome, innovation number) keys, which canonical order keeps sorted.
    """
    fitter = np.asarray(fitter, dtype=np.int64)
    other = np.asarray(other, dtype=np.int64)
    if into is None:
        into, rows = pop.take(fitter), np.arange(len(fitter))
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return into
    mate = np.full(into.n, -1, dtype=np.int64)  # the other parent of each genome of into
    mate[rows] = other

    # connection genes
    c_mate = mate[into.conn_owner]
    c_sel = np.flatnonzero(c_mate >= 0)
    hit, oi = find_pairs(c_mate[c_sel], into.conn_innov[c_sel], pop.conn_owner, pop.conn_innov)
    ci = c_sel[hit]
    from_other = rng.random(len(ci)) < 0.5
    into.conn_weight[ci[from_other]] = pop.conn_weight[oi[from_other]]
    off_either = ~into.conn_enabled[ci] | ~pop.conn_enabled[oi]
    into.conn_enabled[ci] = ~(off_either & (rng.random(len(ci)) < disable_rate))

    # node genes (any order within a genome: sorted here)
    n_mate = mate[into.node_owner]
    n_sel = np.flatnonzero(n_mate >= 0)
    order = np.lexsort((pop.node_id, pop.node_owner))
    hit, pi = find_pairs(n_mate[n_sel], into.node_id[n_sel], pop.node_owner, pop.node_id, order)
    ni = n_sel[hit]
    same = into.node_kind[ni] == pop.node_kind[pi]  # (always, when ids come from one tracker)
    ni, pi = ni[same], pi[same]
    from_other = rng.random(len(ni)) < 0.5
    into.node_bias[ni[from_other]] = pop.node_bias[pi[from_other]]
    into.node_act[ni[from_other]] = pop.node_act[pi[from_other]]
    return into


def crossover_graphs(
    fitter: Graph, other: Graph, rng: np.random.Generator, *, disable_rate: float = 0.75
) -> Graph:
    """The child of two Graphs (``fitter`` the fitter parent); see :func:`crossover`."""
    pop = Genomes.from_graphs([fitter, other])
    return crossover(pop, [0], [1], rng, disable_rate=disable_rate).graph(0)
