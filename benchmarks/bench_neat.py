"""NEAT against neat-python 2.x, side by side in one run, and the paper's XOR table.

    .venv/bin/python benchmarks/bench_neat.py            # 100 XOR seeds each, 10 BC generations x 3
    .venv/bin/python benchmarks/bench_neat.py --quick    # 10 XOR seeds, 3 BC generations x 1
    .venv/bin/python benchmarks/bench_neat.py --paper    # only ours: 100 XOR seeds beside the paper

Each side uses its own XOR configuration, population 150 and at most 300 generations:

- neuroarena ``neat`` with its defaults (the paper's settings), XOR as
  ``SupervisedProblem(task_type="classification", loss="mse")`` with neat_sigmoid outputs; a run is
  solved in the first generation where some genome puts all four outputs on the correct side
  of 0.5 (the paper's criterion). The driver checks each evaluated generation itself (this
  check is not timed: it is not part of the algorithm);
- neat-python with examples/xor/config-feedforward (REFERENCES.md section 2), fitness
  4 - sum of squared errors with its FeedForwardNetwork, solved at fitness >= 3.9.

Networks evaluated per solved run are counted as NEAT's C++ does, pop x (gen - 1) + the
winner's 1-based index in its generation (REFERENCES.md section 8), and as everything
evaluated (pop x gen). Then both run a fixed number of generations on breast cancer
(sklearn, standardised, 30 inputs, 569 samples, fitness = -mse of a sigmoid output).
Seconds per generation are medians over runs (XOR) or over repeats (breast cancer); XOR
seeds alternate between the two libraries so both see the same machine load. The last line
of the output is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networks  # noqa: E402
from optimizers import SupervisedProblem  # noqa: E402
from optimizers.neat import NEAT  # noqa: E402

POP = 150
MAX_GENS = 300
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])
PAPER = dict(  # Stanley & Miikkulainen 2002, section 4.2 (REFERENCES.md section 1)
    runs=100,
    solved=100,
    evals_mean=4755,
    evals_sd=2553,
    evals_max=13459,
    gens_mean=32,
    hidden=2.35,
    hidden_sd=1.11,
    conns=7.48,
)

NEAT_PYTHON_CONFIG = """
[NEAT]
fitness_criterion     = max
fitness_threshold     = {threshold}
pop_size              = 150
reset_on_extinction   = False
no_fitness_termination = {no_termination}

[DefaultGenome]
activation_default      = sigmoid
activation_mutate_rate  = 0.0
activation_options      = sigmoid
aggregation_default     = sum
aggregation_mutate_rate = 0.0
aggregation_options     = sum
bias_init_mean          = 0.0
bias_init_stdev         = 1.0
bias_max_value          = 30.0
bias_min_value          = -30.0
bias_mutate_power       = 0.5
bias_mutate_rate        = 0.7
bias_replace_rate       = 0.1
compatibility_disjoint_coefficient = 1.0
compatibility_weight_coefficient   = 0.5
conn_add_prob           = 0.5
conn_delete_prob        = 0.5
enabled_default         = True
enabled_mutate_rate     = 0.01
feed_forward            = True
initial_connection      = full
node_add_prob           = 0.2
node_delete_prob        = 0.2
num_hidden              = 0
num_inputs              = {n_inputs}
num_outputs             = 1
response_init_mean      = 1.0
response_init_stdev     = 0.0
response_max_value      = 30.0
response_min_value      = -30.0
response_mutate_power   = 0.0
response_mutate_rate    = 0.0
response_replace_rate   = 0.0
weight_init_mean        = 0.0
weight_init_stdev       = 1.0
weight_max_value        = 30
weight_min_value        = -30
weight_mutate_power     = 0.5
weight_mutate_rate      = 0.8
weight_replace_rate     = 0.1
single_structural_mutation = false
structural_mutation_surer  = default
bias_init_type          = gaussian
response_init_type      = gaussian
weight_init_type        = gaussian
enabled_rate_to_true_add  = 0.0
enabled_rate_to_false_add = 0.0

[DefaultSpeciesSet]
compatibility_threshold = 3.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation       = 20
species_elitism      = 2

