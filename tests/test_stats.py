"""studies.stats against independent references: scipy's own results where we wrap scipy,
hand-worked cases (Holm, A12, ERT, ECDF, step curves, anytime area), Demsar's table of
q_alpha, and the properties the contract promises (direction, determinism, fallbacks)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from studies.stats import (
    a12,
    anytime,
    budgets_from_spec,
    curve_grid,
    describe,
    ecdf,
    ert,
    friedman,
    hitting_times,
    holm,
    nemenyi_cd,
    nemenyi_q,
    pairwise,
    rank_table,
    smallest_p,
    task_sentence,
    versus_best,
)
from studies.stats._frames import rng_for

# ---------------------------------------------------------------- synthetic frames


def make_runs(values, *, task="t", maximize=True, target=math.nan, target_split="test",
              status=None, evaluations=1000.0):  # fmt: skip
    """A runs frame (the contract's columns): ``values`` optimizer -> the metric per
    repetition (every split's metric set to it); ``status`` (optimizer, repetition) -> status;
    ``evaluations`` a number, or (optimizer, repetition) -> number."""
    rows = []
    for optimizer, vs in values.items():
        for rep, v in enumerate(vs):
            st = (status or {}).get((optimizer, rep), "done")
            ev = evaluations if np.isscalar(evaluations) else evaluations[(optimizer, rep)]
            rows.append(
                dict(run_id=f"{task}/{optimizer}/{rep}", task=task, task_name=task,
                     optimizer=optimizer, optimizer_name=optimizer, repetition=rep,
                     study_seed=0, status=st, error=None if st == "done" else "boom",
                     metric="accuracy" if maximize else "mse", metric_maximize=maximize,
                     target=target, target_split=target_split, solved=False,
                     train_loss=1 - v, train_metric=v, val_loss=1 - v, val_metric=v,
                     test_loss=1 - v, test_metric=v, samples=10 * ev, evaluations=ev,
                     macs=1000.0 * ev, seconds=ev / 1000.0, steps=10, wall_seconds=1.0,
                     connections=10, hidden_nodes=2, max_run_seconds=None, host="h",
                     finished_at="2026-01-01T00:00:00+00:00")
            )  # fmt: skip
    return pd.DataFrame(rows)


def make_curves(runs, points):
    """A curves frame: ``points`` run_id -> [(evaluations, value), ...] (value in every
    split's metric column), task/optimizer/repetition taken from ``runs``."""
    info = runs.set_index("run_id")
    rows = []
    for run_id, pts in points.items():
        r = info.loc[run_id]
        for i, (x, v) in enumerate(pts):
            rows.append(
                dict(run_id=run_id, task=r["task"], optimizer=r["optimizer"],
                     optimizer_name=r["optimizer"], repetition=r["repetition"],
                     metric=r["metric"], point=i, samples=10.0 * x, evaluations=float(x),
                     macs=1000.0 * x, seconds=x / 1000.0, steps=i, train_loss=1 - v,
                     train_metric=v, val_loss=1 - v, val_metric=v, test_loss=1 - v,
                     test_metric=v, best_objective=v)
            )  # fmt: skip
    return pd.DataFrame(rows)


def separated(k=3, n=10, task="t", maximize=True, spacing=1.0):
    """k optimizers "o0".."o{k-1}", n repetitions; o_i's values all lie above o_{i+1}'s."""
    values = {f"o{i}": list((k - i) * spacing * 100 + np.arange(n) * 0.1) for i in range(k)}
    return make_runs(values, task=task, maximize=maximize)


# ---------------------------------------------------------------- Holm, A12, smallest p


def test_holm_textbook_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])


def test_holm_clips_keeps_nan_and_shape():
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # 0.5 * 2 = 1, then max
    out = holm([0.01, np.nan, 0.04])  # m = 2: 0.02, max(0.02, 0.04)
    np.testing.assert_allclose(out, [0.02, np.nan, 0.04])
    assert holm(np.array([[0.01, 0.02]])).shape == (1, 2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.5, 1.5])


