"""NEAT's mutations, each applied to the chosen genomes of a whole population at once.

Every function takes :class:`Genomes`, a boolean mask ``chosen`` (n_genomes,) saying which
genomes it mutates, and ``rng``. Parameter mutations (weights, biases, re-enabling,
activations) change writable Genomes in place; structural ones return new Genomes and leave
their input as it was.
Per-gene and per-node work is vectorised over the population, and so is the search for new
connections that keep a genome acyclic; the only Python loop is over the few new genes, for
their innovation numbers.

Stanley & Miikkulainen 2002, section 3.1: add node splits an enabled connection, the old one
is disabled, the incoming new connection gets weight 1 and the outgoing one the old weight;
add connection joins two unconnected nodes with a random weight (here: never making a
cycle of feed-forward connections, disabled ones included, so re-enabling is always safe).
With ``recurrent``, a new connection may also be recurrent (it carries its source's
previous value): a pair that a feed-forward connection cannot join (one closing a cycle, a
self-loop, or one leaving an output) is joined by a recurrent one. Splitting a recurrent
connection gives a recurrent incoming one and a feed-forward outgoing one (the same delay;
the source may be an output, and the new node adds no feed-forward path into anything).
"""

from __future__ import annotations

import copy

import numpy as np

from networks import (
    HIDDEN,
    INPUT,
    NODE_FIELDS,
    OUTPUT,
    Genomes,
    find_pairs,
    levels,
    segment_gather,
    segment_offsets,
)

from .innovation import InnovationTracker

__all__ = [
    "perturb",
    "mutate_weights",
    "mutate_biases",
    "reenable",
    "mutate_activations",
    "add_nodes",
    "add_connections",
    "grow",
    "new_connections",
    "delete_connections",
    "delete_nodes",
]

_CLOSURE_MAX_NODES = 128  # above this, new connections must not go down a level


def pick_in_segments(
    mask: np.ndarray, owner: np.ndarray, n_segments: int, want: np.ndarray, rng
) -> np.ndarray:
    """For each segment k with ``want[k]``, the index of a uniformly chosen element with
    ``mask`` true in segment k (-1 where there is none). owner: (n,) segment of each element,
    non-decreasing. Returns (n_segments,) int64. (The random picking behind the mutations;
    the segment helpers without randomness are in networks.genomes.)"""
    cand = np.flatnonzero(mask & want[owner])
    counts = np.bincount(owner[cand], minlength=n_segments)
    starts = segment_offsets(counts)[:-1]
    u = rng.random(n_segments)
    out = np.full(n_segments, -1, dtype=np.int64)
    ok = want & (counts > 0)
    out[ok] = cand[starts[ok] + (u[ok] * counts[ok]).astype(np.int64)]
    return out


def perturb(values, sel, rng, *, replace_rate: float, power: float, init_std: float, limit: float):
    """In place: each of values[sel] is replaced by N(0, init_std) with probability
    replace_rate, else perturbed by N(0, power); then clipped to [-limit, limit]."""
    idx = np.flatnonzero(sel)
    if not len(idx):
        return values
    r = rng.random(len(idx))
    noise = rng.standard_normal(len(idx))
    repl = r < replace_rate
    new = np.where(repl, noise * init_std, values[idx] + noise * power)
    values[idx] = np.clip(new, -limit, limit)
    return values


def mutate_weights(g: Genomes, chosen, rng, *, replace_rate, power, init_std, limit) -> None:
    """Perturb (or replace) every connection weight of the chosen genomes, in place."""
    perturb(
        g.conn_weight,
        chosen[g.conn_owner],
        rng,
        replace_rate=replace_rate,
        power=power,
        init_std=init_std,
        limit=limit,
    )


def mutate_biases(g: Genomes, chosen, rng, *, replace_rate, power, init_std, limit) -> None:
    """Perturb (or replace) the bias of every non-input node of the chosen genomes."""
    perturb(
        g.node_bias,
        chosen[g.node_owner] & (g.node_kind != INPUT),
        rng,
        replace_rate=replace_rate,
        power=power,
        init_std=init_std,
        limit=limit,
    )


def reenable(g: Genomes, chosen, rng) -> None:
    """Enable one random disabled connection of each chosen genome (if it has one)."""
    pick = pick_in_segments(~g.conn_enabled, g.conn_owner, g.n, chosen, rng)
    g.conn_enabled[pick[pick >= 0]] = True


def mutate_activations(g: Genomes, chosen, rng, codes: np.ndarray) -> None:
    """Give one random hidden node of each chosen genome an activation drawn from codes
    (outputs keep theirs: they define what the problem reads)."""
    pick = pick_in_segments(g.node_kind == HIDDEN, g.node_owner, g.n, chosen, rng)
    pick = pick[pick >= 0]
    g.node_act[pick] = codes[rng.integers(len(codes), size=len(pick))]