[DefaultReproduction]
elitism            = 2
survival_threshold = 0.2
min_species_size   = 2
"""


# ---------------------------------------------------------------------- neuroarena
def xor_problem() -> SupervisedProblem:
    return SupervisedProblem(XOR_X, XOR_Y, task_type="classification", loss="mse", name="xor")


def xor_start():
    return networks.minimal(2, 1, rng=np.random.default_rng(0))  # neat_sigmoid output


def ours_xor(seed: int, max_gens: int = MAX_GENS) -> dict:
    """One run until some genome solves XOR (paper's criterion) or max_gens."""
    opt = NEAT()
    opt.setup(xor_problem(), xor_start(), np.random.default_rng(seed))
    seconds = 0.0
    for gen in range(1, max_gens + 1):
        t0 = time.perf_counter()
        opt.step()
        seconds += time.perf_counter() - t0
        out = networks.forward_many(opt.population, XOR_X)[:, :, 0]
        ok = ((out > 0.5) == XOR_Y).all(axis=1)
        if ok.any():
            i = int(np.argmax(ok))
            g = opt.population[i]
            return dict(
                solved=True,
                gens=gen,
                evals=POP * (gen - 1) + i + 1,
                evals_all=POP * gen,
                hidden=g.n_hidden,
                conns=g.n_enabled,
                seconds=seconds,
                s_per_gen=seconds / gen,
            )
    return dict(solved=False, gens=max_gens, seconds=seconds, s_per_gen=seconds / max_gens)


def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def ours_bc(X, y, gens: int, seed: int) -> dict:
    start = networks.minimal(X.shape[1], 1, rng=np.random.default_rng(0))
    problem = SupervisedProblem(X, y, task_type="classification", loss="mse")
    opt = NEAT()
    opt.setup(problem, start, np.random.default_rng(seed))
    times = []
    for _ in range(gens):
        t0 = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - t0)
    acc = problem.score(opt.best())["train_accuracy"]
    return dict(s_per_gen=float(np.median(times)), best_mse=opt.best_value, accuracy=acc)


# ---------------------------------------------------------------------- neat-python
def neat_python_config(n_inputs: int, threshold: float, no_termination: bool):
    import neat

    text = NEAT_PYTHON_CONFIG.format(
        n_inputs=n_inputs, threshold=threshold, no_termination=no_termination
    )
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(text)
    try:
        return neat.Config(
            neat.DefaultGenome,
            neat.DefaultReproduction,
            neat.DefaultSpeciesSet,
            neat.DefaultStagnation,
            f.name,
        )
    finally:
        os.unlink(f.name)


def np_xor(config, seed: int) -> dict:
    import neat

    data = [((0.0, 0.0), 0.0), ((0.0, 1.0), 1.0), ((1.0, 0.0), 1.0), ((1.0, 1.0), 0.0)]
    order = {}

    def evaluate(genomes, cfg):
        for k, (gid, g) in enumerate(genomes):
            net = neat.nn.FeedForwardNetwork.create(g, cfg)
            g.fitness = 4.0 - sum((net.activate(x)[0] - t) ** 2 for x, t in data)
            order[gid] = k

    pop = neat.Population(config, seed=seed)
    t0 = time.perf_counter()
    best = pop.run(evaluate, MAX_GENS)
    seconds = time.perf_counter() - t0
    gens = min(pop.generation + 1, MAX_GENS)  # generations evaluated (0-based counter)
    solved = best.fitness >= config.fitness_threshold
    if not solved:
        return dict(solved=False, gens=gens, seconds=seconds, s_per_gen=seconds / gens)
    winner = next(g for g in pop.population.values() if g.fitness >= config.fitness_threshold)
    hidden = len([k for k in winner.nodes if k not in config.genome_config.output_keys])
    return dict(
        solved=True,
        gens=gens,
        evals=POP * (gens - 1) + order[winner.key] + 1,
        evals_all=POP * gens,
        hidden=hidden,
        conns=sum(1 for c in winner.connections.values() if c.enabled),
        seconds=seconds,
        s_per_gen=seconds / gens,
    )


def np_bc(X, y, gens: int, seed: int) -> dict:
    import neat

    config = neat_python_config(X.shape[1], 1e9, True)
    rows = [tuple(r) for r in X.tolist()]
    targets = y.astype(float).tolist()
    times = []

    def evaluate(genomes, cfg):
        for _, g in genomes:
            net = neat.nn.FeedForwardNetwork.create(g, cfg)
            g.fitness = -sum((net.activate(x)[0] - t) ** 2 for x, t in zip(rows, targets)) / len(
                rows
            )

    pop = neat.Population(config, seed=seed)
    for _ in range(gens):
        t0 = time.perf_counter()
        pop.run(evaluate, 1)
        times.append(time.perf_counter() - t0)
    best = max(g.fitness for g in pop.population.values() if g.fitness is not None)
    return dict(s_per_gen=float(np.median(times)), best_mse=-best)


# ---------------------------------------------------------------------- tables
def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["solved"]]
    pick = lambda k: np.array([r[k] for r in ok], dtype=float)  # noqa: E731
    out = dict(runs=len(runs), solved=len(ok))
    if ok:
        out.update(
            evals_mean=float(pick("evals").mean()),
            evals_sd=float(pick("evals").std(ddof=1)) if len(ok) > 1 else 0.0,
            evals_median=float(np.median(pick("evals"))),
            evals_all_mean=float(pick("evals_all").mean()),
            evals_max=float(pick("evals").max()),
            gens_mean=float(pick("gens").mean()),
            gens_median=float(np.median(pick("gens"))),
            hidden=float(pick("hidden").mean()),
            hidden_sd=float(pick("hidden").std(ddof=1)) if len(ok) > 1 else 0.0,
            conns=float(pick("conns").mean()),
            seconds_per_solve=float(pick("seconds").mean()),
        )
    out["s_per_gen"] = float(np.median([r["s_per_gen"] for r in runs]))
    return out


