"""The task catalog (studies.tasks): every built-in task builds a working problem; splits are
deterministic, stratified and standardised with train statistics only; the boolean tasks'
truth tables and the two spirals match independent computations; keys are canonical and
fingerprints stable across processes; tasks pickle; bad input gives one-line errors."""

from __future__ import annotations

import functools
import itertools
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

import optimizers
from optimizers import Architecture, Budget, SupervisedProblem
from studies.tasks import (
    REQUIRED,
    Param,
    Splits,
    Task,
    available_tasks,
    get_task,
    register_task,
    task_catalog,
    unregister_task,
)

BUILTIN = [
    "breast-cancer",
    "circles",
    "digits",
    "friedman1",
    "iris",
    "moons",
    "parity",
    "sine",
    "two-spirals",
    "wine",
    "xor",
]
SPLIT_TASKS = [n for n in BUILTIN if n not in ("xor", "parity", "two-spirals")]


def rng(seed=0):
    return np.random.default_rng(seed)


def err(fn, *args, **kw) -> str:
    """The message of the ValueError ``fn`` raises; it must be one line."""
    with pytest.raises(ValueError) as info:
        fn(*args, **kw)
    message = str(info.value)
    assert "\n" not in message, message
    return message


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, name: str = "data.csv") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


GOOD_CSV = "a,b,label\n" + "".join(f"{i},{i % 3 * 0.5},{'xy'[i % 2]}\n" for i in range(12))


# ------------------------------------------------------------------- catalog and use
def test_catalog_lists_every_builtin_task():
    assert available_tasks() == sorted(
        BUILTIN + ["csv", "cartpole", "double-pole", "double-pole-nv", "gym"]
    )
    catalog = {e["name"]: e for e in task_catalog()}
    assert list(catalog) == available_tasks()
    assert catalog["parity"]["params"] == {"bits": 3}
    assert catalog["csv"]["params"] == {"path": None, "target": None, "task_type": "auto"}
    assert catalog["csv"]["task_type"] is None
    assert catalog["sine"]["task_type"] == "regression"
    assert catalog["cartpole"]["task_type"] == "control"
    assert catalog["cartpole"]["params"] == {"max_steps": 500}
    assert catalog["gym"]["params"] == {"id": None, "max_steps": 0}  # (listed without gymnasium)
    for e in catalog.values():
        assert set(e) == {"name", "params", "task_type", "doc"}
        assert e["doc"] and "\n" not in e["doc"]


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_task_gives_a_working_problem(name):
    task = get_task(name)
    assert task.name == name and task.key.startswith(name)
    assert task.metric == ("accuracy" if task.task_type == "classification" else "mse")
    assert task.metric_maximize == (task.task_type == "classification")
    assert task.target_split == ("train" if task.all_rows else "test")
    assert task.all_rows == (name in ("xor", "parity", "two-spirals"))
    assert isinstance(task.network, Architecture) and isinstance(task.budget, Budget)
    assert re.fullmatch(r"[0-9a-f]{64}", task.fingerprint)
    splits = task.splits(rng())
    assert isinstance(splits, Splits)
    problem = task.problem(splits)
    assert isinstance(problem, SupervisedProblem)
    assert problem.name == task.key and problem.loss == task.loss
    assert problem.metric == task.metric and problem.task_type == task.task_type
    assert problem.n_validation == len(splits.X_val) > 0
    opt = optimizers.get("random-search")()
    result = optimizers.fit(opt, problem, Budget(evaluations=20), rng(), initial=task.network)
    metrics = {**result.metrics, **task.test_scores(problem, result.best, splits)}
    assert {"train_loss", "val_loss", "test_loss", f"test_{task.metric}"} <= set(metrics)
    assert isinstance(task.solved(metrics), bool)


