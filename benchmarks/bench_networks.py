"""Speed of networks/ against neat-python and a plain numpy loop, side by side.

(a) XOR-sized NEAT population: 150 genomes (2 inputs, 1 output, 1-5 hidden nodes), 4 samples.
    neat-python: FeedForwardNetwork.create for every genome + activate on every sample.
    neuroarena: PopulationBatch construction + forward (what networks.forward_many does).
    The genomes are built outside the timing on both sides: neat-python's DefaultGenomes,
    our validated Graphs. A validated Graph keeps the node levels its validation computed,
    and a batch of Graphs reuses them; two more rows show the batch computing the levels
    itself: from Graphs that hold none (Graph.unchecked), and from a population's
    concatenated arrays (PopulationBatch.from_arrays, what NEAT evaluates).
(b) digits-sized NEAT population: 150 genomes (64 inputs, 10 outputs, ~20 hidden nodes,
    ~240 connections), 1797 samples. neat-python's activation is timed on a subset of
    genomes and samples and scaled up (its cost is linear in both); create is timed in full.
(c) MLP 64-64-10 relu, softmax cross-entropy, batches of 64 digits: Network.loss_and_grad
    (checked), the unchecked loss_and_grad(check=False) the optimizers use, and a plain numpy
    forward/backward written out here. Time per batch.

neat-python runs on genomes that mirror our Graphs exactly (same nodes, connections,
weights, biases; our neat_sigmoid registered as a custom activation, since neat-python's own
sigmoid has slope 5), and the outputs are checked to agree before anything is timed.
Figures are medians over repeats (time.perf_counter). The last line printed is one JSON
object holding every figure.

    .venv/bin/python benchmarks/bench_networks.py [--quick] [--repeats N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networks  # noqa: E402
from networks import Graph, PopulationBatch, compile, creates_cycle, mlp  # noqa: E402

POP = 150
SLOPE = networks.activations.NEAT_SIGMOID_SLOPE


# ---------------------------------------------------------------------- NEAT-like genomes
def neat_like_graph(
    rng: np.random.Generator, n_in: int, n_out: int, n_hidden: int, n_conn: int
) -> Graph:
    """A genome as NEAT grows one: start from input->output connections (all of them, or a
    random n_conn - 2 * n_hidden of them when that is fewer), split random enabled
    connections n_hidden times (add-node), then add random feed-forward connections until
    there are n_conn enabled. Weights ~ N(0, 1), biases ~ N(0, 0.5), neat_sigmoid."""
    ins, outs = list(range(n_in)), list(range(n_in, n_in + n_out))
    pairs = [(i, o) for i in ins for o in outs]
    start = min(len(pairs), max(1, n_conn - 2 * n_hidden))
    chosen = rng.choice(len(pairs), size=start, replace=False)
    src = [pairs[k][0] for k in chosen]
    dst = [pairs[k][1] for k in chosen]
    on = [True] * len(src)
    next_id = n_in + n_out
    hidden = []
    for _ in range(n_hidden):  # add-node: a -> b becomes a -> h -> b, a -> b disabled
        k = int(rng.choice(np.flatnonzero(on)))
        on[k] = False
        src += [src[k], next_id]
        dst += [next_id, dst[k]]
        on += [True, True]
        hidden.append(next_id)
        next_id += 1
    sources, targets = ins + hidden, hidden + outs
    existing = set(zip(src, dst))
    tries = 0
    while sum(on) < n_conn and tries < 100 * n_conn:  # add-connection
        tries += 1
        a, b = int(rng.choice(sources)), int(rng.choice(targets))
        if a == b or (a, b) in existing:
            continue
        if creates_cycle(np.array(src), np.array(dst), a, b):
            continue
        src.append(a)
        dst.append(b)
        on.append(True)
        existing.add((a, b))
    kinds = [0] * n_in + [2] * n_out + [1] * n_hidden
    act = networks.activation_code("neat_sigmoid")
    return Graph(
        node_id=np.arange(next_id),
        node_kind=kinds,
        node_act=[0] * n_in + [act] * (n_out + n_hidden),
        node_bias=np.r_[np.zeros(n_in), rng.normal(0, 0.5, n_out + n_hidden)],
        conn_src=src,
        conn_dst=dst,
        conn_weight=rng.normal(0, 1, len(src)),
        conn_enabled=on,
    )


# ---------------------------------------------------------------------- neat-python mirror
NEAT_CONFIG = """
[NEAT]
fitness_criterion = max
fitness_threshold = 1e9
pop_size = {pop}
reset_on_extinction = False
no_fitness_termination = True

