"""The fundopt command line, through main() and once as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from fundopt import cli
from fundopt.errors import ExitCode
from fundopt.io import write_template


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_template(tmp_path / "budget.xlsx")


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("solve", "validate", "template", "Exit codes"):
        assert word in out


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == ExitCode.USAGE
    assert cli.main(["frobnicate"]) == ExitCode.USAGE
    assert cli.main(["validate"]) == ExitCode.USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_template_then_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new.xlsx"
    assert cli.main(["template", str(out)]) == 0
    assert cli.main(["template", str(out)]) == ExitCode.OUTPUT  # never overwritten silently
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["template", str(out), "--overwrite"]) == 0
    assert cli.main(["validate", str(out)]) == 0
    assert "is valid" in capsys.readouterr().out


def test_solve_writes_next_to_the_current_folder(workbook: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.chdir(run)
    assert cli.main(["solve", str(workbook)]) == 0
    out = capsys.readouterr().out
    for stage in ("read", "build", "solve", "verify", "write"):
        assert any(line.startswith(stage) and line.endswith(" s") for line in out.splitlines())
    result = run / "budget-plan.xlsx"
    assert f"wrote {result}" in out
    assert openpyxl.load_workbook(result)["Checks"]["B1"].value is True
    before = result.stat().st_mtime_ns
    assert cli.main(["solve", str(workbook)]) == ExitCode.OUTPUT
    assert result.stat().st_mtime_ns == before
    assert cli.main(["solve", str(workbook), "--overwrite"]) == 0


def test_solve_refuses_to_write_over_its_input(workbook: Path) -> None:
    data = workbook.read_bytes()
    assert cli.main(["solve", str(workbook), "-o", str(workbook), "--overwrite"]) == ExitCode.OUTPUT
    assert workbook.read_bytes() == data


def test_bad_input_prints_cells_and_no_traceback(workbook: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb["Envelopes"]["C2"] = "£10m"
    wb.save(workbook)
    out = tmp_path / "plan.xlsx"
    assert cli.main(["solve", str(workbook), "-o", str(out)]) == ExitCode.INPUT
    err = capsys.readouterr().err
    assert "FO-V06 'Envelopes'!C2:" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.xlsx")
    assert cli.main(["validate", missing]) == ExitCode.INPUT
    assert "Traceback" not in capsys.readouterr().err
    assert cli.main(["validate", missing, "--debug"]) == ExitCode.INPUT
    assert "Traceback" in capsys.readouterr().err


def test_solve_without_input_uses_the_reference_model_or_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        model = cli.model_path()
    except cli.UsageError:
        assert cli.main(["solve"]) == ExitCode.USAGE
        assert "reference model" in capsys.readouterr().err
        return
    assert model.name == cli.REFERENCE_MODEL
    assert cli.main(["solve"]) == 0
    assert (tmp_path / f"{model.stem}-plan.xlsx").is_file()


def test_model_path_finds_shipped_files() -> None:
    assert cli.model_path("template.xlsx").is_file()
    with pytest.raises(cli.UsageError):
        cli.model_path("no-such-model.xlsx")


def test_subprocess_bad_input_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("recipient,amount\n")
    env = {k: v for k, v in os.environ.items() if k != "FUNDOPT_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "fundopt.cli", "validate", str(bad)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == ExitCode.INPUT
    assert "FO-F08" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_subprocess_refuses_without_defusedxml(workbook: Path) -> None:
    env = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    proc = subprocess.run([sys.executable, "-m", "fundopt.cli", "validate", str(workbook)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == ExitCode.SECURITY
    assert "FO-E02" in proc.stderr
    assert "Traceback" not in proc.stderr
