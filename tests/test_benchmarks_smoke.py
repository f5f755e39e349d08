"""The benchmark runs end to end at its smallest size (no timing assertions).

Every approach must reach fundopt's optimal objective: ``benchmarks/run.py`` checks it and
fails otherwise. The linopy leg is skipped when linopy is not installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not (ROOT / "benchmarks" / "run.py").exists(), reason="no benchmarks/")
def test_benchmark_smallest_size(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "run.py"),
        "--sizes",
        "2k",
        "--repeats",
        "1",
        "--scenarios",
        "3",
        "--rebuild",
        "1",
        "--out",
        str(tmp_path),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / "results.json").read_text())
    approaches = {r["approach"] for r in result["results"]}
    assert {"highs", "fundopt", "pyomo"} <= approaches
    assert {"sweep_highs", "sweep_fundopt", "sweep_fundopt_lp", "sweep_rebuild"} <= approaches
    for r in result["results"]:
        if r["objective_rel_diff"] is not None:
            assert r["objective_rel_diff"] <= 1e-6
    assert "| fundopt | 2k |" in (tmp_path / "results.md").read_text()


@pytest.mark.skipif(not (ROOT / "benchmarks" / "options.py").exists(), reason="no benchmarks/")
def test_solver_options_benchmark_smallest_size(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "options.py"), "--sizes", "2k",
           "--variants", "pinned,presolve_off,ipm_crossover", "--cache", str(tmp_path / "c"),
           "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = json.loads((tmp_path / "options.json").read_text())
    assert [r["variant"] for r in rows] == ["pinned", "presolve_off", "ipm_crossover"]
    assert all(r["status"] == "Optimal" for r in rows)  # and the same objective (checked)
    assert rows[0]["ratio"] == 1.0
