"""Graph algorithms as pure functions over plain edge lists (node indices, not ids).

All of them are vectorised over edges: the only Python loop runs once per level of depth,
never per node or per edge, so they work as well on one genome as on the disjoint union of a
whole population.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CycleError", "levels", "reaches", "creates_cycle", "find_sorted"]


class CycleError(ValueError):
    """The connections form a cycle, so the graph is not feed-forward."""


def levels(
    n_nodes: int, src: np.ndarray, dst: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """Longest-path depth of every node: ``start`` (default 0) for nodes without incoming
    edges, else max(level of a source) + 1, and never below ``start``.

    src, dst: (n_edges,) node indices. Returns (n_nodes,) int64. Raises CycleError when the
    edges contain a cycle (a self-loop included).
    """
    level = np.zeros(n_nodes, dtype=np.int64) if start is None else start.astype(np.int64)
    if len(src) == 0:
        return level
    # Bellman-Ford for the longest path, all edges at once per pass. Levels only ever rise
    # (each is the length of some path), so an unchanged sum means a fixed point; a DAG
    # reaches it within n_nodes passes, a cycle (a self-loop included) never does.
    total = np.add.reduce(level)
    for _ in range(n_nodes + 2):
        candidate = level.take(src)
        candidate += 1
        np.maximum.at(level, dst, candidate)
        new_total = np.add.reduce(level)
        if new_total == total:
            return level
        total = new_total
    # only now tell the two kinds of cycle apart, which spares that test on the usual path
    if np.any(src == dst):
        raise CycleError("a connection goes from a node to itself")
    raise CycleError("the connections contain a cycle; a network must be feed-forward")


def reaches(targets: np.ndarray, n_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Boolean mask of the nodes from which some node in ``targets`` can be reached
    (targets included). The edges must be acyclic."""
    mask = np.zeros(n_nodes, dtype=bool)
    mask[targets] = True
    while True:
        grow = mask[dst] & ~mask[src]
        if not grow.any():
            return mask
        mask[src[grow]] = True


def creates_cycle(src: np.ndarray, dst: np.ndarray, new_src: int, new_dst: int) -> bool:
    """Whether adding the edge new_src -> new_dst to the acyclic edge list makes a cycle,
    i.e. whether new_src is reachable from new_dst (or they are the same node)."""
    if new_src == new_dst:
        return True
    n = int(max(src.max(initial=0), dst.max(initial=0), new_src, new_dst)) + 1
    seen = np.zeros(n, dtype=bool)
    seen[new_dst] = True
    while True:
        grow = seen[src] & ~seen[dst]
        if not grow.any():
            return bool(seen[new_src])
        seen[dst[grow]] = True
        if seen[new_src]:
            return True


def find_sorted(sorted_values: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each query stands in the sorted (non-empty) array, and whether it is there:
    (positions, found), both shaped like ``queries``; a position is only meaningful where
    found."""
    pos = sorted_values.searchsorted(queries)
    np.minimum(pos, len(sorted_values) - 1, out=pos)
    return pos, sorted_values[pos] == queries
