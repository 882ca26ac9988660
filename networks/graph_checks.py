"""The checks that make a Graph valid (see networks.graph for the rules), as one function
over a Graph's arrays; it returns the levels it finds on the way, which the Graph keeps."""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS
from .graph import HIDDEN, INPUT, OUTPUT, Graph
from .graph_algorithms import CycleError, levels

__all__ = ["check_graph"]


def check_graph(g: Graph) -> np.ndarray:
    """Raise ValueError naming the first problem found in ``g``; return its node levels
    over all its connections (inputs 0, every other node at least 1) when it is valid."""
    n, e = g.n_nodes, g.n_connections  # (the lengths were checked on packing)
    bad_kind = ~np.isin(g.node_kind, (INPUT, HIDDEN, OUTPUT))
    if bad_kind.any():
        raise ValueError(
            f"node {g.node_id[bad_kind][0]}: kind {g.node_kind[bad_kind][0]} is not 0 (input), 1 (hidden) or 2 (output)"
        )
    if g.n_inputs == 0 or g.n_outputs == 0:
        raise ValueError(
            f"a Graph needs at least one input and one output node; it has {g.n_inputs} and {g.n_outputs}"
        )
    bad_act = (g.node_act < 0) | (g.node_act >= len(ACTIVATIONS))
    if bad_act.any():
        raise ValueError(
            f"node {g.node_id[bad_act][0]}: unknown activation code {g.node_act[bad_act][0]} (0..{len(ACTIVATIONS) - 1})"
        )
    ids, counts = np.unique(g.node_id, return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"node id {ids[counts > 1][0]} is used by {counts[counts > 1][0]} nodes; node ids must be unique"
        )
    if not np.isfinite(g.node_bias).all():
        bad = g.node_id[~np.isfinite(g.node_bias)][0]
        raise ValueError(f"node {bad}: bias is not finite")
    if not np.isfinite(g.conn_weight).all():
        i = np.flatnonzero(~np.isfinite(g.conn_weight))[0]
        raise ValueError(f"connection {g.conn_src[i]}->{g.conn_dst[i]}: weight is not finite")
    for name, ends in (("source", g.conn_src), ("target", g.conn_dst)):
        dangling = ~np.isin(ends, ids)
        if dangling.any():
            i = np.flatnonzero(dangling)[0]
            raise ValueError(
                f"connection {g.conn_src[i]}->{g.conn_dst[i]}: {name} node {ends[i]} does not exist"
            )
    not_input = (g.node_kind != INPUT).astype(np.int64)
    if e == 0:
        return g._keep_level(not_input)
    src, dst = g.node_index(g.conn_src), g.node_index(g.conn_dst)
    into_input = g.node_kind[dst] == INPUT
    if into_input.any():
        i = np.flatnonzero(into_input)[0]
        raise ValueError(
            f"connection {g.conn_src[i]}->{g.conn_dst[i]} enters input node {g.conn_dst[i]}; inputs take no connections"
        )
    from_output = g.node_kind[src] == OUTPUT
    if from_output.any():
        i = np.flatnonzero(from_output)[0]
        raise ValueError(
            f"connection {g.conn_src[i]}->{g.conn_dst[i]} leaves output node {g.conn_src[i]}; outputs feed nothing"
        )
    pairs = src * n + dst
    uniq, counts = np.unique(pairs, return_counts=True)
    if (counts > 1).any():
        s, d = divmod(int(uniq[counts > 1][0]), n)
        raise ValueError(f"connection {g.node_id[s]}->{g.node_id[d]} appears more than once")
    inn, counts = np.unique(g.conn_innov, return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"innovation number {inn[counts > 1][0]} is used by more than one connection"
        )
    try:
        level = levels(n, src, dst, start=not_input)
    except CycleError as exc:
        raise ValueError(f"the Graph is not feed-forward: {exc}") from None
    return g._keep_level(level)
