"""Sweep families benchmark: each family of scenario against HiGHS's own warm re-solve.

    python benchmarks/families.py --sizes ref,10k,100k --scenarios 8
    python benchmarks/families.py --sizes ref --whole-pounds     # verified plans too

For each problem and each family of scenario an analyst sweeps (envelope amounts, other
income, share targets, the cliff-edge limit), it runs :func:`fundopt.sweep`'s engine with
``whole_pounds=False`` (each scenario from the LP alone: worked out in place, warm-started
from the base's basis) and times each scenario whole, from the override to the objective,
binding rules and shadow prices. Beside it, the floor: a HiGHS model holding the base LP,
changed to the very LP fundopt solved (the same row bounds, coefficients and costs, loaded
untimed), re-solved from the base's basis, timed from ``run()`` alone. ``method`` says how
fundopt made each scenario's LP: ``linked`` (from the cells the family linked, no new record
of the LP) or ``recorded`` (the scenario's problem validated and its LP recorded again, then
changed in place). With ``--whole-pounds`` it also times the verified whole-pound plan of
each scenario (tier 1 from scratch, as :func:`fundopt.solve`), and how much of it HiGHS
itself ran (every ``run`` of every ``Highs`` in the process, timed: both tiers, rounding's
re-solves, the bands' if any): the floor for a plan that must be :func:`fundopt.solve`'s to
the pound, which a warm re-solve from the base's basis cannot give. Writes
``benchmarks/results/families.md`` and the same figures in ``families.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import highspy
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import fundopt as fo  # noqa: E402
from benchmarks.highs_runs import highs_runs_timed  # noqa: E402
from fundopt.whatif import engine as engine_module  # noqa: E402
from fundopt.whatif.lp_arrays import load_changes  # noqa: E402
from fundopt.whatif.sweep import SweepEngine  # noqa: E402

MODEL = ROOT / "models" / "england_wales_soc.xlsx"
Family = Callable[[fo.FundingProblem, int], list[fo.Scenario]]


def envelopes(p: fo.FundingProblem, n: int) -> list[fo.Scenario]:
    streams = sorted(p.streams["stream"])
    return [fo.Scenario(f"{streams[i % len(streams)]} x{1.01 + 0.01 * (i % 8):.2f}",
                        (fo.ScaleEnvelope(streams[i % len(streams)], None,
                                          round(1.01 + 0.01 * (i % 8), 2)),))
            for i in range(n)]


def income(p: fo.FundingProblem, n: int) -> list[fo.Scenario]:
    who = sorted(set(p.other_income["recipient"]))
    return [fo.Scenario(f"{who[i * 7 % len(who)]} income x{0.9 + 0.02 * (i % 5):.2f}",
                        (fo.ScaleIncome(who[i * 7 % len(who)], None,
                                        round(0.9 + 0.02 * (i % 5), 2)),))
            for i in range(n)]


def shares(p: fo.FundingProblem, n: int) -> list[fo.Scenario]:
    rows = [r for _, r in p.share_targets.iterrows() if r["min_share"] is not None]
    out = []
    for i in range(n):
        r = rows[i % len(rows)]
        m = round(float(r["min_share"]) * (1.05 + 0.05 * (i // len(rows))), 4)
        out.append(fo.Scenario(f"{r['strand']} {r['threat']} {r['year']} {m:.2%}", (
            fo.SetShareTarget(r["strand"], r["threat"], r["scope"], r["year"], m),)))
    return out


def cliff(p: fo.FundingProblem, n: int) -> list[fo.Scenario]:
    return [fo.Scenario(f"cliff {0.02 + 0.005 * i:.1%}", (fo.SetCliffEdge(None, 0.02 + 0.005 * i),))
            for i in range(n)]


FAMILIES: dict[str, Family] = {"envelopes": envelopes, "other income": income,
                               "share targets": shares, "cliff-edge limit": cliff}


def problem_of(size: str) -> fo.FundingProblem:
    if size == "ref":
        return fo.read_workbook(MODEL)
    from benchmarks.generate import generate

    return generate(size)


def measure(problem: fo.FundingProblem, scenarios: list[fo.Scenario],
            whole_pounds: bool) -> dict[str, Any]:
    engine = SweepEngine(problem, whole_pounds=False)
    assert engine.in_place and engine.base_hm is not None, engine.in_place_reason
    records: list[int] = []
    real_record = engine_module.record

    def counted(p: fo.FundingProblem) -> Any:
        records.append(1)
        return real_record(p)

    engine_module.record = counted  # type: ignore[assignment]
    floor = highspy.Highs()
    floor.silent()
    floor.passModel(engine.base_hm.highs.getLp())
    for k, v in engine.base_hm.options.items():
        floor.setOptionValue(k, v)
    # tier 1's LP, as fundopt solves it: the rows that only define a later tier's measure
    # are free
    later = np.flatnonzero(engine.base_hm.builder.first_tier_rows() > 1).astype(np.int32)
    free = np.full(len(later), np.inf)
    loaded = engine.loaded
    ours, theirs, methods = [], [], []
    try:
        for s in scenarios:
            before = len(records)
            t0 = time.perf_counter()
            out = engine.solve(s)
            ours.append(time.perf_counter() - t0)
            assert out.status is fo.ScenarioStatus.OPTIMAL, (s.name, out.message)
            methods.append("recorded" if len(records) > before else "linked")
            load_changes(floor, loaded, engine.solved)  # the LP fundopt solved, untimed
            floor.changeRowsBounds(len(later), later, -free, free)
            loaded = engine.solved
            floor.clearSolver()
            floor.setBasis(engine.basis)
            t0 = time.perf_counter()
            floor.run()
            theirs.append(time.perf_counter() - t0)
            got = floor.getInfo().objective_function_value * engine.base_hm.builder.scale
            assert abs(got - out.objective) <= 1e-6 * max(1.0, abs(got)), (s.name, got)
    finally:
        engine_module.record = real_record  # type: ignore[assignment]
    row: dict[str, Any] = {"n": len(scenarios), "methods": sorted(set(methods)),
                           "fundopt": statistics.median(ours),
                           "highs": statistics.median(theirs)}
    if whole_pounds:
        full = SweepEngine(problem)
        t, inside = [], []
        with highs_runs_timed() as runs:
            for s in scenarios:
                runs.clear()
                t0 = time.perf_counter()
                out = full.solve(s)
                t.append(time.perf_counter() - t0)
                inside.append(sum(runs))
                assert out.status is fo.ScenarioStatus.OPTIMAL, (s.name, out.message)
        row["whole"] = statistics.median(t)
        row["whole_highs"] = statistics.median(inside)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="ref,10k", help="ref (the reference model), 10k, 100k")
    ap.add_argument("--scenarios", type=int, default=8, help="scenarios per family")
    ap.add_argument("--whole-pounds", action="store_true", help="also whole-pound plans")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)
    lines = ["| problem | family | scenarios | method | fundopt, LP alone (s) | HiGHS warm "
             "re-solve (s) | ratio |" + (" whole pounds (s) | of which HiGHS's runs (s) | "
                                        "whole / HiGHS's runs |" if args.whole_pounds else ""),
             "|---|---|---:|---|---:|---:|---:|" + ("---:|---:|---:|" if args.whole_pounds
                                                   else "")]
    records: list[dict[str, Any]] = []
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        problem = problem_of(size)
        for name, family in FAMILIES.items():
            r = measure(problem, family(problem, args.scenarios), args.whole_pounds)
            records.append({"problem": size, "family": name, **r})
            line = (f"| {size} | {name} | {r['n']} | {', '.join(r['methods'])} | "
                    f"{r['fundopt']:.3f} | {r['highs']:.3f} | {r['fundopt'] / r['highs']:.2f}x |")
            if args.whole_pounds:
                line += (f" {r['whole']:.3f} | {r['whole_highs']:.3f} | "
                         f"{r['whole'] / r['whole_highs']:.2f}x |")
            print(line, flush=True)
            lines.append(line)
    lines += ["", f"Medians per scenario. Machine: python {platform.python_version()}, highspy "
              f"{highspy.Highs().version()}, {platform.platform()}."]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "families.md").write_text("\n".join(lines) + "\n")
    (args.out / "families.json").write_text(json.dumps(
        {"scenarios": args.scenarios, "whole_pounds": args.whole_pounds, "results": records},
        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
