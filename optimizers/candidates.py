"""What an optimizer hands a problem to evaluate: one candidate type for every optimizer.

A :class:`Candidates` is either parameter rows of one compiled Network (weight search,
backprop: every candidate shares the topology) or a batch of Graphs of any topologies
(NEAT). Either way a problem evaluates the whole population in one batched call, and any
candidate becomes a Graph when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from networks import Genomes, Graph, Network, PopulationBatch, RecurrentNetwork

__all__ = ["Candidates"]


class Candidates:
    """A population to evaluate. Build it with :meth:`of_params` or :meth:`of_graphs`.

    ``params``: (P, n_params) rows of ``network`` (a private read-only copy), or None;
    ``batch``: the Graphs compiled together (a :class:`networks.PopulationBatch`), or None.
    """

    __slots__ = ("network", "params", "batch", "_graphs")

    def __init__(self, *, network=None, params=None, batch=None, graphs=None) -> None:
        self.network: Network | None = network
        self.params: np.ndarray | None = params
        self.batch: PopulationBatch | None = batch
        self._graphs: Sequence[Graph] | None = graphs

    @classmethod
    def of_params(cls, network: Network, params) -> Candidates:
        """Parameter vectors (P, n_params) (or one, (n_params,)) of ``network``."""
        if not isinstance(network, (Network, RecurrentNetwork)):
            raise ValueError(f"network must be a networks.Network, got {type(network).__name__}")
        params = np.array(params, dtype=network.dtype, copy=True)
        if params.ndim == 1:
            params = params[None]
        if params.ndim != 2 or params.shape[1] != network.n_params:
            raise ValueError(
                f"candidate parameters have shape {params.shape}; "
                f"this network needs (P, {network.n_params})"
            )
        params.flags.writeable = False
        return cls(network=network, params=params)

    @classmethod
    def of_graphs(cls, graphs, *, dtype=np.float64) -> Candidates:
        """Graphs of any topologies, compiled together here (for a PopulationBatch already
        built, use :meth:`of_batch`)."""
        if isinstance(graphs, PopulationBatch):
            raise ValueError("pass a PopulationBatch with of_batch(batch, graphs)")
        graphs = list(graphs)
        return cls(batch=_batch(graphs, dtype), graphs=graphs)

    @classmethod
    def of_batch(cls, batch: PopulationBatch, graphs: Sequence[Graph]) -> Candidates:
        """A PopulationBatch already built from ``graphs`` (the same Graphs in order; a
        sequence that makes each Graph only when asked for, as NEAT's population does)."""
        if len(graphs) != batch.n_graphs:
            raise ValueError(f"{len(graphs)} graphs for a batch of {batch.n_graphs}")
        return cls(batch=batch, graphs=graphs)

    def __len__(self) -> int:
        return len(self.params) if self.params is not None else self.batch.n_graphs

    @property
    def dtype(self) -> np.dtype:
        return self.network.dtype if self.network is not None else self.batch.dtype

    @property
    def n_enabled(self) -> np.ndarray:
        """(P,) enabled connections of each candidate (what MACs are counted from)."""
        if self.params is not None:
            return np.full(len(self.params), self.network.n_enabled, dtype=np.int64)
        return np.asarray(self.batch.n_enabled, dtype=np.int64)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Unchecked outputs (P, n, n_out) for X (n, n_in) shared, or (P, n, n_in) one input
        batch per candidate, of the candidates' dtype."""
        if self.params is not None:
            return self.network.forward(X, self.params, check=False)
        return self.batch.forward(X, check=False)

    @property
    def recurrent(self) -> bool:
        """Whether the candidates step with state (recurrent connections)."""
        return (self.network if self.params is not None else self.batch).recurrent

    def stepper(self):
        """``stepper(X) -> outputs``, one decision after another: X as for :meth:`forward`
        (an episode batch's observations), the state of recurrent candidates kept between
        calls (zeros before the first). A fresh one per episode batch."""
        if self.params is not None:
            return self.network.stepper(self.params)
        return self.batch.stepper()

    def subset(self, idx: np.ndarray) -> Candidates:
        """The candidates at positions ``idx``, in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        if self.params is not None:
            return Candidates(network=self.network, params=self.params[idx])
        graphs = [self._graphs[int(i)] for i in idx]
        return Candidates(batch=_batch(graphs, self.batch.dtype), graphs=graphs)

    def take(self, k: int) -> Candidates:
        """The first k candidates (a population cut to fit the budget)."""
        return self.subset(np.arange(k))

    def graph(self, i: int) -> Graph:
        """Candidate i as a Graph."""
        if self.params is not None:
            return self.network.to_graph(self.params[i])
        return self._graphs[i]


def _batch(graphs: list[Graph], dtype):
    """Graphs compiled together: a RecurrentBatch when any has recurrent connections."""
    if any(g.recurrent for g in graphs):
        return Genomes.from_graphs(graphs).batch(dtype)
    return PopulationBatch(graphs, dtype=dtype)