def test_problem_dtype_and_test_scores_match_score_on():
    task = get_task("iris")
    splits = task.splits(rng(3))
    problem = task.problem(splits, dtype=np.float32)
    assert problem.dtype == np.float32 and problem.X.dtype == np.float32
    graph = task.network.build(problem.n_inputs, problem.n_outputs, rng=rng())
    scores = task.test_scores(problem, graph, splits)
    assert scores == problem.score_on(graph, splits.X_test, splits.y_test, "test")
    assert set(scores) == {"test_loss", "test_accuracy"}


def test_solved_compares_in_the_metric_direction():
    xor, sine = get_task("xor"), get_task("sine")
    assert xor.target == 1.0 and xor.solved({"train_accuracy": 1.0, "test_accuracy": 0.0})
    assert not xor.solved({"train_accuracy": 0.75})
    assert not xor.solved({"train_accuracy": float("nan")})
    assert sine.target == pytest.approx(0.1**2 + 0.01)
    assert sine.solved({"test_mse": 0.015}) and not sine.solved({"test_mse": 0.5})
    with pytest.raises(KeyError, match="test_mse"):
        sine.solved({"train_mse": 0.0})
    untargeted = Task.from_arrays(
        "mine", np.arange(9.0)[:, None], np.arange(9.0), task_type="regression"
    )
    assert untargeted.target is None and not untargeted.solved({"test_mse": 0.0})


# ------------------------------------------------------------------- the data
def test_xor_truth_table():
    X, y = get_task("xor").data()
    table = {tuple(row): label for row, label in zip(X.astype(int).tolist(), y.tolist())}
    assert table == {(a, b): a ^ b for a in (0, 1) for b in (0, 1)}


@pytest.mark.parametrize("bits", [2, 3, 5])
def test_parity_truth_table(bits):
    task = get_task({"name": "parity", "bits": bits})
    X, y = task.data()
    assert X.shape == (2**bits, bits)
    table = {tuple(row): label for row, label in zip(X.astype(int).tolist(), y.tolist())}
    assert table == {row: sum(row) % 2 for row in itertools.product((0, 1), repeat=bits)}
    splits = task.splits(rng())
    for X_, y_ in [
        (splits.X_train, splits.y_train),
        (splits.X_val, splits.y_val),
        (splits.X_test, splits.y_test),
    ]:
        np.testing.assert_array_equal(X_, X)  # all rows, unscaled 0/1 inputs
        np.testing.assert_array_equal(y_, y)


def test_two_spirals_is_the_lang_witbrock_set():
    X, y = get_task("two-spirals").data()
    assert X.shape == (194, 2) and (y == 1).sum() == 97 and (y == 0).sum() == 97
    points = {(round(float(a), 9), round(float(b), 9)): int(c) for (a, b), c in zip(X, y)}
    for i in (0, 8, 40, 96):  # CMU benchmark file: a = i pi / 16, r = 6.5 (104 - i) / 104
        a, r = i * np.pi / 16, 6.5 * (104 - i) / 104
        assert points[(round(r * np.sin(a), 9), round(r * np.cos(a), 9))] == 1
        assert points[(round(-r * np.sin(a), 9), round(-r * np.cos(a), 9))] == 0
    assert points[(0.0, 6.5)] == 1 and points[(round(6.0, 9), round(6 * np.cos(np.pi / 2), 9))] == 1
    splits = get_task("two-spirals").splits(rng())
    assert len(splits.X_train) == len(splits.X_test) == 194  # all rows, standardised
    np.testing.assert_allclose(splits.X_train.mean(axis=0), 0, atol=1e-12)


def test_generated_data_do_not_depend_on_the_split_rng():
    for spec in ["moons", "circles", "sine", "friedman1"]:
        a, b = get_task(spec).data(), get_task(spec).data()
        assert a[0] is b[0]  # cached per process
        fresh = get_task(spec).loader(**get_task(spec).params)
        np.testing.assert_array_equal(fresh[0], a[0])
    noisier = get_task({"name": "moons", "noise": 0.3}).data()[0]
    assert not np.array_equal(noisier, get_task("moons").data()[0])


