"""fundopt against HiGHS alone, an idiomatic Pyomo model and linopy, on the same LPs.

    python benchmarks/run.py --sizes 10k,100k,1m --repeats 3
    python benchmarks/run.py --sizes 400r --repeats 1 --legs highs,fundopt

The problems are ``benchmarks/generate.py``'s with the template's default need penalty
(``--need-penalty 0`` for the problems of results before December 2026).
Every approach runs in a fresh subprocess per repeat (clean timings, its own peak memory).
Per size it runs:

- ``highs``: the floor. fundopt's compiled LP (matrix, bounds, costs, saved once per size)
  passed to a fresh ``highspy.Highs`` from numpy buffers (``addRows`` then ``addCols``),
  solved, solution read back.
- ``fundopt``: ``fundopt.solve`` from the FundingProblem: checks and build, hand-off, solve,
  then extract (rounding to whole pounds, exact verification, the Plan's tables). Also
  timed: HiGHS's own runs inside it (every tier's LP, rounding's re-solves), and the whole
  against them (``time / its own HiGHS runs``): what fundopt adds around the solver.
- ``pyomo``: :mod:`benchmarks.alternatives.pyomo_idiomatic` (rule-based Pyomo + APPSI HiGHS).
- ``linopy``: :mod:`benchmarks.alternatives.linopy_model` (skipped if linopy is missing).
- sweeps of envelope scenarios (at ``--sweep-sizes``): ``sweep_highs`` (HiGHS alone,
  ``changeRowsBounds`` + the base basis, re-run), ``sweep_fundopt`` (``fundopt.sweep``'s
  engine: whole-pound verified plans), ``sweep_fundopt_lp`` (the same engine with
  ``whole_pounds=False``: the LP's objective, binding rules and shadow prices) and
  ``sweep_rebuild`` (``fundopt.solve`` on each scenario's problem).

Each alternative must reach fundopt's optimal objective (relative 1e-6) or the run fails.
Results go to ``<out>/results.json`` and ``<out>/results.md`` (medians over repeats).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LEGS = ("highs", "fundopt", "pyomo", "linopy")
SWEEP_LEGS = ("sweep_highs", "sweep_fundopt", "sweep_fundopt_lp", "sweep_rebuild")
PHASES = ("build", "handoff", "solve", "extract")
TOLERANCE = 1e-6
DEFAULT_NEED_PENALTY = 0.05  # Settings().need_penalty, the template's (checked in main)


# -- measurements inside a child process ---------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _cache(cache: Path, size: str) -> Path:
    return cache / f"lp_{size}.npz"


def _settings(cache: Path) -> Path:
    """Where the parent leaves the run's problem settings for its children."""
    return cache / "problem.json"


def set_problem(cache: Path, need_penalty: float) -> bool:
    """Leave the problems' settings for the children in ``cache``; whether they changed
    (then any LP saved there is another problem's)."""
    text = json.dumps({"need_penalty": need_penalty})
    path = _settings(cache)
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def _prepare(size: str, cache: Path) -> dict[str, Any]:
    """Build fundopt's LP once and save it (and the envelope rows) for the floor legs."""
    import numpy as np

    from fundopt.formulation.builder import Family
    from fundopt.plan.solve import build
    from fundopt.solver.highs import highs_options

    problem = _problem(size, cache)
    hm = build(problem)
    A = hm.matrix.tocsc()  # type: ignore[attr-defined]
    rows = [i for i, r in enumerate(hm.builder.rows) if r.info.family is Family.ENVELOPE]
    env = problem.envelopes.set_index(["stream", "year"])["amount"]
    np.savez(
        _cache(cache, size),
        start=A.indptr,
        index=A.indices,
        value=A.data,
        shape=np.array(A.shape),
        cost=hm.cost,
        col_lower=hm.col_lower,
        col_upper=hm.col_upper,
        row_lower=hm.row_lower,
        row_upper=hm.row_upper,
        scale=np.array([hm.builder.scale]),
        env_rows=np.array(rows, dtype=np.int64),
        env_stream=np.array([hm.builder.rows[i].info.stream for i in rows]),
        env_amount=np.array(
            [
                float(env[(hm.builder.rows[i].info.stream, hm.builder.rows[i].info.year)])
                for i in rows
            ]
        ),
        options=np.array([json.dumps(highs_options(int(A.shape[1])))]),
    )
    return {
        "variables": int(A.shape[1]),
        "rows": int(A.shape[0]),
        "nonzeros": int(A.nnz),
        "allocation_variables": int(hm.n_alloc),
    }


