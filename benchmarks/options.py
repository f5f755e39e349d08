"""HiGHS options on fundopt's LP: which method and settings solve it fastest, by size.

    python benchmarks/options.py --sizes 10k,100k            # every variant, fresh process each
    python benchmarks/options.py --sizes 1m --variants pinned,presolve_off --time-limit 1200
    python benchmarks/options.py --sizes 10k --need-penalty 0   # the problems before December 2026

Each variant solves the same compiled LP (the floor of ``run.py``, saved once per size)
in its own subprocess, from scratch, and must reach the pinned options' objective
(relative 1e-6). Prints seconds, simplex iterations and the ratio to the pinned options,
and writes ``<out>/options.json`` and ``<out>/options.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: variant -> options over fundopt's pinned ones (fundopt.solver.highs.HIGHS_OPTIONS)
VARIANTS: dict[str, dict[str, object]] = {
    "pinned": {},  # HIGHS_OPTIONS: serial dual simplex, presolve on
    "presolve_off": {"presolve": "off"},
    "primal_simplex": {"simplex_strategy": 4},
    "ipm_crossover": {"solver": "ipm", "run_crossover": "on"},
    "pdlp": {"solver": "pdlp"},
    "parallel_dual": {"parallel": "on", "simplex_strategy": 2},
}


def _child(size: str, cache: Path, variant: str, time_limit: float) -> dict[str, Any]:
    import numpy as np

    from benchmarks.run import _cache, _load_highs
    from fundopt.solver.highs import HIGHS_OPTIONS

    z = dict(np.load(_cache(cache, size)))
    h, pass_model = _load_highs(z)
    for key, value in {**HIGHS_OPTIONS, **VARIANTS[variant]}.items():  # not the size's own
        h.setOptionValue(key, value)
    h.setOptionValue("time_limit", float(time_limit))
    pass_model()
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    info = h.getInfo()
    return {
        "status": h.modelStatusToString(h.getModelStatus()),
        "seconds": seconds,
        "iterations": int(info.simplex_iteration_count),
        "ipm_iterations": int(info.ipm_iteration_count),
        "objective": float(info.objective_function_value) * float(z["scale"][0]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve")
    ap.add_argument("--cache", default=str(ROOT / "benchmarks" / "results" / "cache"))
    ap.add_argument("--need-penalty", type=float, default=None,
                    help="the problems' need penalty (default the template's; 0: none)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    cache = Path(args.cache)
    if args.child:
        print("RESULT " + json.dumps(_child(args.sizes, cache, args.child, args.time_limit)))
        return 0

    from benchmarks.generate import DEFAULT_NEED_PENALTY
    from benchmarks.run import _cache, _run_child, set_problem

    need = DEFAULT_NEED_PENALTY if args.need_penalty is None else args.need_penalty
    cache.mkdir(parents=True, exist_ok=True)
    other_problems = set_problem(cache, need)  # LPs saved for other settings: made again
    results: list[dict[str, Any]] = []
    for size in [s.strip().lower() for s in args.sizes.split(",") if s.strip()]:
        if other_problems or not _cache(cache, size).exists():
            _run_child("prepare", size, cache)
        pinned: float | None = None
        for variant in [v for v in args.variants.split(",") if v]:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant,
                   "--sizes", size, "--cache", str(cache), "--time-limit",
                   str(args.time_limit)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), "")
            if not line:
                raise RuntimeError(f"{variant} at {size} failed:\n{proc.stderr[-2000:]}")
            out = {"size": size, "variant": variant, **json.loads(line[len("RESULT "):])}
            if variant == "pinned" and out["status"] == "Optimal":
                pinned = out["seconds"]
                reference = out["objective"]
            elif out["status"] == "Optimal" and pinned is not None:
                gap = abs(out["objective"] - reference) / max(1.0, abs(reference))
                if gap > 1e-6:
                    raise RuntimeError(f"{variant} at {size}: objective differs by {gap:.2e}")
            out["ratio"] = out["seconds"] / pinned if pinned else float("nan")
            results.append(out)
            print(f"{size:>5} {variant:<15} {out['status']:<12} {out['seconds']:9.2f} s "
                  f"{out['iterations']:>8} it  {out['ratio']:.2f}x", flush=True)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "options.json").write_text(json.dumps(results, indent=1))
    lines = ["| size | variant | status | seconds | simplex iterations | time / pinned |",
             "|---|---|---|---:|---:|---:|"]
    lines += [f"| {r['size']} | {r['variant']} | {r['status']} | {r['seconds']:.2f} | "
              f"{r['iterations']} | {r['ratio']:.2f}x |" for r in results]
    (out_dir / "options.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