def test_arrays_are_read_only():
    task = get_task("wine")
    X, y = task.data()
    splits = task.splits(rng())
    for a in (X, y, *vars(splits).values()):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 0


# ------------------------------------------------------------------- splits
@pytest.mark.parametrize("name", SPLIT_TASKS)
def test_splits_are_deterministic_and_differ_between_seeds(name):
    task = get_task(name)
    a, b, c = task.splits(rng(7)), task.splits(rng(7)), task.splits(rng(8))
    for field in vars(a):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.y_test, c.y_test) or not np.array_equal(a.X_test, c.X_test)
    n = len(task.data()[0])
    assert len(a.X_train) + len(a.X_val) + len(a.X_test) == n
    assert abs(len(a.X_test) - 0.2 * n) <= 10 and abs(len(a.X_val) - 0.2 * n) <= 10


def test_splits_are_disjoint_and_cover_the_data():
    task = get_task("breast-cancer")
    X, _ = task.data()
    splits = Task.from_arrays(
        "bc", X, task.data()[1], task_type="classification", standardize=False
    ).splits(rng())
    rows = [tuple(r) for part in (splits.X_train, splits.X_val, splits.X_test) for r in part]
    assert len(rows) == len(set(rows)) == len({tuple(r) for r in X})


@pytest.mark.parametrize("name", ["iris", "wine", "digits", "breast-cancer", "moons"])
def test_stratified_every_class_in_every_split(name):
    task = get_task(name)
    classes, counts = np.unique(task.data()[1], return_counts=True)
    for seed in range(3):
        splits = task.splits(rng(seed))
        for y in (splits.y_train, splits.y_val, splits.y_test):
            assert set(np.unique(y)) == set(classes)
        _, train_counts = np.unique(splits.y_train, return_counts=True)
        np.testing.assert_allclose(
            train_counts / len(splits.y_train), counts / counts.sum(), atol=0.02
        )


def test_tiny_classes_still_reach_train():
    y = np.array(["a"] * 3 + ["b"] * 40 + ["c"] * 4)
    X = np.random.default_rng(1).normal(size=(len(y), 2))
    task = Task.from_arrays("tiny", X, y, task_type="classification")
    for seed in range(10):
        splits = task.splits(rng(seed))
        for part in (splits.y_train, splits.y_val, splits.y_test):
            assert set(part) == {"a", "b", "c"}


