"""Control: the cart-pole and double-pole physics against scalar references and the
anchors of REFERENCES.md, vectorised rollouts against one-by-one ones, what an episodic
problem charges, the budget never passed, determinism, and evolutionary search on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

import networks
import optimizers
from optimizers import Architecture, Budget, Candidates, CartPole, DoublePole, EpisodicProblem, fit


# -- scalar references, written from the published equations (REFERENCES.md section 6) ------
def cartpole_step(state, action):
    """Gymnasium CartPole-v1's step for one state, in Python floats."""
    x, x_dot, th, th_dot = state
    force = 10.0 if action == 1 else -10.0
    cos, sin = math.cos(th), math.sin(th)
    temp = (force + 0.05 * th_dot**2 * sin) / 1.1
    th_acc = (9.8 * sin - cos * temp) / (0.5 * (4.0 / 3.0 - 0.1 * cos**2 / 1.1))
    x_acc = temp - 0.05 * th_acc * cos / 1.1
    new = [x + 0.02 * x_dot, x_dot + 0.02 * x_acc, th + 0.02 * th_dot, th_dot + 0.02 * th_acc]
    failed = abs(new[0]) > 2.4 or abs(new[2]) > 12 * 2 * math.pi / 360
    return new, failed


def double_pole_derivs(force, y, friction=0.0):
    """NEAT's C++ ``step``, one state, Python floats."""
    force -= friction * (1 if y[1] > 0 else -1 if y[1] < 0 else 0)
    g, mup = -9.8, 0.000002
    out = [y[1], 0.0, y[3], 0.0, y[5], 0.0]
    fi, mi, temps = 0.0, 0.0, []
    for m, l, th, thd in ((0.1, 0.5, y[2], y[3]), (0.01, 0.05, y[4], y[5])):
        t = mup * thd / (m * l)
        temps.append(t)
        fi += m * l * thd * thd * math.sin(th) + 0.75 * m * math.cos(th) * (t + g * math.sin(th))
        mi += m * (1 - 0.75 * math.cos(th) ** 2)
    out[1] = (force + fi) / (mi + 1.0)
    for j, (l, th, t) in enumerate(((0.5, y[2], temps[0]), (0.05, y[4], temps[1]))):
        out[3 + 2 * j] = -0.75 * (out[1] * math.cos(th) + g * math.sin(th) + t) / l
    return out


def double_pole_decision(output, y, friction=0.0):
    """NEAT's ``performAction``: two RK4 steps of 0.01 s; then its ``outsideBounds``."""
    force = (min(max(output, 0.0), 1.0) - 0.5) * 20.0
    tau = 0.01
    for _ in range(2):
        k1 = double_pole_derivs(force, y, friction)
        k2 = double_pole_derivs(force, [a + tau / 2 * b for a, b in zip(y, k1)], friction)
        k3 = double_pole_derivs(force, [a + tau / 2 * b for a, b in zip(y, k2)], friction)
        k4 = double_pole_derivs(force, [a + tau * b for a, b in zip(y, k3)], friction)
        y = [a + tau / 6 * (p + 2 * q + 2 * r + s) for a, p, q, r, s in zip(y, k1, k2, k3, k4)]
    failed = abs(y[0]) > 2.4 or abs(y[2]) > 0.628329 or abs(y[4]) > 0.628329
    return y, failed


def constant_network(n_inputs: int, value: float) -> networks.Graph:
    """A network whose output is ``value`` whatever it sees (zero weights, output bias)."""
    data = Architecture(hidden=()).build(n_inputs, 1, rng=np.random.default_rng(0)).to_dict()
    data["connections"] = [[*c[:2], 0.0, *c[3:]] for c in data["connections"]]
    node_id, kind, activation, _ = data["nodes"][-1]
    assert kind == "output"
    data["nodes"][-1] = [node_id, kind, "identity", value]
    return networks.Graph.from_dict(data)


# -- physics ----------------------------------------------------------------------------
def test_cartpole_steps_equal_gymnasiums_equations_state_for_state():
    env = CartPole()
    rng = np.random.default_rng(3)
    states = env.initial((40,), rng)
    actions = rng.integers(0, 2, size=(60, 40))
    for t in range(60):
        outputs = np.where(actions[t] == 1, 1.0, -1.0)[:, None]
        nxt, failed = env.step(states, outputs)
        for i in range(40):
            want, fail = cartpole_step(states[i].tolist(), actions[t, i])
            np.testing.assert_allclose(nxt[i], want, rtol=1e-12, atol=1e-15)
            assert bool(failed[i]) == fail
        states = nxt
    assert states.shape == (40, 4) and env.observe(states) is states


