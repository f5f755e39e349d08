"""Sweep benchmark: many what-if scenarios of the reference model, in place vs from scratch.

    python benchmarks/sweep.py                       # 200 scenarios, 20 from scratch
    python benchmarks/sweep.py --scenarios 40 --sample 5 --workers 2

One run does both legs on the same scenarios:

- ``sweep``: :func:`fundopt.sweep` over every scenario (build the base once, work out
  each scenario's LP in place, solve its tiers as :func:`fundopt.solve` does (tier 1
  from scratch), round and verify each plan);
- ``lp``: the same sweep with ``whole_pounds=False`` (each scenario from the LP alone);
- ``scratch``: :func:`fundopt.solve` on each of an evenly spaced sample of the scenarios'
  problems (build, hand-off, cold solve, round, verify), extrapolated to all of them.

It checks the two legs agree (on the sample, the same objective to a relative 1e-9 and
the same allocation to the pound) and writes
``benchmarks/results/sweep.json`` and ``benchmarks/results/sweep.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import highspy
import numpy as np

import fundopt as fo

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "england_wales_soc.xlsx"

KEY = ["recipient", "activity", "stream", "year"]


def scenarios(problem: fo.FundingProblem, n: int) -> list[fo.Scenario]:
    """``n`` scenarios of the kinds an analyst sweeps, cycling through five families."""
    streams = problem.streams
    pairs = sorted(str(s) for s, who in zip(streams["stream"], streams["paid_by"], strict=True)
                   if isinstance(who, str))  # each PCC's contribution to its unit
    forces = sorted(problem.recipients.loc[problem.recipients["kind"] == "force", "recipient"])
    out: list[fo.Scenario] = []
    k = 0
    while len(out) < n:
        step = k // 5
        family = k % 5
        if family == 0:  # the core grant from +0% to +6% (a cut breaks forces' floors)
            f = round(1.0 + (step % 41) * 0.0015, 4)
            out.append(fo.Scenario(f"core x{f}", (fo.ScaleEnvelope("core_grant", None, f),)))
        elif family == 1:  # the default cliff-edge limit from 2% to 10%
            rate = round(0.02 + (step % 33) * 0.0025, 4)
            out.append(fo.Scenario(f"cliff {rate:.2%}", (fo.SetCliffEdge(None, rate),)))
        elif family == 2:  # a PCC withdrawing part of its ROCU contribution
            stream = pairs[step % len(pairs)]
            share = (0.2, 0.5, 0.72)[step // len(pairs) % 3]
            out.append(fo.Scenario(f"{stream} withdraws {share:.0%}",
                                   (fo.ScaleEnvelope(stream, None, 1 - share),)))
        elif family == 3:  # prevent's least share in the last year, 8% to 12%
            s = round(0.08 + (step % 41) * 0.001, 4)
            out.append(fo.Scenario(f"prevent {s:.1%}", (
                fo.SetShareTarget("prevent", None, "soc", problem.horizon[-1], s),)))
        else:  # one force's precept 10% lower
            force = forces[step % len(forces)]
            out.append(fo.Scenario(f"{force} precept -10%", (fo.ScaleIncome(force, None, 0.9),)))
        k += 1
    names: set[str] = set()
    unique = []
    for s in out:
        if s.name not in names:
            names.add(s.name)
            unique.append(s)
    return unique


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--sample", type=int, default=20, help="scenarios solved from scratch")
    parser.add_argument("--workers", type=int, default=1, help="sweep processes (1: this one)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)

    problem = fo.read_workbook(MODEL)
    todo = scenarios(problem, args.scenarios)
    while len(todo) < args.scenarios:  # names repeat only if asked for very many
        todo += scenarios(problem, args.scenarios + len(todo))[len(todo):]
    todo = todo[: args.scenarios]

    t = time.perf_counter()
    if args.workers > 1:
        with fo.process_pool(args.workers) as pool:
            result = fo.sweep(problem, todo, executor=pool, progress=True)
    else:
        result = fo.sweep(problem, todo, progress=True)
    sweep_seconds = time.perf_counter() - t
    s = result.summary.set_index("scenario")
    t = time.perf_counter()
    lean = fo.sweep(problem, todo, progress=False, whole_pounds=False)
    lp_seconds = time.perf_counter() - t
    lp = lean.summary.set_index("scenario")
    both = s.index[(s["status"] == "optimal") & (lp["status"] == "optimal")]
    lp_agrees = bool(np.allclose(lp.loc[both, "objective"], s.loc[both, "objective"],
                                 rtol=1e-9, atol=0.0))

    sample = [todo[i] for i in np.linspace(0, len(todo) - 1, args.sample).round().astype(int)]
    scratch_times, scratch_iterations, agree = [], [], []
    for i, scenario in enumerate(sample, start=1):
        t = time.perf_counter()
        try:
            plan = fo.solve(scenario.apply(problem))
        except fo.InfeasibleError:
            scratch_times.append(time.perf_counter() - t)
            agree.append(s.loc[scenario.name, "status"] == "infeasible")
            continue
        scratch_times.append(time.perf_counter() - t)
        scratch_iterations.append(plan.solver.iterations)
        ours = float(s.loc[scenario.name, "objective"])
        mine = result.allocations.loc[result.allocations["scenario"] == scenario.name,
                                      [*KEY, "amount"]].reset_index(drop=True)
        agree.append(abs(ours - plan.objective) <= 1e-9 * max(1.0, abs(plan.objective))
                     and mine.equals(plan.allocations[[*KEY, "amount"]].reset_index(drop=True)))
        print(f"from scratch {i}/{len(sample)}: {scratch_times[-1]:.1f} s", file=sys.stderr)

    per_sweep = sweep_seconds / len(todo)
    per_scratch = statistics.mean(scratch_times)
    solved = s[s["status"] == "optimal"]
    report = {
        "model": MODEL.name,
        "scenarios": len(todo),
        "workers": args.workers,
        "sample_from_scratch": len(sample),
        "statuses": s["status"].value_counts().to_dict(),
        "methods": s["method"].value_counts().to_dict(),
        "sweep_seconds_total": round(sweep_seconds, 2),
        "sweep_seconds_per_scenario": round(per_sweep, 3),
        "lp_alone_seconds_total": round(lp_seconds, 2),
        "lp_alone_seconds_per_scenario": round(lp_seconds / len(todo), 4),
        "lp_alone_agrees": lp_agrees,
        "scratch_seconds_per_scenario": round(per_scratch, 3),
        "scratch_seconds_extrapolated_total": round(per_scratch * len(todo), 1),
        "ratio_sweep_to_scratch": round(per_sweep / per_scratch, 3),
        "speed_up": round(per_scratch / per_sweep, 2),
        "simplex_iterations_median": {
            "sweep": float(np.median(solved["iterations"])) if len(solved) else None,
            "scratch": float(np.median(scratch_iterations)) if scratch_iterations else None,
        },
        "sample_agrees": bool(all(agree)),
        "not_optimal": [{"scenario": str(name), "status": str(r["status"]),
                         "message": str(r["message"])}
                        for name, r in s[s["status"] != "optimal"].iterrows()],
        "machine": {"python": platform.python_version(), "highs": highspy.Highs().version(),
                    "fundopt": fo.__version__, "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "command": "python benchmarks/sweep.py " + " ".join(argv or sys.argv[1:]),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sweep.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "sweep.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0 if report["sample_agrees"] and report["lp_alone_agrees"] else 1


def markdown(r: dict[str, object]) -> str:
    it = r["simplex_iterations_median"]
    assert isinstance(it, dict)
    return "\n".join([
        f"Sweep of {r['scenarios']} scenarios of `{r['model']}` "
        f"({r['workers']} process{'es' if r['workers'] != 1 else ''}); "
        f"from scratch: {r['sample_from_scratch']} of them, extrapolated.",
        "",
        "| leg | s / scenario | total s | median simplex iterations |",
        "|---|---|---|---|",
        f"| sweep (in place; tier 1 from scratch) | {r['sweep_seconds_per_scenario']} | "
        f"{r['sweep_seconds_total']} | {it['sweep']} |",
        f"| sweep, the LP alone (`whole_pounds=False`) | "
        f"{r['lp_alone_seconds_per_scenario']} | {r['lp_alone_seconds_total']} | |",
        f"| from scratch (`fundopt.solve`) | {r['scratch_seconds_per_scenario']} | "
        f"{r['scratch_seconds_extrapolated_total']} (extrapolated) | {it['scratch']} |",
        "",
        f"Ratio sweep / scratch per scenario: **{r['ratio_sweep_to_scratch']}** "
        f"(speed-up {r['speed_up']}x). Statuses: {r['statuses']}; methods: {r['methods']}. "
        "Sample agrees with the sweep (objective, and allocation to the pound): "
        f"{r['sample_agrees']}; the LP alone agrees on every objective: "
        f"{r['lp_alone_agrees']}.",
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())