def test_standardised_with_train_statistics_only():
    splits = get_task("breast-cancer").splits(rng(2))
    np.testing.assert_allclose(splits.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(splits.X_train.std(axis=0), 1, atol=1e-12)
    assert np.abs(splits.X_test.mean(axis=0)).max() > 1e-3
    assert np.abs(splits.X_test.std(axis=0) - 1).max() > 1e-3


def test_constant_column_is_not_nan():
    X = np.column_stack([np.arange(20.0), np.full(20, 0.1), np.zeros(20)])
    splits = Task.from_arrays("const", X, np.arange(20.0), task_type="regression").splits(rng())
    for part in (splits.X_train, splits.X_val, splits.X_test):
        assert np.isfinite(part).all()
        np.testing.assert_allclose(part[:, 1:], 0, atol=1e-12)
    digits = get_task("digits").splits(rng())  # pixels that are always 0
    assert np.isfinite(digits.X_train).all() and np.isfinite(digits.X_test).all()


def test_regression_targets_as_they_are_or_scaled():
    sine = get_task("sine")
    splits = sine.splits(rng())
    X, y = sine.data()
    assert set(splits.y_test.tolist()) <= set(y.tolist())  # targets unscaled
    fried = get_task("friedman1").splits(rng())
    np.testing.assert_allclose(fried.y_train.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(fried.y_train.std(), 1, atol=1e-12)


# ------------------------------------------------------------------- identity
def test_key_is_canonical():
    a = get_task({"name": "moons", "noise": 0.2, "n_samples": 300})
    b = get_task({"n_samples": 300, "name": "moons"})
    assert a.key == b.key == "moons(n_samples=300,noise=0.2)" == get_task("moons").key
    assert a.fingerprint == b.fingerprint and a == b
    assert get_task({"name": "moons", "noise": 0}).key == "moons(n_samples=300,noise=0.0)"
    assert get_task({"name": "parity", "bits": 4}).key == "parity(bits=4)"
    assert get_task({"name": "parity", "bits": np.int64(4)}).params == {"bits": 4}
    assert get_task("xor").key == "xor" and get_task("xor").params == {}
    assert get_task(get_task("iris").spec) == get_task("iris")
    d = json.loads(json.dumps(get_task({"name": "parity", "bits": 4}).to_dict()))
    assert d["key"] == "parity(bits=4)" and d["budget"] == {"evaluations": 48_000}


def _fingerprints(csv_path: str) -> dict:
    tasks = [
        get_task("xor"),
        get_task({"name": "parity", "bits": 4}),
        get_task("digits"),
        get_task({"name": "csv", "path": csv_path, "target": "label"}),
        Task.from_arrays(
            "mine", np.arange(12.0).reshape(6, 2), np.arange(6.0), task_type="regression"
        ),
    ]
    return {t.key: t.fingerprint for t in tasks}


def test_fingerprint_stable_across_processes(csv_file):
    path = csv_file(GOOD_CSV)
    here = Path(__file__).resolve().parent
    code = (
        f"import json, sys; sys.path.insert(0, {str(here)!r}); from test_tasks import _fingerprints; "
        f"print(json.dumps(_fingerprints({path!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=here.parent
    )
    assert json.loads(out.stdout) == _fingerprints(path)


def test_fingerprint_changes_when_the_data_change(csv_file):
    fp = lambda spec: get_task(spec).fingerprint  # noqa: E731
    assert fp({"name": "parity", "bits": 3}) != fp({"name": "parity", "bits": 4})
    assert fp("moons") != fp({"name": "moons", "noise": 0.25})
    X, y = np.arange(12.0).reshape(6, 2), np.arange(6.0)
    base = Task.from_arrays("mine", X, y, task_type="regression").fingerprint
    X2 = X.copy()
    X2[3, 1] += 1e-9
    assert Task.from_arrays("mine", X2, y, task_type="regression").fingerprint != base
    assert Task.from_arrays("mine", X, y + 1, task_type="regression").fingerprint != base
    assert Task.from_arrays("mine", X, y, task_type="regression").fingerprint == base
    path = csv_file(GOOD_CSV)
    before = fp({"name": "csv", "path": path, "target": "label"})
    csv_file(GOOD_CSV.replace("11,1.0", "11,1.5"))
    assert fp({"name": "csv", "path": path, "target": "label"}) != before


def test_tasks_pickle_and_cross_processes(csv_file):
    tasks = [
        get_task({"name": "parity", "bits": 4}),
        get_task("iris"),
        get_task({"name": "csv", "path": csv_file(GOOD_CSV), "target": "label"}),
        Task.from_arrays(
            "mine", np.arange(20.0).reshape(10, 2), np.arange(10) % 2, task_type="classification"
        ),
    ]
    for task in tasks:
        back = pickle.loads(pickle.dumps(task))
        assert back == task and back.key == task.key and back.fingerprint == task.fingerprint
        np.testing.assert_array_equal(back.splits(rng(5)).X_test, task.splits(rng(5)).X_test)
    remote = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_split_summary)(t) for t in tasks
    )
    assert remote == [_split_summary(t) for t in tasks]


