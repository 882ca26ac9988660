"""A population of Graphs as one struct of arrays: many Graphs' arrays concatenated.

Genome k's nodes are ``node_*[node_off[k]:node_off[k + 1]]`` and its connections
``conn_*[conn_off[k]:conn_off[k + 1]]`` (the fields of :data:`networks.graph.FIELD_DTYPES`).
Evolution works on these flat arrays for the whole population at once (a gather builds the
children, a keyed search aligns crossover); a genome becomes a :class:`networks.Graph` only
when asked for, and the whole population compiles for evaluation straight from the arrays
(:meth:`Genomes.batch`).

Canonical order: within each genome, connections are sorted by innovation number (nodes keep
their order, which fixes the order of inputs and outputs; new nodes are appended).
:meth:`Genomes.from_graphs` sorts, :meth:`Genomes.insert` keeps the order and every other
operation preserves it, so aligning connection genes (crossover, compatibility distance)
needs no sorting.

The segment helpers work on any arrays split into consecutive segments by offsets
(n_segments + 1,): :func:`segment_offsets`, :func:`segment_gather`, :func:`find_pairs`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from .graph import CONN_FIELDS, FIELD_DTYPES, NODE_FIELDS, Graph
from .graph_algorithms import find_sorted
from .population import PopulationBatch

__all__ = ["Genomes", "GenomeViews", "segment_offsets", "segment_gather", "find_pairs"]


def segment_offsets(counts: np.ndarray) -> np.ndarray:
    """Offsets (n + 1,) of consecutive segments of the given lengths (n,)."""
    off = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    return off


def segment_gather(off: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the elements of segments ``idx`` (in that order) and the new offsets."""
    starts = off[idx]
    lengths = off[idx + 1] - starts
    new_off = segment_offsets(lengths)
    pos = np.repeat(starts - new_off[:-1], lengths)
    pos += np.arange(len(pos))
    return pos, new_off


def find_pairs(want_owner, want_key, owner, key, order=None) -> tuple[np.ndarray, np.ndarray]:
    """Which (want_owner, want_key) pairs occur among (owner, key): (positions in want,
    positions in owner/key). (owner, key) must be sorted, or ``order`` sort them."""
    if not len(key) or not len(want_key):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo = min(int(key.min()), int(want_key.min()))
    span = max(int(key.max()), int(want_key.max())) - lo + 1
    k = owner * span + (key - lo)
    q = want_owner * span + (want_key - lo)
    pos, found = find_sorted(k if order is None else k[order], q)
    if order is not None:
        pos = order[pos]
    hit = np.flatnonzero(found)
    return hit, pos[hit]


