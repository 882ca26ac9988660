"""NEAT (Stanley & Miikkulainen 2002) on the shared Graph: a NEAT genome is a
:class:`networks.Graph`.

Modules: :mod:`.config` (NEATConfig, the paper's XOR settings as defaults),
:mod:`.innovation` (the innovation tracker), :mod:`.genomes` (a population as one struct of
arrays), :mod:`.mutation`, :mod:`.crossover`, :mod:`.species` (compatibility distance,
speciation, sharing, allotment) and :mod:`.neat` (the optimizer).
"""

from .config import NEATConfig
from .crossover import crossover, crossover_graphs
from .genomes import Genomes
from .innovation import InnovationTracker
from .neat import NEAT
from .species import allot, distances, shared_fitness, speciate

__all__ = [
    "NEAT",
    "NEATConfig",
    "Genomes",
    "InnovationTracker",
    "crossover",
    "crossover_graphs",
    "distances",
    "speciate",
    "shared_fitness",
    "allot",
]
