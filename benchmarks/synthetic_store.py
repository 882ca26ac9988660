"""A synthetic study store that looks like a real one, for benchmarking reports and stats.

:func:`write_synthetic_store` writes ``tasks x optimizers x seeds`` runs (600 by default)
through the project's own store API, the way :func:`studies.run_study` does: a real
:class:`studies.Study` gives the spec, the run ids and each run's content; each run record
has the shape :func:`studies.execute.execute` returns (its common fields come from
:func:`studies.execute.failed_record`); :class:`studies.store.Store` writes them, one
transaction per run. Only the numbers are made up, from numpy Generators seeded by name
(:func:`studies.seed_sequence`), so the same arguments give the same store:

- classification tasks (accuracy, maximised; a target on the test or train split) and
  regression tasks (mse, minimised); accuracies are multiples of 1 / (split rows);
- each optimizer has a skill per task (ranks differ between tasks) and each run a final
  quality around it; curves of ``points`` recorded steps, with samples, evaluations, macs
  and seconds increasing, train loss never increasing (it is the objective), val and test
  loss and metric following it noisily (with some overfitting), and what each optimizer
  reports (NEAT: species and their sizes, mean and best connections and hidden nodes;
  CMA-ES: sigma, condition; GA, ES, random search: population statistics; backprop: the
  epoch loss);
- each run's best network is a real :class:`networks.Graph`: the task's MLP (weights
  drawn from the repetition's initial rng, then moved) or, for NEAT, a minimal network
  grown by splitting connections and adding skip connections;
- about 1% of runs failed (no result), 1% of the gradient and ES runs diverged (NaN
  losses at the end) and 0.5% of the population runs hit ``max_run_seconds`` (a cut curve).

    .venv/bin/python benchmarks/synthetic_store.py [DIR] [--tasks 10 --optimizers 6 ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networks  # noqa: E402
from studies import Study, seed_sequence  # noqa: E402
from studies.execute import failed_record  # noqa: E402
from studies.provenance import study_provenance  # noqa: E402
from studies.seeds import init_rng, split_rng  # noqa: E402
from studies.store import Store  # noqa: E402

__all__ = ["write_synthetic_store", "TASKS", "OPTIMIZERS"]

STUDY_NAME = "synthetic"
MAX_RUN_SECONDS = 60.0
BUDGET = {"evaluations": 10_000}

# the first ten mix 7 classification and 3 regression tasks; more tasks are variants
TASKS: list = [
    "iris",
    {"name": "xor", "budget": {"evaluations": 4_000}},
    "sine",
    "circles",
    {"name": "two-spirals", "budget": {"evaluations": 20_000}},
    "friedman1",
    "moons",
    "wine",
    "breast-cancer",
    {"name": "sine", "noise": 0.3},
]
OPTIMIZERS: dict = {
    "adam": ("backprop", {"rule": "adam", "lr": 0.01}),
    "neat": "neat",
    "cmaes": "cmaes",
    "ga": "ga",
    "es": "es",
    "random-search": "random-search",
    "sgd": ("backprop", {"rule": "sgd", "lr": 0.05}),
    "neat-300": ("neat", {"population": 300}),
    "ga-200": ("ga", {"population": 200}),
    "momentum": ("backprop", {"rule": "momentum", "lr": 0.01}),
}

# by registered name: mean final quality (0 = chance, 1 = the task's best), how fast a curve
# gets there, run-to-run spread, MACs per sample per connection (backprop: forward and
# backward), seconds per evaluation outside the network
_PROFILE = {
    "backprop": dict(skill=0.90, rate=6.0, spread=0.06, pass_cost=3.0, overhead=1.5e-4),
    "cmaes": dict(skill=0.80, rate=3.5, spread=0.08, pass_cost=1.0, overhead=5e-4),
    "es": dict(skill=0.68, rate=2.5, spread=0.10, pass_cost=1.0, overhead=2e-4),
    "ga": dict(skill=0.58, rate=2.0, spread=0.12, pass_cost=1.0, overhead=2e-4),
    "neat": dict(skill=0.62, rate=1.5, spread=0.14, pass_cost=1.0, overhead=5e-5),
    "random-search": dict(skill=0.35, rate=1.0, spread=0.10, pass_cost=1.0, overhead=1e-4),
}
# by task name: how far from the best reachable figure a poor optimizer ends (0: every
# optimizer solves it, 1: only the best come close)
_DIFFICULTY = {
    "xor": 0.5, "parity": 0.7, "two-spirals": 1.0, "circles": 0.35, "moons": 0.3,
    "iris": 0.2, "wine": 0.2, "breast-cancer": 0.12, "digits": 0.6, "sine": 0.45,
    "friedman1": 0.6,
}  # fmt: skip
_ERRORS = (
    "MemoryError: Unable to allocate 1.91 GiB for an array with shape (16000, 16000) and data type float64",
    "FloatingPointError: overflow encountered in matmul",
    "its worker process died: TerminatedWorkerError: A worker process managed by the executor "
    "was unexpectedly terminated. This could be caused by a segmentation fault while calling "
    "the function or by an excessive memory usage causing the Operating System to kill the worker.",
)
_TRACEBACK = (
    "\nTraceback (most recent call last):\n"
    '  File "/work/main/optimizers/loop.py", line 180, in fit\n'
    "    info = optimizer.step() or {}\n"
)


def _task_entries(n: int) -> list:
    entries = list(TASKS[:n])
    for i in range(n - len(entries)):  # variants: parity(bits=4, 5, ...), noisier tasks
        k = i // 3
        entries.append(
            [
                {"name": "parity", "bits": 4 + k},
                {"name": "friedman1", "noise": 0.5 + 0.25 * k},
                {"name": "circles", "noise": 0.15 + 0.05 * k},
            ][i % 3]
        )
    return entries


def _optimizer_entries(n: int) -> dict:
    labels = dict(list(OPTIMIZERS.items())[:n])
    for i in range(n - len(labels)):
        labels[f"random-search-{i}"] = ("random-search", {"sigma": round(0.1 * (i + 1), 3)})
    return labels


def _quantize(values: np.ndarray, rows: int) -> np.ndarray:
    """Accuracies as a split of ``rows`` rows can give them."""
    return np.clip(np.round(values * rows), 0, rows) / rows


def _species_sizes(rng, points: int, population: int) -> list[list[int]]:
    """NEAT's species sizes per generation: list position = species; 0 once extinct.

    Sizes drift with fitness and back towards an equal share (fitness sharing); a new
    species appears now and then (less often when there are many), small ones die out.
    The draws are made up front and the (short) lists updated in plain Python."""
    cap = points + 1
    new_u, new_size = rng.random(points).tolist(), rng.integers(1, 12, points).tolist()
    drift = rng.lognormal(0.0, 0.3, (points, cap)).tolist()
    die_u = rng.random((points, cap)).tolist()
    sizes: list[float] = [float(population)]
    out = []
    for t in range(points):
        n_alive = sum(1 for v in sizes if v > 0)
        if new_u[t] < 0.4 / (1 + n_alive / 8):
            sizes.append(float(new_size[t]))
            n_alive += 1
        share = population / n_alive
        grown = [
            (0.7 * v + 0.3 * share) * drift[t][i] if v > 0 else 0.0 for i, v in enumerate(sizes)
        ]
        dying = [
            v > 0 and die_u[t][i] < (0.3 if v < 0.03 * population else 0.01)
            for i, v in enumerate(grown)
        ]
        if sum(dying) < n_alive:
            grown = [0.0 if d else v for v, d in zip(grown, dying)]
        total = sum(grown)
        ints = [int(v * population / total) for v in grown]
        ints[max(range(len(grown)), key=grown.__getitem__)] += population - sum(ints)
        sizes = [float(v) for v in ints]
        out.append(ints)
    return out


def _neat_graph(n_in: int, n_out: int, hidden: int, extra: int, rng) -> networks.Graph:
    """A minimal NEAT network grown by ``hidden`` node splits and ``extra`` skip links.
    Every connection goes from a lower to a higher rank, so the graph stays acyclic."""
    g = networks.minimal(n_in, n_out, rng=rng)
    nodes = [tuple(n) for n in g.nodes]
    conns = [list(c) for c in g.connections]
    rank = {n[0]: (0.0 if n[1] == "input" else 1.0) for n in nodes}
    next_id, innov = max(rank) + 1, len(conns)
    for _ in range(hidden):
        on = [c for c in conns if c[3]]
        c = on[rng.integers(len(on))]
        c[3] = False
        nodes.append((next_id, "hidden", "neat_sigmoid", float(rng.normal(0, 1))))
        conns += [[c[0], next_id, 1.0, True, innov], [next_id, c[1], c[2], True, innov + 1]]
        lo, hi = rank[c[0]], rank[c[1]]
        rank[next_id] = lo + (hi - lo) * rng.uniform(0.4, 0.6)
        next_id, innov = next_id + 1, innov + 2
    have = {(c[0], c[1]) for c in conns}
    kind = {n[0]: n[1] for n in nodes}
    ids = list(rank)
    for _ in range(extra * 5):
        a, b = rng.choice(ids, 2, replace=False)
        a, b = (a, b) if rank[a] < rank[b] else (b, a)
        if extra == 0 or (a, b) in have or kind[a] == "output" or kind[b] == "input":
            continue
        conns.append([int(a), int(b), float(rng.normal(0, 1.5)), True, innov])
        have.add((a, b))
        innov, extra = innov + 1, extra - 1
    return networks.Graph.from_lists(nodes, [tuple(c) for c in conns])


def _measured(info: dict, metric: str, name: str, q: np.ndarray, rng) -> dict:
    """Train, val and test loss and metric of the best network at each recorded step, for
    a quality curve ``q`` (0 = chance, 1 = the task's best)."""
    points, n_train = len(q), info["n_train"]
    frac = np.arange(1, points + 1) / points
    gap = rng.uniform(0.0, 0.12 if name == "backprop" else 0.05) * frac  # overfitting
    if metric == "mse":
        v0, end = info["variance"], 0.7 * info["target"]
        train = np.minimum.accumulate(
            (end + (v0 - end) * (1 - q) ** 2) * rng.lognormal(0, 0.03, points)
        )
        out = {"train_loss": train, "train_mse": train}
        for split in ("val", "test"):
            m = train * (rng.uniform(1.05, 1.35) + gap) * rng.lognormal(0, 0.04, points)
            out.update({f"{split}_loss": m, f"{split}_mse": m})
        return out
    chance, l0 = info["chance"], np.log(info["n_classes"])
    train_loss = np.minimum.accumulate(l0 * 0.01**q * rng.lognormal(0, 0.03, points))
    train_m = _quantize(chance + (1 - chance) * q + rng.normal(0, 0.01, points), n_train)
    out = {"train_loss": train_loss, "train_accuracy": train_m}
    for split, rows in (("val", info["n_val"]), ("test", info["n_test"])):
        if info["all_rows"]:  # every split is all rows
            out.update({f"{split}_loss": train_loss, f"{split}_accuracy": train_m})
            continue
        m = chance + (info["ceiling"] - chance) * q * (1 - gap) + rng.normal(0, 0.02, points)
        out[f"{split}_accuracy"] = _quantize(m, rows)
        out[f"{split}_loss"] = train_loss * (1.1 + 6 * gap) + rng.gamma(2, 0.01, points)
    return out


def _spent(name: str, info: dict, budget: float, per_sample: np.ndarray, rng) -> dict:
    """Cumulative samples, evaluations, macs, seconds and steps at each recorded step."""
    points, prof, n_train = len(per_sample), _PROFILE[name], info["n_train"]
    frac = np.arange(1, points + 1) / points
    evaluations = budget * frac
    if name == "backprop":
        evaluations = evaluations - 0.5 / n_train * (frac == 1)  # the last batch falls short
    samples = evaluations * n_train
    macs = np.cumsum(np.diff(samples, prepend=0.0) * per_sample * prof["pass_cost"])
    d_seconds = (
        np.diff(evaluations, prepend=0.0) * prof["overhead"] + np.diff(macs, prepend=0.0) * 2e-9
    )
    seconds = np.cumsum(d_seconds * rng.lognormal(0, 0.15) * rng.lognormal(0, 0.1, points))
    if name == "backprop":
        steps = np.round(evaluations / 3).astype(int)  # as in the quickstart's store
    else:
        steps = np.ceil(evaluations / info["population"]).astype(int)
    index = np.arange(points)  # every record is at a later step than the one before
    steps = np.maximum.accumulate(steps - index) + index
    return dict(samples=samples, evaluations=evaluations, macs=macs, seconds=seconds, steps=steps)


def _reported(name: str, train_loss: np.ndarray, population: int, rng) -> dict:
    """What each optimizer reports about its steps (NEAT's complexity is added by the caller)."""
    points = len(train_loss)
    frac = np.arange(1, points + 1) / points
    pop_best = train_loss * (1 + np.abs(rng.normal(0, 0.05, points)))
    pop_mean = pop_best * (1 + rng.uniform(0.2, 1.5, points))
    if name == "backprop":
        return {"epoch_loss": train_loss * (1 + np.abs(rng.normal(0, 0.1, points)))}
    out = {"population_best": pop_best, "population_mean": pop_mean, "failed": np.zeros(points)}
    if name in ("ga", "es", "cmaes"):
        out.update(
            population_worst=pop_mean * rng.uniform(1.5, 4, points),
            population_std=(pop_mean - pop_best) * rng.uniform(0.4, 0.8, points),
            nevals=np.full(points, float(population)),
        )
    if name == "es":
        out["step_size"] = 0.5 * np.exp(-2 * frac) * rng.lognormal(0, 0.1, points)
    if name == "cmaes":
        out.update(
            sigma=0.3 * np.exp(-1.5 * frac) * rng.lognormal(0, 0.05, points),
            condition=10 ** (3 * frac * rng.uniform(0.5, 1.5)),
            population_size=np.full(points, float(population)),
            restarts=np.zeros(points),
        )
    if name == "neat":
        out.update(best_fitness=-pop_best, mean_fitness=-pop_mean, threshold=np.full(points, 3.0))
    return out


def _curve(run, info: dict, quality: float, rng, points: int, graph, kind: str) -> list[dict]:
    """``points`` curve records of one run (kind: "done", "diverged", "timeout")."""
    name = run.optimizer.name
    frac = np.arange(1, points + 1) / points
    rate = _PROFILE[name]["rate"] * rng.lognormal(0, 0.2)
    q = quality * (1 - np.exp(-rate * frac)) / (1 - np.exp(-rate))
    q = np.maximum.accumulate(np.clip(q + rng.normal(0, 0.01, points), 0, 1))
    pts = _measured(info, run.task.metric, name, q, rng)
    pts["best_objective"] = pts["train_loss"]
    pts.update(_reported(name, pts["train_loss"], info["population"], rng))
    species_sizes = None
    if name == "neat":  # complexity grows to the final network's; species come and go
        h, c = graph.n_hidden, graph.n_enabled
        best_hidden = np.sort(rng.integers(0, h + 1, points))
        best_conns = np.sort(rng.integers(min(c, graph.n_inputs * graph.n_outputs), c + 1, points))
        best_conns[-1], best_hidden[-1] = c, h
        species_sizes = _species_sizes(rng, points, info["population"])
        pts.update(
            best_hidden=best_hidden.astype(float),
            best_connections=best_conns.astype(float),
            mean_hidden=np.maximum(0, best_hidden * 0.8 + rng.normal(0, 0.2, points)),
            mean_connections=np.maximum(
                1, best_conns * rng.uniform(0.95, 1.1) + rng.normal(0, 0.5, points)
            ),
            species=np.array([len(s) for s in species_sizes], float),
            extinctions=np.array([s.count(0) for s in species_sizes], float),
        )
        per_sample = pts["mean_connections"]
    else:
        per_sample = np.full(points, float(graph.n_enabled))
    spent = _spent(name, info, run.budget.limits()["evaluations"], per_sample, rng)
    steps = spent.pop("steps")
    pts.update(spent)
    if kind == "diverged":  # the losses blow up from some point on
        after = np.arange(points) >= int(rng.integers(points // 2, points))
        for k in pts:
            if k.endswith(("_loss", "_mse", "best_objective", "population_mean")):
                pts[k] = np.where(after, np.nan, pts[k])
            elif k.endswith("_accuracy"):
                pts[k] = np.where(after, info["chance"], pts[k])
    n = points
    if kind == "timeout":  # cut at the time limit
        n = int(rng.integers(max(1, points // 4), max(2, points * 3 // 4)))
        pts["seconds"] = pts["seconds"] * (MAX_RUN_SECONDS * 1.002 / pts["seconds"][n - 1])
    columns = {k: v[:n].tolist() for k, v in pts.items()}
    curve = [dict(zip(columns, values)) for values in zip(*columns.values())]
    for i, point in enumerate(curve):
        point["steps"] = int(steps[i])
        if species_sizes is not None:
            point["species_sizes"] = species_sizes[i]
    return curve


def _record(run, info: dict, quality: float, rng, points: int, kind: str) -> dict:
    """One run's record, as :func:`studies.execute.execute` returns it."""
    record = failed_record(run, "", float("nan"))  # the fields every record has
    if kind == "failed":
        error = _ERRORS[int(rng.integers(len(_ERRORS)))]
        record.update(error=error + _TRACEBACK * ("worker" not in error))
        record["wall_seconds"] = float(rng.uniform(0.1, 5.0))
        return record
    n_in, n_out = info["n_inputs"], info["n_outputs"]
    if run.optimizer.name == "neat":
        graph = _neat_graph(n_in, n_out, int(rng.poisson(1.5)), int(rng.poisson(1.0)), rng)
    else:
        g = run.network.build(
            n_in, n_out, rng=init_rng(run.study_seed, run.task.key, run.repetition)
        )
        graph = g.replace(
            conn_weight=g.conn_weight + rng.normal(0, 0.6, g.n_connections),
            node_bias=np.where(g.node_kind == 0, 0.0, g.node_bias + rng.normal(0, 0.3, g.n_nodes)),
        )
    curve = _curve(run, info, quality, rng, points, graph, kind)
    last = curve[-1]
    metric = run.task.metric
    scores = {
        f"{s}_{k}": last[f"{s}_{k}"] for s in ("train", "val", "test") for k in ("loss", metric)
    }
    meter = {u: last[u] for u in ("samples", "evaluations", "macs", "seconds", "steps")}
    status = kind
    record.update(
        status=status,
        error={
            "done": None,
            "diverged": "the best network's numbers are not finite (NaN or inf)",
            "timeout": f"stopped after {MAX_RUN_SECONDS:g} s (max_run_seconds)",
        }[status],
        result={
            "best": graph.to_dict(), "curve": curve, "meter": meter, "status": status,
            "metrics": {k: v for k, v in scores.items() if not k.startswith("test_")},
            "optimizer": run.optimizer.name, "config": info["config"],
            "problem": run.task.key, "budget": run.budget.limits(), "error": None,
        },
        scores=scores,
        solved=bool(status == "done" and run.task.solved(scores)),
        connections=int(graph.n_enabled),
        hidden_nodes=int(graph.n_hidden),
        wall_seconds=meter["seconds"] + float(rng.uniform(0.02, 0.4)),
    )  # fmt: skip
    return record


def _task_info(study: Study, seed: int) -> dict:
    """Per task: its sizes, chance level and best reachable test figure."""
    out = {}
    for entry in study.tasks:
        task = entry.task
        splits = task.splits(split_rng(study.seed, task.key, 0))
        problem = task.problem(splits)
        rng = np.random.default_rng(seed_sequence(seed, "synthetic-task", task.key))
        n_classes = problem.n_outputs if problem.n_outputs > 1 else 2
        out[task.key] = dict(
            n_inputs=problem.n_inputs, n_outputs=problem.n_outputs, n_classes=n_classes,
            n_train=len(splits.X_train), n_val=len(splits.X_val), n_test=len(splits.X_test),
            all_rows=bool(task.all_rows), chance=1.0 / n_classes,
            ceiling=float(rng.uniform(0.93, 1.0)), target=task.target or 0.1,
            variance=1.0 if task.scale_targets else float(np.var(splits.y_train)),
        )  # fmt: skip
    return out


def write_synthetic_store(
    directory, *, tasks: int = 10, optimizers: int = 6, seeds: int = 10, points: int = 100,
    seed: int = 0,
) -> Path:  # fmt: skip
    """Write a study of ``tasks x optimizers x seeds`` made-up runs, ``points`` curve points
    each, into ``directory`` (see the module docstring); returns ``directory``, which
    :func:`studies.load` reads. A directory that already holds this synthetic study keeps
    its runs (the store never writes a run twice); one holding another study is refused."""
    for name, value, low in (("tasks", tasks, 1), ("optimizers", optimizers, 1),
                             ("seeds", seeds, 1), ("points", points, 1), ("seed", seed, 0)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    directory = Path(directory)
    study = Study(
        name=STUDY_NAME, tasks=_task_entries(tasks), optimizers=_optimizer_entries(optimizers),
        seeds=seeds, budget=BUDGET, seed=seed, max_run_seconds=MAX_RUN_SECONDS,
    )  # fmt: skip
    info = _task_info(study, seed)
    configs = {o.label: o.spec.build().config.to_dict() for o in study.optimizers}
    runs = study.runs()
    # which runs go wrong: ~1% fail; ~1% of the gradient and ES runs diverge; ~0.5% of the
    # population runs time out
    pick = np.random.default_rng(seed_sequence(seed, "synthetic-faults"))
    kinds = ["done"] * len(runs)
    for kind, names, share in (("failed", None, 0.01), ("diverged", ("backprop", "es"), 0.01),
                               ("timeout", ("cmaes", "ga", "neat"), 0.005)):  # fmt: skip
        pool = [i for i, r in enumerate(runs) if kinds[i] == "done"
                and (names is None or r.optimizer.name in names)]  # fmt: skip
        k = min(len(pool), max(1, round(share * len(runs)))) if len(runs) >= 20 else 0
        for i in pick.choice(pool, k, replace=False) if k else []:
            kinds[i] = kind
    with Store.open(directory, study.name) as store:
        provenance = {**study_provenance(), "source": "benchmarks/synthetic_store.py"}
        store.set_spec(study.to_json(), provenance, [r.run_id for r in runs])
        for run, kind in zip(runs, kinds):
            config = configs[run.label]
            population = config.get("population") or config.get("lambda_") or 19  # CMA-ES: auto
            task_info = {**info[run.task.key], "config": config, "population": int(population)}
            prof = _PROFILE[run.optimizer.name]
            skill_rng = np.random.default_rng(
                seed_sequence(seed, "synthetic-skill", run.task.key, run.label)
            )
            skill = prof["skill"] + skill_rng.normal(0, 0.06)
            rng = np.random.default_rng(
                seed_sequence(seed, "synthetic-run", run.task.key, run.label, run.repetition)
            )
            skill = 1 - (1 - skill) * _DIFFICULTY.get(run.task.name, 0.5)
            quality = float(np.clip(skill + rng.normal(0, prof["spread"]), 0.02, 0.995))
            store.write(_record(run, task_info, quality, rng, points, kind))
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", help="default: a fresh temporary directory")
    for name, default in (("tasks", 10), ("optimizers", 6), ("seeds", 10), ("points", 100),
                          ("seed", 0)):  # fmt: skip
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    directory = Path(args.directory or tempfile.mkdtemp(prefix="synthetic-store-"))
    t0 = time.perf_counter()
    write_synthetic_store(
        directory, tasks=args.tasks, optimizers=args.optimizers, seeds=args.seeds,
        points=args.points, seed=args.seed,
    )  # fmt: skip
    written = time.perf_counter() - t0
    import studies

    t0 = time.perf_counter()
    results = studies.load(directory)
    runs, curves = results.runs, results.curves
    loaded = time.perf_counter() - t0
    size = (directory / "study.sqlite").stat().st_size
    print(f"{directory}: {len(runs)} runs, {len(curves)} curve rows, {size / 1e6:.1f} MB")
    print(f"written in {written:.2f} s, loaded (runs and curves) in {loaded:.2f} s")
    print(runs["status"].value_counts().to_string())


if __name__ == "__main__":
    main()
