"""The study spec: one schema in TOML and Python, validated before any run, errors naming
the field path; run ids by content; seeds from stable hashes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from optimizers import Architecture, Budget
from studies import Study, StudyError, load_study, name_hash, seed_sequence

TOML = """
name = "my-study"
seed = 3
seeds = 2
tasks = ["xor", { name = "parity", bits = 4, budget = { evaluations = 300 } }]

[budget]
evaluations = 500

[network]
hidden = [4]
activation = "tanh"

[optimizers.adam]
optimizer = "backprop"
rule = "adam"
lr = 0.01

[optimizers.neat]
optimizer = "neat"

[optimizers.small-ga]
optimizer = "ga"
population = 20
network = { hidden = [2] }
"""


def base(**changes) -> dict:
    spec = {
        "name": "s",
        "tasks": ["xor"],
        "optimizers": {"adam": ("backprop", {"rule": "adam"}), "ga": "ga"},
        "seeds": 2,
        "budget": {"evaluations": 100},
    }
    spec.update(changes)
    return spec


def test_a_toml_study_reads_as_its_python_twin(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text(TOML)
    study = load_study(path)
    twin = Study(
        name="my-study",
        seed=3,
        seeds=2,
        tasks=["xor", {"name": "parity", "bits": 4, "budget": {"evaluations": 300}}],
        budget=Budget(evaluations=500),
        network=Architecture(hidden=(4,), activation="tanh"),
        optimizers={
            "adam": {"optimizer": "backprop", "rule": "adam", "lr": 0.01},
            "neat": "neat",
            "small-ga": {"optimizer": "ga", "population": 20, "network": {"hidden": [2]}},
        },
    )
    assert study.to_json() == twin.to_json()
    assert [r.run_id for r in study.runs()] == [r.run_id for r in twin.runs()]
    runs = study.runs()
    assert len(runs) == 2 * 2 * 3
    by = {(r.task.key, r.label, r.repetition): r for r in runs}
    assert by[("parity(bits=4)", "adam", 0)].budget == Budget(evaluations=300)
    assert by[("xor", "adam", 1)].budget == Budget(evaluations=500)
    assert by[("xor", "small-ga", 0)].network.hidden == (2,)
    assert by[("xor", "adam", 0)].network.hidden == (4,)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"optimizers": {"adam": ("backprop", {"lr": -1.0})}}, r"^optimizers\.adam\.lr: must be > 0, got -1\.0$"),
        ({"optimizers": {"adam": ("backprop", {"lrr": 1})}}, r"^optimizers\.adam\.lrr: unknown parameter; known: .*lr"),
        ({"optimizers": {"x": "nope"}}, r"^optimizers\.x\.optimizer: unknown optimizer 'nope'; available: .*backprop"),
        ({"optimizers": {"x": {"rule": "adam"}}}, r"^optimizers\.x: name the optimizer"),
        ({"optimizers": {"x": {"optimizer": "ga", "budget": {"evaluations": 5}}}}, r"^optimizers\.x\.budget: an optimizer cannot change the budget"),
        ({"optimizers": {}}, r"^optimizers: must be a table"),
        ({"tasks": ["nope"]}, r"^tasks\[0\]: .*nope.*xor"),
        ({"tasks": []}, r"^tasks: list at least one task"),
        ({"tasks": [{"name": "parity", "bits": 1}]}, r"^tasks\[0\]\.bits: must be an integer >= 2, got 1$"),
        ({"optimizers": {"a": ("ga", {"population": object()})}}, r"^optimizers\.a: parameters must be plain data"),
        ({"tasks": ["xor", "xor"]}, r"^tasks\[1\]: task 'xor' is listed twice"),
        ({"tasks": [{"name": "xor", "budget": {"evals": 3}}]}, r"^tasks\[0\]\.budget\.evals: unknown budget unit"),
        ({"budget": {"evaluations": -5}}, r"^budget\.evaluations: must be a positive finite number"),
        ({"seeds": 0}, r"^seeds: must be an integer >= 1, got 0$"),
        ({"seed": -1}, r"^seed: must be an integer >= 0"),
        ({"seeds": 2.5}, r"^seeds: must be an integer"),
        ({"name": "a/b"}, r"^name: must be 1-100 letters"),
        ({"max_run_seconds": 0}, r"^max_run_seconds: must be a positive number"),
        ({"network": {"hidden": [0]}}, r"^network\.hidden: layer sizes must be integers >= 1"),
        ({"network": {"activation": "swish"}}, r"^network\.activation: unknown activation 'swish'"),
        ({"network": {"layers": [3]}}, r"^network\.layers: unknown network key"),
        ({"network": {"activation": "step"}}, r"^network: backprop needs gradients but activation\(s\) step have none"),
        (
            {"optimizers": {"a": {"optimizer": "backprop", "network": {"activation": "step"}}}},
            r"^optimizers\.a\.network: backprop needs gradients",
        ),
        ({"tasks": [{"name": "xor", "optimizers": {"nope": {"lr": 1}}}]}, r"^tasks\[0\]\.optimizers\.nope: no optimizer labelled 'nope' in this study; labels: adam, ga$"),
        ({"tasks": [{"name": "xor", "optimizers": {"adam": {"lr": -2}}}]}, r"^tasks\[0\]\.optimizers\.adam\.lr: must be > 0, got -2$"),
        ({"tasks": [{"name": "xor", "optimizers": {"adam": {"lrr": 2}}}]}, r"^tasks\[0\]\.optimizers\.adam\.lrr: unknown parameter"),
        ({"tasks": [{"name": "xor", "optimizers": {"adam": {"budget": {"evaluations": 9}}}}]}, r"^tasks\[0\]\.optimizers\.adam\.budget: a task entry sets only an optimizer's parameters.*same compute"),
        ({"tasks": [{"name": "xor", "optimizers": {"adam": {"optimizer": "ga"}}}]}, r"^tasks\[0\]\.optimizers\.adam\.optimizer: a task entry sets only"),
        ({"tasks": [{"name": "xor", "optimizers": {"adam": 3}}]}, r"^tasks\[0\]\.optimizers\.adam: must be a table of that optimizer's parameters"),
        ({"tasks": [{"name": "xor", "optimizers": ["adam"]}]}, r"^tasks\[0\]\.optimizers: must be a table"),
        ({"tasks": [{"name": "xor", "optimizers": {"n": {"recurrent": True}}}], "optimizers": {"n": "neat"}}, r"^tasks\[0\]\.optimizers\.n: .*recurrent"),
    ],
)  # fmt: skip
def test_a_bad_study_is_refused_naming_the_field(changes, message):
    with pytest.raises(StudyError, match=message):
        Study(**base(**changes))


def test_a_non_differentiable_network_is_fine_without_gradients():
    Study(**base(optimizers={"ga": "ga"}, network={"activation": "step"}))


def test_unknown_and_missing_top_level_keys(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\ntasks = ["xor"]\nseedz = 3\n[optimizers.a]\noptimizer = "ga"\n')
    with pytest.raises(StudyError, match=r"s\.toml: seedz: unknown study key; known: name, seed"):
        load_study(path)
    path.write_text('name = "s"\ntasks = ["xor"]\n')
    with pytest.raises(StudyError, match=r"optimizers: missing"):
        load_study(path)


def test_bad_study_files_are_one_line_errors(tmp_path):
    with pytest.raises(StudyError, match=r"nope\.toml: no such file"):
        load_study(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(StudyError, match=r"bad\.toml: not valid TOML"):
        load_study(bad)
    txt = tmp_path / "s.yaml"
    txt.write_text("x")
    with pytest.raises(StudyError, match=r"a \.toml or a \.py file"):
        load_study(txt)
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    with pytest.raises(StudyError, match=r"defines no `study = Study\(\.\.\.\)`"):
        load_study(script)
    script.write_text("def f(:\n")
    with pytest.raises(StudyError, match=r"s\.py:1: syntax error"):
        load_study(script)
    script.write_text(
        "from studies import Study\nstudy = Study(name='s', tasks=['xor'], optimizers={'a': 'nope'})\n"
    )
    with pytest.raises(StudyError, match=r"s\.py: optimizers\.a\.optimizer: unknown optimizer"):
        load_study(script)


def test_run_ids_follow_content():
    ids = {(r.task.key, r.label, r.repetition): r.run_id for r in Study(**base()).runs()}
    assert len(set(ids.values())) == len(ids) == 4
    # an explicit default is the same content; spelling does not matter
    same = Study(
        **base(optimizers={"adam": ("backprop", {"rule": "adam", "lr": 0.001}), "ga": ("ga", {})})
    )
    assert {(r.task.key, r.label, r.repetition): r.run_id for r in same.runs()} == ids
    # adding an optimizer, a task or seeds leaves every other run's id alone
    more = Study(
        **base(seeds=3, tasks=["xor", "iris"], optimizers={**base()["optimizers"], "es": "es"})
    )
    more_ids = {(r.task.key, r.label, r.repetition): r.run_id for r in more.runs()}
    assert all(more_ids[k] == v for k, v in ids.items())
    # a changed parameter is a new run of that optimizer only; a changed budget, network or
    # study seed makes every run new
    lr = Study(**base(optimizers={"adam": ("backprop", {"rule": "adam", "lr": 0.1}), "ga": "ga"}))
    lr_ids = {(r.task.key, r.label, r.repetition): r.run_id for r in lr.runs()}
    assert {k for k in ids if lr_ids[k] == ids[k]} == {k for k in ids if k[1] == "ga"}
    for changes in ({"budget": {"evaluations": 101}}, {"network": {"hidden": [3]}}, {"seed": 1}):
        other = {r.run_id for r in Study(**base(**changes)).runs()}
        assert not other & set(ids.values()), changes
    # numpy numbers are the numbers they hold
    np_int = Study(
        **base(
            optimizers={
                "adam": ("backprop", {"rule": "adam"}),
                "ga": ("ga", {"population": np.int64(100)}),
            }
        )
    )
    assert {r.run_id for r in np_int.runs()} == set(ids.values())


def test_name_hashes_do_not_depend_on_the_process():
    code = "from studies import name_hash; print(name_hash('iris'), name_hash('parity(bits=4)'))"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outs == {f"{name_hash('iris')} {name_hash('parity(bits=4)')}\n"}
    a = np.random.default_rng(seed_sequence(0, "iris", 1)).random()
    assert a == np.random.default_rng(seed_sequence(0, "iris", 1)).random()
    assert a != np.random.default_rng(seed_sequence(0, "iris", 2)).random()
    assert a != np.random.default_rng(seed_sequence(1, "iris", 1)).random()


def test_a_study_script_with_its_own_task(tmp_path):
    script = tmp_path / "mine.py"
    script.write_text(
        textwrap.dedent(
            """
            import numpy as np
            from studies import Study, Task

            rng = np.random.default_rng(0)
            X = rng.normal(size=(60, 3))
            y = (X[:, 0] + X[:, 1] > 0).astype(int)
            study = Study(
                name="mine",
                tasks=[Task.from_arrays("blobs", X, y, task_type="classification")],
                optimizers={"rs": "random-search"},
                seeds=1,
                budget={"evaluations": 50},
            )
            """
        )
    )
    study = load_study(script)
    assert [r.task.key for r in study.runs()] == ["blobs"]


def test_a_csv_path_in_a_toml_file_is_relative_to_that_file(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    rng = np.random.default_rng(0)
    rows = ["a,b,label"] + [f"{x:.3f},{y:.3f},{int(x > y)}" for x, y in rng.normal(size=(30, 2))]
    (folder / "data.csv").write_text("\n".join(rows) + "\n")
    (folder / "s.toml").write_text(
        'name = "csv"\ntasks = [{ name = "csv", path = "data.csv", target = "label" }]\n'
        '[optimizers.rs]\noptimizer = "random-search"\n'
    )
    monkeypatch.chdir(tmp_path)  # not the file's folder
    study = load_study(folder / "s.toml")
    X, y = study.tasks[0].task.data()
    assert X.shape == (30, 2) and set(np.unique(y)) == {0, 1}
    assert study.source == str((folder / "s.toml").resolve())


def test_a_task_entry_may_carry_its_own_network():
    study = Study(
        **base(
            tasks=["xor", {"name": "iris", "network": {"hidden": [3]}}],
            network={"hidden": [5]},
            optimizers={"ga": "ga", "small": {"optimizer": "ga", "network": {"hidden": [2]}}},
        )
    )
    nets = {(r.task.key, r.label): r.network.hidden for r in study.runs()}
    assert nets == {
        ("xor", "ga"): (5,), ("iris", "ga"): (3,), ("xor", "small"): (2,), ("iris", "small"): (2,)
    }  # fmt: skip


def test_a_task_entry_may_give_an_optimizer_parameters_on_that_task_only():
    plain = Study(**base(tasks=["xor", "iris"], optimizers={"ga": "ga", "neat": "neat"}))
    tuned = Study(
        **base(
            tasks=["xor", {"name": "iris", "optimizers": {"neat": {"population": 40}}}],
            optimizers={"ga": "ga", "neat": "neat"},
        )
    )
    before = {(r.task.key, r.label, r.repetition): r for r in plain.runs()}
    after = {(r.task.key, r.label, r.repetition): r for r in tuned.runs()}
    assert before.keys() == after.keys()
    for key, run in after.items():
        config = run.optimizer.build().config
        if key[:2] == ("iris", "neat"):
            assert config.population == 40 and run.run_id != before[key].run_id
        else:  # every other run is the same run as without the override
            assert run.run_id == before[key].run_id
            assert config == before[key].optimizer.build().config
    assert tuned.to_dict()["tasks"][1]["optimizers"] == {"neat": {"population": 40}}
    assert len({*tuned.tasks, *plain.tasks}) == 3  # task entries hash (iris differs)
    assert "optimizers" not in tuned.to_dict()["tasks"][0]


def test_a_stored_spec_written_as_toml_runs_the_same_runs(tmp_path):
    from studies import catalog
    from studies.spec_toml import study_toml

    own = Study(
        name="toml-back",
        seed=3,
        seeds=2,
        tasks=[
            "xor",
            {
                "name": "parity",
                "bits": 4,
                "budget": {"evaluations": 500},
                "optimizers": {"small-neat": {"population": 30}, "adam": {"lr": 0.01}},
            },
        ],  # fmt: skip
        optimizers={
            "adam": ("backprop", {"lr": 0.05, "rule": "adam"}),
            "small-neat": ("neat", {"population": 20}),
            "ga": {"optimizer": "ga", "network": {"hidden": [3]}},
        },
        budget={"evaluations": 300, "seconds": 30},
        network={"hidden": [6], "activation": "sigmoid"},
        max_run_seconds=60,
        record_every=2,
    )
    for study in (own, catalog.load("quickstart"), catalog.load("control")):
        path = tmp_path / f"{study.name}.toml"
        path.write_text(study_toml(study.to_dict()), encoding="utf-8")
        again = load_study(path)
        assert [r.run_id for r in again.runs()] == [r.run_id for r in study.runs()]
        assert again.to_dict() | {"budget": None} == study.to_dict() | {"budget": None}


def test_a_recurrent_neat_or_network_on_a_dataset_is_refused_before_any_run():
    from studies import Study, StudyError

    with pytest.raises(
        StudyError,
        match=r"optimizers.rn: neat: recurrent=true needs a control task.*tasks\[0\] \(xor\)",
    ):
        Study(name="x", tasks=["xor"], optimizers={"rn": ("neat", {"recurrent": True})})
    with pytest.raises(
        StudyError, match=r"network: recurrent networks need a control task; tasks\[0\] \(xor\)"
    ):
        Study(
            name="x",
            tasks=["xor"],
            optimizers={"ga": "ga"},
            network={"hidden": [3], "recurrent": True},
        )
    with pytest.raises(StudyError, match=r"policy-gradient trains feed-forward networks only"):
        Study(name="x", tasks=["double-pole-nv"], optimizers={"pg": "policy-gradient"})
    Study(
        name="x",
        tasks=["cartpole", "double-pole-nv"],
        optimizers={"rn": ("neat", {"recurrent": True})},
    )