[DefaultGenome]
num_inputs = {n_in}
num_outputs = {n_out}
num_hidden = 0
feed_forward = True
initial_connection = full_direct
compatibility_disjoint_coefficient = 1.0
compatibility_weight_coefficient = 0.5
conn_add_prob = 0.5
conn_delete_prob = 0.5
node_add_prob = 0.2
node_delete_prob = 0.2
activation_default = sigmoid
activation_options = sigmoid
activation_mutate_rate = 0.0
aggregation_default = sum
aggregation_options = sum
aggregation_mutate_rate = 0.0
bias_init_mean = 0.0
bias_init_stdev = 1.0
bias_max_value = 1e9
bias_min_value = -1e9
bias_mutate_power = 0.5
bias_mutate_rate = 0.7
bias_replace_rate = 0.1
response_init_mean = 1.0
response_init_stdev = 0.0
response_max_value = 1.0
response_min_value = 1.0
response_mutate_power = 0.0
response_mutate_rate = 0.0
response_replace_rate = 0.0
weight_init_mean = 0.0
weight_init_stdev = 1.0
weight_max_value = 1e9
weight_min_value = -1e9
weight_mutate_power = 0.5
weight_mutate_rate = 0.8
weight_replace_rate = 0.1
enabled_default = True
enabled_mutate_rate = 0.01

[DefaultSpeciesSet]
compatibility_threshold = 3.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation = 20
species_elitism = 2