def _split_summary(task: Task):
    s = task.splits(np.random.default_rng(11))
    return task.fingerprint, float(s.X_train.sum()), s.y_test.tolist()


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "spec, message",
    [
        ("xr", "unknown task 'xr'; known tasks: breast-cancer, cartpole, circles, csv, digits, double-pole, double-pole-nv, friedman1, gym, "
               "iris, moons, parity, sine, two-spirals, wine, xor"),
        ({"name": "parity", "bit": 4}, "parity: unknown parameter 'bit'; known parameters: bits"),
        ({"name": "xor", "bits": 4}, "xor: unknown parameter 'bits'; known parameters: none"),
        ({"name": "parity", "bits": 1}, "parity.bits: must be an integer >= 2, got 1"),
        ({"name": "parity", "bits": 40}, "parity.bits: must be an integer <= 16, got 40"),
        ({"name": "parity", "bits": 3.0}, "parity.bits: must be an integer, got 3.0"),
        ({"name": "parity", "bits": True}, "parity.bits: must be an integer, got True"),
        ({"name": "moons", "noise": -0.1}, "moons.noise: must be a number >= 0.0, got -0.1"),
        ({"name": "moons", "noise": "lots"}, "moons.noise: must be a finite number, got 'lots'"),
        ({"name": "circles", "n_samples": 5}, "circles.n_samples: must be an integer >= 20, got 5"),
        ({"bits": 3}, "a task table needs a 'name' key, got keys: bits"),
        (3, "a task is a name or a table with 'name' and parameters, got 3"),
        ({"name": "csv", "target": "y"}, "csv.path: required (the CSV file's path)"),
        ({"name": "csv", "path": "x.csv", "target": "y", "task_type": "clf"},
         "csv.task_type: must be one of auto, classification, regression, got 'clf'"),
    ],
)  # fmt: skip
def test_bad_task_specs(spec, message):
    assert err(get_task, spec) == message


def test_csv_task(csv_file):
    path = csv_file(GOOD_CSV)
    task = get_task({"name": "csv", "path": path, "target": "label"})
    assert task.task_type == "classification" and task.params["task_type"] == "classification"
    assert (
        task.key
        == get_task(
            {"name": "csv", "path": path, "target": "label", "task_type": "classification"}
        ).key
    )
    X, y = task.data()
    assert X.shape == (12, 2) and set(y) == {"x", "y"}
    numeric = csv_file("a,b,c\n" + "".join(f"{i},{i * 0.5},{i % 3}\n" for i in range(12)), "n.csv")
    assert (
        get_task({"name": "csv", "path": numeric, "target": "b"}).task_type == "regression"
    )  # floats
    assert (
        get_task({"name": "csv", "path": numeric, "target": "c"}).task_type == "classification"
    )  # few ints
    explicit = get_task({"name": "csv", "path": numeric, "target": "c", "task_type": "regression"})
    assert explicit.task_type == "regression" and explicit.data()[1].dtype == np.float64
    splits = task.splits(rng())
    assert set(splits.y_train) == {"x", "y"}
    assert task.problem(splits).classes.tolist() == ["x", "y"]


def test_csv_errors(csv_file, tmp_path):
    def msg(text, target="label", **kw):
        return err(get_task, {"name": "csv", "path": csv_file(text), "target": target, **kw})

    p = str(tmp_path / "data.csv")
    missing = str(tmp_path / "missing.csv")
    assert (
        err(get_task, {"name": "csv", "path": missing, "target": "y"})
        == f"csv.path: no such file {missing!r}"
    )
    assert (
        msg(GOOD_CSV, target="lbl")
        == f"csv.target: no column 'lbl' in {p!r}; its columns: a, b, label"
    )
    assert (
        msg("a,b,label\n1,2,x\n3,red,y\n")
        == f"csv: column 'b' must be numeric, got 'red' in data row 2 of {p!r}"
    )
    assert (
        msg("a,b,label\n1,2,x\n3,,y\n")
        == f"csv: column 'b' has a missing value in data row 2 of {p!r}"
    )
    assert (
        msg("a,b,label\n1,2,x\n3,4,\n")
        == f"csv: the target column 'label' has a missing value in data row 2 of {p!r}"
    )
    assert msg("") == f"csv.path: {p!r} is empty"
    assert msg("a,b,label\n") == f"csv.path: {p!r} has a header but no data rows"
    assert msg("label\nx\ny\n") == f"csv: {p!r} has no feature columns besides the target 'label'"
    assert (
        msg("a,label\n1,x\n2,y\n3,y\n")
        == "csv: class 'x' has 1 row(s); every class needs at least 3 (one each for train, val and test)"
    )
    many = "a,n\n" + "".join(f"{i},{i}\n" for i in range(30))
    assert msg(many, target="n").startswith(
        "csv.task_type: cannot tell from the target column 'n' (integers, 30 distinct"
    )
    assert msg(GOOD_CSV, task_type="regression") == (
        f"csv: the target column 'label' (regression) must be numeric, got 'x' in data row 1 of {p!r}"
    )


