"""NEAT (Stanley & Miikkulainen 2002) on the shared Graph: a NEAT genome is a
:class:`networks.Graph`.

Modules: :mod:`.config` (NEATConfig, the paper's XOR settings as defaults),
:mod:`.innovation` (the innovation tracker), :mod:`.mutation`, :mod:`.crossover`,
:mod:`.species` (compatibility distance, speciation, sharing, allotment) and :mod:`.neat`
(the optimizer). The population is a :class:`networks.Genomes` (Graphs as one struct of
arrays).
"""

from .config import NEATConfig
from .crossover import crossover, crossover_graphs
from .innovation import InnovationTracker
from .neat import NEAT
from .species import allot, distances, shared_fitness, speciate

__all__ = [
    "NEAT",
    "NEATConfig",
    "InnovationTracker",
    "crossover",
    "crossover_graphs",
    "distances",
    "speciate",
    "shared_fitness",
    "allot",
]
