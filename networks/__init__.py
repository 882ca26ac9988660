"""One network representation: a Graph (feed-forward, or with recurrent connections),
compiled to fast numpy."""

from ._dense import DenseTrainer
from .activations import ACTIVATIONS, Activation, activation_code, activation_names
from .builders import minimal, mlp
from .checks import check_batches, check_dtype, check_inputs
from .genomes import Genomes, GenomeViews, find_pairs, segment_gather, segment_offsets
from .graph import (
    CONN_FIELDS,
    FIELD_DTYPES,
    HIDDEN,
    INPUT,
    NODE_FIELDS,
    OUTPUT,
    Connection,
    Graph,
    Node,
)
from .graph_algorithms import CycleError, creates_cycle, find_sorted, levels, reaches
from .losses import LOSSES
from .network import Network, compile
from .population import PopulationBatch, forward_many
from .recurrent import RecurrentBatch, RecurrentNetwork, Stepper

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "activation_code",
    "activation_names",
    "mlp",
    "minimal",
    "Graph",
    "Node",
    "Connection",
    "INPUT",
    "HIDDEN",
    "OUTPUT",
    "FIELD_DTYPES",
    "NODE_FIELDS",
    "CONN_FIELDS",
    "CycleError",
    "creates_cycle",
    "find_sorted",
    "levels",
    "reaches",
    "LOSSES",
    "Network",
    "DenseTrainer",
    "check_batches",
    "check_dtype",
    "check_inputs",
    "compile",
    "PopulationBatch",
    "forward_many",
    "RecurrentNetwork",
    "RecurrentBatch",
    "Stepper",
    "Genomes",
    "GenomeViews",
    "segment_offsets",
    "segment_gather",
    "find_pairs",
]