def test_a12_hand_worked():
    # x = [1, 2, 3] vs y = [2, 2, 2]: 3 wins (3 > 2), 3 ties (2 = 2), 3 losses -> 4.5 / 9
    assert a12([1, 2, 3], [2, 2, 2]) == 0.5
    # x = [3, 4] vs y = [1, 3]: wins 3>1, 4>1, 4>3; tie 3=3 -> 3.5 / 4
    assert a12([3, 4], [1, 3]) == 0.875
    assert a12([3, 4], [1, 3], maximize=False) == 0.125
    assert a12([1, np.nan, 3], [2]) == 0.5
    assert math.isnan(a12([], [1.0]))


def test_a12_is_mann_whitney_u_over_n1_n2():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, 9).astype(float), rng.integers(0, 5, 7).astype(float)
    u = stats.mannwhitneyu(x, y).statistic
    assert a12(x, y) == pytest.approx(u / (9 * 7))
    assert a12(x, y, maximize=False) == pytest.approx(1 - u / (9 * 7))


def test_smallest_p_matches_scipy_on_perfectly_separated_data():
    assert smallest_p(5, paired=True) == 0.0625
    assert stats.wilcoxon(np.arange(1.0, 6.0), np.zeros(5)).pvalue == pytest.approx(0.0625)
    assert smallest_p(5, 5) == pytest.approx(2 / 252)
    p = stats.mannwhitneyu(np.arange(5.0) + 10, np.arange(5.0), method="exact").pvalue
    assert smallest_p(5) == pytest.approx(p)
    assert smallest_p(3, 4) == pytest.approx(2 / 35)
    assert smallest_p(1, 1) == 1.0 and smallest_p(0, paired=True) == 1.0
    with pytest.raises(ValueError, match="n1"):
        smallest_p(-1)
    with pytest.raises(ValueError, match="one size"):
        smallest_p(5, 6, paired=True)


# ---------------------------------------------------------------- pairwise, versus_best


def test_pairwise_p_and_statistic_are_scipys():
    rng = np.random.default_rng(0)
    values = {
        "a": list(rng.normal(0, 1, 8)),
        "b": list(rng.normal(1, 1, 8)),
        "c": list(rng.normal(0, 1, 6)),
    }
    runs = make_runs(values)
    pw = pairwise(runs).set_index(["a", "b"])
    assert len(pw) == 6  # every ordered pair
    for a, b in [("a", "b"), ("b", "a"), ("a", "c"), ("c", "b")]:
        ref = stats.mannwhitneyu(values[a], values[b], alternative="two-sided")
        assert pw.loc[(a, b), "p"] == pytest.approx(ref.pvalue)
        assert pw.loc[(a, b), "statistic"] == pytest.approx(ref.statistic)
        assert pw.loc[(a, b), "a12"] == pytest.approx(a12(values[a], values[b]))
    pairs = [("a", "b"), ("a", "c"), ("b", "c")]
    expected = holm([pw.loc[p, "p"] for p in pairs])
    np.testing.assert_allclose([pw.loc[p, "p_holm"] for p in pairs], expected)
    assert (pw.loc[("b", "a"), "p_holm"]) == pw.loc[("a", "b"), "p_holm"]
    assert set(pw["test"]) == {"Mann-Whitney U"}


