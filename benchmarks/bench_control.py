"""Simulated decisions per second of the episodic rollout.

A population of 150 networks (6-5-1 sigmoid MLPs, random weights, one topology) x 1
episode on ``double-pole`` and on ``cartpole`` (episodes capped at ``--steps`` decisions so
every network runs the same number of steps: the physics and the forward pass are timed,
not how soon bad networks fall): our lockstep rollout (one batched forward pass and one
vectorised physics step per decision for the whole population) against the plain loop it
replaces, one individual at a time, each decision its own forward pass and the scalar
physics of the same equations in Python floats (the fastest honest form of that loop:
math, no numpy per scalar). Target >= 50x the loop. The double pole is also timed with
numpy's vectorised physics in place of the numba-compiled decision (what runs where numba
is missing). Where Gymnasium is installed, cartpole is also timed through Gymnasium's own
vectorised CartPole-v1 (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``,
its numpy CartPoleVectorEnv, the fastest form it offers; it resets finished episodes
itself), the same 150 networks deciding with one batched forward pass per step, as ours
do. Medians over ``--repeats``; prints a table, then one JSON line (the last line).

    .venv/bin/python benchmarks/bench_control.py [--steps 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networks  # noqa: E402
from optimizers import Architecture, Candidates, CartPole, DoublePole, EpisodicProblem  # noqa: E402

POPULATION = 150


class Immortal:
    """An environment wrapper whose episodes never fail (all run ``steps`` decisions)."""

    def __init__(self, env, steps):
        self.env, self.max_steps = env, steps
        self.name, self.random_starts = env.name, env.random_starts
        self.n_observations, self.n_outputs = env.n_observations, env.n_outputs

    def __getattr__(self, name):
        return getattr(self.env, name)

    def step(self, state, outputs):
        nxt, failed = self.env.step(state, outputs)
        return nxt, np.zeros_like(failed)


def lockstep(env, net, params, steps, rng) -> float:
    problem = EpisodicProblem(env)
    problem.environment = Immortal(env, steps)  # every episode runs the same length
    candidates = Candidates.of_params(net, params)
    t0 = time.perf_counter()
    got = problem.rollout(candidates, rng)
    seconds = time.perf_counter() - t0
    assert got.samples.sum() == POPULATION * steps
    return seconds


def scalar_double_pole(force, y):
    g, mup = -9.8, 0.000002
    c1, s1, c2, s2 = math.cos(y[2]), math.sin(y[2]), math.cos(y[4]), math.sin(y[4])
    t1, t2 = mup * y[3] / 0.05, mup * y[5] / 0.0005
    f1 = 0.05 * y[3] * y[3] * s1 + 0.075 * c1 * (t1 + g * s1)
    f2 = 0.0005 * y[5] * y[5] * s2 + 0.0075 * c2 * (t2 + g * s2)
    m1, m2 = 0.1 * (1 - 0.75 * c1 * c1), 0.01 * (1 - 0.75 * c2 * c2)
    xa = (force + f1 + f2) / (m1 + m2 + 1.0)
    return (y[1], xa, y[3], -0.75 * (xa * c1 + g * s1 + t1) / 0.5, y[5],
            -0.75 * (xa * c2 + g * s2 + t2) / 0.05)  # fmt: skip


def scalar_double_pole_decision(output, y):
    force, tau = (min(max(output, 0.0), 1.0) - 0.5) * 20.0, 0.01
    for _ in range(2):
        k1 = scalar_double_pole(force, y)
        k2 = scalar_double_pole(force, [a + tau / 2 * b for a, b in zip(y, k1)])
        k3 = scalar_double_pole(force, [a + tau / 2 * b for a, b in zip(y, k2)])
        k4 = scalar_double_pole(force, [a + tau * b for a, b in zip(y, k3)])
        y = [a + tau / 6 * (p + 2 * q + 2 * r + s) for a, p, q, r, s in zip(y, k1, k2, k3, k4)]
    return y


def scalar_cartpole_decision(output, y):
    x, xd, th, thd = y
    force = 10.0 if output > 0 else -10.0
    c, s = math.cos(th), math.sin(th)
    temp = (force + 0.05 * thd * thd * s) / 1.1
    tha = (9.8 * s - c * temp) / (0.5 * (4.0 / 3.0 - 0.1 * c * c / 1.1))
    xa = temp - 0.05 * tha * c / 1.1
    return [x + 0.02 * xd, xd + 0.02 * xa, th + 0.02 * thd, thd + 0.02 * tha]


def loop(env, net, params, steps, rng) -> float:
    decide = (
        scalar_double_pole_decision if isinstance(env, DoublePole) else scalar_cartpole_decision
    )
    starts = env.initial((POPULATION,), rng)
    t0 = time.perf_counter()
    for p in range(POPULATION):
        y, row = starts[p].tolist(), params[p]
        for _ in range(steps):
            obs = env.observe(np.asarray(y)[None])
            out = float(net.forward(obs, row, check=False)[0, 0])
            y = decide(out, y)
    return time.perf_counter() - t0


def gymnasium_cartpole(net, params, steps, seed) -> float | None:
    """Seconds for ``steps`` decisions of the population through Gymnasium's vectorised
    CartPole-v1 (None where Gymnasium is not installed)."""
    try:
        import gymnasium
    except ImportError:
        return None
    env = gymnasium.make_vec(
        "CartPole-v1", num_envs=POPULATION, vectorization_mode="vector_entry_point"
    )
    obs, _ = env.reset(seed=seed)
    t0 = time.perf_counter()
    for _ in range(steps):
        out = net.forward(obs.astype(np.float64)[:, None, :], params, check=False)
        obs, *_ = env.step((out[:, 0, 0] > 0).astype(np.int64))
    seconds = time.perf_counter() - t0
    env.close()
    return seconds


@contextlib.contextmanager
def numpy_physics():
    """The double pole stepped by its numpy form (as where numba is missing)."""
    from optimizers.environments import double_pole

    saved = list(double_pole._DECIDE)
    double_pole._DECIDE[:] = [None]
    try:
        yield
    finally:
        double_pole._DECIDE[:] = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows, out = [], {}
    for env in (DoublePole(), CartPole()):
        graph = Architecture(hidden=(5,), output_activation="sigmoid").build(
            env.n_observations, 1, rng=np.random.default_rng(0)
        )
        net = networks.compile(graph)
        params = net.params + 0.3 * np.random.default_rng(1).standard_normal(
            (POPULATION, net.n_params)
        )
        lockstep(env, net, params, 5, np.random.default_rng(2))  # numba's compile or cache load
        ours = [
            lockstep(env, net, params, args.steps, np.random.default_rng(2))
            for _ in range(args.repeats)
        ]
        theirs = [
            loop(env, net, params, args.steps, np.random.default_rng(2))
            for _ in range(args.repeats)
        ]
        o, t = statistics.median(ours), statistics.median(theirs)
        decisions = POPULATION * args.steps
        rows.append((env.name, decisions / o, decisions / t, t / o))
        out[env.name] = {"lockstep_per_s": round(decisions / o), "loop_per_s": round(decisions / t),
                         "speedup": round(t / o, 2)}  # fmt: skip
        if isinstance(env, DoublePole):  # the same lockstep with numpy's physics, not numba's
            with numpy_physics():
                plain = statistics.median(
                    lockstep(env, net, params, args.steps, np.random.default_rng(2))
                    for _ in range(args.repeats)
                )
            rows.append((f"{env.name} (numpy)", decisions / plain, decisions / t, t / plain))
            out[env.name]["numpy_lockstep_per_s"] = round(decisions / plain)
        else:
            gym = [gymnasium_cartpole(net, params, args.steps, 2) for _ in range(args.repeats)]
            if gym[0] is not None:
                g = statistics.median(gym)
                rows.append(("gymnasium CartPole-v1", decisions / g, decisions / t, t / g))
                out["gymnasium_cartpole"] = {"vector_env_per_s": round(decisions / g),
                                             "ours_vs_gymnasium": round(g / o, 2)}  # fmt: skip
    print(f"{'environment':<22}{'lockstep /s':>14}{'loop /s':>12}{'speedup':>10}  (target >= 50x)")
    for name, a, b, r in rows:
        print(f"{name:<22}{a:>14,.0f}{b:>12,.0f}{r:>9.1f}x")
    print(json.dumps({"benchmark": "control", "machine": platform.machine(), "cpus": os.cpu_count(),
                      "population": POPULATION, "steps": args.steps, "repeats": args.repeats,
                      **out, "target_speedup": 50}))  # fmt: skip


if __name__ == "__main__":
    main()
