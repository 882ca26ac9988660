"""Gymnasium: our cartpole against Gymnasium's CartPole-v1 step for step, the ``gym`` task's
vector rollout against each episode played alone through Gymnasium, what it charges, and
its errors. Skipped where Gymnasium is not installed (it is in the test extra)."""

from __future__ import annotations

import numpy as np
import pytest

import networks
import optimizers
from optimizers import Architecture, Budget, Candidates, CartPole, EpisodicProblem, fit

gymnasium = pytest.importorskip("gymnasium")


def test_our_cartpole_steps_as_gymnasiums_cartpole_v1():
    theirs = gymnasium.make("CartPole-v1").unwrapped
    ours = CartPole()
    rng = np.random.default_rng(0)
    steps = 0
    for episode in range(8):
        theirs.reset(seed=episode)
        state = np.array(theirs.state, dtype=np.float64)  # the same start
        for action in rng.integers(0, 2, size=300).tolist():
            _, reward, terminated, _, _ = theirs.step(action)
            nxt, failed = ours.step(state[None], np.array([[1.0 if action == 1 else -1.0]]))
            state = nxt[0]
            np.testing.assert_allclose(state, theirs.state, rtol=1e-12, atol=1e-15)
            assert bool(failed[0]) == terminated and reward == 1.0
            steps += 1
            if terminated:
                break
    assert steps > 8 * 9  # every episode ran a while before it fell


def _task(**params):
    from studies.tasks import get_task

    return get_task({"name": "gym", "id": "CartPole-v1", **params})


def test_a_vector_rollout_equals_each_episode_played_alone_through_gymnasium():
    task = _task(max_steps=60)
    problem = task.problem(task.splits(np.random.default_rng(0)))
    env = problem.environment
    assert (env.n_observations, env.n_outputs, env.actions, env.max_steps) == (4, 2, "argmax", 60)
    rng = np.random.default_rng(3)
    arch = Architecture(hidden=(4,), activation="tanh")
    graphs = [arch.build(4, 2, rng=rng) for _ in range(3)]
    together = problem.rollout(Candidates.of_graphs(graphs), np.random.default_rng(5))
    seeds = np.random.default_rng(5).integers(0, 2**31 - 1, size=3 * 2).reshape(3, 2)
    for p, graph in enumerate(graphs):
        net, returns = networks.compile(graph), []
        for k in range(2):
            alone = gymnasium.make("CartPole-v1")
            obs, _ = alone.reset(seed=int(seeds[p, k]))
            total = 0.0
            for _ in range(60):
                action = int(np.argmax(net.forward(np.asarray(obs, np.float64)[None])[0]))
                obs, reward, terminated, truncated, _ = alone.step(action)
                total += reward
                if terminated or truncated:
                    break
            returns.append(total)
        assert together.returns[p] == np.mean(returns)
        assert together.samples[p] == sum(returns)  # one reward per decision on CartPole


def test_a_gym_run_keeps_its_budget_and_the_policy_gradient_learns_from_rewards():
    task = _task(max_steps=100)
    problem = task.problem(task.splits(np.random.default_rng(1)))
    for name in ("cmaes", "policy-gradient"):
        run = fit(optimizers.get(name)(), problem, Budget(evaluations=60),
                  np.random.default_rng(2), initial=Architecture(hidden=(4,)))  # fmt: skip
        assert 0 < run.meter["evaluations"] <= 60 and run.status == "done"
        assert 1 <= run.metrics["train_return"] <= 100


def test_gym_errors_are_one_clear_line():
    from studies import Study, StudyError

    with pytest.raises(ValueError, match="gym.id: Gymnasium cannot make 'NoSuchEnv-v0'"):
        _task(id="NoSuchEnv-v0")
    with pytest.raises(StudyError, match=r"tasks\[0\].id: required \(a Gymnasium environment id"):
        Study(name="x", tasks=[{"name": "gym"}], optimizers={"neat": "neat"})
    with pytest.raises(ValueError, match="starts where it resets"):
        task = _task()
        problem = task.problem(task.splits(np.random.default_rng(0)))
        net = networks.compile(Architecture(hidden=()).build(4, 2, rng=np.random.default_rng(0)))
        problem.rollout(Candidates.of_params(net, net.params), None, starts=np.zeros((1, 4)))
    assert isinstance(EpisodicProblem(optimizers.GymEnvironment("CartPole-v1")), EpisodicProblem)