def test_pairwise_paired_uses_wilcoxon_on_shared_repetitions():
    rng = np.random.default_rng(1)
    va, vb = list(rng.normal(0, 1, 9)), list(rng.normal(0.5, 1, 9))
    runs = make_runs({"a": va, "b": vb}, status={("b", 8): "failed"})
    pw = pairwise(runs, paired=True).set_index(["a", "b"])
    ref = stats.wilcoxon(va[:8], vb[:8])
    row = pw.loc[("a", "b")]
    assert row["test"] == "Wilcoxon signed-rank" and row["n_a"] == row["n_b"] == 8
    assert row["p"] == pytest.approx(ref.pvalue)
    assert row["statistic"] == pytest.approx(ref.statistic)
    assert pw.loc[("b", "a"), "p"] == row["p"]
    assert pw.loc[("b", "a"), "statistic"] == pytest.approx(
        stats.wilcoxon(vb[:8], va[:8]).statistic
    )
    wins = sum(x > y for x, y in zip(va[:8], vb[:8]))
    assert (row["wins"], row["ties"], row["losses"]) == (wins, 0, 8 - wins)


def test_pairwise_wins_ties_losses_and_failed_runs_left_out():
    runs = make_runs({"a": [1, 2, 3, 9], "b": [1, 1, 4, 0]}, status={("a", 3): "failed"})
    row = pairwise(runs).set_index(["a", "b"]).loc[("a", "b")]
    assert row["n_a"] == 3 and row["n_b"] == 4  # a's failed run does not count
    assert (row["wins"], row["ties"], row["losses"]) == (1, 1, 1)  # over repetitions 0..2


def test_pairwise_untestable_with_five_paired_repetitions():
    runs = make_runs({"a": [1, 2, 3, 4, 5], "b": [0, 0, 0, 0, 0]})
    pw = pairwise(runs, paired=True)
    assert set(pw["verdict"]) == {"untestable"}
    assert pw["note"].iloc[0] == (
        "with 5 paired repetitions no test can reach p < 0.05 "
        "(smallest possible p = 0.0625); run more seeds"
    )
    assert pw["smallest_p"].iloc[0] == 0.0625
    # unpaired, the same runs can reach 2/252 < 0.05
    assert set(pairwise(runs)["verdict"]) == {"better", "worse"}


def test_pairwise_untestable_counts_the_holm_family():
    # 4 optimizers, 5 runs each: 6 comparisons, 6 * 2/252 = 0.048 < 0.05: testable
    assert "untestable" not in set(pairwise(separated(k=4, n=5))["verdict"])
    # 5 optimizers: 10 comparisons, 10 * 2/252 = 0.079: no verdict possible
    pw = pairwise(separated(k=5, n=5))
    assert set(pw["verdict"]) == {"untestable"}
    assert "10 comparisons" in pw["note"].iloc[0]


def test_pairwise_direction_follows_metric_maximize():
    up = pairwise(separated(k=2, n=8)).set_index(["a", "b"])
    down = pairwise(separated(k=2, n=8, maximize=False)).set_index(["a", "b"])
    assert up.loc[("o0", "o1"), "verdict"] == "better" and up.loc[("o0", "o1"), "a12"] == 1.0
    assert down.loc[("o0", "o1"), "verdict"] == "worse" and down.loc[("o0", "o1"), "a12"] == 0.0
    assert up.loc[("o0", "o1"), "p"] == down.loc[("o0", "o1"), "p"]
    assert up.loc[("o1", "o0"), "wins"] == 0 and down.loc[("o1", "o0"), "wins"] == 8


def test_versus_best_rows_and_holm_over_k_minus_1():
    runs = separated(k=4, n=6, maximize=False)  # mse: o3 (lowest values) is best
    vb = versus_best(runs)
    assert vb["optimizer"].tolist() == ["o3", "o2", "o1", "o0"]
    assert vb["best"].tolist() == [True, False, False, False]
    assert vb["verdict"].tolist() == ["best", "worse", "worse", "worse"]
    values = runs.groupby("optimizer")["test_metric"].apply(list)
    ps = [stats.mannwhitneyu(values["o3"], values[o]).pvalue for o in ["o2", "o1", "o0"]]
    np.testing.assert_allclose(vb["p"].iloc[1:], ps)
    np.testing.assert_allclose(vb["p_holm"].iloc[1:], holm(ps))
    assert (vb["a12"].iloc[1:] == 1.0).all()  # best against each: always better


