"""Backprop speed and quality against peers, side by side on the same data and network.

Data: scikit-learn's bundled 8x8 digits, X / 16, a stratified 70/30 split
(``train_test_split(test_size=0.3, random_state=0, stratify=y)``). Network: 64-64-10, relu
hidden layer, softmax cross-entropy, Adam (lr 1e-3), mini-batches of 64, no weight decay,
the same number of epochs for everyone. Contenders:

- ``neuroarena``: ``optimizers.fit(Backprop(...), SupervisedProblem(...), Budget(steps=E),
  initial=Architecture(...), record_every=E)``, timed as a whole (the problem's set-up, the
  meter and the loop's bookkeeping included; the curve measured once, at the end);
- ``numpy``: the fastest plain numpy loop we could write here (see ``run_numpy``: one flat
  parameter vector with the weight matrices as views, the gradient written into one flat
  buffer, biases folded into the matmuls, activation buffers preallocated per batch size,
  Adam in place on the flat vectors), the floor for float64 numpy on this machine;
- ``sklearn``: ``MLPClassifier(solver="adam", batch_size=64, alpha=0, max_iter=E)``;
- ``torch``: a PyTorch CPU loop (float64), if ``import torch`` works.

Everyone runs with the same number of BLAS threads (``--threads``, default 1, through
threadpoolctl; torch.set_num_threads likewise): small matmuls gain nothing from threads,
and on a shared machine threaded BLAS makes timings erratic.

Per-epoch time is the median over repeats of (time of the run / epochs); accuracy is the
median test accuracy over repeats (repeat r uses seed r). Prints a table, then one JSON
line (the last line). Target: neuroarena <= 1.2x the numpy loop per epoch.

    python benchmarks/bench_backprop.py [--quick] [--epochs E] [--repeats R] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import optimizers  # noqa: E402
from optimizers import Architecture, Budget, SupervisedProblem, fit  # noqa: E402

HIDDEN, LR, BATCH = 64, 1e-3, 64
TARGET = 1.2
THREADS = 1


def load():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)


def run_neuroarena(data, epochs: int, seed: int) -> tuple[float, float]:
    Xtr, Xte, ytr, yte = data
    t0 = time.perf_counter()
    problem = SupervisedProblem(Xtr, ytr, task_type="classification")
    opt = optimizers.get("backprop")(rule="adam", lr=LR, batch_size=BATCH)
    arch = Architecture(hidden=(HIDDEN,), activation="relu")
    result = fit(
        opt,
        problem,
        Budget(steps=epochs),
        np.random.default_rng(seed),
        initial=arch,
        record_every=epochs,  # the curve's measurement (one scoring pass) at the end only
    )
    seconds = time.perf_counter() - t0
    return seconds / epochs, float(np.mean(problem.predict(result.best, Xte) == yte))


def run_numpy(data, epochs: int, seed: int) -> tuple[float, float]:
    """The fastest plain numpy loop we could write for this task, float64.

    The same algorithm as everyone else: He-normal W1, Glorot-uniform W2, zero biases, relu,
    softmax cross-entropy averaged over the batch, Adam (lr 1e-3, betas 0.9 / 0.999, eps
    1e-8) with bias correction, a fresh shuffle each epoch, the last batch smaller. Where
    its speed comes from:

    - one flat parameter vector, [W1 (d, H), c1, W2 (H, k), c2], so [W1; c1] and [W2; c2]
      are (d+1, H) and (H+1, k) views: each bias rides in its layer's matmul against a
      constant-one row, and the backward pass writes the gradient straight into the
      matching views of one flat gradient buffer (np.matmul(..., out=view), no sums);
    - activations node-major, (units, batch), in buffers preallocated per batch size (64,
      and the smaller last batch: 1257 % 64 = 41 rows here), so softmax reductions run
      over rows;
    - the inputs, with their ones column, gathered once per epoch in the shuffled order,
      each batch a view of that copy;
    - Adam in place on the flat vectors, its moments kept as m / (1 - b1) and v / (1 - b2)
      (the same update, two passes over the vector fewer per step).
    """
    Xtr, Xte, ytr, yte = data
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    n, d = Xtr.shape
    k = int(ytr.max()) + 1
    h = HIDDEN
    n1 = (d + 1) * h
    theta = np.zeros(n1 + (h + 1) * k)  # [W1, c1, W2, c2]
    grad = np.empty_like(theta)  # the same layout
    A1, A2 = theta[:n1].reshape(d + 1, h), theta[n1:].reshape(h + 1, k)
    G1, G2 = grad[:n1].reshape(d + 1, h), grad[n1:].reshape(h + 1, k)
    W1, c1, W2, c2 = A1[:d], A1[d], A2[:h], A2[h]
    W1[...] = rng.normal(0, np.sqrt(2 / d), (d, h))
    W2[...] = rng.uniform(-1, 1, (h, k)) * np.sqrt(6 / (h + k))
    A1T, A2T = A1.T, A2.T
    m, v, tmp = np.zeros_like(theta), np.zeros_like(theta), np.empty_like(theta)
    b1, b2, eps = 0.9, 0.999, 1e-8

    Xa = np.ones((n, d + 1))  # inputs with a ones column
    Xa[:, :d] = Xtr
    Xs, ys = np.empty_like(Xa), np.empty(n, dtype=np.intp)  # this epoch's shuffled copies

    def buffers(size: int) -> tuple:
        HT = np.ones((h + 1, size))  # hidden activations, then a row of ones
        ZT = np.empty((k, size))  # logits, then softmax, then the loss gradient
        mask = np.empty((h, size), dtype=bool)
        return HT, HT[:h], ZT, ZT.T, np.empty(size), np.empty((h, size)), mask, np.arange(size)

    pool = {size: buffers(size) for size in {min(BATCH, n), n % BATCH} - {0}}
    batches = []  # views, fixed for the run: Xs and ys are refilled in place each epoch
    for s in range(0, n, BATCH):
        size = min(BATCH, n - s)
        batches.append((size, Xs[s : s + size].T, ys[s : s + size], *pool[size]))

    t = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        np.take(Xa, order, axis=0, out=Xs)
        np.take(ytr, order, out=ys)
        for size, XT, y, HT, H, ZT, Z, zrow, dH, mask, rows in batches:
            np.matmul(A1T, XT, out=H)  # W1.T x + c1
            np.maximum(H, 0, out=H)
            np.matmul(A2T, HT, out=ZT)  # W2.T h + c2
            np.maximum.reduce(ZT, axis=0, out=zrow)
            ZT -= zrow
            np.exp(ZT, out=ZT)
            np.add.reduce(ZT, axis=0, out=zrow)
            zrow *= size
            ZT /= zrow  # softmax / batch size
            ZT[y, rows] -= 1.0 / size  # d(mean loss) / d logits
            np.matmul(HT, Z, out=G2)  # [dW2; dc2]
            np.matmul(W2, ZT, out=dH)
            np.greater(H, 0, out=mask)
            dH *= mask
            np.matmul(XT, dH.T, out=G1)  # [dW1; dc1]
            t += 1
            m *= b1
            m += grad  # m = Adam's m / (1 - b1)
            np.multiply(grad, grad, out=tmp)
            v *= b2
            v += tmp  # v = Adam's v / (1 - b2)
            c = np.sqrt((1 - b2**t) / (1 - b2))  # sqrt(v_hat) = sqrt(v) / c
            np.sqrt(v, out=tmp)
            tmp += eps * c
            np.divide(m, tmp, out=tmp)
            tmp *= LR * (1 - b1) * c / (1 - b1**t)  # = lr * m_hat / (sqrt(v_hat) + eps)
            theta -= tmp
    seconds = time.perf_counter() - t0
    pred = np.argmax(np.maximum(Xte @ W1 + c1, 0) @ W2 + c2, axis=1)
    return seconds / epochs, float(np.mean(pred == yte))


def run_sklearn(data, epochs: int, seed: int) -> tuple[float, float]:
    Xtr, Xte, ytr, yte = data
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        solver="adam",
        learning_rate_init=LR,
        batch_size=BATCH,
        alpha=0.0,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,  # never stop before max_iter: the same epochs for all
        tol=0.0,
        random_state=seed,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(Xtr, ytr)
    seconds = time.perf_counter() - t0
    return seconds / clf.n_iter_, float(clf.score(Xte, yte))


def run_torch(data, epochs: int, seed: int) -> tuple[float, float]:
    import torch

    Xtr, Xte, ytr, yte = data
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    X, y = torch.tensor(Xtr), torch.tensor(ytr)
    t0 = time.perf_counter()
    model = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10)
    ).double()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=g)
        for s in range(0, len(X), BATCH):
            idx = order[s : s + BATCH]
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        pred = model(torch.tensor(Xte)).argmax(1).numpy()
    return seconds / epochs, float(np.mean(pred == yte))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 epochs, 2 repeats")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads for everyone")
    args = ap.parse_args(argv)
    global THREADS
    THREADS = args.threads
    with threadpool_limits(limits=args.threads):
        return bench(args)


def bench(args) -> dict:
    epochs = args.epochs or (10 if args.quick else 50)
    repeats = args.repeats or (2 if args.quick else 5)
    data = load()

    runners = {"neuroarena": run_neuroarena, "numpy": run_numpy, "sklearn": run_sklearn}
    try:
        import torch  # noqa: F401

        runners["torch"] = run_torch
    except ImportError:
        print("torch: not installed, skipped")

    for run in runners.values():  # warm up imports and caches, not timed
        run(data, 1, 0)
    times = {name: [] for name in runners}
    accs = {name: [] for name in runners}
    for r in range(repeats):  # interleaved, so drifts in machine load hit everyone alike
        for name, run in runners.items():
            t, a = run(data, epochs, r)
            times[name].append(t)
            accs[name].append(a)

    per_epoch = {k: float(np.median(v)) for k, v in times.items()}
    acc = {k: float(np.median(v)) for k, v in accs.items()}
    ratio = {k: per_epoch[k] / per_epoch["numpy"] for k in runners}
    print(
        f"digits 64-{HIDDEN}-10 relu, Adam lr {LR}, batch {BATCH}, {epochs} epochs, "
        f"{repeats} repeats, {args.threads} BLAS thread(s), train n={len(data[0])}, "
        f"test n={len(data[1])}"
    )
    print(f"{'':12s}{'ms/epoch':>10s}{'x numpy':>9s}{'test acc':>10s}  accuracies")
    for k in runners:
        shown = " ".join(f"{a:.3f}" for a in accs[k])
        print(f"{k:12s}{per_epoch[k] * 1e3:10.2f}{ratio[k]:9.2f}{acc[k]:10.3f}  {shown}")
    ok = ratio["neuroarena"] <= TARGET
    print(
        f"neuroarena / numpy = {ratio['neuroarena']:.2f} (target <= {TARGET}): "
        f"{'met' if ok else 'MISSED'}"
    )
    result = {
        "benchmark": "backprop-digits",
        "epochs": epochs,
        "repeats": repeats,
        "blas_threads": args.threads,
        "ms_per_epoch": {k: round(v * 1e3, 3) for k, v in per_epoch.items()},
        "ratio_to_numpy": {k: round(v, 3) for k, v in ratio.items()},
        "test_accuracy": {k: round(v, 4) for k, v in acc.items()},
        "target_ratio": TARGET,
        "target_met": ok,
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
