"""The policy gradient: its surrogate gradient against finite differences of log
probabilities written here from the distributions' formulas (scipy's normal density),
returns-to-go and baselines against naive loops, what it charges (counted from its own
trajectories, not read off the meter), the budget never passed, determinism, the clear
refusals, and that it learns to balance the pole."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import xor_problem
from scipy import stats

import optimizers
from optimizers import Architecture, Budget, CartPole, DoublePole, EpisodicProblem, fit
from optimizers.policy_gradient import returns_to_go, surrogate_grads
from optimizers.policy_heads import BernoulliHead, GaussianHead, make_baseline

PG = optimizers.get("policy-gradient")


def _net(n_in, n_out, seed=0, hidden=(5,)):
    import networks

    graph = Architecture(hidden=hidden, activation="tanh").build(
        n_in, n_out, rng=np.random.default_rng(seed)
    )
    return networks.compile(graph)


def _bernoulli_log_prob(outputs, actions):
    p = 1.0 / (1.0 + np.exp(-outputs[:, 0]))
    return np.where(actions[:, 0] > 0, np.log(p), np.log1p(-p))


def _gaussian_log_prob(outputs, actions, log_std):
    return stats.norm.logpdf(actions, loc=outputs, scale=np.exp(log_std)).sum(axis=1)


@pytest.mark.parametrize("kind", ["bernoulli", "gaussian"])
def test_surrogate_gradient_equals_finite_differences_of_the_log_probabilities(kind):
    rng = np.random.default_rng(3)
    n_out = 1 if kind == "bernoulli" else 2
    net = _net(4, n_out)
    X = rng.normal(size=(40, 4))
    adv = rng.normal(size=40)
    if kind == "bernoulli":
        head, extra = BernoulliHead(n_out), np.zeros(0)
        actions = np.where(rng.random((40, 1)) < 0.5, 1.0, -1.0)
        log_prob = lambda out, ex: _bernoulli_log_prob(out, actions)  # noqa: E731
    else:
        head, extra = GaussianHead(n_out, 0.3), np.log([0.3, 0.7])
        actions = rng.normal(size=(40, n_out))
        log_prob = lambda out, ex: _gaussian_log_prob(out, actions, ex)  # noqa: E731

    def surrogate(theta):
        params, ex = theta[: net.n_params], theta[net.n_params :]
        return -np.mean(adv * log_prob(net.forward(X, params), ex))

    d_out, d_extra = surrogate_grads(head, net.forward(X), actions, extra, adv)
    analytic = np.concatenate([net.vjp(X, d_out), d_extra])
    theta = np.concatenate([net.params, extra])
    h = 1e-6
    numeric = np.array(
        [
            (surrogate(theta + h * e) - surrogate(theta - h * e)) / (2 * h)
            for e in np.eye(len(theta))
        ]
    )
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_heads_draw_actions_with_the_probabilities_they_differentiate():
    rng = np.random.default_rng(0)
    outputs = np.full((1, 200_000, 1), 0.8)
    drawn = BernoulliHead(1).sample(outputs, np.zeros(0), rng)
    assert set(np.unique(drawn)) == {-1.0, 1.0}
    assert abs((drawn > 0).mean() - 1 / (1 + np.exp(-0.8))) < 0.005
    drawn = GaussianHead(1, 0.5).sample(outputs, np.log([0.5]), rng)
    assert abs(drawn.mean() - 0.8) < 0.005 and abs(drawn.std() - 0.5) < 0.005


def test_returns_to_go_equal_a_backward_loop():
    alive = np.zeros((7, 3), dtype=bool)
    alive[:7, 0], alive[:3, 1], alive[:1, 2] = True, True, True
    got = returns_to_go(alive, 0.9)
    for k in range(3):
        acc = 0.0
        for t in reversed(range(7)):
            acc = alive[t, k] + 0.9 * acc
            assert got[t, k] == pytest.approx(acc)


def test_baselines_predict_from_earlier_batches_only():
    rng = np.random.default_rng(1)
    obs, times = rng.normal(size=(300, 3)), rng.integers(0, 50, size=300)
    mean = make_baseline("mean", 500)
    assert (mean.predict(obs, times) == 0).all()  # nothing seen yet: no estimate
    returns = rng.normal(size=300)
    mean.update(obs, times, returns)
    for t in (0, 7, 49):
        assert mean.predict(obs[:1], np.array([t]))[0] == pytest.approx(returns[times == t].mean())
    linear = make_baseline("linear", 500)
    times = rng.integers(0, 500, size=300)
    assert (linear.predict(obs, times) == 0).all()
    t = times / 500
    target = 2 * obs[:, 0] - obs[:, 1] ** 2 + 3 * t - t**3 + 0.5  # in its features' span
    linear.update(obs, times, target)
    np.testing.assert_allclose(linear.predict(obs, times), target, atol=1e-3)


def _cartpole():
    return EpisodicProblem(CartPole(), score_episodes=5, score_seed=11)


def test_a_run_charges_each_decision_three_samples_and_each_episode_three_evaluations():
    """Counted from the trajectories the learner plays (a wrapper around the problem's
    rollout), not read back from the meter it charges."""
    problem = _cartpole()
    played = []
    rollout = problem.rollout

    def counting(*args, **kw):
        got = rollout(*args, **kw)
        if kw.get("keep"):
            played.append((int(got.trajectory.alive.sum()), got.trajectory.alive.shape[2]))
        return got

    problem.rollout = counting
    opt = PG(episodes=4)
    budget = Budget(steps=5)
    run = fit(opt, problem, budget, np.random.default_rng(0))
    decisions = sum(d for d, _ in played)
    episodes = sum(k for _, k in played)
    assert episodes == 5 * 4 and run.meter["steps"] == 5
    assert run.meter["samples"] == 3 * decisions
    assert run.meter["evaluations"] == 3 * episodes
    assert run.meter["macs"] == 3 * decisions * opt.network.n_enabled
    assert run.curve[-1]["decisions"] == decisions


@pytest.mark.parametrize(
    "budget",
    [Budget(samples=10_000), Budget(evaluations=100), Budget(macs=200_000), Budget(samples=1_234)],
    ids=["samples", "evaluations", "macs", "tiny"],
)
def test_no_run_spends_more_than_its_budget(budget):
    run = fit(PG(episodes=8), _cartpole(), budget, np.random.default_rng(2))
    for unit, limit in budget.limits().items():
        assert run.meter[unit] <= limit, (unit, run.meter[unit], limit)
    assert run.status == optimizers.Status.DONE


def test_same_seed_same_run_different_seeds_differ():
    def run(seed):
        return fit(PG(), _cartpole(), Budget(steps=6), np.random.default_rng(seed))

    a, b, c = run(5), run(5), run(6)
    timeless = lambda curve: [{k: v for k, v in r.items() if k != "seconds"} for r in curve]  # noqa: E731
    assert timeless(a.curve) == timeless(b.curve) and a.best == b.best
    assert not np.array_equal(a.best.conn_weight, c.best.conn_weight)


def test_the_gaussian_head_learns_its_spread_on_the_double_pole():
    run = fit(
        PG(episodes=4, init_std=0.2),
        EpisodicProblem(DoublePole(max_steps=200), score_episodes=1),
        Budget(steps=3),
        np.random.default_rng(0),
    )
    stds = [r["policy_std"] for r in run.curve]
    assert len(stds) == 3 and stds[0] != 0.2 and all(np.isfinite(stds))


def test_refusals_are_one_clear_line():
    with pytest.raises(
        ValueError, match="policy-gradient learns from episodes; 'xor' is a dataset"
    ):
        fit(PG(), xor_problem(), Budget(steps=1), np.random.default_rng(0))
    step = Architecture(hidden=(3,), activation="step")
    with pytest.raises(ValueError, match="step have no derivative"):
        fit(PG(), _cartpole(), Budget(steps=1), np.random.default_rng(0), initial=step)
    for bad, message in (
        ({"baseline": "critic"}, "baseline must be one of 'linear', 'mean', 'none'"),
        ({"gamma": 1.5}, "gamma must be >= 0 and <= 1"),
        ({"episodes": 0}, "episodes must be >= 1"),
        ({"init_std": 0}, "init_std must be > 0"),
    ):
        with pytest.raises(ValueError, match=message):
            PG(**bad)


def test_a_study_takes_policy_gradient_on_control_tasks_only():
    from studies import Study, StudyError

    Study(name="x", tasks=["cartpole"], optimizers={"pg": "policy-gradient", "neat": "neat"})
    with pytest.raises(
        StudyError, match=r"optimizers.pg: policy-gradient learns from episodes, and tasks\[0\]"
    ):
        Study(name="x", tasks=["xor", "cartpole"], optimizers={"pg": "policy-gradient"})


def test_policy_gradient_learns_to_balance_the_pole():
    """Three seeds, 100,000 decisions each (300,000 samples): measured, every seed's
    ruler return (5 fixed starts) passes 195 (CartPole-v0's solved) from a start near 10."""
    got = [
        fit(PG(), _cartpole(), Budget(samples=300_000), np.random.default_rng(seed),
            initial=Architecture(hidden=(4,), activation="tanh"), record_every=10)
        for seed in range(3)
    ]  # fmt: skip
    firsts = [run.curve[0]["train_return"] for run in got]
    finals = [run.metrics["train_return"] for run in got]
    assert max(firsts) < 100, firsts
    assert sum(f >= 195 for f in finals) >= 2, finals