def _load_highs(z: dict[str, Any]) -> tuple[Any, Any]:
    """(Highs with options set, a function that passes the saved LP to it from numpy
    buffers: the rows' bounds, then the columns with their entries, HiGHS's fastest way in
    from Python; fundopt's ``pass_lp`` does the same)."""
    import highspy
    import numpy as np

    n_row, n_col = (int(v) for v in z["shape"])
    h = highspy.Highs()
    for key, value in json.loads(str(z["options"][0])).items():
        h.setOptionValue(key, value)

    def pass_model() -> Any:  # rows' bounds, then the columns with their entries
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addRows(n_row, z["row_lower"], z["row_upper"], 0, np.zeros(n_row, dtype=np.int32),
                  np.zeros(0, dtype=np.int32), np.zeros(0))
        h.addCols(n_col, z["cost"], z["col_lower"], z["col_upper"], len(z["index"]),
                  z["start"][:-1].astype(np.int32), z["index"].astype(np.int32), z["value"])

    return h, pass_model


def _leg_highs(size: str, cache: Path) -> dict[str, Any]:
    import highspy  # noqa: F401  (imported before the memory baseline, like the others)
    import numpy as np

    z = dict(np.load(_cache(cache, size)))
    setup = _rss_mb()
    t0 = time.perf_counter()
    h, pass_model = _load_highs(z)
    pass_model()
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    x = np.asarray(h.getSolution().col_value)
    t3 = time.perf_counter()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal" and len(x)
    return {
        "phases": {"build": 0.0, "handoff": t1 - t0, "solve": t2 - t1, "extract": t3 - t2},
        "objective": float(h.getInfo().objective_function_value) * float(z["scale"][0]),
        "setup_mb": setup,
    }


def _problem(size: str, cache: Path) -> Any:
    from benchmarks.generate import generate

    settings = json.loads(_settings(cache).read_text())
    return generate(size, need_penalty=float(settings["need_penalty"]))


def _leg_fundopt(size: str, cache: Path) -> dict[str, Any]:
    import fundopt as fo
    from benchmarks.highs_runs import highs_runs_timed

    problem = _problem(size, cache)
    setup = _rss_mb()
    with highs_runs_timed() as runs:
        t0 = time.perf_counter()
        plan = fo.solve(problem)
        total = time.perf_counter() - t0
    t = plan.solver.times
    phases = {
        "build": t.get("checks", 0.0) + t["build"],
        "handoff": t["handoff"],
        "solve": t["solve"],
    }
    phases["extract"] = total - sum(phases.values())  # rounding, verify, the Plan's tables
    return {
        "phases": phases,
        "objective": float(plan.objective),
        "setup_mb": setup,
        "detail": {k: round(v, 4) for k, v in t.items()},
        "rounding": plan.solver.rounding,
        "highs_runs": sum(runs),  # HiGHS's own runs inside it: every tier, every re-solve
    }


def _leg_alternative(module: str, size: str, cache: Path) -> dict[str, Any]:
    import importlib

    import numpy as np

    mod = importlib.import_module(f"benchmarks.alternatives.{module}")
    # fundopt's options for this size (the method is chosen by size): the same for all
    options = json.loads(str(np.load(_cache(cache, size))["options"][0]))
    problem = _problem(size, cache)
    setup = _rss_mb()
    out = mod.solve(problem, options)
    objective = out.pop("objective")
    return {"phases": out, "objective": objective, "setup_mb": setup}


def _scenarios(problem: Any, n: int) -> list[tuple[str, float]]:
    from benchmarks.generate import envelope_scenarios

    return envelope_scenarios(problem, n)


def _leg_sweep_highs(size: str, cache: Path, n: int) -> dict[str, Any]:
    import numpy as np

    problem = _problem(size, cache)
    z = dict(np.load(_cache(cache, size)))
    h, pass_model = _load_highs(z)
    pass_model()
    h.run()
    h.setOptionValue("solver", "simplex")  # re-solves from the basis, as fundopt does
    basis = h.getBasis()
    scale = float(z["scale"][0])
    rows = z["env_rows"].astype(np.int32)
    lower = z["row_lower"][rows]
    must = np.isfinite(lower)
    setup = _rss_mb()
    seconds, objectives = [], []
    for stream, factor in _scenarios(problem, n):
        t0 = time.perf_counter()
        amount = np.where(z["env_stream"] == stream, z["env_amount"] * factor, z["env_amount"])
        upper = amount / scale
        h.changeRowsBounds(len(rows), rows, np.where(must, upper, lower), upper)
        h.clearSolver()
        h.setBasis(basis)
        h.run()
        x = np.asarray(h.getSolution().col_value)
        seconds.append(time.perf_counter() - t0)
        assert h.modelStatusToString(h.getModelStatus()) == "Optimal" and len(x)
        objectives.append(float(h.getInfo().objective_function_value) * scale)
    return {"per_scenario": seconds, "objectives": objectives, "setup_mb": setup}