@dataclasses.dataclass(eq=False)
class Genomes:
    """Genomes as concatenated Graph arrays with offsets; see the module docstring."""

    node_off: np.ndarray
    node_id: np.ndarray
    node_kind: np.ndarray
    node_act: np.ndarray
    node_bias: np.ndarray
    conn_off: np.ndarray
    conn_src: np.ndarray
    conn_dst: np.ndarray
    conn_weight: np.ndarray
    conn_enabled: np.ndarray
    conn_innov: np.ndarray
    conn_recurrent: np.ndarray

    @property
    def n(self) -> int:
        return len(self.node_off) - 1

    # the offsets are never changed in place, so what derives from them is cached
    @functools.cached_property
    def node_owner(self) -> np.ndarray:
        """(n_nodes,) the genome of each node."""
        return np.repeat(np.arange(self.n), self.node_off[1:] - self.node_off[:-1])

    @functools.cached_property
    def conn_owner(self) -> np.ndarray:
        """(n_connections,) the genome of each connection."""
        return np.repeat(np.arange(self.n), self.conn_off[1:] - self.conn_off[:-1])

    @functools.cached_property
    def n_conn(self) -> np.ndarray:
        """(n,) connection genes of each genome."""
        return self.conn_off[1:] - self.conn_off[:-1]

    @classmethod
    def from_graphs(cls, graphs) -> Genomes:
        """Genomes from Graphs (genes put in canonical order)."""
        graphs = list(graphs)
        if not graphs:
            raise ValueError("Genomes needs at least one Graph")
        arrays = {
            name: np.concatenate([getattr(g, name) for g in graphs]).astype(FIELD_DTYPES[name])
            for name in NODE_FIELDS + CONN_FIELDS
        }
        node_off = segment_offsets([g.n_nodes for g in graphs])
        conn_off = segment_offsets([g.n_connections for g in graphs])
        g = cls(node_off=node_off, conn_off=conn_off, **arrays)
        conn_order = np.lexsort((g.conn_innov, g.conn_owner))
        for name in CONN_FIELDS:
            setattr(g, name, getattr(g, name)[conn_order])
        return g

    def take(self, idx) -> Genomes:
        """Genomes ``idx`` (repeats allowed), as fresh arrays."""
        idx = np.asarray(idx, dtype=np.int64)
        npos, node_off = segment_gather(self.node_off, idx)
        cpos, conn_off = segment_gather(self.conn_off, idx)
        return Genomes(
            node_off=node_off,
            conn_off=conn_off,
            **{name: getattr(self, name)[npos] for name in NODE_FIELDS},
            **{name: getattr(self, name)[cpos] for name in CONN_FIELDS},
        )

    def graphs(self) -> GenomeViews:
        """Every genome as a Graph, each made when first asked for (a generation usually
        needs only its best). The arrays become read-only from here on, so no Graph can
        be made from a genome that changed after this call."""
        for name in NODE_FIELDS + CONN_FIELDS:
            getattr(self, name).flags.writeable = False
        return GenomeViews(self)

    def batch(self, dtype):
        """The whole population compiled for evaluation in one call: a PopulationBatch,
        or a :class:`networks.RecurrentBatch` when any genome has an enabled recurrent
        connection."""
        if (self.conn_recurrent & self.conn_enabled).any():
            from .recurrent import RecurrentBatch

            arrays = {name: getattr(self, name) for name in NODE_FIELDS + CONN_FIELDS}
            return RecurrentBatch(self.node_off, self.conn_off, arrays, dtype=dtype)
        return PopulationBatch.from_arrays(
            np.diff(self.node_off),
            self.n_conn,
            {name: getattr(self, name) for name in NODE_FIELDS + CONN_FIELDS},
            dtype=dtype,
        )

    def graph(self, k: int) -> Graph:
        """Genome k as a Graph (its arrays copied)."""
        a, b = int(self.node_off[k]), int(self.node_off[k + 1])
        c, d = int(self.conn_off[k]), int(self.conn_off[k + 1])
        return Graph.unchecked(
            **{name: getattr(self, name)[a:b] for name in NODE_FIELDS},
            **{name: getattr(self, name)[c:d] for name in CONN_FIELDS},
        )

    def insert(
        self,
        nodes: dict[str, np.ndarray],
        node_owner: np.ndarray,
        conns: dict[str, np.ndarray],
        conn_owner: np.ndarray,
    ) -> Genomes:
        """These genomes with extra nodes and connections (``node_owner``, ``conn_owner``:
        the genome each goes to): nodes after their genome's nodes, connections in canonical
        order."""
        out = {}
        for fields, key, extra, owner, off_name, cur_owner in (
            (NODE_FIELDS, None, nodes, node_owner, "node_off", self.node_owner),
            (CONN_FIELDS, "conn_innov", conns, conn_owner, "conn_off", self.conn_owner),
        ):
            if len(owner) == 0:
                out[off_name] = getattr(self, off_name)
                out.update({name: getattr(self, name) for name in fields})
                continue
            merged = {
                name: np.concatenate(
                    [getattr(self, name), np.asarray(extra[name], FIELD_DTYPES[name])]
                )
                for name in fields
            }
            owners = np.concatenate([cur_owner, owner])
            if key is None:
                order = np.argsort(owners, kind="stable")
            else:
                k = merged[key]
                lo = int(k.min())
                span = int(k.max()) - lo + 1
                order = np.argsort(owners * span + (k - lo), kind="stable")
            out.update({name: merged[name][order] for name in fields})
            counts = np.bincount(owner, minlength=self.n)
            out[off_name] = getattr(self, off_name) + segment_offsets(counts)
        return Genomes(**out)

    def select(self, node_keep: np.ndarray, conn_keep: np.ndarray) -> Genomes:
        """These genomes without the nodes and connections whose keep mask is false."""
        node_off = segment_offsets(np.bincount(self.node_owner[node_keep], minlength=self.n))
        conn_off = segment_offsets(np.bincount(self.conn_owner[conn_keep], minlength=self.n))
        return Genomes(
            node_off=node_off,
            conn_off=conn_off,
            **{name: getattr(self, name)[node_keep] for name in NODE_FIELDS},
            **{name: getattr(self, name)[conn_keep] for name in CONN_FIELDS},
        )


class GenomeViews(Sequence):
    """The genomes of a :class:`Genomes` as a sequence of Graphs, each made on first use."""

    def __init__(self, genomes: Genomes) -> None:
        self._genomes = genomes
        self._cache: dict[int, Graph] = {}

    def __len__(self) -> int:
        return self._genomes.n

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        k = int(k)
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        if k not in self._cache:
            self._cache[k] = self._genomes.graph(k)
        return self._cache[k]