def test_versus_best_ties_by_label_and_small_n_untestable():
    runs = make_runs({"b": [1, 2, 3], "a": [1, 2, 3], "c": [5]})
    vb = versus_best(runs).set_index("optimizer")
    assert vb.loc["c", "best"]  # highest median, even from one run
    assert vb.loc["a", "verdict"] == vb.loc["b", "verdict"] == "untestable"
    runs = make_runs({"b": [1, 2, 3], "a": [1, 2, 3]})
    vb = versus_best(runs).set_index("optimizer")
    assert vb.loc["a", "best"] and not vb.loc["b", "best"]


def test_versus_best_when_median_and_test_disagree():
    # a's median (5) beats b's (4.9), but b's values are mostly higher: A12 = 0.28
    runs = make_runs({"a": [0.0] * 14 + [5.0] * 16, "b": [4.9] * 16 + [100.0] * 14})
    row = versus_best(runs).set_index("optimizer").loc["b"]
    assert row["p_holm"] < 0.05 and row["a12"] < 0.5
    assert row["verdict"] == "tie" and "favours b" in row["note"]


def test_task_sentence():
    runs = pd.concat(
        [
            make_runs({"x": [1.0] * 8, "y": [1.0] * 7 + [0.99], "z": [0.1] * 8}, task="iris"),
            make_runs({"x": [1, 2, 3, 4, 5], "y": [0, 0, 0, 0, 0]}, task="xor"),
        ]
    )
    s = task_sentence(versus_best(runs), "iris")
    assert s == "On iris, x (best median) and y tie; z is worse (Holm p < 0.001, A12 = 1.00)."
    s = task_sentence(versus_best(runs, paired=True), "xor")
    assert "cannot tell" in s and "0.0625" in s and "run more seeds" in s
    with pytest.raises(ValueError, match="no task"):
        task_sentence(versus_best(runs), "parity")


# ---------------------------------------------------------------- ranks


def test_nemenyi_q_matches_demsar_table():
    table = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
    for k, q in zip(range(2, 11), table):
        assert nemenyi_q(k) == pytest.approx(q, abs=1e-3)
    assert round(nemenyi_cd(6, 5), 2) == 3.37
    assert nemenyi_cd(6, 20) == pytest.approx(nemenyi_cd(6, 5) / 2)
    with pytest.raises(ValueError, match="k"):
        nemenyi_cd(1, 5)


def test_rank_table_and_friedman_respect_direction():
    acc = make_runs({"a": [0.9, 0.8], "b": [0.7, 0.7], "c": [0.5, 0.6]}, task="t1")
    mse = make_runs({"a": [0.1, 0.2], "b": [0.3, 0.3], "c": [0.5, 0.4]}, task="t2", maximize=False)
    gap = make_runs({"a": [0.9], "b": [0.7]}, task="t3")  # c missing: dropped
    runs = pd.concat([acc, mse, gap])
    table = rank_table(runs)
    assert table.index.tolist() == ["t1", "t2"]
    assert table.loc["t1", "a"] == pytest.approx(0.85)
    f = friedman(runs)
    assert f["k"] == 3 and f["n_tasks"] == 2
    assert f["ranks"].to_dict() == {"a": 1.0, "b": 2.0, "c": 3.0}  # a best on both
    ref = stats.friedmanchisquare([1, 1], [2, 2], [3, 3])
    assert f["statistic"] == pytest.approx(ref.statistic)
    assert f["p"] == pytest.approx(ref.pvalue)
    assert f["cd"] == pytest.approx(nemenyi_cd(3, 2))
    assert "no pair can be told apart" in f["sentence"]  # CD 2.34 >= k - 1 = 2