[DefaultReproduction]
elitism = 2
survival_threshold = 0.2
min_species_size = 2
"""


def neat_sigmoid(z: float) -> float:
    """Our neat_sigmoid, 1 / (1 + exp(-4.9 z)), computed without overflow."""
    z = SLOPE * z
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neat_config(n_in: int, n_out: int):
    import neat

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "neat.ini"
        path.write_text(NEAT_CONFIG.format(pop=POP, n_in=n_in, n_out=n_out))
        config = neat.Config(
            neat.DefaultGenome,
            neat.DefaultReproduction,
            neat.DefaultSpeciesSet,
            neat.DefaultStagnation,
            str(path),
        )
    config.genome_config.add_activation("neuroarena_neat_sigmoid", neat_sigmoid)
    return config


def to_neat_genome(graph: Graph, key: int):
    """A neat-python DefaultGenome with the same nodes, connections and values. Keys:
    input k -> -(k + 1), output k -> k, hidden nodes after the outputs."""
    import neat
    from neat.genes import DefaultConnectionGene, DefaultNodeGene

    ins, outs, hid = graph.input_ids, graph.output_ids, graph.hidden_ids
    key_of = {int(i): -(k + 1) for k, i in enumerate(ins)}
    key_of.update({int(o): k for k, o in enumerate(outs)})
    key_of.update({int(h): len(outs) + k for k, h in enumerate(hid)})
    genome = neat.DefaultGenome(key)
    for node in graph.nodes:
        if node.kind == "input":
            continue
        assert node.activation == "neat_sigmoid"
        gene = DefaultNodeGene(key_of[node.id])
        gene.bias, gene.response = node.bias, 1.0
        gene.activation, gene.aggregation = "neuroarena_neat_sigmoid", "sum"
        gene.time_constant = 1.0
        genome.nodes[gene.key] = gene
    for c in graph.connections:
        gene = DefaultConnectionGene((key_of[c.source], key_of[c.target]), innovation=c.innovation)
        gene.weight, gene.enabled = c.weight, c.enabled
        genome.connections[gene.key] = gene
    return genome


def neat_outputs(genomes, config, X) -> np.ndarray:
    import neat

    nets = [neat.nn.FeedForwardNetwork.create(g, config) for g in genomes]
    rows = [x.tolist() for x in X]
    return np.array([[net.activate(x) for x in rows] for net in nets])


# ---------------------------------------------------------------------- timing helpers
def interleaved(fns: dict, repeats: int) -> dict:
    """Median time of each function, the functions taking turns within every repeat (so a
    busy machine slows all of them alike)."""
    for fn in fns.values():
        fn()  # warm up
    times: dict = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: float(np.median(t)) for name, t in times.items()}


def population_case(name, graphs, X, config, repeats, neat_genomes, neat_samples, rows, results):
    """neat-python (create every genome + activate every sample; activation timed on
    neat_genomes evenly spaced genomes x the first neat_samples samples and scaled to all)
    against PopulationBatch construction + forward, in float64 and float32."""
    import neat

    P, n = len(graphs), X.shape[0]
    genomes = [to_neat_genome(g, k) for k, g in enumerate(graphs)]
    sub = np.linspace(0, P - 1, min(P, neat_genomes)).round().astype(int).tolist()
    Xs = X[:neat_samples]
    rows_x = [x.tolist() for x in Xs]
    scale = (P * n) / (len(sub) * len(Xs))

    # agreement, before timing
    ref = neat_outputs([genomes[k] for k in sub], config, Xs)
    ours64 = networks.forward_many(graphs, X)
    err64 = float(np.abs(ours64[sub, : len(Xs)] - ref).max())
    assert err64 < 1e-9, f"{name}: outputs differ from neat-python by {err64}"
    errs = {"float64": 0.0}
    out32 = networks.forward_many(graphs, X, dtype=np.float32)
    errs["float32"] = float(np.abs(out32.astype(np.float64) - ours64).max())
    assert errs["float32"] < 1e-4, f"{name} float32: {errs['float32']}"

    def neat_create():
        return [neat.nn.FeedForwardNetwork.create(g, config) for g in genomes]

    created = neat_create()
    nets = [created[k] for k in sub]

    def neat_activate():
        for net in nets:
            for x in rows_x:
                net.activate(x)

    fns = {"neat_create": neat_create, "neat_activate": neat_activate}
    fields = networks.NODE_FIELDS + networks.CONN_FIELDS
    arrays = {f: np.concatenate([getattr(g, f) for g in graphs]) for f in fields}
    n_nodes = np.array([g.n_nodes for g in graphs])
    n_conn = np.array([g.n_connections for g in graphs])
    no_levels = [Graph.unchecked(**{f: getattr(g, f) for f in fields}) for g in graphs]
    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        batch = PopulationBatch(graphs, dtype=dtype)
        fns[f"{tag}_build"] = lambda dtype=dtype: PopulationBatch(graphs, dtype=dtype)
        fns[f"{tag}_forward"] = lambda batch=batch: batch.forward(X)
        fns[f"{tag}_total"] = lambda dtype=dtype: PopulationBatch(graphs, dtype=dtype).forward(X)
        fns[f"{tag}_no_levels_total"] = lambda dtype=dtype: PopulationBatch(
            no_levels, dtype=dtype
        ).forward(X)
        # NEAT keeps its population as concatenated arrays and compiles from those
        fns[f"{tag}_arrays_total"] = lambda dtype=dtype: PopulationBatch.from_arrays(
            n_nodes, n_conn, arrays, dtype=dtype
        ).forward(X)
    t = interleaved(fns, repeats)

    t_neat = t["neat_create"] + t["neat_activate"] * scale
    neat_rate = P * n / t_neat
    entry = {
        "genomes": P,
        "samples": n,
        "mean_hidden": float(np.mean([g.n_hidden for g in graphs])),
        "mean_enabled_connections": float(np.mean([g.n_enabled for g in graphs])),
        "neat_timed_genomes": len(sub),
        "neat_timed_samples": len(Xs),
        "neat_create_s": t["neat_create"],
        "neat_activate_s_scaled": t["neat_activate"] * scale,
        "neat_total_s": t_neat,
        "neat_samples_per_s": neat_rate,
        "max_abs_diff_vs_neat": err64,
    }
    rows.append((name, "neat-python", t_neat, neat_rate, 1.0))
    for tag in ("float64", "float32"):
        rate = P * n / t[f"{tag}_total"]
        entry[tag] = {
            "total_s": t[f"{tag}_total"],
            "build_s": t[f"{tag}_build"],
            "forward_s": t[f"{tag}_forward"],
            "samples_per_s": rate,
            "speedup_vs_neat": rate / neat_rate,
            "max_abs_diff_vs_float64": errs[tag],
            "no_kept_levels_total_s": t[f"{tag}_no_levels_total"],
            "no_kept_levels_speedup_vs_neat": P * n / t[f"{tag}_no_levels_total"] / neat_rate,
            "from_arrays_total_s": t[f"{tag}_arrays_total"],
            "from_arrays_speedup_vs_neat": P * n / t[f"{tag}_arrays_total"] / neat_rate,
        }
        rows.append((name, f"neuroarena {tag}", t[f"{tag}_total"], rate, rate / neat_rate))
        rate_u = P * n / t[f"{tag}_no_levels_total"]
        rows.append(
            (
                name,
                f"  {tag}, levels computed",
                t[f"{tag}_no_levels_total"],
                rate_u,
                rate_u / neat_rate,
            )
        )
        rate_a = P * n / t[f"{tag}_arrays_total"]
        rows.append(
            (name, f"  {tag}, NEAT's arrays", t[f"{tag}_arrays_total"], rate_a, rate_a / neat_rate)
        )
    results[name] = entry


# ---------------------------------------------------------------------- (c) plain numpy MLP
def plain_loss_and_grad(W1, b1, W2, b2, X, y):
    """64-64-10 relu MLP, softmax cross-entropy: mean loss and gradients, written out."""
    n = X.shape[0]
    z1 = X @ W1.T
    z1 += b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ W2.T
    z2 += b2
    zmax = z2.max(axis=1, keepdims=True)
    e = np.exp(z2 - zmax)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) + zmax[:, 0] - z2[rows, y]))
    d2 = e / s
    d2[rows, y] -= 1.0
    d2 /= n
    gW2 = d2.T @ a1
    gb2 = d2.sum(axis=0)
    d1 = d2 @ W2
    d1 *= z1 > 0
    gW1 = d1.T @ X
    gb1 = d1.sum(axis=0)
    return loss, gW1, gb1, gW2, gb2


def mlp_case(X, y, repeats, rows, results, seed):
    entry = {"layers": [64, 64, 10], "batch": 64}
    n_batches = X.shape[0] // 64
    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        rng = np.random.default_rng(seed)
        net = compile(mlp(64, [64], 10, activation="relu", rng=rng), dtype=dtype)
        p = net.params.copy()
        W1 = p[: 64 * 64].reshape(64, 64)
        b1 = p[64 * 64 : 64 * 64 + 64]
        W2 = p[64 * 65 : 64 * 65 + 640].reshape(10, 64)
        b2 = p[64 * 65 + 640 :]
        Xd = X.astype(dtype)
        batches = [(Xd[k * 64 : (k + 1) * 64], y[k * 64 : (k + 1) * 64]) for k in range(n_batches)]
        # agreement, before timing
        Xb, yb = batches[0]
        value, grad = net.loss_and_grad(Xb, yb, "cross_entropy")
        lp, gW1, gb1, gW2, gb2 = plain_loss_and_grad(W1, b1, W2, b2, Xb, yb)
        gplain = np.concatenate([gW1.ravel(), gb1, gW2.ravel(), gb2])
        tol = 1e-4 if dtype == np.float32 else 1e-12
        assert abs(value - lp) <= tol * max(1.0, abs(lp)), (value, lp)
        np.testing.assert_allclose(grad, gplain, rtol=tol * 10, atol=tol)

        def plain(batches=batches, W=(W1, b1, W2, b2)):
            for Xb, yb in batches:
                plain_loss_and_grad(*W, Xb, yb)

        def checked(batches=batches, net=net, p=p):
            for Xb, yb in batches:
                net.loss_and_grad(Xb, yb, "cross_entropy", params=p)

        def unchecked(batches=batches, net=net, p=p):
            for Xb, yb in batches:
                net.loss_and_grad(Xb, yb, "cross_entropy", p, check=False)

        t = interleaved({"plain": plain, "checked": checked, "unchecked": unchecked}, repeats)
        t_plain, t_checked, t_unchecked = (
            t[k] / n_batches for k in ("plain", "checked", "unchecked")
        )
        entry[tag] = {
            "plain_numpy_s_per_batch": t_plain,
            "loss_and_grad_s_per_batch": t_checked,
            "unchecked_s_per_batch": t_unchecked,
            "ratio_checked_vs_plain": t_checked / t_plain,
            "ratio_unchecked_vs_plain": t_unchecked / t_plain,
        }
        rows.append(("c mlp", f"plain numpy {tag}", t_plain, 64 / t_plain, 1.0))
        rows.append(
            ("c mlp", f"loss_and_grad {tag}", t_checked, 64 / t_checked, t_plain / t_checked)
        )
        rows.append(
            ("c mlp", f"  check=False {tag}", t_unchecked, 64 / t_unchecked, t_plain / t_unchecked)
        )
    results["c_mlp_backprop"] = entry


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="few repeats and a smaller neat-python subset"
    )
    ap.add_argument(
        "--repeats", type=int, default=None, help="timing repeats (default 25, quick 5)"
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 25)
    if repeats < 1:
        ap.error("--repeats must be >= 1")

    import neat
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(args.seed)
    rows: list[tuple] = []
    results: dict = {}

    # (a) XOR-sized
    xor_graphs = [
        neat_like_graph(rng, 2, 1, int(rng.integers(1, 6)), int(rng.integers(3, 9)))
        for _ in range(POP)
    ]
    X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    population_case("a_xor", xor_graphs, X_xor, neat_config(2, 1), repeats, POP, 4, rows, results)

    # (b) digits-sized
    digits = load_digits()
    X_dig, y_dig = digits.data / 16.0, digits.target
    dig_graphs = [
        neat_like_graph(rng, 64, 10, int(rng.integers(15, 26)), int(rng.integers(220, 261)))
        for _ in range(POP)
    ]
    sub_g, sub_n = (10, 100) if args.quick else (30, 300)
    population_case(
        "b_digits", dig_graphs, X_dig, neat_config(64, 10), repeats, sub_g, sub_n, rows, results
    )

    # (c) MLP backprop
    mlp_case(X_dig, y_dig, repeats, rows, results, args.seed)

    print("speed = reference time / this time (reference: neat-python for a, b; plain numpy")
    print("for c, where time is per batch of 64); > 1 is faster than the reference")
    print(f"{'case':<10} {'method':<26} {'time':>12} {'samples/s':>14} {'speed':>9}")
    for case, method, t, rate, speed in rows:
        unit = "s" if t >= 1e-3 else "us"
        shown = t if unit == "s" else t * 1e6
        print(f"{case:<10} {method:<26} {shown:>10.4g}{unit:>2} {rate:>14.4g} {speed:>9.3g}")
    results["meta"] = {
        "quick": args.quick,
        "repeats": repeats,
        "seed": args.seed,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "neat_python": getattr(neat, "__version__", "2.0"),
        "machine": platform.machine(),
        "targets": {"a_speedup": 20, "b_speedup": 100, "c_ratio_max": 1.3},
    }
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
