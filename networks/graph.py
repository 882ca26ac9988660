"""The genotype: a feed-forward graph of nodes and connections.

A Graph is immutable. Its nodes and connections are held as parallel numpy arrays (a
"struct of arrays"), which keeps compiling, crossover alignment and population evaluation
vectorised. Underneath, the arrays are the fields of two record arrays, one record per node
and one per connection, so a population's Graphs are joined with two copies rather than one
per field. A validated Graph also keeps the topological level of each node that validation
computes (over every connection, disabled ones included), which evaluation reuses. Build one with :func:`networks.mlp`, :meth:`Graph.from_lists`, or the keyword
constructor; change it with :meth:`Graph.replace`, which returns a new Graph.

Node kinds: 0 input, 1 hidden, 2 output. Inputs are read in the order their nodes appear,
outputs written in the order theirs appear. Input nodes have no activation or bias of their
own (stored as identity / 0). Connections never enter an input, never repeat a (source,
target) pair, and the feed-forward ones never leave an output nor form a cycle, disabled
ones included (so re-enabling a connection can never make a cycle).

A connection may be ``recurrent``: it carries its source's value from the previous time
step (0 before the first), so it may close a cycle, loop on its own node, or leave an
output; it never leaves an input. A Graph with enabled recurrent connections compiles to
a network that steps with state (``networks.recurrent``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from .activations import ACTIVATIONS, activation_code
from .graph_algorithms import find_sorted

__all__ = [
    "Graph",
    "Node",
    "Connection",
    "INPUT",
    "HIDDEN",
    "OUTPUT",
    "JSON_FORMAT_VERSION",
    "JSON_FORMAT_NAME",
    "FIELD_DTYPES",
    "NODE_FIELDS",
    "CONN_FIELDS",
    "NODE_RECORD",
    "CONN_RECORD",
]

INPUT, HIDDEN, OUTPUT = 0, 1, 2
_KIND_NAMES = {INPUT: "input", HIDDEN: "hidden", OUTPUT: "output"}
_KIND_CODES = {v: k for k, v in _KIND_NAMES.items()}
JSON_FORMAT_VERSION = 2  # 2: connections carry their recurrent flag (1 is still read)
JSON_FORMAT_NAME = "neuroarena.graph"


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
    recurrent: bool = False


# The Graph's field schema, declared here once: every field's name and dtype, the node
# fields then the connection fields, in the order of the keyword constructor. Everything
# that holds Graph arrays (the records below, networks.genomes, networks.population) reads
# it from here.
FIELD_DTYPES: Mapping[str, np.dtype] = MappingProxyType(
    {
        "node_id": np.dtype(np.int64),
        "node_kind": np.dtype(np.int8),
        "node_act": np.dtype(np.int16),
        "node_bias": np.dtype(np.float64),
        "conn_src": np.dtype(np.int64),
        "conn_dst": np.dtype(np.int64),
        "conn_weight": np.dtype(np.float64),
        "conn_enabled": np.dtype(np.bool_),
        "conn_innov": np.dtype(np.int64),
        "conn_recurrent": np.dtype(np.bool_),
    }
)
NODE_FIELDS = tuple(name for name in FIELD_DTYPES if name.startswith("node_"))
CONN_FIELDS = tuple(name for name in FIELD_DTYPES if name.startswith("conn_"))


def _record(fields: tuple[str, ...], extra: dict[str, np.dtype]) -> np.dtype:
    """An aligned record dtype over these fields (and ``extra`` ones), widest first, so every
    field view is an aligned array."""
    dtypes = {**{name: FIELD_DTYPES[name] for name in fields}, **extra}
    names = sorted(dtypes, key=lambda name: -dtypes[name].itemsize)  # (a stable sort)
    return np.dtype({"names": names, "formats": [dtypes[n] for n in names]}, align=True)


# The record layouts (pickles hold them, so they must not change: a test pins them).
# node_level: the node's topological level, inputs 0 and every other node at least 1, or -1
# where unknown.
NODE_RECORD = _record(NODE_FIELDS, {"node_level": np.dtype(np.int32)})
CONN_RECORD = _record(CONN_FIELDS, {})
_TOPOLOGY = frozenset(("node_id", "node_kind", "conn_src", "conn_dst", "conn_recurrent"))


def _frozen(name: str, value: Any) -> np.ndarray:
    dtype = FIELD_DTYPES[name]
    raw = np.asarray(value)
    if dtype.kind == "i" and raw.dtype != dtype and raw.dtype.kind in "iuf":
        # integer fields: refuse what a cast would silently truncate or wrap around
        if raw.dtype.kind == "f" and not np.array_equal(raw, np.trunc(raw)):
            raise ValueError("it holds non-integer values")
        if raw.size and (raw.min() < np.iinfo(dtype).min or raw.max() > np.iinfo(dtype).max):
            raise ValueError(f"it holds values outside the range of {dtype}")
    return np.asarray(raw, dtype=dtype).reshape(-1)


def _immutable(records: np.ndarray) -> np.ndarray:
    """``records`` over a bytes object of their own (read-only, and no flag can change that),
    as they are when they already are."""
    if isinstance(records.base, bytes) and records.flags.c_contiguous:
        return records
    return np.frombuffer(records.tobytes(), records.dtype)


def _converted(values: dict) -> dict:
    """The Graph fields in ``values`` as 1-D arrays of their dtypes; ValueError naming the
    field that cannot be one."""
    out = {}
    for name, value in values.items():
        try:
            out[name] = _frozen(name, value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"Graph field {name!r} is not a 1-D numeric array: {exc}") from None
    return out


@dataclass(frozen=True, eq=False, init=False)
class Graph:
    """A feed-forward network genotype.

    Node arrays, all (n_nodes,): ``node_id``, ``node_kind`` (0 input, 1 hidden, 2 output),
    ``node_act`` (activation codes), ``node_bias``. Connection arrays, all (n_connections,):
    ``conn_src`` and ``conn_dst`` (node ids), ``conn_weight``, ``conn_enabled``,
    ``conn_innov`` (innovation numbers, unique within a graph), ``conn_recurrent``.
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
    conn_recurrent: np.ndarray

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
        conn_recurrent=None,
        validate: bool = True,
    ) -> None:
        n_conn = len(conn_src)
        if conn_enabled is None:
            conn_enabled = np.ones(n_conn, dtype=bool)
        if conn_innov is None:
            conn_innov = np.arange(n_conn)
        if conn_recurrent is None:
            conn_recurrent = np.zeros(n_conn, dtype=bool)
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
            conn_recurrent=conn_recurrent,
        )
        self._pack(_converted(values))
        if validate:
            self.validate()

    def _pack(self, values: dict, level: np.ndarray | None = None) -> None:
        """Copy the field arrays into fresh records (checking that the lengths agree) and
        set this Graph's attributes to read-only views of them."""
        for fields, what in ((NODE_FIELDS, "node"), (CONN_FIELDS, "connection")):
            n = len(values[fields[0]])
            for name in fields[1:]:
                if len(values[name]) != n:
                    raise ValueError(
                        f"Graph field {name!r} has {len(values[name])} entries, expected {n} "
                        f"(one per {what})"
                    )
        nodes = np.empty(len(values["node_id"]), NODE_RECORD)
        conns = np.empty(len(values["conn_src"]), CONN_RECORD)
        for name in NODE_FIELDS:
            nodes[name] = values[name]
        nodes["node_level"] = -1 if level is None else level
        for name in CONN_FIELDS:
            conns[name] = values[name]
        self._attach(nodes, conns)

    def _attach(self, nodes: np.ndarray, conns: np.ndarray) -> None:
        """Hold these record arrays and their fields as attributes, read-only for good: the
        records are rebuilt over immutable bytes, so not even their own ``flags`` can make
        them writeable again."""
        nodes, conns = _immutable(nodes), _immutable(conns)
        object.__setattr__(self, "_nodes", nodes)
        object.__setattr__(self, "_conns", conns)
        for name in NODE_FIELDS:
            object.__setattr__(self, name, nodes[name])
        for name in CONN_FIELDS:
            object.__setattr__(self, name, conns[name])
        object.__setattr__(self, "_level", nodes["node_level"])

    @classmethod
    def _from_record_arrays(cls, nodes: np.ndarray, conns: np.ndarray) -> Graph:
        """A Graph over these record arrays (NODE_RECORD, CONN_RECORD; how a Graph is
        unpickled); the values are not checked."""
        if nodes.dtype != NODE_RECORD or conns.dtype != CONN_RECORD:
            raise ValueError(
                "these Graph records have another layout (pickled by another neuroarena "
                "version?); move Graphs between versions as JSON (Graph.to_json)"
            )
        g = object.__new__(cls)
        g._attach(nodes, conns)
        return g

    def __reduce__(self):
        # pickle the two record arrays only (the field views are rebuilt over them)
        return (type(self)._from_record_arrays, (self._nodes, self._conns))

    # ------------------------------------------------------------------ building
    @classmethod
    def from_lists(cls, nodes, connections) -> Graph:
        """Build from Node-like tuples ``(id, kind, activation, bias)`` (kind a name) and
        Connection-like tuples ``(source, target, weight[, enabled[, innovation[,
        recurrent]]])``."""
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
            conn_recurrent=[bool(c.recurrent) for c in conns],
        )

    @classmethod
    def unchecked(cls, **arrays: np.ndarray) -> Graph:
        """A Graph over copies of the given arrays, without validation.

        For code that already holds valid Graph arrays (NEAT's population keeps its genomes
        concatenated and hands each out as a Graph). Every field must be given, 1-D and of
        its field's dtype; use the keyword constructor for anything else.
        """
        g = object.__new__(cls)
        g._pack(arrays)
        return g

    def replace(self, *, validate: bool = False, **fields) -> Graph:
        """A new Graph with some arrays replaced (the others shared, they are read-only)."""
        unknown = set(fields) - set(NODE_FIELDS + CONN_FIELDS)
        if unknown:
            raise ValueError(f"unknown Graph field(s) {sorted(unknown)}")
        values = {name: fields.get(name, getattr(self, name)) for name in NODE_FIELDS + CONN_FIELDS}
        if validate or not _TOPOLOGY.isdisjoint(fields):
            return Graph(**values, validate=validate)
        # the same nodes and connections: the levels (which ignore weights and the enabled
        # flags) still hold
        g = object.__new__(Graph)
        g._pack(_converted(values), level=self._level)
        return g

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
            Connection(int(s), int(d), float(w), bool(e), int(i), bool(r))
            for s, d, w, e, i, r in zip(
                self.conn_src,
                self.conn_dst,
                self.conn_weight,
                self.conn_enabled,
                self.conn_innov,
                self.conn_recurrent,
            )
        ]

    @property
    def recurrent(self) -> bool:
        """Whether any enabled connection is recurrent (the network then steps with state)."""
        return bool((self.conn_recurrent & self.conn_enabled).any())

    @property
    def differentiable(self) -> bool:
        """Whether every non-input node's activation has a derivative."""
        codes = np.unique(self.node_act[self.node_kind != INPUT])
        return all(ACTIVATIONS[int(c)].differentiable for c in codes)

    def node_index(self, ids: np.ndarray) -> np.ndarray:
        """Positions of node ``ids`` in the node arrays (ids must exist)."""
        order = self.node_id.argsort(kind="stable")
        return order[find_sorted(self.node_id[order], ids)[0]]

    def __repr__(self) -> str:
        return (
            f"Graph(inputs={self.n_inputs}, hidden={self.n_hidden}, outputs={self.n_outputs}, "
            f"connections={self.n_connections} ({self.n_enabled} enabled))"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in NODE_FIELDS + CONN_FIELDS
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ validation
    def validate(self) -> Graph:
        """Raise ValueError naming the first problem found; return self when valid."""
        from .graph_checks import check_graph  # (that module builds on this one)

        return self._keep_level(check_graph(self))

    def _keep_level(self, level: np.ndarray) -> Graph:
        """Store the levels validation found, if this Graph did not hold them yet."""
        if self.n_nodes and self._level[0] < 0:
            nodes = self._nodes.copy()
            nodes["node_level"] = level
            self._attach(nodes, self._conns)
        return self

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        """The JSON object :meth:`to_json` writes (see networks.graph_json for the format)."""
        from .graph_json import graph_to_dict

        return graph_to_dict(self)

    def to_json(self, **kwargs) -> str:
        """Versioned JSON text; floats are written exactly (repr round-trips)."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Any) -> Graph:
        """The Graph a :meth:`to_dict` object describes; ValueError on anything malformed."""
        from .graph_json import graph_from_dict  # (that module builds on this one)

        return graph_from_dict(cls, data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Graph:
        """Parse JSON written by :meth:`to_json`; ValueError on anything malformed."""
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"graph JSON does not parse: {exc}") from None
        return cls.from_dict(data)