def test_friedman_sentence_states_the_power():
    runs = pd.concat([separated(k=6, n=3, task=f"t{i}", spacing=1 + (i % 2)) for i in range(5)])
    f = friedman(runs)
    assert f["p"] < 0.05 and f["ranks"].index.tolist() == [f"o{i}" for i in range(6)]
    assert (
        "with 6 optimizers over 5 tasks, average ranks must differ by 3.37 to count as "
        "different at p < 0.05" in f["sentence"].lower()
    )
    assert "no pair" not in f["sentence"]
    two = friedman(separated(k=2, n=3))
    assert math.isnan(two["p"]) and two["k"] == 2


# ---------------------------------------------------------------- describe


def test_describe_matches_scipy_bootstrap_and_falls_back():
    runs = make_runs({"a": [0.1, 0.4, 0.35, 0.8, 0.5], "b": [0.7] * 5, "c": [0.3]})
    d = describe(runs, ["test_metric"]).set_index("optimizer")
    x = np.array([0.1, 0.4, 0.35, 0.8, 0.5])
    ref = stats.bootstrap((x,), np.median, n_resamples=2000, method="BCa",
                          rng=rng_for(0, "t", "a", "test_metric")).confidence_interval  # fmt: skip
    assert d.loc["a", "ci_method"] == "BCa"
    assert (d.loc["a", "ci_low"], d.loc["a", "ci_high"]) == pytest.approx((ref.low, ref.high))
    assert (d.loc["a", "median"], d.loc["a", "q1"], d.loc["a", "q3"]) == pytest.approx(
        (0.4, 0.35, 0.5)
    )
    # few resamples of skewed data: BCa, percentile and another seed all give other ends
    skewed = [0.1, 0.4, 0.35, 0.8, 0.5, 2.0, 0.45, 0.2, 3.5]
    row = describe(make_runs({"s": skewed}), ["test_metric"], n_resamples=40).iloc[0]
    ref = stats.bootstrap((np.array(skewed),), np.median, n_resamples=40, method="BCa",
                          rng=rng_for(0, "t", "s", "test_metric")).confidence_interval  # fmt: skip
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref.low, ref.high))
    assert d.loc["b", "ci_method"] == "percentile"  # all equal: BCa undefined
    assert d.loc["b", "ci_low"] == d.loc["b", "ci_high"] == 0.7
    assert d.loc["c", "ci_method"] == "none" and math.isnan(d.loc["c", "ci_low"])


def test_describe_is_deterministic_per_optimizer():
    rng = np.random.default_rng(5)
    values = {"a": list(rng.normal(size=7)), "b": list(rng.normal(size=7))}
    one = describe(make_runs(values), ["test_metric", "seconds"])
    again = describe(make_runs(values), ["test_metric", "seconds"])
    more = describe(
        make_runs({**values, "c": list(rng.normal(size=7))}), ["test_metric", "seconds"]
    )
    # few resamples, so that another seed visibly moves the intervals
    seeds = [describe(make_runs(values), n_resamples=50, seed=s) for s in (0, 1)]
    pd.testing.assert_frame_equal(one, again)
    pd.testing.assert_frame_equal(one, more[more["optimizer"] != "c"].reset_index(drop=True))
    assert not np.allclose(seeds[0]["ci_low"], seeds[1]["ci_low"], equal_nan=True)


# ---------------------------------------------------------------- targets


