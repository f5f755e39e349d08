"""Issue 17's speed targets, measured in one run, each beside its target.

    python benchmarks/targets.py                   # about 10 minutes on the 2-core machine
    python benchmarks/targets.py --with-1m         # and the 1M problem (about 15 more)

It runs the other scripts, each in its own process, into ``<out>/`` (default
``benchmarks/results/targets/``), then reads their JSON and writes ``<out>/targets.md`` and
``<out>/targets.json``: one row per target, what was measured, and whether it was met.

- ``startup.py --repeats 5``: the whole ``fundopt solve`` on the shipped model,
  ``import fundopt`` and ``fundopt --help``;
- ``run.py`` at 10k (HiGHS alone and ``fundopt.solve``, 5 repeats), at 100k and at 400r
  (issue 17's template of 400 recipients; ``fundopt.solve``, with HiGHS's own runs inside
  it timed), and with ``--with-1m`` at 1M;
- ``families.py --whole-pounds`` at 10k and 100k: every family of sweep scenario, its
  LP alone and its whole-pound plan against HiGHS's warm re-solve, and the plan against
  HiGHS's own runs inside it.

At 100k and beyond the floor leg of ``run.py`` (HiGHS alone on fundopt's whole written LP,
every tier's rows under tier 1's objective, with fundopt's options for the size) is not
the work fundopt does since the priority tiers came in (it took 250-350 s at 100k against
fundopt's 20 s): there fundopt is set against its own HiGHS runs, the solver's share of
the same plan. ``--quick`` runs every part at 2k, without 400r: the smoke test's run.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"


@dataclass(frozen=True)
class Target:
    """One of issue 17's targets: what it measures, its limit, the measure, met or not."""

    target: str
    limit: str
    measured: str
    met: str  # "met", "not met" or "not run"


def _met(value: float, limit: float) -> str:
    return "met" if value <= limit else "not met"


def _run(args: list[str | Path]) -> None:
    words = [str(a) for a in args]
    print("$ python " + " ".join(words), flush=True)
    subprocess.run([sys.executable, *words], cwd=ROOT, check=True)


def _fundopt_alone(out: Path, size: str) -> dict[str, Any]:
    """``run.py``'s fundopt leg alone at ``size``, once, into ``out / size``: its record."""
    _run([BENCH / "run.py", "--sizes", size, "--repeats", "1", "--legs", "fundopt",
          "--timeout", "3600", "--out", out / size])
    return _fundopt_record(out / size)


def _fundopt_record(out: Path) -> dict[str, Any]:
    shutil.rmtree(out / "cache", ignore_errors=True)  # the saved LP: up to gigabytes
    results = json.loads((out / "results.json").read_text())["results"]
    return next(r for r in results if r["approach"] == "fundopt")