def _xy(n=20):
    X = np.random.default_rng(0).normal(size=(n, 3))
    return X, np.arange(n) % 2


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(X=np.zeros((0, 2)), y=[]), "mine: X has shape (0, 2); expected (n_samples, n_features), both >= 1"),
        (dict(X=np.zeros(5), y=np.zeros(5)), "mine: X has shape (5,); expected (n_samples, n_features), both >= 1"),
        (dict(X=[["a", "b"]], y=[0]), "mine: X must hold numbers, got dtype <U1"),
        (dict(y=np.arange(19) % 2), "mine: y has shape (19,); X has 20 rows, one label or target per row"),
        (dict(nan_at=(7, 2)), "mine: X has NaN or inf at row 7, column 2"),
        (dict(y=np.r_[np.arange(19) % 2, np.nan]), "mine: y has NaN or inf at row 19"),
        (dict(y=np.array([None] + ["a", "b"] * 9 + ["a"], dtype=object)), "mine: y has a missing label at row 0"),
        (dict(y=np.zeros(20)), "mine: classification needs at least 2 classes, got 1"),
        (dict(y=np.r_[np.zeros(18), 1, 1]), "mine: class 1.0 has 2 row(s); every class needs at least 3 (one each for train, val and test)"),
        (dict(y=np.zeros((20, 2))), "mine: classification labels have shape (20, 2); expected (20,)"),
        (dict(val_fraction=1.0), "mine.val_fraction: must be a number in [0, 1), got 1.0"),
        (dict(test_fraction=-0.1), "mine.test_fraction: must be a number in [0, 1), got -0.1"),
        (dict(val_fraction=0.5, test_fraction=0.5), "mine: val_fraction + test_fraction must be < 1 (something must be left to train on), got 0.5 + 0.5"),
        (dict(task_type="clustering"), "mine.task_type: must be one of classification, regression, got 'clustering'"),
        (dict(loss="hinge"), "mine.loss: must be one of cross_entropy, mse for classification, got 'hinge'"),
        (dict(task_type="regression", loss="cross_entropy"), "mine.loss: must be one of mse for regression, got 'cross_entropy'"),
        (dict(target_split="val", val_fraction=0.0), "mine.target_split: 'val' needs val_fraction > 0"),
        (dict(target_split="dev"), "mine.target_split: must be one of train, val, test, got 'dev'"),
        (dict(target=float("inf")), "mine.target: must be a finite number or None, got inf"),
        (dict(network="big"), "mine.network: must be an optimizers.Architecture, got 'big'"),
        (dict(name="xor"), "'xor' is a registered task's name; give your data another name"),
        (dict(name="my data"), "task name must be a non-empty string of letters, digits and _.+- (starting with a letter or digit), got 'my data'"),
        (dict(task_type="regression", y=np.array(["a"] * 20)), "mine: regression targets must be numbers, got dtype <U1"),
    ],
)  # fmt: skip
def test_from_arrays_validation(kw, message):
    X, y = _xy()
    kw = {"name": "mine", "X": X, "y": y, "task_type": "classification", **kw}
    if "nan_at" in kw:
        X = X.copy()
        X[kw.pop("nan_at")] = np.nan
        kw["X"] = X
    name, X, y = kw.pop("name"), kw.pop("X"), kw.pop("y")
    assert err(Task.from_arrays, name, X, y, **kw) == message