def test_double_pole_decisions_equal_neats_equations_with_and_without_friction():
    rng = np.random.default_rng(5)
    for friction in (0.0, 5e-4):
        env = DoublePole(cart_friction=friction)
        states = rng.uniform(-0.3, 0.3, size=(25, 6))
        outputs = rng.uniform(-0.2, 1.2, size=(25, 1))  # beyond [0, 1]: clipped
        nxt, failed = env.step(states, outputs)
        for i in range(25):
            want, fail = double_pole_decision(outputs[i, 0], states[i].tolist(), friction)
            np.testing.assert_allclose(nxt[i], want, rtol=1e-12, atol=1e-14)
            assert bool(failed[i]) == fail


@pytest.mark.parametrize("friction", [0.0, 5e-4])
def test_the_compiled_double_pole_decision_equals_the_numpy_one(friction):
    """(and a NaN output fails the episode: a state that is not a number is not within the
    limits, rather than never outside them)"""
    from optimizers.environments import _compiled

    if _compiled.decide is None:
        pytest.skip("numba is not installed: the numpy form is the only one")
    env = DoublePole(cart_friction=friction)
    rng = np.random.default_rng(4)
    state = rng.normal(scale=[1.0, 1.0, 0.3, 1.0, 0.3, 1.0], size=(3, 7, 6))
    state[0, 0, 1] = 0.0  # sign(x') = 0
    outputs = rng.uniform(-0.2, 1.2, size=(3, 7, 1))
    outputs[0, 1, 0] = np.nan  # a network that breaks down fails there, in both forms
    got, failed = env.step(state, outputs)
    force = (np.clip(outputs[..., 0], 0, 1) - 0.5) * 20
    want, want_failed = env.step_numpy(state, force)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(failed, want_failed)
    assert failed[0, 1] and np.isnan(got[0, 1]).all()


@pytest.mark.parametrize("output, decisions", [(0.5, 23), (0.0, 5), (1.0, 5)])
def test_double_pole_regression_anchors(output, decisions):
    """REFERENCES.md: from NEAT's start (0.07 rad), a constant output 0.5 fails after 23
    decisions, 0 or 1 after 5; through the episodic problem, that is the return."""
    problem = EpisodicProblem(DoublePole(), score_episodes=1)
    graph = constant_network(6, output)
    assert problem.score(graph) == {"train_return": float(decisions)}
    env = DoublePole()
    state, n = env.initial((1,), None), 0
    while True:
        n += 1
        state, failed = env.step(state, np.array([[output]]))
        if failed[0]:
            break
    assert n == decisions