def test_hitting_times_ert_and_ecdf_hand_worked():
    runs = make_runs({"a": [0, 0, 0], "b": [0, 0]}, target=0.9,
                     evaluations={("a", 0): 1000.0, ("a", 1): 1000.0, ("a", 2): 1000.0,
                                  ("b", 0): 500.0, ("b", 1): 800.0})  # fmt: skip
    curves = make_curves(runs, {
        "t/a/0": [(50, 0.5), (100, 0.95), (200, 0.5), (1000, 0.99)],  # first hit at 100
        "t/a/1": [(100, 0.2), (300, 0.9), (1000, 0.9)],  # hit at 300 (>= target)
        "t/a/2": [(500, 0.8), (1000, 0.89)],  # never
        "t/b/0": [(500, 0.1)],
        "t/b/1": [(800, 0.2)],
    })  # fmt: skip
    hits = hitting_times(runs, curves).set_index("run_id")
    assert hits["reached"].tolist() == [True, True, False, False, False]
    assert hits.loc["t/a/0", "evaluations"] == 100 and hits.loc["t/a/1", "evaluations"] == 300
    assert hits.loc["t/a/0", "macs"] == 100_000 and math.isnan(hits.loc["t/a/2", "evaluations"])
    assert hits.loc["t/a/2", "spent_evaluations"] == 1000
    e = ert(hits.reset_index()).set_index("optimizer")
    assert e.loc["a", "ert_evaluations"] == (100 + 300 + 1000) / 2 == 700
    assert e.loc["a", "success_rate"] == pytest.approx(2 / 3) and e.loc["a", "runs"] == 3
    assert e.loc["b", "ert_evaluations"] == math.inf and e.loc["b", "successes"] == 0
    cdf = ecdf(hits.reset_index())
    assert cdf["optimizer"].tolist() == ["a", "a"]  # b: no success, no rows
    assert cdf["x"].tolist() == [100, 300]
    np.testing.assert_allclose(cdf["fraction"], [1 / 3, 2 / 3])  # plateau below 1


def test_hitting_times_minimise_no_target_and_failed_runs():
    runs = pd.concat(
        [
            make_runs({"a": [0, 0]}, task="m", maximize=False, target=0.1,
                      status={("a", 1): "failed"}),
            make_runs({"a": [0]}, task="free"),  # no target
        ]
    )  # fmt: skip
    runs.loc[runs["status"] == "failed", "evaluations"] = math.nan
    curves = make_curves(runs, {"m/a/0": [(10, 0.5), (20, 0.1)], "m/a/1": [(10, 0.05)],
                                "free/a/0": [(10, 1.0)]})  # fmt: skip
    hits = hitting_times(runs, curves).set_index("run_id")
    assert hits.loc["m/a/0", "evaluations"] == 20  # mse <= 0.1 at 20
    assert hits.loc["m/a/1", "reached"] and hits.loc["m/a/1", "status"] == "failed"
    assert hits.loc["m/a/1", "spent_evaluations"] == 10  # from its last record
    assert not hits.loc["free/a/0", "reached"]
    e = ert(hits.reset_index()).set_index("task")
    assert e.loc["m", "ert_evaluations"] == 15 and math.isnan(e.loc["free", "ert_evaluations"])
    with pytest.raises(ValueError, match="test_metric"):
        hitting_times(runs, curves.drop(columns="test_metric"))


# ---------------------------------------------------------------- curves


def test_curve_grid_step_semantics():
    runs = make_runs({"a": [0, 0]})
    curves = make_curves(runs, {"t/a/0": [(10, 0.1), (20, 0.5), (40, 0.9)],
                                "t/a/1": [(20, 0.3), (30, 0.7)]})  # fmt: skip
    g = curve_grid(curves, points=4)
    assert g["x"].tolist() == [10, 20, 30, 40]
    # run 0: 0.1, 0.5, 0.5, 0.9; run 1: NaN, 0.3, 0.7, 0.7 (last value held)
    np.testing.assert_allclose(g["median"], [0.1, 0.4, 0.6, 0.8])
    assert g["n"].tolist() == [1, 2, 2, 2]
    assert g["low"].isna().tolist() == [True, False, False, False]
    assert (g["low"].iloc[1:] <= g["median"].iloc[1:]).all()
    assert (g["median"].iloc[1:] <= g["high"].iloc[1:]).all()
    np.testing.assert_allclose(g["low"].iloc[1:], [0.3, 0.5, 0.7])  # the band spans both runs
    np.testing.assert_allclose(g["high"].iloc[1:], [0.5, 0.7, 0.9])
    np.testing.assert_allclose(curve_grid(curves, points=3, log=True)["x"], [10, 20, 40])
    pd.testing.assert_frame_equal(g, curve_grid(curves, points=4))
    with pytest.raises(ValueError, match="'nope'"):
        curve_grid(curves, y="nope")