def _envelope_scenario(stream: str, factor: float) -> Any:
    import fundopt as fo

    return fo.Scenario(f"{stream} x{factor:g}", (fo.ScaleEnvelope(stream, None, factor),))


def _leg_sweep_fundopt(size: str, cache: Path, n: int, whole_pounds: bool = True
                       ) -> dict[str, Any]:
    from fundopt.whatif.sweep import Method, SweepEngine

    problem = _problem(size, cache)
    setup = _rss_mb()
    t0 = time.perf_counter()
    engine = SweepEngine(problem, whole_pounds=whole_pounds)
    base = time.perf_counter() - t0
    seconds, objectives, methods = [], [], []
    for stream, factor in _scenarios(problem, n):
        t0 = time.perf_counter()
        out = engine.solve(_envelope_scenario(stream, factor))
        seconds.append(time.perf_counter() - t0)
        objectives.append(float(out.objective))
        methods.append(out.method)
    in_place = sum(m is Method.IN_PLACE for m in methods)
    return {
        "per_scenario": seconds,
        "objectives": objectives,
        "setup_mb": setup,
        "base_seconds": base,
        "in_place": in_place,
    }


def _leg_sweep_rebuild(size: str, cache: Path, n: int) -> dict[str, Any]:
    import fundopt as fo

    problem = _problem(size, cache)
    setup = _rss_mb()
    seconds, objectives = [], []
    for stream, factor in _scenarios(problem, n):
        t0 = time.perf_counter()
        plan = fo.solve(_envelope_scenario(stream, factor).apply(problem))
        seconds.append(time.perf_counter() - t0)
        objectives.append(float(plan.objective))
    return {"per_scenario": seconds, "objectives": objectives, "setup_mb": setup}


def child(leg: str, size: str, cache: Path, n: int) -> dict[str, Any]:
    if leg == "prepare":
        out = _prepare(size, cache)
    elif leg == "highs":
        out = _leg_highs(size, cache)
    elif leg == "fundopt":
        out = _leg_fundopt(size, cache)
    elif leg == "pyomo":
        out = _leg_alternative("pyomo_idiomatic", size, cache)
    elif leg == "linopy":
        out = _leg_alternative("linopy_model", size, cache)
    elif leg == "sweep_highs":
        out = _leg_sweep_highs(size, cache, n)
    elif leg == "sweep_fundopt":
        out = _leg_sweep_fundopt(size, cache, n)
    elif leg == "sweep_fundopt_lp":
        out = _leg_sweep_fundopt(size, cache, n, whole_pounds=False)
    elif leg == "sweep_rebuild":
        out = _leg_sweep_rebuild(size, cache, n)
    else:
        raise SystemExit(f"unknown leg {leg}")
    out["peak_mb"] = _peak_mb()
    return out


# -- the parent: run the children, aggregate, report ---------------------------------------
def _run_child(leg: str, size: str, cache: Path, n: int = 0, timeout: float = 3600) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        leg,
        "--sizes",
        size,
        "--cache",
        str(cache),
        "--scenarios",
        str(n),
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"{leg} at {size} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def machine() -> dict[str, str]:
    import highspy
    import pyomo

    info = {
        "python": platform.python_version(),
        "highspy": _version("highspy", highspy),
        "pyomo": pyomo.version.version,
        "linopy": _version("linopy", None),
        "platform": platform.platform(),
    }
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core"):
                info[key.strip()] = value.strip()
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        info["memory"] = f.readline().split(":")[1].strip()
    return info


