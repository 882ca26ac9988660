"""Weight-search speed, side by side.

(a) CMA-ES on iris (4-8-3 tanh, standardised, 150 training rows, n = 67, lambda = 16,
    sigma0 = 0.3, all from the same initial network): neuroarena's ``cmaes`` (one
    ``opt.step()`` per generation, bookkeeping and Logbook included) against pycma's
    ``cma.CMAEvolutionStrategy`` ask/tell and a plain DEAP loop (``creator`` individuals,
    ``Strategy.generate`` / ``update``). All three evaluate each generation with the same
    batched ``problem.evaluate`` call, timed separately, so "own" is each library's time
    outside fitness evaluation. Also the training accuracy each reaches after
    ``--generations`` generations (300 = 4,800 evaluations).
(b) Population evaluation: ``Network.forward(X, params)`` with params (P, n) in one call
    against the fastest one-at-a-time loop we could write (``forward_singles``: plain numpy
    for the 4-8-3 tanh MLP, each individual's weights and biases taken from its flat vector
    in the Network's parameter layout, one matmul per layer, no input checks, buffers
    allocated once per call; its outputs are asserted equal to the batched call's to
    rounding), float64 and float32, P = 16/100/1000. The batched call returns its
    (P, n, n_out) outputs as a view of node-major (P, n_out, n) results, where the loop
    writes a C-ordered array: "contig" times the batched call plus
    ``np.ascontiguousarray`` of its result, the same layout as the loop's, for the record
    (the target reads the plain call). Target: float32 batched >= 3x the loop for P >= 100.
    Note the ceiling: the 1,200 tanh per individual cost the same in both (measured here at
    about a third of the loop's time in float32, over half in float64), so no batching of
    the rest can take the speedup much past loop / tanh; the table prints that ceiling,
    from ``np.tanh`` timed alone over every hidden unit of the population.

Every figure is the median over ``--repeats`` repeats. BLAS runs single-threaded by default
(``--blas-threads``), as in the study runner's loky workers: on a busy machine a
multi-threaded ``eigh`` of a 67 x 67 matrix costs 10x a single-threaded one.

    .venv/bin/python benchmarks/bench_weight_search.py [--quick]

Prints tables, then one JSON line (the last line) with every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.datasets import load_iris  # noqa: E402

import optimizers  # noqa: E402
from optimizers import Architecture, Candidates, SupervisedProblem  # noqa: E402

SIGMA0 = 0.3
IRIS_HIDDEN = 8  # iris_problem's hidden layer: 4-8-3, n = 67


def iris_problem(dtype=np.float64) -> SupervisedProblem:
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return SupervisedProblem(X, y, task_type="classification", dtype=dtype)


def iris_initial():
    """The 4-8-3 tanh network every contender starts from."""
    arch = Architecture(hidden=(IRIS_HIDDEN,), activation="tanh")
    return arch.build(4, 3, rng=np.random.default_rng(0))


class Timed:
    """A run's metered view of ``problem`` whose ``evaluate`` sums its wall time in
    ``seconds``; ``evaluate_params(X, net)`` evaluates parameter rows through it."""

    def __init__(self, problem: SupervisedProblem) -> None:
        self.view, self.seconds = problem.metered(), 0.0
        inner = self.view.evaluate

        def evaluate(candidates, rows=None, rng=None):
            t = time.perf_counter()
            out = inner(candidates, rows, rng)
            self.seconds += time.perf_counter() - t
            return out

        self.view.evaluate = evaluate

    def evaluate_params(self, X, net) -> np.ndarray:
        return self.view.evaluate(Candidates.of_params(net, np.asarray(X)))


def accuracy(problem: SupervisedProblem, network, x) -> float:
    return problem.score(network.to_graph(np.asarray(x, dtype=np.float64)))["train_accuracy"]


def run_neuroarena(generations: int, seed: int) -> dict:
    problem = iris_problem()
    timer = Timed(problem)
    rng = np.random.default_rng(seed)
    opt = optimizers.get("cmaes")(sigma0=SIGMA0, restarts=0)
    opt.setup(timer.view, iris_initial(), rng)
    t = time.perf_counter()
    done = 0
    while done < generations and not opt.done:
        opt.step()
        done += 1
    total = time.perf_counter() - t
    acc = problem.score(opt.best())["train_accuracy"]
    return {"total": total / done, "eval": timer.seconds / done, "accuracy": acc}


def run_pycma(generations: int, seed: int) -> dict:
    import cma

    problem = iris_problem()
    timer = Timed(problem)
    net = problem.compile(iris_initial())
    es = cma.CMAEvolutionStrategy(
        np.array(net.params), SIGMA0, {"popsize": 16, "seed": seed + 1, "verbose": -9}
    )
    best = (np.inf, None)
    t = time.perf_counter()
    for _ in range(generations):
        X = es.ask()
        values = timer.evaluate_params(X, net)
        es.tell(X, values.tolist())
        i = int(np.argmin(values))
        if values[i] < best[0]:
            best = (values[i], X[i])
    total = time.perf_counter() - t
    return {
        "total": total / generations,
        "eval": timer.seconds / generations,
        "accuracy": accuracy(problem, net, best[1]),
    }


def run_deap(generations: int, seed: int) -> dict:
    from deap import base, cma, creator

    if not hasattr(creator, "BenchFitnessMin"):  # the plain DEAP recipe, in this process only
        creator.create("BenchFitnessMin", base.Fitness, weights=(-1.0,))
        creator.create("BenchIndividual", list, fitness=creator.BenchFitnessMin)
    problem = iris_problem()
    timer = Timed(problem)
    net = problem.compile(iris_initial())
    np.random.seed(seed)  # noqa: NPY002 - DEAP's generate reads numpy's global state
    strategy = cma.Strategy(centroid=np.array(net.params), sigma=SIGMA0, lambda_=16)
    best = (np.inf, None)
    t = time.perf_counter()
    for _ in range(generations):
        population = strategy.generate(creator.BenchIndividual)
        values = timer.evaluate_params(population, net)
        for ind, v in zip(population, values.tolist()):
            ind.fitness.values = (v,)
        strategy.update(population)
        i = int(np.argmin(values))
        if values[i] < best[0]:
            best = (values[i], list(population[i]))
    total = time.perf_counter() - t
    return {
        "total": total / generations,
        "eval": timer.seconds / generations,
        "accuracy": accuracy(problem, net, best[1]),
    }


def bench_cma(generations: int, repeats: int) -> dict:
    out = {}
    for name, fn in (("neuroarena", run_neuroarena), ("pycma", run_pycma), ("deap", run_deap)):
        runs = [fn(generations, seed) for seed in range(repeats)]
        total = statistics.median(r["total"] for r in runs)
        ev = statistics.median(r["eval"] for r in runs)
        own = statistics.median(r["total"] - r["eval"] for r in runs)
        out[name] = {
            "ms_per_generation": 1e3 * total,
            "ms_eval": 1e3 * ev,
            "ms_own": 1e3 * own,
            "accuracy_median": statistics.median(r["accuracy"] for r in runs),
            "accuracy_min": min(r["accuracy"] for r in runs),
        }
    return out


def median_time(fn, repeats: int, min_seconds: float = 0.02) -> float:
    """Median over repeats of the per-call time, each repeat looping to >= min_seconds."""
    fn()
    times = []
    for _ in range(repeats):
        k, t0 = 0, time.perf_counter()
        while True:
            fn()
            k += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min_seconds:
                break
        times.append(elapsed / k)
    return statistics.median(times)


def forward_singles(X: np.ndarray, params: np.ndarray, n_hidden: int) -> np.ndarray:
    """One network at a time, as fast as we could write it in numpy: X (n, n_in) and params
    (P, n_params) of one dtype -> outputs (P, n, n_out) of a n_in-n_hidden-n_out MLP, tanh
    hidden layer, linear outputs, in the Network's parameter layout
    [W1 (n_hidden, n_in) row-major, b1, W2 (n_out, n_hidden) row-major, b2].

    Per individual, its W and b (views of its flat vector) are copied into a small [W | b]
    buffer per layer, so each layer is one matmul against node-major activations (rows, n)
    that end in a row of ones: copying 67 numbers costs less than adding biases to 150 x 8
    activations (measured). No input checks; buffers are allocated once per call.
    """
    n, n_in = X.shape
    P, n_params = params.shape
    h = n_hidden
    n_out, rest = divmod(n_params - h * (n_in + 1), h + 1)
    if rest or n_out < 1:
        raise ValueError(f"{n_params} params do not fit a {n_in}-{h}-k MLP")
    e1, e2, e3 = h * n_in, h * (n_in + 1), h * (n_in + 1) + n_out * h  # ends of W1, b1, W2
    dtype = params.dtype
    XT = np.ones((n_in + 1, n), dtype)  # inputs, then a row of ones
    XT[:n_in] = X.T
    HT = np.ones((h + 1, n), dtype)  # hidden activations, then a row of ones
    H = HT[:h]
    A1 = np.empty((h, n_in + 1), dtype)  # [W1 | b1]
    A2 = np.empty((n_out, h + 1), dtype)  # [W2 | b2]
    A2T, HTT = A2.T, HT.T
    out = np.empty((P, n, n_out), dtype)
    for p, o in zip(params, out):
        A1[:, :n_in] = p[:e1].reshape(h, n_in)
        A1[:, n_in] = p[e1:e2]
        A2[:, :h] = p[e2:e3].reshape(n_out, h)
        A2[:, h] = p[e3:]
        np.dot(A1, XT, out=H)
        np.tanh(H, out=H)
        np.dot(HTT, A2T, out=o)
    return out


def bench_population(sizes, repeats: int) -> dict:
    out = {}
    X = iris_problem().X
    for dtype in (np.float64, np.float32):
        net = iris_problem(dtype).compile(iris_initial())
        Xd = X.astype(dtype)
        rng = np.random.default_rng(0)
        for P in sizes:
            params = (net.params + 0.3 * rng.standard_normal((P, net.n_params))).astype(dtype)
            batched = median_time(lambda: net.forward(Xd, params), repeats)  # noqa: B023
            contig = median_time(
                lambda: np.ascontiguousarray(net.forward(Xd, params)),  # noqa: B023
                repeats,
            )
            tol = 1e3 * np.finfo(dtype).eps
            np.testing.assert_allclose(  # the loop computes what the batched call computes
                forward_singles(Xd, params, IRIS_HIDDEN),
                net.forward(Xd, params),
                rtol=tol,
                atol=tol,
            )
            single = median_time(
                lambda: forward_singles(Xd, params, IRIS_HIDDEN),  # noqa: B023
                repeats,
            )
            hidden = np.ones((P, IRIS_HIDDEN, len(X)), dtype)  # every hidden unit's tanh
            tanh = median_time(lambda: np.tanh(hidden, out=hidden), repeats)  # noqa: B023
            out[f"{np.dtype(dtype).name}_P{P}"] = {
                "P": P,
                "ms_batched": 1e3 * batched,
                "ms_batched_contiguous": 1e3 * contig,
                "ms_loop": 1e3 * single,
                "speedup": single / batched,
                "speedup_contiguous": single / contig,
                "ms_tanh_alone": 1e3 * tanh,
                "ceiling_loop_over_tanh": single / tanh,
            }
    return out


def blas_limit(threads: str):
    if threads == "default":
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(int(threads), user_api="blas")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer generations and repeats")
    ap.add_argument("--generations", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--blas-threads", default="1", help="an integer, or 'default'")
    args = ap.parse_args()
    generations = args.generations or (60 if args.quick else 300)
    repeats = args.repeats or (3 if args.quick else 7)
    sizes = (16, 100) if args.quick else (16, 100, 1000)

    with blas_limit(args.blas_threads):
        cma_results = bench_cma(generations, repeats)
        pop_results = bench_population(sizes, repeats)

    print(f"(a) CMA-ES on iris, n=67, lambda=16: {generations} generations, median of {repeats}")
    print(f"{'':12}{'ms/gen':>9}{'eval ms':>9}{'own ms':>9}{'acc med':>9}{'acc min':>9}")
    for name, r in cma_results.items():
        print(
            f"{name:12}{r['ms_per_generation']:9.3f}{r['ms_eval']:9.3f}{r['ms_own']:9.3f}"
            f"{r['accuracy_median']:9.3f}{r['accuracy_min']:9.3f}"
        )
    print(
        "\n(b) population forward on iris (150 rows): batched (P, n) vs the fastest plain"
        " numpy loop of singles"
    )
    head = ("batched ms", "contig ms", "loop ms", "speedup", "contig", "tanh ms", "ceiling")
    print(f"{'':16}" + "".join(f"{h:>11}" for h in head))
    for key, r in pop_results.items():
        print(
            f"{key:16}{r['ms_batched']:11.3f}{r['ms_batched_contiguous']:11.3f}"
            f"{r['ms_loop']:11.3f}{r['speedup']:10.2f}x{r['speedup_contiguous']:10.2f}x"
            f"{r['ms_tanh_alone']:11.3f}{r['ceiling_loop_over_tanh']:10.2f}x"
        )
    print(
        "(contig: the batched call plus np.ascontiguousarray of its view; tanh ms: np.tanh "
        "alone over every hidden unit, in both; ceiling: loop / tanh)"
    )

    na, pc = cma_results["neuroarena"], cma_results["pycma"]
    f32 = [
        r["speedup"] for k, r in pop_results.items() if k.startswith("float32") and r["P"] >= 100
    ]
    targets = {
        "cmaes_generation_faster_than_pycma": na["ms_per_generation"] < pc["ms_per_generation"],
        "float32_batched_at_least_3x": min(f32) >= 3.0,
    }
    print("\ntargets:", ", ".join(f"{k}={v}" for k, v in targets.items()))
    print(
        json.dumps(
            {
                "benchmark": "weight_search",
                "quick": args.quick,
                "generations": generations,
                "repeats": repeats,
                "blas_threads": args.blas_threads,
                "machine": platform.machine(),
                "python": platform.python_version(),
                "cma": cma_results,
                "population": pop_results,
                "targets": targets,
            }
        )
    )


if __name__ == "__main__":
    main()