def measure(out: Path, small: str, large: str, many: str | None, huge: str | None,
            repeats: int, scenarios: int, large_scenarios: int) -> list[Target]:
    """Run every part into ``out`` and read back the targets."""
    rows: list[Target] = []
    _run([BENCH / "startup.py", "--repeats", str(repeats), "--out", out / "startup.md"])
    start = json.loads((out / "startup.json").read_text())

    def median(name: str) -> float:
        return statistics.median(start[name])

    whole = median("fundopt solve (whole process)")
    rows += [
        Target(f"`fundopt solve` on the shipped model, whole process (median of {repeats})",
               "2.5 s", f"{whole:.2f} s (range {min(start['fundopt solve (whole process)']):.2f}"
               f"-{max(start['fundopt solve (whole process)']):.2f})", _met(whole, 2.5)),
        Target("`import fundopt`", "0.5 s", f"{median('import fundopt'):.2f} s",
               _met(median("import fundopt"), 0.5)),
        Target("`fundopt --help`", "0.3 s", f"{median('fundopt --help'):.2f} s",
               _met(median("fundopt --help"), 0.3)),
    ]

    _run([BENCH / "run.py", "--sizes", small, "--repeats", str(repeats), "--legs",
          "highs,fundopt", "--out", out / small])
    r = _fundopt_record(out / small)
    rows.append(Target(f"{small}: `fundopt.solve` against HiGHS alone (median of {repeats})",
                       "1.3x", f"{r['ratio_to_floor']:.2f}x ({r['total_seconds']:.2f} s)",
                       _met(r["ratio_to_floor"], 1.3)))

    big = [(large, "1.12x", 1.12)] + ([(huge, "1.06x", 1.06)] if huge else [])
    for size, words, limit in big:
        r = _fundopt_alone(out, size)
        rows.append(Target(
            f"{size}: `fundopt.solve` against its own HiGHS runs (need penalty on)", words,
            f"{r['ratio_to_highs_runs']:.2f}x ({r['total_seconds']:.1f} s, of which HiGHS "
            f"{r['highs_runs_seconds']:.1f} s)", _met(r["ratio_to_highs_runs"], limit)))
    if not huge:
        rows.append(Target("1m: `fundopt.solve` against its own HiGHS runs", "1.06x",
                           "not run here (`--with-1m`)", "not run"))

    if many:
        r = _fundopt_alone(out, many)
        rows += [
            Target(f"{many}: issue 17's template (400 recipients), `fundopt.solve`", "60 s",
                   f"{r['total_seconds']:.1f} s, of which HiGHS {r['highs_runs_seconds']:.1f} s",
                   _met(r["total_seconds"], 60.0)),
            Target(f"{many}: its peak memory (`ru_maxrss`)", "2 GB",
                   f"{r['peak_mb']:,.0f} MiB", _met(r["peak_mb"], 2048.0)),
        ]

    sweeps = [(small, scenarios, 2.0)] + ([(large, large_scenarios, 1.5)]
                                          if large != small else [])
    for size, n, limit in sweeps:
        part = out / f"families_{size}"
        _run([BENCH / "families.py", "--sizes", size, "--scenarios", str(n), "--whole-pounds",
              "--out", part])
        for f in json.loads((part / "families.json").read_text())["results"]:
            warm = f["highs"]
            rows.append(Target(
                f"{size}, sweep of {f['family']}: a whole-pound scenario against HiGHS's "
                f"warm re-solve (median of {f['n']})", f"{limit:g}x",
                f"{f['whole'] / warm:.1f}x ({f['whole']:.3f} s against {warm:.3f} s); its "
                f"LP alone {f['fundopt'] / warm:.2f}x; the plan against its own HiGHS runs "
                f"{f['whole'] / f['whole_highs']:.2f}x", _met(f["whole"] / warm, limit)))
    return rows


def markdown(rows: list[Target], command: str) -> str:
    lines = ["| target | limit | measured | |", "|---|---:|---|---|"]
    lines += [f"| {t.target} | {t.limit} | {t.measured} | {t.met} |" for t in rows]
    met = sum(t.met == "met" for t in rows)
    lines += ["", f"{met} of {len(rows)} met. Command: `{command}`. Machine: "
              f"python {platform.python_version()}, highspy {version('highspy')}, "
              f"{platform.platform()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-1m", action="store_true", help="also the 1M problem (long)")
    ap.add_argument("--quick", action="store_true",
                    help="every part at 2k, once, without 400r (the smoke test's run)")
    ap.add_argument("--repeats", type=int, default=5, help="start-up and the small size")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "targets")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.quick:
        rows = measure(out, "2k", "2k", None, None, 1, 2, 2)
    else:
        rows = measure(out, "10k", "100k", "400r", "1m" if args.with_1m else None,
                       args.repeats, 6, 3)
    command = "python benchmarks/targets.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    text = markdown(rows, command)
    (out / "targets.md").write_text("# Issue 17's targets, one run\n\n" + text)
    (out / "targets.json").write_text(json.dumps([asdict(t) for t in rows], indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