def test_double_pole_observations_scaled_as_neats_with_and_without_velocities():
    state = np.array([[1.2, -0.5, 0.26, 1.0, -0.13, 0.4]])
    np.testing.assert_allclose(DoublePole().observe(state), [[0.25, -0.25, 0.5, 0.5, -0.25, 0.2]])
    np.testing.assert_allclose(DoublePole(velocities=False).observe(state), [[0.25, 0.5, -0.25]])
    assert DoublePole(velocities=False).n_observations == 3


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CartPole(max_steps=0), "cartpole.max_steps must be an integer >= 1"),
        (lambda: DoublePole(cart_friction=-1), "double-pole.cart_friction must be in"),
        (lambda: DoublePole(velocities="no"), "double-pole.velocities must be true or false"),
        (lambda: EpisodicProblem("cartpole"), "environment must be an optimizers.environments"),
        (lambda: EpisodicProblem(CartPole(), episodes=0), "episodes must be an integer >= 1"),
    ],
)
def test_bad_environment_arguments_are_one_clear_line(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- rollouts ---------------------------------------------------------------------------
def random_policies(problem, count, seed, hidden=(5,)):
    rng = np.random.default_rng(seed)
    arch = Architecture(hidden=hidden, output_activation="sigmoid")
    return [arch.build(problem.n_inputs, problem.n_outputs, rng=rng) for _ in range(count)]


@pytest.mark.parametrize(
    "env, recurrent",
    [(CartPole(max_steps=200), False), (DoublePole(max_steps=300), False),
     (DoublePole(velocities=False, max_steps=300), True)],
    ids=["cartpole", "double-pole", "double-pole-nv-recurrent"],
)  # fmt: skip
def test_a_vectorised_rollout_equals_each_episode_played_alone(env, recurrent):
    """Episodes end at different times, so the rollout also drops finished candidates on
    the way (compaction): none of it may change a number."""
    problem = EpisodicProblem(env, episodes=3)
    rng = np.random.default_rng(1)
    arch = Architecture(hidden=(5,), output_activation="sigmoid", recurrent=recurrent)
    graphs = [arch.build(problem.n_inputs, problem.n_outputs, rng=rng) for _ in range(6)]
    together = problem.rollout(Candidates.of_graphs(graphs), np.random.default_rng(9))
    starts = env.initial((6, 3), np.random.default_rng(9))  # the same draws
    for p, graph in enumerate(graphs):
        net = networks.compile(graph)
        returns = []
        for k in range(3):
            state, steps = starts[p, k][None], 0
            act = net.stepper()
            for _ in range(env.max_steps):
                out = act(env.observe(state))
                state, failed = env.step(state, out)
                steps += 1
                if failed[0]:
                    break
            returns.append(steps)
        assert together.returns[p] == np.mean(returns)
        assert together.samples[p] == sum(returns)
    assert not together.truncated
    # the same with one compiled topology and parameter rows
    net = networks.compile(graphs[0])
    rows = np.stack([networks.compile(g).params for g in graphs])
    again = problem.rollout(Candidates.of_params(net, rows), np.random.default_rng(9))
    np.testing.assert_array_equal(again.returns, together.returns)


class Countdown(optimizers.Environment):
    """A stub whose episode fails at the decision its start names; its jiggle is the step
    count, so Gruau's sums can be worked out by hand."""

    name, random_starts, n_state, n_observations, max_steps = "countdown", False, 2, 1, 300

    def initial(self, shape, rng):
        return np.zeros((*shape, 2))

    def observe(self, state):
        return state[..., :1]

    def step(self, state, outputs):
        nxt = state.copy()
        nxt[..., 0] += 1
        return nxt, nxt[..., 0] >= nxt[..., 1]

    def jiggle(self, state):
        return state[..., 0]


def test_gruau_fitness_equals_a_hand_count():
    fail_at = [50, 101, 102, 150, 400]  # 400: never, within the 300-decision limit
    problem = EpisodicProblem(Countdown(), fitness="gruau")
    net = networks.compile(constant_network(1, 0.5))
    starts = np.array([[0.0, f] for f in fail_at])
    got = problem.rollout(Candidates.of_params(net, net.params), None, starts=starts)
    for f, value in zip(fail_at, got.episode_returns[0]):
        balanced = min(f - 1, 300)  # decisions survived (the failing one is not)
        window = range(max(1, balanced - 99), balanced + 1)  # the last 100 states survived into
        expect = 0.1 * balanced / 300 + (0.9 * 0.75 / sum(window) if balanced > 100 else 0.0)
        assert value == pytest.approx(expect, rel=1e-12), f
    # the ruler and the test always count decisions, whatever the objective
    plain = problem.rollout(Candidates.of_params(net, net.params), None, starts=starts,
                            fitness="return")  # fmt: skip
    assert plain.episode_returns[0].tolist() == [50, 101, 102, 150, 300]


def test_the_generalisation_grid_is_neats():
    starts = DoublePole.grid_starts()
    assert starts.shape == (625, 6) and (starts[:, 4:] == 0).all()
    for col, limit in enumerate((2.16, 1.35, 0.06283, 0.15010)):
        levels = np.unique(starts[:, col])
        np.testing.assert_allclose(levels, np.array([-0.9, -0.5, 0.0, 0.5, 0.9]) * limit)
    assert len({tuple(r) for r in starts.tolist()}) == 625
    assert starts[:, 0].max() == pytest.approx(1.944)


def test_a_mixed_population_with_and_without_memory_rolls_out_as_each_alone():
    """NEAT's population on the double pole without velocities: some genomes recurrent
    (memories of different sizes), some not; as episodes end the rollout goes on with the
    rest, whose company (and memory padding) changes: no number may."""
    env = DoublePole(velocities=False, max_steps=400)
    problem = EpisodicProblem(env)
    rng = np.random.default_rng(7)
    graphs = [
        Architecture(hidden=(h,), output_activation="sigmoid", recurrent=r).build(3, 1, rng=rng)
        for h, r in [(2, True), (3, False), (4, True), (1, False), (3, True), (2, False)] * 2
    ]
    together = problem.rollout(Candidates.of_graphs(graphs), np.random.default_rng(0))
    assert len(set(together.returns.tolist())) > 3  # episodes end at many different times
    for p, graph in enumerate(graphs):
        alone = problem.rollout(Candidates.of_graphs([graph]), np.random.default_rng(0))
        assert alone.returns[0] == together.returns[p], p


def test_an_evaluation_charges_samples_episodes_and_macs():
    problem = EpisodicProblem(CartPole(), episodes=2)
    graphs = random_policies(problem, 5, seed=2)
    candidates = Candidates.of_graphs(graphs)
    expect = problem.rollout(candidates, np.random.default_rng(4))
    metered = problem.metered()
    values = metered.evaluate(candidates, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(values, expect.returns)
    meter = metered.meter
    assert meter.evaluations == 5 * 2  # one episode of one network is one evaluation
    assert meter.samples == expect.samples.sum() == (values * 2).sum()  # one per decision
    assert meter.macs == float(expect.samples @ candidates.n_enabled)
    with pytest.raises(ValueError, match="draws episode starts: pass rng"):
        metered.evaluate(candidates)


@pytest.mark.parametrize(
    "budget", [Budget(samples=3_000), Budget(macs=40_000), Budget(evaluations=45)]
)
@pytest.mark.parametrize("name", ["cmaes", "ga", "neat", "random-search"])
def test_no_run_spends_more_than_its_budget(name, budget):
    problem = EpisodicProblem(CartPole(), episodes=2, score_episodes=2)
    result = fit(optimizers.get(name)(), problem, budget, np.random.default_rng(0),
                 initial=Architecture(hidden=(3,)))  # fmt: skip
    for unit, limit in budget.limits().items():
        assert result.meter[unit] <= limit, (unit, result.meter[unit])
    assert result.status == "done" and np.isfinite(result.metrics["train_return"])


def test_same_seed_same_run_different_seeds_differ():
    problem = EpisodicProblem(CartPole(), episodes=2, score_episodes=3)

    def run(seed):
        return fit(optimizers.get("ga")(population=12), problem, Budget(evaluations=120),
                   np.random.default_rng(seed), initial=Architecture(hidden=(3,)))  # fmt: skip

    a, b, c = run(1), run(1), run(2)
    timeless = lambda curve: [{k: v for k, v in r.items() if k != "seconds"} for r in curve]  # noqa: E731
    assert timeless(a.curve) == timeless(b.curve) and a.best == b.best
    assert a.meter["samples"] != c.meter["samples"]


def test_backprop_refuses_a_control_task_in_one_line():
    problem = EpisodicProblem(CartPole())
    with pytest.raises(
        ValueError, match="is a control task .* use policy-gradient or an evolutionary optimizer"
    ):
        fit(optimizers.get("backprop")(), problem, Budget(evaluations=10), np.random.default_rng(0))


def balanced(name, initial, seeds=6) -> list[float]:
    """The ruler's mean return (10 fixed starts) of each seed's best network after 2,000
    episodes of cartpole (2 per evaluation)."""
    problem = EpisodicProblem(CartPole(), episodes=2)
    return [
        fit(optimizers.get(name)(), problem, Budget(evaluations=2_000),
            np.random.default_rng(seed), initial=initial, record_every=5).metrics["train_return"]
        for seed in range(seeds)
    ]  # fmt: skip


def test_neat_learns_to_balance_the_pole():
    """Measured: all 6 seeds reach the 500-step limit on every one of the ruler's starts."""
    returns = balanced("neat", None)
    assert sum(r == 500 for r in returns) >= 5, returns


@pytest.mark.slow
def test_cmaes_and_ga_learn_to_balance_the_pole():
    """Measured: CMA-ES 5 of 6 seeds at 500 (one at 31), GA 4 of 6 (others 313, 428)."""
    cmaes = balanced("cmaes", Architecture(hidden=(4,)))
    ga = balanced("ga", Architecture(hidden=(4,)))
    assert sum(r == 500 for r in cmaes) >= 4 and sum(r == 500 for r in ga) >= 3, (cmaes, ga)


# -- as a study task ------------------------------------------------------------------------
def test_cartpole_runs_as_a_study_task_with_paired_starts_and_a_report(tmp_path):
    from reports import build_report
    from studies import Study, get_task, load, run_study
    from studies.seeds import split_rng

    task = get_task("cartpole")
    assert (task.key, task.metric, task.task_type, task.target) == (
        "cartpole(max_steps=500)", "return", "control", 475.0
    )  # fmt: skip
    # the same starts for every optimizer of a repetition, others for the next
    a, b = (task.splits(split_rng(0, task.key, 0)) for _ in range(2))
    assert a == b != task.splits(split_rng(0, task.key, 1))

    study = Study(name="ctl", tasks=["cartpole"], optimizers={"neat": "neat", "rs": "random-search"},
                  seeds=2, budget={"evaluations": 300})  # fmt: skip
    run_study(study, tmp_path, backend="sequential")
    results = load(tmp_path)
    runs = results.runs
    assert set(runs["status"]) == {"done"} and (runs["evaluations"] <= 300).all()
    assert (runs["metric"] == "return").all() and runs["metric_maximize"].all()
    assert (runs["solved"] == (runs["test_metric"] >= 475)).all()
    last = results.curves.groupby("run_id").tail(1).set_index("run_id")
    runs = runs.set_index("run_id")
    np.testing.assert_array_equal(last["test_metric"], runs.loc[last.index, "test_metric"])
    assert np.isfinite(last["train_metric"]).all() and last["test_loss"].isna().all()
    text = build_report(tmp_path).read_text(encoding="utf-8")
    assert "Test return, higher is better" in text and "Solved: test return &gt;= 475" in text


def test_a_study_refuses_backprop_on_a_control_task():
    from studies import Study, StudyError

    with pytest.raises(
        StudyError,
        match=r"optimizers.adam: backprop needs target outputs .* tasks\[1\] \(cartpole\(max_steps=500\)\) is a control task",
    ):
        Study(name="x", tasks=["xor", "cartpole"], optimizers={"adam": "backprop", "ga": "ga"})


def test_a_run_asked_to_stop_at_its_target_stops_there():
    problem = EpisodicProblem(CartPole(), episodes=2)
    budget = Budget(evaluations=2_000)
    whole = fit(optimizers.get("neat")(), problem, budget, np.random.default_rng(0))
    stopped = fit(optimizers.get("neat")(), problem, budget, np.random.default_rng(0),
                  stop=lambda row: row["train_return"] >= 200)  # fmt: skip
    first = next(i for i, r in enumerate(whole.curve) if r["train_return"] >= 200)
    assert len(stopped.curve) == first + 1 < len(whole.curve)
    assert stopped.curve == [
        {**r, "seconds": s["seconds"]} for r, s in zip(whole.curve[: first + 1], stopped.curve)
    ]
    assert stopped.meter["evaluations"] == whole.curve[first]["evaluations"] < 2_000


def test_the_double_pole_tasks_judge_neats_protocol():
    from studies.tasks import get_task

    dpv, dpnv = get_task("double-pole"), get_task("double-pole-nv")
    assert dpv.stop_at_target and dpnv.stop_at_target and dpnv.fitness == "gruau"
    assert dpv.solved({"train_return": 100_000.0, "test_return": 1.0, "test_generalization": 0})
    assert not dpv.solved({"train_return": 99_999.0})
    assert not dpnv.solved({"train_return": 100_000.0, "test_generalization": 199})
    assert dpnv.solved({"train_return": 100_000.0, "test_generalization": 200})
    problem = dpnv.problem(dpnv.splits(np.random.default_rng(0)))
    assert (problem.n_inputs, problem.environment.max_steps, problem.score_steps) == (
        3,
        1000,
        100_000,
    )
    assert dpnv.network.recurrent and not dpv.network.recurrent
    with pytest.raises(ValueError, match="cart_friction: must be a number <= 0.5"):
        get_task({"name": "double-pole", "cart_friction": 2})
