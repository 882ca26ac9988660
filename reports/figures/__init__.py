"""The report's figures: each function takes DataFrames (or Graphs) and returns a
matplotlib Figure without touching global style; :func:`save` writes it as a PNG."""

from ..graph_drawing import draw_graph, graph_layout
from ._common import palette, quantity_label, save
from .best_networks import networks_figure
from .critical_difference import cd_diagram, cd_groups
from .curves import learning_curves
from .distributions import final_distributions
from .ecdf import cost_ecdfs
from .neat import neat_figure, species_matrix
from .pairwise import pairwise_counts, pairwise_heatmap

__all__ = [
    "save",
    "palette",
    "quantity_label",
    "draw_graph",
    "graph_layout",
    "networks_figure",
    "learning_curves",
    "final_distributions",
    "pairwise_heatmap",
    "pairwise_counts",
    "cd_diagram",
    "cd_groups",
    "cost_ecdfs",
    "neat_figure",
    "species_matrix",
]
