"""``neat``: NeuroEvolution of Augmenting Topologies (Stanley & Miikkulainen 2002).

A genome is a :class:`networks.Graph`. The run starts from minimal networks (every input
connected to every output, random weights; output activations as in the run's initial
Graph) or from perturbed copies of the run's initial Graph. Each step is one generation:

1. (from the second step on) breed the next population from the last one: species whose
   best fitness has not improved for ``max_stagnation`` generations get no offspring (the
   ``species_elitism`` best species are exempt); the others get offspring in proportion to
   their mean shared fitness (explicit fitness sharing: adjusted fitness f_i / |S|); the
   champion of every species larger than ``elitism_size`` is copied unchanged; the rest
   are children of parents drawn from the top ``survival_threshold`` of their species, 25%
   by mutation alone and the others by crossover (interspecies with probability 0.001),
   then mutated; the children are speciated against one random representative of each
   species of the last generation; if no species may reproduce, the population is seeded
   again from the start network (complete extinction never ends the run);
2. evaluate the whole population in one call to ``problem.evaluate`` (one network
   evaluation per genome; the last generation of a run evaluates only the genomes its
   budget has room for) and report, as the step's record: best and mean objective
   (``population_best``, ``population_mean``) and fitness (``best_fitness``,
   ``mean_fitness``: problem.fitness, higher is better), failed evaluations, the number
   and sizes of species, the compatibility threshold, hidden nodes and enabled connections
   of the best genome and on average, and how many times the population was re-seeded.

Fitness for sharing: see :class:`NEATConfig` (``fitness_shift``). After a step,
``population`` holds the Graphs just evaluated and ``values`` their objectives (the same
order). Whether a run solved its task is judged by the loop on ``best()``, as for every
optimizer.
"""

from __future__ import annotations

import logging

import numpy as np

from networks import (
    HIDDEN,
    INPUT,
    OUTPUT,
    Genomes,
    Graph,
    activation_code,
    minimal,
    segment_offsets,
)

from ..base import Optimizer
from ..candidates import Candidates
from .config import NEATConfig
from .crossover import crossover
from .innovation import InnovationTracker
from .mutation import (
    delete_connections,
    delete_nodes,
    grow,
    mutate_activations,
    mutate_biases,
    mutate_weights,
    reenable,
)
from .species import allot, shared_fitness, speciate

__all__ = ["NEAT"]

log = logging.getLogger(__name__)