def test_from_arrays_task():
    X, y = _xy(30)
    labels = np.array(["no", "yes"])[y]
    task = Task.from_arrays(
        "mine", X, labels, task_type="classification", target=0.9, network=Architecture(hidden=(3,)),
        budget=Budget(evaluations=50), val_fraction=0.0, test_fraction=0.3,
    )  # fmt: skip
    assert task.key == "mine" and task.params == {} and task.target == 0.9
    splits = task.splits(rng())
    assert len(splits.X_val) == 0 and len(splits.X_test) == 10 and len(splits.X_train) == 20
    problem = task.problem(splits)
    assert problem.X_val is None and problem.classes.tolist() == ["no", "yes"]
    result = optimizers.fit(
        optimizers.get("random-search")(), problem, task.budget, rng(), initial=task.network
    )
    assert set(task.test_scores(problem, result.best, splits)) == {"test_loss", "test_accuracy"}
    X2 = X.copy()
    X2[0, 0] = 99.0  # the task keeps its own copy
    assert task.data()[0][0, 0] == X[0, 0]


# ------------------------------------------------------------------- user registration
def load_blobs(n: int = 30, shift: float = 2.0):
    g = np.random.default_rng(n)
    y = np.arange(n) % 2
    return g.normal(size=(n, 2)) + shift * y[:, None], y


def test_register_task():
    register_task(
        "blobs", load_blobs, task_type="classification", params={"n": 30, "shift": 2.0},
        target=0.9, network=Architecture(hidden=(4,)), doc="Two Gaussian blobs.",
    )  # fmt: skip
    try:
        assert "blobs" in available_tasks()
        entry = next(e for e in task_catalog() if e["name"] == "blobs")
        assert entry == {
            "name": "blobs",
            "params": {"n": 30, "shift": 2.0},
            "task_type": "classification",
            "doc": "Two Gaussian blobs.",
        }
        task = get_task({"name": "blobs", "shift": 3})
        assert task.key == "blobs(n=30,shift=3.0)" and task.network.hidden == (4,)
        assert task.fingerprint != get_task("blobs").fingerprint
        assert pickle.loads(pickle.dumps(task)) == task
        problem = task.problem(task.splits(rng()))
        assert problem.n_inputs == 2
        assert (
            err(get_task, {"name": "blobs", "n": "many"})
            == "blobs.n: must be an integer, got 'many'"
        )
        other = functools.partial(load_blobs)  # another loader under the same name
        assert err(register_task, "blobs", other, task_type="classification") == (
            "task name 'blobs' is taken; choose another name"
        )
        # the same loader registered again (a study script loaded twice) replaces itself
        register_task("blobs", load_blobs, task_type="regression")
        assert get_task("blobs").task_type == "regression"
        assert err(register_task, "xor", load_blobs, task_type="classification") == (
            "task name 'xor' is taken; choose another name"
        )
    finally:
        unregister_task("blobs")
    assert "blobs" not in available_tasks()
    assert err(unregister_task, "xor") == "'xor' is a built-in task and cannot be unregistered"


def test_register_task_validation():
    assert err(
        register_task, "b2", load_blobs, task_type="classification", params={"m": 1}
    ).startswith("b2: the loader must take the parameters m as keywords")
    assert err(register_task, "b2", load_blobs, task_type="classif") == (
        "b2.task_type: must be one of classification, regression, got 'classif'"
    )
    assert err(register_task, "b2", load_blobs, task_type="classification", params={"n": [1]}) == (
        "a parameter default must be a bool, int, float, str or a Param, got [1]"
    )
    register_task(
        "b2", lambda n: (np.ones((n, 2)), np.arange(n) % 2 * np.nan), task_type="regression",
        params={"n": Param(REQUIRED, lambda v: int(v), "rows")},
    )  # fmt: skip
    try:
        assert err(get_task, "b2") == "b2.n: required (rows)"
        assert err(get_task, {"name": "b2", "n": 10}) == "b2: y has NaN or inf at row 0"
    finally:
        unregister_task("b2")
