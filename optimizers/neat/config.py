"""NEAT's configuration: a frozen dataclass whose defaults are the paper's XOR settings.

Stanley & Miikkulainen 2002, section 4.1: population 150; compatibility c1 = c2 = 1.0,
c3 = 0.4, threshold delta_t = 3.0 (N = 1 for genomes under 20 genes); a species that has not
improved for 15 generations gets no offspring; the champion of each species with more than
five members is copied unchanged; 80% of genomes get their weights mutated (each weight: 90%
perturbed, 10% replaced); a gene disabled in either parent is disabled with probability
0.75; 25% of offspring come from mutation alone; interspecies mating 0.001; add node 0.03,
add connection 0.05; the steepened sigmoid 1/(1 + exp(-4.9 x)) at every node (activation
``neat_sigmoid``). The survival threshold 0.2 is the original C++ release's.

Left open by the paper and set here: perturbations are Gaussian N(0, 0.5) (the paper says
"uniform"), new and replaced weights N(0, 1), weights clipped to +-8. Our Graph gives every
node a bias where the paper used a bias input; biases are mutated like weights (80% of
genomes, 90% perturbed / 10% replaced). Re-enabling, deleting and activation mutations are
off by default (re-enabling happens through crossover, as in the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

from networks import activation_code

from ..base import Config, check

__all__ = ["NEATConfig", "STARTS", "FITNESS_SHIFTS"]

STARTS = ("minimal", "initial")
FITNESS_SHIFTS = ("min", "rank")


def _rate(name: str, value) -> None:
    check(name, value, low=0, high=1)


def _activation(field: str, name) -> None:
    try:
        activation_code(name)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class NEATConfig(Config):
    """NEAT's settings; see the module docstring.

    Start: ``start="minimal"``: every input connected to every output, no hidden node,
    weights N(0, weight_init_std), biases N(0, bias_init_std); ``"initial"``: the problem's
    initial Graph (e.g. an MLP), one copy as it is and the others with every weight and
    bias perturbed once. Hidden nodes that NEAT adds use ``activation``; outputs keep the
    problem's initial output activations unless ``output_activation`` is given (minimal
    start only).

    Speciation: with ``target_species`` set, the threshold moves by ``threshold_step`` each
    generation toward that many species (never below ``threshold_min``). The
    ``species_elitism`` species with the best fitness are never treated as stagnant (0: every
    species may stagnate; if all do, the population is seeded afresh).

    Structure: with ``recurrent``, add connection may also add recurrent connections (a
    value carried from one time step to the next), as the paper does for the double pole
    without velocities; a control task is then needed (a dataset has no time steps).

    Fitness: NEAT's explicit sharing needs fitness >= 0. ``fitness_shift="min"`` uses
    problem.fitness(objective) minus the population's lowest finite value (failed
    evaluations count 0); ``"rank"`` uses the rank (0 = worst) instead.
    """

    population: int = 150
    start: str = "minimal"
    activation: str = "neat_sigmoid"
    output_activation: str | None = None
    # speciation: d = c1 E / N + c2 D / N + c3 W, N = 1 below normalize_min_genes genes
    c1: float = 1.0
    c2: float = 1.0
    c3: float = 0.4
    compatibility_threshold: float = 3.0
    normalize_min_genes: int = 20
    target_species: int | None = None  # None: fixed threshold; else steer delta_t toward it
    threshold_step: float = 0.3
    threshold_min: float = 0.3
    # selection
    fitness_shift: str = "min"
    survival_threshold: float = 0.2
    elitism_size: int = 5  # a species with more members than this keeps its champion
    max_stagnation: int = 15
    species_elitism: int = 1  # this many best species never stagnate
    mutation_only_rate: float = 0.25
    interspecies_rate: float = 0.001
    disable_inherit_rate: float = 0.75
    # weights and biases
    weight_mutate_rate: float = 0.8
    weight_replace_rate: float = 0.1
    weight_perturb_power: float = 0.5  # perturbation ~ N(0, power)
    weight_init_std: float = 1.0  # new and replaced values ~ N(0, std)
    weight_limit: float = 8.0
    bias_mutate_rate: float = 0.8
    bias_replace_rate: float = 0.1
    bias_perturb_power: float = 0.5
    bias_init_std: float = 1.0
    # structure
    add_node_rate: float = 0.03
    add_connection_rate: float = 0.05
    reenable_rate: float = 0.0
    delete_connection_rate: float = 0.0
    delete_node_rate: float = 0.0
    activation_mutate_rate: float = 0.0
    activation_options: tuple[str, ...] = ("neat_sigmoid",)
    recurrent: bool = False  # new connections may be recurrent (control tasks only)

    def __post_init__(self) -> None:
        check("recurrent", self.recurrent, choices=(True, False))
        check("population", self.population, low=2, integer=True)
        check("start", self.start, choices=STARTS)
        _activation("activation", self.activation)
        if self.output_activation is not None:
            _activation("output_activation", self.output_activation)
        for name in ("c1", "c2", "c3"):
            check(name, getattr(self, name), low=0)
        check("compatibility_threshold", self.compatibility_threshold, low=0, low_open=True)
        check("normalize_min_genes", self.normalize_min_genes, low=0, integer=True)
        if self.target_species is not None:
            check("target_species", self.target_species, low=1, integer=True)
        check("threshold_step", self.threshold_step, low=0)
        check("threshold_min", self.threshold_min, low=0, low_open=True)
        check("fitness_shift", self.fitness_shift, choices=FITNESS_SHIFTS)
        check("survival_threshold", self.survival_threshold, low=0, low_open=True, high=1)
        check("elitism_size", self.elitism_size, low=0, integer=True)
        check("max_stagnation", self.max_stagnation, low=1, integer=True)
        check("species_elitism", self.species_elitism, low=0, integer=True)
        for name in (
            "mutation_only_rate",
            "interspecies_rate",
            "disable_inherit_rate",
            "weight_mutate_rate",
            "weight_replace_rate",
            "bias_mutate_rate",
            "bias_replace_rate",
            "add_node_rate",
            "add_connection_rate",
            "reenable_rate",
            "delete_connection_rate",
            "delete_node_rate",
            "activation_mutate_rate",
        ):
            _rate(name, getattr(self, name))
        for name in (
            "weight_perturb_power",
            "weight_init_std",
            "bias_perturb_power",
            "bias_init_std",
        ):
            check(name, getattr(self, name), low=0)
        check("weight_limit", self.weight_limit, low=0, low_open=True)
        if isinstance(self.activation_options, str) or not self.activation_options:
            raise ValueError(
                f"activation_options must be a non-empty list of activation names, got {self.activation_options!r}"
            )
        object.__setattr__(self, "activation_options", tuple(self.activation_options))
        for name in self.activation_options:
            _activation("activation_options", name)