def _no_nodes() -> dict:
    return {name: np.zeros(0) for name in NODE_FIELDS}


def _split_genes(g: Genomes, chosen, rng, tracker: InnovationTracker, activation: int):
    """Splitting one random enabled connection of each chosen genome: (g with the split
    connections disabled (a copy), new nodes, their owners, new conns, their owners)."""
    pick = pick_in_segments(g.conn_enabled, g.conn_owner, g.n, chosen, rng)
    owners = np.flatnonzero(pick >= 0)
    split = pick[owners]
    if len(split):
        g = copy.copy(g)  # keeps the cached owner arrays
        g.conn_enabled = g.conn_enabled.copy()
        g.conn_enabled[split] = False
    found = np.array([tracker.split(i) for i in g.conn_innov[split].tolist()], dtype=np.int64)
    new_id, in_innov, out_innov = found.reshape(-1, 3).T
    k = len(owners)
    nodes = dict(
        node_id=new_id,
        node_kind=np.full(k, HIDDEN),
        node_act=np.full(k, activation),
        node_bias=np.zeros(k),
    )
    conns = dict(
        conn_src=np.concatenate([g.conn_src[split], new_id]),
        conn_dst=np.concatenate([new_id, g.conn_dst[split]]),
        conn_weight=np.concatenate([np.ones(k), g.conn_weight[split]]),
        conn_enabled=np.ones(2 * k, dtype=bool),
        conn_innov=np.concatenate([in_innov, out_innov]),
        conn_recurrent=np.concatenate([g.conn_recurrent[split], np.zeros(k, dtype=bool)]),
    )
    return g, nodes, owners, conns, np.concatenate([owners, owners])