def fmt(v, spec=",.0f") -> str:
    return "-" if v is None else format(v, spec)


def xor_table(cols: dict[str, dict]) -> str:
    rows = [
        ("runs solved", lambda s: f"{s['solved']}/{s['runs']}"),
        ("mean evals (C++ count)", lambda s: fmt(s.get("evals_mean"))),
        ("sd evals", lambda s: fmt(s.get("evals_sd"))),
        ("median evals", lambda s: fmt(s.get("evals_median"))),
        ("worst run evals", lambda s: fmt(s.get("evals_max"))),
        ("mean evals (all evaluated)", lambda s: fmt(s.get("evals_all_mean"))),
        ("mean generations", lambda s: fmt(s.get("gens_mean"), ".1f")),
        ("hidden nodes (solution)", lambda s: fmt(s.get("hidden"), ".2f")),
        ("sd hidden nodes", lambda s: fmt(s.get("hidden_sd"), ".2f")),
        ("enabled connections *", lambda s: fmt(s.get("conns"), ".2f")),
        ("seconds / generation", lambda s: fmt(s.get("s_per_gen"), ".2e")),
        ("seconds / solved run", lambda s: fmt(s.get("seconds_per_solve"), ".3f")),
    ]
    head = f"{'XOR (pop 150)':28s}" + "".join(f"{k:>16s}" for k in cols)
    lines = [head, "-" * len(head)]
    for label, get in rows:
        lines.append(f"{label:28s}" + "".join(f"{get(s):>16s}" for s in cols.values()))
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 XOR seeds, 3 BC generations once")
    ap.add_argument("--paper", action="store_true", help="only neuroarena on XOR, beside the paper")
    ap.add_argument("--seeds", type=int, default=None, help="XOR seeds per library")
    ap.add_argument("--bc-gens", type=int, default=None)
    ap.add_argument("--bc-repeats", type=int, default=None)
    args = ap.parse_args(argv)
    n_seeds = args.seeds or (10 if args.quick else 100)
    bc_gens = args.bc_gens or (3 if args.quick else 10)
    bc_repeats = args.bc_repeats or (1 if args.quick else 3)

    ours, theirs = [], []
    xor_cfg = None if args.paper else neat_python_config(2, 3.9, False)
    for seed in range(n_seeds):
        ours.append(ours_xor(seed))
        if xor_cfg is not None:
            theirs.append(np_xor(xor_cfg, seed))
    cols = {"paper": {**PAPER, "s_per_gen": None}, "neuroarena": summarise(ours)}
    if theirs:
        cols["neat-python"] = summarise(theirs)
    print(xor_table(cols))
    print("* the paper's count includes links from its bias input; ours has node biases instead")
    result = {"xor": {k: v for k, v in cols.items()}}
    if not args.paper:
        a, b = cols["neuroarena"], cols["neat-python"]
        result["xor_speedup_per_generation"] = b["s_per_gen"] / a["s_per_gen"]
        X, y = breast_cancer()
        bc_ours, bc_np = [], []
        for s in range(bc_repeats):  # alternating, like the XOR seeds
            bc_ours.append(ours_bc(X, y, bc_gens, s))
            bc_np.append(np_bc(X, y, bc_gens, s))
        bc = {
            "neuroarena": {
                "s_per_gen": float(np.median([r["s_per_gen"] for r in bc_ours])),
                "best_mse": float(np.median([r["best_mse"] for r in bc_ours])),
                "accuracy": float(np.median([r["accuracy"] for r in bc_ours])),
            },
            "neat-python": {
                "s_per_gen": float(np.median([r["s_per_gen"] for r in bc_np])),
                "best_mse": float(np.median([r["best_mse"] for r in bc_np])),
            },
            "generations": bc_gens,
            "repeats": bc_repeats,
        }
        bc["speedup_per_generation"] = (
            bc["neat-python"]["s_per_gen"] / bc["neuroarena"]["s_per_gen"]
        )
        result["breast_cancer"] = bc
        print()
        print(f"breast cancer (569 x 30, pop 150, {bc_gens} generations x {bc_repeats})")
        print(f"{'':28s}{'neuroarena':>16s}{'neat-python':>16s}")
        print(
            f"{'seconds / generation':28s}{bc['neuroarena']['s_per_gen']:>16.2e}"
            f"{bc['neat-python']['s_per_gen']:>16.2e}"
        )
        print(
            f"{'best train mse':28s}{bc['neuroarena']['best_mse']:>16.4f}"
            f"{bc['neat-python']['best_mse']:>16.4f}"
        )
        print()
        print(
            f"speed-up per generation: XOR {result['xor_speedup_per_generation']:.1f}x "
            f"(target >= 5), breast cancer {bc['speedup_per_generation']:.1f}x (target >= 50)"
        )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
