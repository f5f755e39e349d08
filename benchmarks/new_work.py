"""What this round's new work costs beside the plain solve, on the generated problems.

    python benchmarks/new_work.py --sizes 10k,100k,1m --sample 10

For each size (``benchmarks/generate.py``'s problem, the template's need penalty unless
``--need-penalty`` says otherwise, its last two years indicative), each leg runs in a
fresh subprocess (its own peak memory, ``ru_maxrss``), once:

- ``plain``: ``fundopt.solve(problem)`` as shipped (reasons and ranging included: their
  parts are ``plan.solver.times``), then ``fundopt.replan(plan, problem)``: the same
  problem re-planned from that plan (first years' figures held, the last two within
  their tolerance).
- ``certificate``: the LP built and solved (``fundopt.plan.solve.build``, one HiGHS run),
  then the optimality certificate (``fundopt.solver.certificate.certified``) timed alone:
  its share of that LP solve.
- ``bands``: ``solve(problem, bands=BandOptions(recipients=...))``: every recipient at the
  sizes up to 10k, ``--sample`` recipients above (their time per band scaled to all, as
  ``benchmarks/bands.py`` does). The banded plan must equal the plain one.
- ``tiers``: only where fundopt has priority tiers (``FundingProblem.tiers``): the LP of the
  policy tiers alone, and of every tier with the last one (stability), each from a fresh
  build (``fundopt.solver.tiers.solve_tiers``). Skipped, and said so, where it has none.

Each child first solves the 2k problem once (fundopt's lazy imports and HiGHS loaded, so
no leg pays for them). Each figure is seconds and a ratio to the plain solve (whole
``fundopt.solve``), in one table: ``<out>/new_work.md`` and ``<out>/new_work.json``.
One run each: rough timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LEGS = ("plain", "certificate", "bands", "tiers")
DEFAULT_NEED_PENALTY = 0.05  # Settings().need_penalty, the template's (checked in main)
INDICATIVE_YEARS = 2
FULL_BANDS_UP_TO = 20_000  # variables: every recipient banded up to here, a sample above


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def problem(size: str, need_penalty: float) -> Any:
    """The size's problem with its last two horizon years indicative (a re-plan's shape)."""
    from benchmarks.generate import generate

    p = generate(size, need_penalty=need_penalty)
    years = p.years.copy()
    horizon = list(p.horizon)
    indicative = years["year"].isin(horizon[-INDICATIVE_YEARS:])
    years["status"] = years["status"].astype(object).where(~indicative, "indicative")
    return p.replace(years=years)


# -- the legs, each in a child process ------------------------------------------------------
def leg_plain(p: Any) -> dict[str, Any]:
    import fundopt as fo

    t0 = time.perf_counter()
    plan = fo.solve(p)
    total = time.perf_counter() - t0
    peak = _peak_mb()
    times = plan.solver.times
    out = {
        "solve": total, "times": dict(times), "objective": float(plan.objective),
        "variables": plan.solver.variables, "rows": plan.solver.constraints,
        "nonzeros": plan.solver.nonzeros, "solve_peak_mb": peak,
    }
    if not hasattr(fo, "replan"):  # a branch from before re-plans
        return out
    t0 = time.perf_counter()
    again = fo.replan(plan, p)
    replan = time.perf_counter() - t0
    # what a recipient is promised is its total for the year: the lines under it may move
    # among equally good splits (the LP is degenerate)
    def totals(x: Any) -> Any:
        return x.allocations.groupby(["recipient", "year"])["amount"].sum()

    moved = (totals(again) - totals(plan)).abs().sum()
    return {**out, "replan": replan, "replan_times": dict(again.solver.times),
            "replan_objective": float(again.objective), "replan_moved_pounds": float(moved)}


def leg_certificate(p: Any) -> dict[str, Any]:
    from fundopt.plan.solve import build
    from fundopt.solver.certificate import certified

    t0 = time.perf_counter()
    hm = build(p)
    t1 = time.perf_counter()
    hm.highs.run()
    t2 = time.perf_counter()
    certificate, _ = certified(hm)
    t3 = time.perf_counter()
    assert certificate.passed, certificate.detail
    return {"build": t1 - t0, "lp_solve": t2 - t1, "certificate": t3 - t2,
            "resolved_cold": certificate.resolved_cold}


def leg_bands(p: Any, sample: int) -> dict[str, Any]:
    import fundopt as fo

    recipients = sorted(p.recipients["recipient"])
    every = len(recipients)
    if sample and every > sample:
        chosen = tuple(recipients[:: max(1, every // sample)][:sample])
    else:
        chosen = tuple(recipients)
    plain = fo.solve(p)
    t0 = time.perf_counter()
    banded = fo.solve(p, bands=fo.BandOptions(recipients=chosen))
    total = time.perf_counter() - t0
    assert banded.fingerprint == plain.fingerprint, "bands changed the plan"
    seconds = banded.solver.times["bands"]
    done = len(banded.bands)
    return {"banded_solve": total, "bands": seconds, "bands_done": done,
            "bands_all": seconds / done * len(plain.reasons), "recipients": len(chosen),
            "set_by_rules": int(banded.bands["set_by_rules"].sum())}


def leg_tiers(p: Any) -> dict[str, Any]:
    import importlib
    import importlib.util

    from fundopt.plan.solve import build

    if not hasattr(type(p), "tiers") or importlib.util.find_spec("fundopt.solver.tiers") is None:
        return {"skipped": "fundopt has no priority tiers here (FundingProblem.tiers)"}
    # imported by name: these modules exist only once the tiers are merged
    policy_tiers = importlib.import_module("fundopt.problem.priorities").policy_tiers
    solve_tiers = importlib.import_module("fundopt.solver.tiers").solve_tiers

    tiers = p.tiers
    policy = policy_tiers(tiers)
    out: dict[str, Any] = {"tiers": len(tiers), "policy_tiers": policy}
    for name, upto in (("policy_only", policy), ("with_stability", None)):
        t0 = time.perf_counter()
        hm = build(p)
        t1 = time.perf_counter()
        solved = solve_tiers(hm, upto=upto)
        t2 = time.perf_counter()
        assert solved is not None, "tier 1 infeasible"
        out[name] = {"build": t1 - t0, "lp_solve": t2 - t1, "optima": list(solved.optima)}
        del hm, solved
    return out


def child(leg: str, size: str, need_penalty: float, sample: int) -> dict[str, Any]:
    import fundopt as fo
    from benchmarks.generate import generate

    # warm up (fundopt's lazy imports, HiGHS loaded): a first solve in a process costs
    # about 0.3 s more, which would land on whichever leg came first
    fo.solve(generate("2k", need_penalty=need_penalty))
    p = problem(size, need_penalty)
    if leg == "plain":
        out = leg_plain(p)
    elif leg == "certificate":
        out = leg_certificate(p)
    elif leg == "bands":
        from benchmarks.generate import SIZES

        out = leg_bands(p, sample if SIZES[size].variables > FULL_BANDS_UP_TO else 0)
    elif leg == "tiers":
        out = leg_tiers(p)
    else:
        raise SystemExit(f"unknown leg {leg}")
    out["peak_mb"] = _peak_mb()
    return out


def _run_child(leg: str, size: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", leg, "--sizes", size,
           "--need-penalty", repr(args.need_penalty), "--sample", str(args.sample)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                          check=False, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"})
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT "):]))
    raise RuntimeError(f"{leg} at {size} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


# -- the parent: one table --------------------------------------------------------------------
def rows(size: str, legs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's rows for one size: (item, seconds, note), each set against the plain
    solve's seconds."""
    plain = legs.get("plain")
    base = plain["solve"] if plain else float("nan")
    out: list[tuple[str, float, str, float | None]] = []
    if plain:
        t = plain["times"]
        out += [
            ("plain solve (fundopt.solve)", base, f"{plain['variables']:,} variables, "
             f"{plain['nonzeros']:,} nonzeros", plain["solve_peak_mb"]),
            ("  of which the LP solve", t["solve"], "HiGHS", None),
            ("  of which ranging (plan.sensitivity)", t.get("ranging", float("nan")),
             f"{t.get('ranging', 0) / t['solve']:.0%} of the LP solve", None),
            ("  of which reasons", t.get("reasons", float("nan")), "", None),
        ]
    if plain and "replan" in plain:
        out += [
            ("re-plan (fundopt.replan, same problem)", plain["replan"],
             f"last {INDICATIVE_YEARS} years indicative; recipient-year totals "
             f"moved £{plain['replan_moved_pounds']:,.0f} in all", plain["peak_mb"]),
        ]
    if "certificate" in legs:
        c = legs["certificate"]
        out.append(("certificate (certified, alone)", c["certificate"],
                    f"{c['certificate'] / c['lp_solve']:.1%} of its LP solve "
                    f"({c['lp_solve']:.2f} s)" + (", re-solved cold" if c["resolved_cold"]
                                                   else ""), c["peak_mb"]))
    if "bands" in legs:
        b = legs["bands"]
        out.append((f"bands, {b['recipients']} recipients ({b['bands_done']:,} bands)",
                    b["bands"], f"{b['set_by_rules']:,} set by the rules", b["peak_mb"]))
        if b["bands_all"] > b["bands"] * 1.001:
            out.append(("bands, all recipients (scaled from the sample)", b["bands_all"],
                        "estimate", None))
    if "tiers" in legs:
        tr = legs["tiers"]
        if "skipped" in tr:
            out.append(("priority tiers", float("nan"), tr["skipped"], None))
        else:
            for key, words in (("policy_only", f"LP of the {tr['policy_tiers']} policy tier(s)"),
                               ("with_stability", f"LP of all {tr['tiers']} tiers")):
                out.append((words, tr[key]["lp_solve"], "fresh build, "
                            f"{tr[key]['build']:.2f} s", tr["peak_mb"]))
    return [{"size": size, "item": item, "seconds": s, "ratio": s / base, "note": note,
             "peak_mb": peak} for item, s, note, peak in out]