def new_connections(
    g: Genomes, chosen, rng, recurrent: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each chosen genome, a uniformly drawn pair of its nodes (source: input or hidden,
    target: hidden or output) that is not yet connected, enabled or not, and whose
    connection keeps the genome's feed-forward connections acyclic; with ``recurrent``,
    also any other unconnected pair (source: hidden or output), to be joined by a recurrent
    connection. Returns (genomes, sources, targets, recurrent flags) for the chosen genomes
    that have such a pair.

    All chosen genomes are handled together as (m, n, n) adjacency tensors: the transitive
    closure (of the feed-forward connections) by repeated squaring rules out every pair
    whose target already reaches its source. When a chosen genome has more than 128 nodes,
    longest-path levels are used instead (a connection that never goes down a level is
    safe): as safe, but some backward pairs are left out (or made recurrent).
    """
    ks = np.flatnonzero(chosen)
    if not len(ks):
        return ks, ks, ks, np.zeros(0, dtype=bool)
    m = len(ks)
    npos, noff = segment_gather(g.node_off, ks)
    cpos, coff = segment_gather(g.conn_off, ks)
    nown = np.repeat(np.arange(m), noff[1:] - noff[:-1])
    cown = np.repeat(np.arange(m), coff[1:] - coff[:-1])
    node_id, kind = g.node_id[npos], g.node_kind[npos]
    local = np.arange(len(npos)) - noff[nown]
    n = int((noff[1:] - noff[:-1]).max())
    order = np.lexsort((node_id, nown))
    s = local[find_pairs(cown, g.conn_src[cpos], nown, node_id, order)[1]]
    d = local[find_pairs(cown, g.conn_dst[cpos], nown, node_id, order)[1]]
    taken = np.zeros((m, n, n), dtype=bool)  # every pair already joined, recurrent or not
    taken[cown, s, d] = True
    ff = ~g.conn_recurrent[cpos]
    adj = np.zeros((m, n, n), dtype=bool)  # the feed-forward connections
    adj[cown[ff], s[ff], d[ff]] = True
    src_ok = np.zeros((m, n), dtype=bool)
    src_ok[nown, local] = kind != OUTPUT
    dst_ok = np.zeros((m, n), dtype=bool)
    dst_ok[nown, local] = kind != INPUT
    ok = src_ok[:, :, None] & dst_ok[:, None, :] & ~taken
    ok.reshape(m, n * n)[:, :: n + 1] = False  # no feed-forward self-loops
    if n <= _CLOSURE_MAX_NODES:
        reach = adj  # reach[k, i, j]: a path i -> j; squaring doubles the lengths covered
        count = np.count_nonzero(reach)
        while True:
            f = reach.astype(np.float32)
            reach = reach | (f @ f > 0)
            count, before = np.count_nonzero(reach), count
            if count == before:
                break
        ok &= ~reach.transpose(0, 2, 1)
    else:
        lv = np.zeros((m, n), dtype=np.int64)
        lv[nown, local] = levels(len(nown), (noff[cown] + s)[ff], (noff[cown] + d)[ff])
        ok &= lv[:, :, None] <= lv[:, None, :]
    is_rec = np.zeros((m, n, n), dtype=bool)
    if recurrent:  # every other free pair, from a hidden or output node, as a recurrent one
        rec_src = np.zeros((m, n), dtype=bool)
        rec_src[nown, local] = kind != INPUT
        is_rec = rec_src[:, :, None] & dst_ok[:, None, :] & ~taken & ~ok
        ok = ok | is_rec
    flat = ok.reshape(m, n * n)
    counts = flat.sum(axis=1)
    nth = (rng.random(m) * counts).astype(np.int64)
    pick = np.argmax(np.cumsum(flat, axis=1) > nth[:, None], axis=1)
    has = np.flatnonzero(counts > 0)
    ids = np.zeros((m, n), dtype=np.int64)
    ids[nown, local] = node_id
    u, v = np.divmod(pick[has], n)
    return ks[has], ids[has, u], ids[has, v], is_rec[has, u, v]


def _link_genes(
    g: Genomes, chosen, rng, tracker: InnovationTracker, init_std, limit, recurrent=False
):
    owners, src, dst, rec = new_connections(g, chosen, rng, recurrent)
    k = len(owners)
    conns = dict(
        conn_src=src,
        conn_dst=dst,
        conn_weight=np.clip(rng.standard_normal(k) * init_std, -limit, limit),
        conn_enabled=np.ones(k, dtype=bool),
        conn_innov=np.array(
            [
                tracker.connection(a, b, r)
                for a, b, r in zip(src.tolist(), dst.tolist(), rec.tolist())
            ],
            np.int64,
        ),
        conn_recurrent=rec,
    )
    return conns, owners


def grow(
    g: Genomes,
    node_chosen,
    conn_chosen,
    rng,
    tracker: InnovationTracker,
    *,
    activation: int,
    init_std: float,
    limit: float,
    recurrent: bool = False,
) -> Genomes:
    """Add a node to the ``node_chosen`` genomes and a connection to the ``conn_chosen``
    ones, both planned on the current structure and inserted together (splitting a
    connection changes no reachability between existing nodes, so both stay valid)."""
    conns, conn_owner = _link_genes(g, conn_chosen, rng, tracker, init_std, limit, recurrent)
    g, nodes, node_owner, split, split_owner = _split_genes(
        g, node_chosen, rng, tracker, activation
    )
    both = {name: np.concatenate([split[name], conns[name]]) for name in conns}
    return g.insert(nodes, node_owner, both, np.concatenate([split_owner, conn_owner]))


def add_nodes(g: Genomes, chosen, rng, tracker: InnovationTracker, activation: int) -> Genomes:
    """Split one random enabled connection of each chosen genome with a new hidden node
    (the incoming connection gets weight 1, the outgoing one the old weight)."""
    g, nodes, node_owner, conns, conn_owner = _split_genes(g, chosen, rng, tracker, activation)
    return g.insert(nodes, node_owner, conns, conn_owner)


def add_connections(
    g: Genomes,
    chosen,
    rng,
    tracker: InnovationTracker,
    *,
    init_std: float,
    limit: float,
    recurrent: bool = False,
) -> Genomes:
    """Add one new connection (weight ~ N(0, init_std)) to each chosen genome that has room
    for one (see :func:`new_connections`)."""
    conns, owners = _link_genes(g, chosen, rng, tracker, init_std, limit, recurrent)
    return g.insert(_no_nodes(), np.zeros(0, np.int64), conns, owners)


def delete_connections(g: Genomes, chosen, rng) -> Genomes:
    """Remove one random connection gene (enabled or not) from each chosen genome."""
    pick = pick_in_segments(np.ones(len(g.conn_src), bool), g.conn_owner, g.n, chosen, rng)
    keep = np.ones(len(g.conn_src), dtype=bool)
    keep[pick[pick >= 0]] = False
    return g.select(np.ones(len(g.node_id), dtype=bool), keep)


def delete_nodes(g: Genomes, chosen, rng) -> Genomes:
    """Remove one random hidden node, with every connection touching it, from each chosen
    genome."""
    pick = pick_in_segments(g.node_kind == HIDDEN, g.node_owner, g.n, chosen, rng)
    has = pick >= 0
    if not has.any():
        return g
    node_keep = np.ones(len(g.node_id), dtype=bool)
    node_keep[pick[has]] = False
    gone = np.where(has, g.node_id[np.maximum(pick, 0)], 0)
    owner = g.conn_owner
    touch = has[owner] & ((g.conn_src == gone[owner]) | (g.conn_dst == gone[owner]))
    return g.select(node_keep, ~touch)