class NEAT(Optimizer):
    """NEAT: evolves the network's topology and weights together, starting from minimal
    networks, with speciation protecting new structure.

    Details in the module docstring and NEATConfig."""

    name = "neat"
    Config = NEATConfig

    @classmethod
    def refuses(cls, config, kind: str) -> str | None:
        if config.recurrent and kind == "dataset":
            return (
                "neat: recurrent=true needs a control task (episodes, one decision after "
                "another), and this is a dataset"
            )
        return None

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        c = self.config
        why = self.refuses(c, "control" if getattr(self.problem, "episodic", False) else "dataset")
        if why is not None:
            raise ValueError(f"{why} ({self.problem.name!r})")
        self.start_graph = self._start_graph()
        self.tracker = InnovationTracker.for_genomes(
            self.start_graph.conn_innov.tolist(), self.start_graph.node_id.tolist()
        )
        self.threshold = float(c.compatibility_threshold)
        self.extinctions = 0
        self.values: np.ndarray | None = None
        self.fitness: np.ndarray | None = None
        self.population: list[Graph] = []
        self._next_species = 0
        self._checked: set[int] = set()  # species checked (NEAT's pole2_epoch), by id
        self._seed()

    def _start_graph(self) -> Graph:
        p, c = self.problem, self.config
        if c.start == "initial":
            return self.initial
        g = minimal(p.n_inputs, p.n_outputs, activation=c.activation, rng=self.rng)
        if c.output_activation is not None:
            out_act = np.full(p.n_outputs, activation_code(c.output_activation))
        else:
            out_act = self.initial.node_act[self.initial.node_kind == OUTPUT]
        act = g.node_act.copy()
        act[g.node_kind == OUTPUT] = out_act
        return g.replace(node_act=act)

    def _dist(self) -> dict:
        c = self.config
        return dict(c1=c.c1, c2=c.c2, c3=c.c3, normalize_min_genes=c.normalize_min_genes)

    def _seed(self) -> None:
        """A fresh population from the start network, speciated from scratch."""
        c, rng = self.config, self.rng
        g = Genomes.from_graphs([self.start_graph]).take(np.zeros(c.population, np.int64))
        free_b = g.node_kind != INPUT
        if c.start == "minimal":
            g.conn_weight[:] = np.clip(
                rng.standard_normal(len(g.conn_weight)) * c.weight_init_std,
                -c.weight_limit,
                c.weight_limit,
            )
            g.node_bias[free_b] = rng.standard_normal(int(free_b.sum())) * c.bias_init_std
        else:  # genome 0 is the initial network itself, the others perturbed copies
            w = g.conn_owner > 0
            g.conn_weight[w] += rng.standard_normal(int(w.sum())) * c.weight_perturb_power
            b = free_b & (g.node_owner > 0)
            g.node_bias[b] += rng.standard_normal(int(b.sum())) * c.bias_perturb_power
        self.genomes = g
        labels, founders = speciate(g, None, self.threshold, **self._dist())
        n = len(founders)
        self.labels = labels
        self.species_id = self._next_species + np.arange(n)
        self._next_species += n
        self.species_best = np.full(n, -np.inf)
        self.species_improved = np.full(n, self.generation, dtype=np.int64)

    # ------------------------------------------------------------------ one generation
    def step(self) -> dict:
        if self.fitness is not None:
            self._reproduce()
        graphs = self.genomes.graphs()
        candidates = Candidates.of_batch(self.genomes.batch(self.problem.dtype), graphs)
        values = self.problem.evaluate(candidates, rng=self.rng)
        self.offer(values, candidates)
        self.generation += 1
        if not len(values):  # no room in the budget for a single genome
            self.done = True
            return {"failed": 0}
        if len(values) < len(graphs):  # the budget ran out mid-generation: the run ends
            self.done = True
            self.genomes = self.genomes.take(np.arange(len(values)))
            self.labels = self.labels[: len(values)]
            graphs = graphs[: len(values)]
        self.population, self.values = graphs, values
        self.fitness = self.problem.fitness(values)
        return self._record()

    def nominee(self) -> tuple[Graph, float] | None:
        """One species champion per generation, as NEAT's code tests them on the double
        pole (``pole2_epoch``): the champion of the best species (by its champion's
        fitness) not checked yet; a species is unchecked again when its champion beats the
        best it ever had; when every species is checked, the best species again."""
        f = self.fitness
        if f is None or not len(f):
            return None
        best = np.full(len(self.species_id), -np.inf)
        np.maximum.at(best, self.labels, f)
        # species_best is each species' best before this generation (updated when the next
        # one is bred)
        self._checked.difference_update(self.species_id[best > self.species_best].tolist())
        ranked = np.argsort(-best, kind="stable")
        ranked = ranked[np.isfinite(best[ranked])]
        if not len(ranked):
            return None
        fresh = ranked[~np.isin(self.species_id[ranked], list(self._checked))]
        s = int(fresh[0] if len(fresh) else ranked[0])
        self._checked.add(int(self.species_id[s]))
        members = np.flatnonzero(self.labels == s)
        i = int(members[np.argmax(f[members])])
        return self.population[i], float(self.values[i])

    def _record(self) -> dict:
        g, values, f = self.genomes, self.values, self.fitness
        P = g.n
        hidden = np.bincount(g.node_owner[g.node_kind == HIDDEN], minlength=P)
        conns = np.bincount(g.conn_owner[g.conn_enabled], minlength=P)
        finite = np.isfinite(values)
        i = int(np.argmax(f))
        sizes = np.bincount(self.labels, minlength=len(self.species_id))
        return {
            "population_best": float(values[i]) if finite.any() else float("nan"),
            "population_mean": float(values[finite].mean()) if finite.any() else float("nan"),
            "best_fitness": float(f[i]),
            "mean_fitness": float(f[finite].mean()) if finite.any() else float("-inf"),
            "failed": int(P - finite.sum()),
            "species": int(len(sizes)),
            "species_sizes": sizes.tolist(),
            "threshold": self.threshold,
            "best_hidden": int(hidden[i]),
            "best_connections": int(conns[i]),
            "mean_hidden": float(hidden.mean()),
            "mean_connections": float(conns.mean()),
            "extinctions": self.extinctions,
        }

    def _reproduce(self) -> None:
        c, rng, pop, f = self.config, self.rng, self.genomes, self.fitness
        P, S = c.population, len(self.species_id)
        labels = self.labels
        self.tracker.new_generation()

        # members by species, fitness descending: each species' champion comes first
        sizes = np.bincount(labels, minlength=S)
        order = np.lexsort((np.arange(P), -f, labels))
        start = segment_offsets(sizes)[:-1]
        champ = order[start]

        # stagnation, protection of the best species, offspring per species
        smax = f[champ]
        improved = smax > self.species_best
        self.species_best = np.where(improved, smax, self.species_best)
        self.species_improved = np.where(improved, self.generation, self.species_improved)
        stagnant = self.generation - self.species_improved >= c.max_stagnation
        stagnant[np.argsort(-smax, kind="stable")[: c.species_elitism]] = False
        alive = ~stagnant  # (every species has members: empty ones are dropped below)
        if not alive.any():
            self.extinctions += 1
            log.warning("neat: every species stagnated; seeding a new population")
            self._seed()
            return
        mean = np.bincount(labels, shared_fitness(f, c.fitness_shift), minlength=S)
        mean = mean / np.maximum(sizes, 1)
        share = np.where(alive, mean, 0.0)
        if not share.sum() > 0:
            share = np.where(alive, sizes, 0).astype(np.float64)
        counts = allot(share, P)

        # parents: the top of each species
        elite = (counts > 0) & (sizes > c.elitism_size)
        pool = np.floor(c.survival_threshold * sizes + 1.0).astype(np.int64)  # <= sizes
        sp = np.repeat(np.arange(S), counts - elite)
        n = len(sp)
        u = rng.random((4, n))
        mom = order[start[sp] + (u[0] * pool[sp]).astype(np.int64)]
        dad = order[start[sp] + (u[1] * pool[sp]).astype(np.int64)]
        mated = (u[2] >= c.mutation_only_rate) & (pool[sp] > 1)
        inter = mated & (u[3] < c.interspecies_rate) if S > 1 else np.zeros(n, bool)
        if inter.any():
            j = rng.integers(S - 1, size=int(inter.sum()))
            dad[inter] = champ[j + (j >= sp[inter])]
        n_conn = pop.n_conn
        mom_first = (f[mom] > f[dad]) | ((f[mom] == f[dad]) & (n_conn[mom] <= n_conn[dad]))
        first = np.where(mom_first, mom, dad)
        second = np.where(mom_first, dad, mom)
        first = np.where(mated, first, mom)
        elites = champ[elite]
        children = pop.take(np.concatenate([elites, first]))
        crossover(
            pop,
            first[mated],
            second[mated],
            rng,
            disable_rate=c.disable_inherit_rate,
            into=children,
            rows=len(elites) + np.flatnonzero(mated),
        )
        mutate = np.arange(children.n) >= len(elites)
        children = self._mutate(children, mutate)

        # speciate against one random member of each species that bred
        bred = np.flatnonzero(counts > 0)
        reps = pop.take(order[start[bred] + (rng.random(len(bred)) * sizes[bred]).astype(np.int64)])
        new_labels, founders = speciate(children, reps, self.threshold, **self._dist())
        k = len(founders)
        ids = np.concatenate([self.species_id[bred], self._next_species + np.arange(k)])
        self._next_species += k
        best = np.concatenate([self.species_best[bred], np.full(k, -np.inf)])
        since = np.concatenate([self.species_improved[bred], np.full(k, self.generation, np.int64)])
        keep = np.bincount(new_labels, minlength=len(ids)) > 0
        self.labels = (np.cumsum(keep) - 1)[new_labels]
        self.species_id, self.species_best = ids[keep], best[keep]
        self.species_improved = since[keep]
        self.genomes = children
        if c.target_species is not None:
            n_sp = int(keep.sum())
            if n_sp < c.target_species:
                self.threshold = max(c.threshold_min, self.threshold - c.threshold_step)
            elif n_sp > c.target_species:
                self.threshold += c.threshold_step

    def _mutate(self, g: Genomes, mask: np.ndarray) -> Genomes:
        c, rng = self.config, self.rng
        r = rng.random((8, g.n)) if g.n else np.zeros((8, 0))
        w = dict(init_std=c.weight_init_std, limit=c.weight_limit)
        mutate_weights(
            g,
            mask & (r[0] < c.weight_mutate_rate),
            rng,
            replace_rate=c.weight_replace_rate,
            power=c.weight_perturb_power,
            **w,
        )
        mutate_biases(
            g,
            mask & (r[1] < c.bias_mutate_rate),
            rng,
            replace_rate=c.bias_replace_rate,
            power=c.bias_perturb_power,
            init_std=c.bias_init_std,
            limit=c.weight_limit,
        )
        if c.reenable_rate:
            reenable(g, mask & (r[2] < c.reenable_rate), rng)
        if c.activation_mutate_rate:
            codes = np.array([activation_code(a) for a in c.activation_options])
            mutate_activations(g, mask & (r[3] < c.activation_mutate_rate), rng, codes)
        if c.delete_connection_rate:
            g = delete_connections(g, mask & (r[4] < c.delete_connection_rate), rng)
        if c.delete_node_rate:
            g = delete_nodes(g, mask & (r[5] < c.delete_node_rate), rng)
        return grow(
            g,
            mask & (r[6] < c.add_node_rate),
            mask & (r[7] < c.add_connection_rate),
            rng,
            self.tracker,
            activation=activation_code(c.activation),
            recurrent=c.recurrent,
            **w,
        )