def markdown(result: dict[str, Any]) -> str:
    def f(v: Any, fmt: str) -> str:
        return "" if v is None or v != v else format(v, fmt)

    lines = ["| size | item | seconds | / plain solve | peak MB | note |",
             "|---|---|---:|---:|---:|---|"]
    lines += [f"| {r['size']} | {r['item']} | {f(r['seconds'], '.3f')} | "
              f"{f(r['ratio'], '.2f')}{'x' if r['ratio'] == r['ratio'] else ''} | "
              f"{f(r['peak_mb'], '.0f')} | {r['note']} |" for r in result["rows"]]
    lines += ["", f"Need penalty {result['need_penalty']:g}; command: {result['command']}",
              "Machine: " + result["machine"]]
    lines += [f"Failed: {x}" for x in result["failures"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k", help="comma-separated: 2k, 10k, 100k, 1m, 400r")
    ap.add_argument("--legs", default=",".join(LEGS), help="comma-separated: " + ", ".join(LEGS))
    ap.add_argument("--need-penalty", type=float, default=DEFAULT_NEED_PENALTY)
    ap.add_argument("--sample", type=int, default=10,
                    help="recipients banded above 20,000 variables (0: all)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per child process")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        out = child(args.child, args.sizes, args.need_penalty, args.sample)
        print("RESULT " + json.dumps(out), flush=True)
        return 0
    from fundopt import Settings
    from fundopt.solver.highs import highs_version

    assert Settings().need_penalty == DEFAULT_NEED_PENALTY, "the template's default moved"
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    legs = [x for x in args.legs.split(",") if x]
    table: list[dict[str, Any]] = []
    raw: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for size in sizes:
        raw[size] = {}
        for leg in legs:
            try:
                raw[size][leg] = _run_child(leg, size, args)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                failures.append(f"{leg} at {size}: {str(e).strip().splitlines()[-1]}")
                print(f"   {size} {leg}: FAILED", flush=True)
                continue
            print(f"   {size} {leg}: done, peak {raw[size][leg]['peak_mb']:.0f} MB", flush=True)
        table += rows(size, raw[size])
    result = {
        "command": " ".join(["python benchmarks/new_work.py", *sys.argv[1:]]),
        "need_penalty": args.need_penalty,
        "machine": f"python {platform.python_version()}, HiGHS {highs_version()}, "
                   f"{platform.machine()}, {os.cpu_count()} CPUs",
        "rows": table, "legs": raw, "failures": failures,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "new_work.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (out / "new_work.md").write_text(text)
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
