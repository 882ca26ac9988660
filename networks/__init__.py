"""One network representation: a feed-forward Graph, compiled to fast numpy."""

from .activations import ACTIVATIONS, Activation, activation_code, activation_names
from .builders import minimal, mlp
from .graph import HIDDEN, INPUT, OUTPUT, Connection, Graph, Node
from .graph_algorithms import CycleError, creates_cycle, find_sorted, levels, reaches
from .losses import LOSSES
from .network import Network, check_dtype, check_inputs, compile
from .population import PopulationBatch, forward_many

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
    "CycleError",
    "creates_cycle",
    "find_sorted",
    "levels",
    "reaches",
    "LOSSES",
    "Network",
    "check_dtype",
    "check_inputs",
    "compile",
    "PopulationBatch",
    "forward_many",
]