def _version(name: str, module: Any) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k",
                    help="comma-separated: 2k, 10k, 100k, 300k, 600k, 1m, 400r")
    ap.add_argument("--need-penalty", type=float, default=DEFAULT_NEED_PENALTY,
                    help="the problems' need penalty (default the template's, "
                    f"{DEFAULT_NEED_PENALTY:g}; 0: none, as before December 2026)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--legs", default=",".join(LEGS + SWEEP_LEGS))
    ap.add_argument("--scenarios", type=int, default=50, help="envelope scenarios per sweep")
    ap.add_argument(
        "--rebuild",
        type=int,
        default=5,
        help="scenarios the rebuild leg actually solves (it is slow)",
    )
    ap.add_argument(
        "--sweep-sizes", default="", help="sizes to run sweeps at (default: the smallest)"
    )
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per child process")
    ap.add_argument("--skip", default="", help="size:leg pairs to skip, e.g. 1m:pyomo")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--cache", default="", help=argparse.SUPPRESS)
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        out = child(args.child, args.sizes, Path(args.cache), args.scenarios)
        print("RESULT " + json.dumps(out), flush=True)
        return 0
    from fundopt import Settings

    assert Settings().need_penalty == DEFAULT_NEED_PENALTY, "the template's default moved"

    from benchmarks.generate import SIZES

    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    legs = [leg for leg in args.legs.split(",") if leg]
    notes: list[str] = []
    if "linopy" in legs and importlib.util.find_spec("linopy") is None:
        legs.remove("linopy")
        notes.append(
            "linopy is not installed: its leg was skipped (pip install -e '.[benchmarks]')."
        )
    if (
        any(leg.startswith("sweep") for leg in legs)
        and importlib.util.find_spec("fundopt.whatif.sweep") is None
    ):
        legs = [leg for leg in legs if not leg.startswith("sweep")]
        notes.append("fundopt.sweep does not exist yet: the sweep legs were skipped.")
    skip = {tuple(p.split(":")) for p in args.skip.split(",") if p}
    out_dir = Path(args.out)
    cache = out_dir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    set_problem(cache, args.need_penalty)
    sweep_sizes = [x.strip().lower() for x in args.sweep_sizes.split(",") if x.strip()] or [
        min(sizes, key=lambda x: SIZES[x].variables)
    ]

    records: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for size in sizes:
        print(f"== {size}: preparing the LP", flush=True)
        shape = _run_child("prepare", size, cache)
        runs: dict[str, list[dict[str, Any]]] = {}
        for rep in range(args.repeats):
            for leg in legs:
                if (size, leg) in skip:
                    continue
                n = 0
                if leg in SWEEP_LEGS:
                    if size not in sweep_sizes or rep > 0:
                        continue  # one sweep run: its scenarios are its repeats
                    n = args.rebuild if leg == "sweep_rebuild" else args.scenarios
                try:
                    res = _run_child(leg, size, cache, n, args.timeout)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    failures.append({"approach": leg, "size": size, "error": _last_line(e)})
                    print(f"   {leg:14s} repeat {rep + 1}: FAILED {_last_line(e)}", flush=True)
                    continue
                runs.setdefault(leg, []).append(res)
                print(f"   {leg:14s} repeat {rep + 1}: " + _brief(res), flush=True)
        records.extend(_aggregate(size, shape, runs))
    for r in records:
        r["size_variables"] = SIZES[r["size"]].variables
    result = {
        "machine": machine(),
        "command": " ".join(sys.argv),
        "need_penalty": args.need_penalty,
        "notes": notes,
        "results": records,
        "failures": failures,
    }
    (out_dir / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (out_dir / "results.md").write_text(table)
    print(table)
    return 0


def _last_line(e: BaseException) -> str:
    lines = [line for line in str(e).splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(e).__name__


def _brief(res: dict[str, Any]) -> str:
    if "per_scenario" in res:
        return f"{_median(res['per_scenario']):.3f} s per scenario, peak {res['peak_mb']:.0f} MB"
    total = sum(v for v in res["phases"].values() if v == v)
    return f"{total:.2f} s, peak {res['peak_mb']:.0f} MB"


def _aggregate(
    size: str, shape: dict[str, Any], runs: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    floor = runs.get("highs")
    floor_total = floor_work = float("nan")
    floor_obj = None
    if floor:
        floor_total = _median([sum(r["phases"].values()) for r in floor])
        floor_work = _median([r["peak_mb"] - r["setup_mb"] for r in floor])
        floor_obj = floor[0]["objective"]
    for leg in LEGS:
        if leg not in runs:
            continue
        rs = runs[leg]
        phases = {p: _median([r["phases"][p] for r in rs]) for p in PHASES}
        total = _median([sum(v for v in r["phases"].values() if v == v) for r in rs])
        work = _median([r["peak_mb"] - r["setup_mb"] for r in rs])
        rel = None
        if floor_obj is not None:
            rel = abs(rs[0]["objective"] - floor_obj) / max(1.0, abs(floor_obj))
            if rel > TOLERANCE:
                raise AssertionError(
                    f"{leg} at {size}: objective {rs[0]['objective']} differs "
                    f"from fundopt's LP {floor_obj} (relative {rel:.2e})"
                )
        rec = {
            "approach": leg,
            "size": size,
            **shape,
            "repeats": len(rs),
            "phase_seconds": phases,
            "total_seconds": total,
            "peak_mb": _median([r["peak_mb"] for r in rs]),
            "work_mb": work,
            "ratio_to_floor": total / floor_total,
            "memory_ratio_to_floor": work / floor_work,
            "objective": rs[0]["objective"],
            "objective_rel_diff": rel,
        }
        if "detail" in rs[0]:
            rec["fundopt_stage_seconds"] = {
                k: _median([r["detail"][k] for r in rs]) for k in rs[0]["detail"]
            }
            rec["rounding"] = rs[0]["rounding"]
        if "highs_runs" in rs[0]:
            rec["highs_runs_seconds"] = _median([r["highs_runs"] for r in rs])
            rec["ratio_to_highs_runs"] = total / rec["highs_runs_seconds"]
        out.append(rec)
    floor_sweep = runs.get("sweep_highs")
    floor_per = _median(floor_sweep[0]["per_scenario"]) if floor_sweep else float("nan")
    for leg in SWEEP_LEGS:
        if leg not in runs:
            continue
        r = runs[leg][0]
        if floor_sweep:
            base_obj = floor_sweep[0]["objectives"]
            for i, obj in enumerate(r["objectives"]):
                rel = abs(obj - base_obj[i]) / max(1.0, abs(base_obj[i]))
                if rel > TOLERANCE:
                    raise AssertionError(
                        f"{leg} at {size}, scenario {i}: objective {obj} "
                        f"differs from HiGHS in place {base_obj[i]}"
                    )
        per = _median(r["per_scenario"])
        rec = {
            "approach": leg,
            "size": size,
            **shape,
            "scenarios": len(r["per_scenario"]),
            "phase_seconds": {},
            "total_seconds": per,
            "per_scenario_seconds": per,
            "mean_per_scenario_seconds": statistics.fmean(r["per_scenario"]),
            "peak_mb": r["peak_mb"],
            "work_mb": r["peak_mb"] - r["setup_mb"],
            "ratio_to_floor": per / floor_per,
            "memory_ratio_to_floor": None,
            "objective": None,
            "objective_rel_diff": None,
        }
        for key in ("base_seconds", "in_place"):
            if key in r:
                rec[key] = r[key]
        out.append(rec)
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| approach | size | vars x rows | build s | hand-off s | solve s | extract s | "
        "total s | peak MB | work MB | time / floor | work mem / floor | "
        "time / its own HiGHS runs |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def f(v: Any, fmt: str = ".3f") -> str:
        return "" if v is None or v != v else format(v, fmt)

    for r in result["results"]:
        ph = r["phase_seconds"]
        name = r["approach"]
        if name.startswith("sweep"):
            name += f" (median s per scenario of {r['scenarios']})"
        lines.append(
            f"| {name} | {r['size']} | {r['variables']} x {r['rows']} | "
            f"{f(ph.get('build'))} | {f(ph.get('handoff'))} | {f(ph.get('solve'))} | "
            f"{f(ph.get('extract'))} | {f(r['total_seconds'])} | {f(r['peak_mb'], '.0f')} | "
            f"{f(r['work_mb'], '.0f')} | {f(r['ratio_to_floor'], '.2f')}x | "
            f"{f(r['memory_ratio_to_floor'], '.2f')}{'x' if r['memory_ratio_to_floor'] else ''} |"
            + (f" {r['ratio_to_highs_runs']:.2f}x ({r['highs_runs_seconds']:.3f} s) |"
               if "ratio_to_highs_runs" in r else " |")
        )
    m = result["machine"]
    lines += ["", "Machine: " + ", ".join(f"{k} {v}" for k, v in m.items())]
    if "need_penalty" in result:
        lines += [f"Need penalty: {result['need_penalty']:g} (benchmarks/generate.py)"]
    lines += [
        f"Failed: {f['approach']} at {f['size']}: {f['error']}" for f in result.get("failures", [])
    ]
    lines += [f"Note: {n}" for n in result["notes"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
