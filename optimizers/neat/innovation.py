"""Innovation numbers (Stanley & Miikkulainen 2002, section 3.2).

Every new connection gene gets a historical marking, its innovation number, from one global
counter; every new hidden node a new node id. Within one generation the same structural
mutation gets the same numbers: the same new connection (source, target, recurrent or
not) gets the same innovation number, and splitting the same connection (by its innovation number) gives the
same new node id and the same two innovation numbers. The per-generation tables are cleared
by :meth:`InnovationTracker.new_generation`, as in the paper.
"""

from __future__ import annotations

__all__ = ["InnovationTracker"]


class InnovationTracker:
    """Hands out innovation numbers and node ids; see the module docstring.

    ``next_innovation`` and ``next_node`` are the first numbers not yet used (start them
    above every number in the starting genomes).
    """

    def __init__(self, next_innovation: int, next_node: int) -> None:
        self.next_innovation = int(next_innovation)
        self.next_node = int(next_node)
        self._connections: dict[tuple[int, int], int] = {}
        self._splits: dict[int, tuple[int, int, int]] = {}

    @classmethod
    def for_genomes(cls, innovations, node_ids) -> InnovationTracker:
        """A tracker that starts above the given innovation numbers and node ids."""
        return cls(max(innovations, default=-1) + 1, max(node_ids, default=-1) + 1)

    def new_generation(self) -> None:
        """Forget this generation's mutations (numbers are never reused)."""
        self._connections.clear()
        self._splits.clear()

    def connection(self, source: int, target: int, recurrent: bool = False) -> int:
        """Innovation number of a new connection source -> target (a recurrent one and a
        feed-forward one between the same nodes are different innovations)."""
        key = (int(source), int(target), bool(recurrent))
        innov = self._connections.get(key)
        if innov is None:
            innov = self._connections[key] = self.next_innovation
            self.next_innovation += 1
        return innov

    def split(self, innovation: int) -> tuple[int, int, int]:
        """(new node id, innovation of source -> new, innovation of new -> target) for
        splitting the connection with this innovation number."""
        key = int(innovation)
        found = self._splits.get(key)
        if found is None:
            found = (self.next_node, self.next_innovation, self.next_innovation + 1)
            self._splits[key] = found
            self.next_node += 1
            self.next_innovation += 2
        return found

    def __repr__(self) -> str:
        return (
            f"InnovationTracker(next_innovation={self.next_innovation}, next_node={self.next_node}, "
            f"this generation: {len(self._connections)} connections, {len(self._splits)} splits)"
        )
