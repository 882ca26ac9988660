"""The genotype: a feed-forward graph of nodes and connections.

A Graph is immutable. Its nodes and connections are held as parallel numpy arrays (a
"struct of arrays"), which keeps compiling, crossover alignment and population evaluation
vectorised. Build one with :func:`networks.mlp`, :meth:`Graph.from_lists`, or the keyword
constructor; change it with :meth:`Graph.replace`, which returns a new Graph.

Node kinds: 0 input, 1 hidden, 2 output. Inputs are read in the order their nodes appear,
outputs written in the order theirs appear. Input nodes have no activation or bias of their
own (stored as identity / 0). Connections never enter an input or leave an output, never
repeat a (source, target) pair, and never form a cycle, disabled ones included (so
re-enabling a connection can never make a cycle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .activations import ACTIVATIONS, activation_code
from .graph_algorithms import CycleError, levels

__all__ = ["Graph", "Node", "Connection", "INPUT", "HIDDEN", "OUTPUT", "JSON_FORMAT_VERSION"]

INPUT, HIDDEN, OUTPUT = 0, 1, 2
_KIND_NAMES = {INPUT: "input", HIDDEN: "hidden", OUTPUT: "output"}
_KIND_CODES = {v: k for k, v in _KIND_NAMES.items()}
JSON_FORMAT_VERSION = 1
_JSON_FORMAT_NAME = "neuroarena.graph"


class Node(NamedTuple):
    id: int
    kind: str  # "input" | "hidden" | "output"
    activation: str = "identity"
    bias: float = 0.0


class Connection(NamedTuple):
    source: int
    target: int
    weight: float
    enabled: bool = True
    innovation: int = -1  # -1: numbered by position


_NODE_FIELDS = ("node_id", "node_kind", "node_act", "node_bias")
_CONN_FIELDS = ("conn_src", "conn_dst", "conn_weight", "conn_enabled", "conn_innov")
_DTYPES = {
    "node_id": np.int64,
    "node_kind": np.int8,
    "node_act": np.int16,
    "node_bias": np.float64,
    "conn_src": np.int64,
    "conn_dst": np.int64,
    "conn_weight": np.float64,
    "conn_enabled": np.bool_,
    "conn_innov": np.int64,
}


def _frozen(name: str, value: Any) -> np.ndarray:
    dtype = np.dtype(_DTYPES[name])
    raw = np.asarray(value)
    if dtype.kind == "i" and raw.dtype != dtype and raw.dtype.kind in "iuf":
        # integer fields: refuse what a cast would silently truncate or wrap around
        if raw.dtype.kind == "f" and not np.array_equal(raw, np.trunc(raw)):
            raise ValueError("it holds non-integer values")
        if raw.size and (raw.min() < np.iinfo(dtype).min or raw.max() > np.iinfo(dtype).max):
            raise ValueError(f"it holds values outside the range of {dtype}")
    arr = np.array(raw, dtype=dtype, copy=True).reshape(-1)
    arr.flags.writeable = False
    return arr


def _typed(value: Any, kind: type) -> Any:
    """``value`` if it is a JSON value of ``kind`` (an int counts as a float, a bool as
    neither); TypeError otherwise."""
    if kind is bool or isinstance(value, bool):
        ok = kind is bool and isinstance(value, bool)
    else:
        ok = isinstance(value, (int, float) if kind is float else kind)
    if not ok:
        raise TypeError(f"{value!r} is not a JSON {kind.__name__}")
    return value


@dataclass(frozen=True, eq=False, init=False)
class Graph:
    """A feed-forward network genotype.

    Node arrays, all (n_nodes,): ``node_id``, ``node_kind`` (0 input, 1 hidden, 2 output),
    ``node_act`` (activation codes), ``node_bias``. Connection arrays, all (n_connections,):
    ``conn_src`` and ``conn_dst`` (node ids), ``conn_weight``, ``conn_enabled``,
    ``conn_innov`` (innovation numbers, unique within a graph).
    """

    node_id: np.ndarray
    node_kind: np.ndarray
    node_act: np.ndarray
    node_bias: np.ndarray
    conn_src: np.ndarray
    conn_dst: np.ndarray
    conn_weight: np.ndarray
    conn_enabled: np.ndarray
    conn_innov: np.ndarray

    def __init__(
        self,
        *,
        node_id,
        node_kind,
        node_act,
        node_bias,
        conn_src=(),
        conn_dst=(),
        conn_weight=(),
        conn_enabled=None,
        conn_innov=None,
        validate: bool = True,
    ) -> None:
        n_conn = len(conn_src)
        if conn_enabled is None:
            conn_enabled = np.ones(n_conn, dtype=bool)
        if conn_innov is None:
            conn_innov = np.arange(n_conn)
        values = dict(
            node_id=node_id,
            node_kind=node_kind,
            node_act=node_act,
            node_bias=node_bias,
            conn_src=conn_src,
            conn_dst=conn_dst,
            conn_weight=conn_weight,
            conn_enabled=conn_enabled,
            conn_innov=conn_innov,
        )
        for name, value in values.items():
            try:
                object.__setattr__(self, name, _frozen(name, value))
            except (TypeError, ValueError, OverflowError) as exc:
                raise ValueError(
                    f"Graph field {name!r} is not a 1-D numeric array: {exc}"
                ) from None
        if validate:
            self.validate()

    # ------------------------------------------------------------------ building
    @classmethod
    def from_lists(cls, nodes, connections) -> Graph:
        """Build from Node-like tuples ``(id, kind, activation, bias)`` (kind a name) and
        Connection-like tuples ``(source, target, weight[, enabled[, innovation]])``."""
        nodes = [Node(*n) for n in nodes]
        conns = [Connection(*c) for c in connections]
        conns = [c if c.innovation >= 0 else c._replace(innovation=i) for i, c in enumerate(conns)]
        return cls._from_records(nodes, conns)

    @classmethod
    def _from_records(cls, nodes: list[Node], conns: list[Connection]) -> Graph:
        """Build from Node and Connection records, innovation numbers taken as they are."""
        bad = next((n for n in nodes if n.kind not in _KIND_CODES), None)
        if bad is not None:
            raise ValueError(
                f"node {bad.id}: kind {bad.kind!r} is not one of input, hidden, output"
            )
        return cls(
            node_id=[n.id for n in nodes],
            node_kind=[_KIND_CODES[n.kind] for n in nodes],
            node_act=[activation_code(n.activation) for n in nodes],
            node_bias=[n.bias for n in nodes],
            conn_src=[c.source for c in conns],
            conn_dst=[c.target for c in conns],
            conn_weight=[c.weight for c in conns],
            conn_enabled=[bool(c.enabled) for c in conns],
            conn_innov=[c.innovation for c in conns],
        )

    @classmethod
    def unchecked(cls, **arrays: np.ndarray) -> Graph:
        """A Graph over the given arrays as they are: no copy, no validation.

        For code that already holds valid Graph arrays (NEAT's population keeps its genomes
        concatenated and hands each out as views). Every field must be given, 1-D, of its
        field's dtype and read-only; use the keyword constructor for anything else.
        """
        g = object.__new__(cls)
        for name in _NODE_FIELDS + _CONN_FIELDS:
            object.__setattr__(g, name, arrays[name])
        return g

    def replace(self, *, validate: bool = False, **fields) -> Graph:
        """A new Graph with some arrays replaced (the others shared, they are read-only)."""
        unknown = set(fields) - set(_NODE_FIELDS + _CONN_FIELDS)
        if unknown:
            raise ValueError(f"unknown Graph field(s) {sorted(unknown)}")
        values = {
            name: fields.get(name, getattr(self, name)) for name in _NODE_FIELDS + _CONN_FIELDS
        }
        return Graph(**values, validate=validate)

    # ------------------------------------------------------------------ views
    @property
    def n_nodes(self) -> int:
        return len(self.node_id)

    @property
    def n_connections(self) -> int:
        return len(self.conn_src)

    @property
    def n_enabled(self) -> int:
        return int(self.conn_enabled.sum())

    @property
    def input_ids(self) -> np.ndarray:
        return self.node_id[self.node_kind == INPUT]

    @property
    def output_ids(self) -> np.ndarray:
        return self.node_id[self.node_kind == OUTPUT]

    @property
    def hidden_ids(self) -> np.ndarray:
        return self.node_id[self.node_kind == HIDDEN]

    @property
    def n_inputs(self) -> int:
        return int(np.count_nonzero(self.node_kind == INPUT))

    @property
    def n_outputs(self) -> int:
        return int(np.count_nonzero(self.node_kind == OUTPUT))

    @property
    def n_hidden(self) -> int:
        return int(np.count_nonzero(self.node_kind == HIDDEN))

    @property
    def nodes(self) -> list[Node]:
        return [
            Node(int(i), _KIND_NAMES[int(k)], ACTIVATIONS[int(a)].name, float(b))
            for i, k, a, b in zip(self.node_id, self.node_kind, self.node_act, self.node_bias)
        ]

    @property
    def connections(self) -> list[Connection]:
        return [
            Connection(int(s), int(d), float(w), bool(e), int(i))
            for s, d, w, e, i in zip(
                self.conn_src, self.conn_dst, self.conn_weight, self.conn_enabled, self.conn_innov
            )
        ]

    @property
    def differentiable(self) -> bool:
        """Whether every non-input node's activation has a derivative."""
        codes = np.unique(self.node_act[self.node_kind != INPUT])
        return all(ACTIVATIONS[int(c)].differentiable for c in codes)

    def node_index(self, ids: np.ndarray) -> np.ndarray:
        """Positions of node ``ids`` in the node arrays (ids must exist)."""
        order = np.argsort(self.node_id, kind="stable")
        pos = np.searchsorted(self.node_id, ids, sorter=order)
        return order[np.minimum(pos, len(order) - 1)]

    def __repr__(self) -> str:
        return (
            f"Graph(inputs={self.n_inputs}, hidden={self.n_hidden}, outputs={self.n_outputs}, "
            f"connections={self.n_connections} ({self.n_enabled} enabled))"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in _NODE_FIELDS + _CONN_FIELDS
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ validation
    def validate(self) -> Graph:
        """Raise ValueError naming the first problem found; return self when valid."""
        n, e = self.n_nodes, self.n_connections
        for name in _NODE_FIELDS:
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"Graph field {name!r} has {len(getattr(self, name))} entries, expected {n} (one per node)"
                )
        for name in _CONN_FIELDS:
            if len(getattr(self, name)) != e:
                raise ValueError(
                    f"Graph field {name!r} has {len(getattr(self, name))} entries, expected {e} (one per connection)"
                )
        bad_kind = ~np.isin(self.node_kind, (INPUT, HIDDEN, OUTPUT))
        if bad_kind.any():
            raise ValueError(
                f"node {self.node_id[bad_kind][0]}: kind {self.node_kind[bad_kind][0]} is not 0 (input), 1 (hidden) or 2 (output)"
            )
        if self.n_inputs == 0 or self.n_outputs == 0:
            raise ValueError(
                f"a Graph needs at least one input and one output node; it has {self.n_inputs} and {self.n_outputs}"
            )
        bad_act = (self.node_act < 0) | (self.node_act >= len(ACTIVATIONS))
        if bad_act.any():
            raise ValueError(
                f"node {self.node_id[bad_act][0]}: unknown activation code {self.node_act[bad_act][0]} (0..{len(ACTIVATIONS) - 1})"
            )
        ids, counts = np.unique(self.node_id, return_counts=True)
        if (counts > 1).any():
            raise ValueError(
                f"node id {ids[counts > 1][0]} is used by {counts[counts > 1][0]} nodes; node ids must be unique"
            )
        if not np.isfinite(self.node_bias).all():
            bad = self.node_id[~np.isfinite(self.node_bias)][0]
            raise ValueError(f"node {bad}: bias is not finite")
        if not np.isfinite(self.conn_weight).all():
            i = np.flatnonzero(~np.isfinite(self.conn_weight))[0]
            raise ValueError(
                f"connection {self.conn_src[i]}->{self.conn_dst[i]}: weight is not finite"
            )
        for name, ends in (("source", self.conn_src), ("target", self.conn_dst)):
            dangling = ~np.isin(ends, ids)
            if dangling.any():
                i = np.flatnonzero(dangling)[0]
                raise ValueError(
                    f"connection {self.conn_src[i]}->{self.conn_dst[i]}: {name} node {ends[i]} does not exist"
                )
        if e == 0:
            return self
        src, dst = self.node_index(self.conn_src), self.node_index(self.conn_dst)
        into_input = self.node_kind[dst] == INPUT
        if into_input.any():
            i = np.flatnonzero(into_input)[0]
            raise ValueError(
                f"connection {self.conn_src[i]}->{self.conn_dst[i]} enters input node {self.conn_dst[i]}; inputs take no connections"
            )
        from_output = self.node_kind[src] == OUTPUT
        if from_output.any():
            i = np.flatnonzero(from_output)[0]
            raise ValueError(
                f"connection {self.conn_src[i]}->{self.conn_dst[i]} leaves output node {self.conn_src[i]}; outputs feed nothing"
            )
        pairs = src * n + dst
        uniq, counts = np.unique(pairs, return_counts=True)
        if (counts > 1).any():
            s, d = divmod(int(uniq[counts > 1][0]), n)
            raise ValueError(
                f"connection {self.node_id[s]}->{self.node_id[d]} appears more than once"
            )
        inn, counts = np.unique(self.conn_innov, return_counts=True)
        if (counts > 1).any():
            raise ValueError(
                f"innovation number {inn[counts > 1][0]} is used by more than one connection"
            )
        try:
            levels(n, src, dst)
        except CycleError as exc:
            raise ValueError(f"the Graph is not feed-forward: {exc}") from None
        return self

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        return {
            "format": _JSON_FORMAT_NAME,
            "version": JSON_FORMAT_VERSION,
            "nodes": [list(n) for n in self.nodes],
            "connections": [list(c) for c in self.connections],
        }

    def to_json(self, **kwargs) -> str:
        """Versioned JSON text; floats are written exactly (repr round-trips)."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Any) -> Graph:
        if not isinstance(data, dict) or data.get("format") != _JSON_FORMAT_NAME:
            raise ValueError(
                f'not a neuroarena graph: expected an object with "format": "{_JSON_FORMAT_NAME}"'
            )
        version = data.get("version")
        if version != JSON_FORMAT_VERSION:
            raise ValueError(
                f"graph format version {version!r} is not supported (this neuroarena reads version {JSON_FORMAT_VERSION})"
            )
        try:
            nodes = [
                Node(_typed(i, int), _typed(k, str), _typed(a, str), float(_typed(b, float)))
                for i, k, a, b in data["nodes"]
            ]
            conns = [
                Connection(
                    _typed(s, int),
                    _typed(t, int),
                    float(_typed(w, float)),
                    _typed(en, bool),
                    _typed(inn, int),
                )
                for s, t, w, en, inn in data["connections"]
            ]
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(
                f"malformed graph JSON: {exc!r}; nodes are [id, kind, activation, bias], connections [source, target, weight, enabled, innovation]"
            ) from None
        # innovation numbers are read back exactly as written, negative ones included
        return cls._from_records(nodes, conns)

    @classmethod
    def from_json(cls, text: str | bytes) -> Graph:
        """Parse JSON written by :meth:`to_json`; ValueError on anything malformed."""
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"graph JSON does not parse: {exc}") from None
        return cls.from_dict(data)
