"""What a user waits for on the shipped model: start-up, --help and a whole `fundopt solve`.

Each measure runs as its own process (a fresh interpreter, as a user starts one), repeated;
the table gives medians, with the stages `fundopt solve` prints (read, build, solve, whole
pounds, check, write) beside the whole process, so reading and writing can be compared with
the solve. Run from the repository root on a quiet machine:

    python benchmarks/startup.py --repeats 5

Results also go to ``benchmarks/results/startup.md`` (every run's seconds in
``startup.json`` beside it).
"""

from __future__ import annotations

import argparse
import compileall
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "models" / "england_wales_soc.xlsx"
STAGE = re.compile(r"^(read the workbook|build the LP|load into solver|solve|whole pounds|"
                   r"check every rule|bands \(least, most\)|write the workbook|"
                   r"[a-z ]+tier[a-z ]*)\s+([\d.]+) s$")


def _run(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=True, cwd=ROOT)
    return time.perf_counter() - start, proc.stdout + proc.stderr


def compiled() -> None:
    """Bytecode for every module of the fundopt that runs, as ``pip install .`` leaves it.
    In a source checkout a module changed since Python last wrote its bytecode is compiled
    again by every process (and never saved, under PYTHONDONTWRITEBYTECODE): tenths of a
    second a process that a user's install never pays."""
    import fundopt

    compileall.compile_dir(Path(fundopt.__file__).parent, quiet=1)


def measure(repeats: int, model: Path) -> dict[str, list[float]]:
    compiled()
    py = sys.executable
    # the command a user types: the installed `fundopt` script beside this Python
    script = Path(py).parent / "fundopt"
    fundopt = [str(script)] if script.exists() else [py, "-m", "fundopt.cli"]
    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "plan.xlsx"
        legs = {
            "python alone": [py, "-c", "pass"],
            "import fundopt": [py, "-c", "import fundopt"],
            "import fundopt, then its first name (read_workbook)":
                [py, "-c", "import fundopt; fundopt.read_workbook"],
            "fundopt --help": [*fundopt, "--help"],
            "fundopt solve (whole process)":
                [*fundopt, "solve", str(model), "-o", str(target), "--overwrite"],
            "fundopt solve --no-bands (whole process)":
                [*fundopt, "solve", str(model), "-o", str(target), "--overwrite", "--no-bands"],
        }
        for _ in range(repeats):  # interleaved, so a busy spell hits every leg alike
            for name, args in legs.items():
                seconds, text = _run(args)
                out.setdefault(name, []).append(seconds)
                for line in text.splitlines():
                    m = STAGE.match(line.strip())
                    if m and name == "fundopt solve (whole process)":
                        out.setdefault(f"  stage: {m.group(1)}", []).append(float(m.group(2)))
    return out


def table(results: dict[str, list[float]], model: Path) -> str:
    lines = [f"Model: `{model.relative_to(ROOT)}`; {len(next(iter(results.values())))} runs "
             "each, interleaved; seconds.", "",
             "| measure | median | min | max |", "|---|---:|---:|---:|"]
    for name, values in results.items():
        lines.append(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | "
                     f"{max(values):.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", type=Path, default=REFERENCE)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "startup.md")
    args = parser.parse_args()
    results = measure(args.repeats, args.model.resolve())
    text = table(results, args.model.resolve())
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# Start-up and the shipped model\n\n" + text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
