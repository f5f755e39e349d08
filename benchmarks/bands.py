"""What reasons, ranging and bands cost, on the reference model and the synthetic sizes.

    python benchmarks/bands.py                       # reference model, 10k; 100k sampled
    python benchmarks/bands.py --sizes 10k --sample 0
    python benchmarks/bands.py --need-penalty 0      # the problems of the 1 December results

For each problem: ``fundopt.solve`` as shipped (reasons and ranging), then with bands for
every recipient-year, or, with ``--sample N``, for N recipients only (their recipient-years;
the time per band is then extrapolated to all of them). Bands run on threads of their own
beside the rest of the solve: "bands (s)" is their own work, start to finish
(``plan.solver.times["bands_work"]``), "waited for them" what the solve waited for them
at the end, and "solve with them" the whole ``solve(bands=...)``, beside "solve (s)"
without. One run each (a rough timing on a shared machine). Writes
``benchmarks/results/bands.md``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fundopt as fo  # noqa: E402
from benchmarks.generate import DEFAULT_NEED_PENALTY, generate  # noqa: E402
from fundopt.solver.highs import highs_version  # noqa: E402

MODEL = ROOT / "models" / "england_wales_soc.xlsx"


def measure(name: str, problem: fo.FundingProblem, sample: int) -> dict[str, object]:
    t0 = time.perf_counter()
    plain = fo.solve(problem)
    total = time.perf_counter() - t0
    recipients = sorted(problem.recipients["recipient"])
    chosen = tuple(recipients[:: max(1, len(recipients) // sample)][:sample]) if sample \
        else ()
    t0 = time.perf_counter()
    banded = fo.solve(problem, bands=fo.BandOptions(recipients=chosen))
    with_bands = time.perf_counter() - t0
    assert banded.fingerprint == plain.fingerprint, "bands changed the plan"
    groups = len(banded.bands)
    every = len(plain.reasons)
    # the bands' own work, on their threads beside the rest of the solve
    seconds = banded.solver.times["bands_work"]
    return {
        "problem": name,
        "variables": plain.solver.variables,
        "nonzeros": plain.solver.nonzeros,
        "solve (s)": round(total, 2),
        "LP solve (s)": round(plain.solver.times["solve"], 2),
        "ranging (s)": round(plain.solver.times["ranging"], 3),
        "reasons (s)": round(plain.solver.times["reasons"], 3),
        "bands done": groups,
        "solve with them (s)": round(with_bands, 2),
        "waited for them (s)": round(banded.solver.times["bands"], 2),
        "bands (s)": round(seconds, 2),
        "s per band": round(seconds / groups, 4),
        "all bands (s)": round(seconds / groups * every, 1),
        "set by the rules": int(banded.bands["set_by_rules"].sum()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k", help="synthetic sizes (comma-separated)")
    ap.add_argument("--sample", type=int, default=10,
                    help="recipients banded at the synthetic sizes (0: all)")
    ap.add_argument("--need-penalty", type=float, default=DEFAULT_NEED_PENALTY,
                    help="the synthetic problems' need penalty (default the template's)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bands.md"))
    args = ap.parse_args(argv)
    rows = [measure("reference model", fo.read_workbook(MODEL), 0)]
    for size in [s for s in args.sizes.split(",") if s]:
        problem = generate(size, need_penalty=args.need_penalty)
        rows.append(measure(size, problem, args.sample if size != "10k" else 0))
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[k]) for k in head) + " |" for r in rows]
    text = (f"fundopt {fo.__version__}, HiGHS {highs_version()}, "
            f"{platform.processor() or platform.machine()}, python {platform.python_version()}"
            "\n\n" + "\n".join(lines) + "\n")
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