def test_curve_grid_band_is_a_percentile_bootstrap_of_the_median():
    rng = np.random.default_rng(2)
    runs = make_runs({"a": [0] * 12})
    pts = {f"t/a/{i}": [(1 + i, rng.normal()), (20, rng.normal())] for i in range(12)}
    g = curve_grid(make_curves(runs, pts), points=5, n_resamples=300)
    # reference: the documented resamples of runs (sorted by run_id), numpy's nan-aware
    # median and percentile over a hand-built step matrix
    grid = np.linspace(1, 20, 5)
    values = np.array(
        [[np.nan if x < p[0][0] else p[0][1] if x < 20 else p[1][1] for x in grid]
         for _, p in sorted(pts.items())]
    )  # fmt: skip
    pick = rng_for(0, "t", "a", "curve test_metric by evaluations").integers(0, 12, (300, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN resamples
        medians = np.nanmedian(values[pick], axis=1)
        low, high = np.nanpercentile(medians, [2.5, 97.5], axis=0)
    n = np.sum(~np.isnan(values), axis=0)
    assert n.tolist() == g["n"].tolist() == [1, 5, 10, 12, 12]
    np.testing.assert_allclose(g["median"], np.nanmedian(values, axis=0))
    np.testing.assert_allclose(g["low"], np.where(n >= 2, low, np.nan))
    np.testing.assert_allclose(g["high"], np.where(n >= 2, high, np.nan))


def test_anytime_hand_worked():
    runs = make_runs({"a": [0, 0, 0]}, evaluations=100.0)
    curves = make_curves(runs, {
        "t/a/0": [(0, 0.5), (50, 1.0)],  # 0.5 over [0, 50), 1.0 over [50, 100]
        "t/a/1": [(50, 1.0)],  # before its first record: the task's worst, 0.2
        "t/a/2": [(25, 0.2), (75, 0.6), (150, 0.0)],  # 0.2 to 75, 0.6 to 100; 150 cut off
    })  # fmt: skip
    a = anytime(curves, runs).set_index("run_id")
    np.testing.assert_allclose(
        a["auc"], [0.75, (0.2 * 50 + 1.0 * 50) / 100, (0.2 * 75 + 0.6 * 25) / 100]
    )
    assert (a["budget"] == 100).all()
    # over 200 the 0.0 at 150 is within budget, and the worst value recorded
    spec = {"budget": {"evaluations": 200}, "tasks": [{"key": "t", "budget": None}]}
    a = anytime(curves, runs, budgets=budgets_from_spec(spec)).set_index("run_id")
    np.testing.assert_allclose(
        a["auc"], [0.875, 150 / 200, (0.0 * 25 + 0.2 * 50 + 0.6 * 75 + 0.0 * 50) / 200]
    )


# ---------------------------------------------------------------- bad input


def test_bad_input_raises_value_error_naming_the_problem():
    runs = make_runs({"a": [1, 2]})
    with pytest.raises(ValueError, match="'test_metrc'"):
        pairwise(runs, "test_metrc")
    with pytest.raises(ValueError, match="'test_metrc'"):
        describe(runs, ["test_metrc"])
    with pytest.raises(ValueError, match="empty"):
        versus_best(runs.iloc[:0])
    with pytest.raises(ValueError, match="empty"):
        friedman(runs.iloc[:0])
    with pytest.raises(ValueError, match="alpha"):
        pairwise(runs, alpha=5)
    with pytest.raises(ValueError, match="unit"):
        ecdf(hitting_times(runs, make_curves(runs, {"t/a/0": [(1, 1.0)]})), unit="flops")
