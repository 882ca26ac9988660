"""The checks that make a Graph valid (see networks.graph for the rules), as one function
over a Graph's arrays; it returns the levels it finds on the way (over the feed-forward
connections), which the Graph keeps."""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS
from .graph import INPUT, OUTPUT, Graph
from .graph_algorithms import CycleError, find_sorted, levels

__all__ = ["check_graph"]


def check_graph(g: Graph) -> np.ndarray:
    """Raise ValueError naming the first problem found in ``g``; return its node levels
    over all its connections (inputs 0, every other node at least 1) when it is valid."""
    n, e = g.n_nodes, g.n_connections  # (the lengths were checked on packing)
    kind, node_id = g.node_kind, g.node_id
    bad_kind = (kind < INPUT) | (kind > OUTPUT)
    if bad_kind.any():
        raise ValueError(
            f"node {node_id[bad_kind][0]}: kind {kind[bad_kind][0]} is not 0 (input), 1 (hidden) or 2 (output)"
        )
    if g.n_inputs == 0 or g.n_outputs == 0:
        raise ValueError(
            f"a Graph needs at least one input and one output node; it has {g.n_inputs} and {g.n_outputs}"
        )
    bad_act = (g.node_act < 0) | (g.node_act >= len(ACTIVATIONS))
    if bad_act.any():
        raise ValueError(
            f"node {node_id[bad_act][0]}: unknown activation code {g.node_act[bad_act][0]} (0..{len(ACTIVATIONS) - 1})"
        )
    # one sort of the ids serves the duplicate test and every id lookup below
    order = node_id.argsort(kind="stable")
    ids = node_id[order]
    dup = _first_repeat(ids)
    if dup is not None:
        raise ValueError(
            f"node id {dup} is used by {int((node_id == dup).sum())} nodes; node ids must be unique"
        )
    if not np.isfinite(g.node_bias).all():
        bad = node_id[~np.isfinite(g.node_bias)][0]
        raise ValueError(f"node {bad}: bias is not finite")
    if not np.isfinite(g.conn_weight).all():
        i = np.flatnonzero(~np.isfinite(g.conn_weight))[0]
        raise ValueError(f"connection {g.conn_src[i]}->{g.conn_dst[i]}: weight is not finite")
    not_input = (kind != INPUT).astype(np.int64)
    if e == 0:
        return not_input
    located = []  # the node positions of the sources, then of the targets
    for name, ends in (("source", g.conn_src), ("target", g.conn_dst)):
        pos, found = find_sorted(ids, ends)
        if not found.all():
            i = np.flatnonzero(~found)[0]
            raise ValueError(
                f"connection {g.conn_src[i]}->{g.conn_dst[i]}: {name} node {ends[i]} does not exist"
            )
        located.append(order[pos])
    src, dst = located
    into_input = kind[dst] == INPUT
    if into_input.any():
        i = np.flatnonzero(into_input)[0]
        raise ValueError(
            f"connection {g.conn_src[i]}->{g.conn_dst[i]} enters input node {g.conn_dst[i]}; inputs take no connections"
        )
    rec = g.conn_recurrent
    from_output = (kind[src] == OUTPUT) & ~rec
    if from_output.any():
        i = np.flatnonzero(from_output)[0]
        raise ValueError(
            f"connection {g.conn_src[i]}->{g.conn_dst[i]} leaves output node {g.conn_src[i]}; outputs feed nothing but recurrent connections"
        )
    from_input = (kind[src] == INPUT) & rec
    if from_input.any():
        i = np.flatnonzero(from_input)[0]
        raise ValueError(
            f"recurrent connection {g.conn_src[i]}->{g.conn_dst[i]} leaves input node {g.conn_src[i]}; recurrent connections carry a hidden or output node's previous value"
        )
    pair = src * n
    pair += dst
    pair.sort()
    dup = _first_repeat(pair)
    if dup is not None:
        s, d = divmod(dup, n)
        raise ValueError(f"connection {node_id[s]}->{node_id[d]} appears more than once")
    dup = _first_repeat(np.sort(g.conn_innov))
    if dup is not None:
        raise ValueError(f"innovation number {dup} is used by more than one connection")
    ff = ~rec  # the levels and the acyclicity are those of the feed-forward connections
    try:
        return levels(n, src[ff], dst[ff], start=not_input)
    except CycleError as exc:
        raise ValueError(
            f"the Graph's feed-forward connections form a cycle: {exc} (mark a connection "
            "recurrent to carry a value from one time step to the next)"
        ) from None


def _first_repeat(sorted_values: np.ndarray) -> int | None:
    """The smallest value that occurs more than once in a sorted array, or None."""
    same = sorted_values[1:] == sorted_values[:-1]
    if not same.any():
        return None
    return int(sorted_values[1:][same][0])
