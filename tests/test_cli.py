"""The fundopt command line, through main() and as a real subprocess: stages in plain
words with units, progress while a long stage runs, Ctrl-C at every stage, an output
folder checked before solving, --version, a quick --help."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from fundopt import cli
from fundopt.errors import ExitCode
from fundopt.io import write_template

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "models" / "england_wales_soc.xlsx"
STAGE_LINE = re.compile(r"^(?P<stage>[A-Za-z][A-Za-z ,()]+?) +(?P<seconds>\d+\.\d\d) s(?:   .*)?$")


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_template(tmp_path / "budget.xlsx")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FUNDOPT_DEBUG"}
    return {**env, **extra}


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("solve", "validate", "template", "compare", "--version", "Exit codes", "130"):
        assert word in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fundopt {version('fundopt')}"


def test_help_imports_nothing_heavy() -> None:
    # how long --help takes is measured in benchmarks/startup.py; here, why it is quick
    heavy = ("pandas", "numpy", "pyomo", "highspy", "scipy", "openpyxl", "matplotlib")
    probe = ("import sys; from fundopt.cli import main; main(['--help']); "
             f"print([m for m in sys.modules if m.split('.')[0] in {heavy!r}], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=_env(), timeout=60, check=True)
    assert proc.stderr.strip() == "[]"


def test_solving_and_writing_the_reference_model_never_imports_pyomo(tmp_path: Path) -> None:
    # Pyomo (with the SciPy modules it pulls in) costs about a second to import; the
    # default build is numbers only, so only own rules and via_pyomo may import it. Nor
    # is the network stack imported (xml.sax.saxutils brings in urllib.request, http and
    # ssl: about 20 ms of a command that never goes online)
    out = tmp_path / "plan.xlsx"
    probe = ("import sys; from fundopt.cli import main; "
             f"code = main(['solve', {str(REFERENCE)!r}, '-o', {str(out)!r}]); "
             "print(code, sorted({m.split('.')[0] for m in sys.modules} "
             "& {'pyomo', 'matplotlib', 'http', 'ssl'}), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=_env(), timeout=300, check=True)
    assert proc.stderr.splitlines()[-1] == "0 []", proc.stdout + proc.stderr
    assert out.exists()


def test_import_fundopt_is_light_until_a_name_is_used() -> None:
    probe = ("import sys, fundopt; light = 'pandas' not in sys.modules; "
             "fundopt.read_workbook; print(light, 'pandas' in sys.modules, "
             "sorted(fundopt.__all__) == sorted(set(fundopt.__all__) & set(dir(fundopt))))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=_env(), timeout=60, check=True)
    assert proc.stdout.split() == ["True", "True", "True"]


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
    captured = capsys.readouterr()
    assert "is valid" in captured.out
    assert "FO-S16 'Recipients'!A2: the template's example row is still here" in captured.err


def test_solve_writes_next_to_the_current_folder(workbook: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.chdir(run)
    assert cli.main(["solve", str(workbook)]) == 0
    out = capsys.readouterr().out
    stages = [m["stage"] for m in map(STAGE_LINE.match, out.splitlines()) if m]
    # plain words, not "handoff" or "round"
    assert stages == ["read the workbook", "build the LP", "load into solver", "solve",
                      "whole pounds", "check every rule", "bands (least, most)",
                      "write the workbook"]
    assert "status     optimal: the best plan that keeps every rule" in out
    assert re.search(r"^value      £[\d,]+\.\dm of value \(value of funding £[\d,]+\.\dm",
                     out, re.M)
    assert re.search(r"^checks     passed: all \d+ checks of every rule, on the whole-pound "
                     "plan$", out, re.M)
    result = run / "budget-plan.xlsx"
    assert f"wrote      {result}" in out
    assert openpyxl.load_workbook(result)["Checks"]["B1"].value is True
    before = result.stat().st_mtime_ns
    assert cli.main(["solve", str(workbook)]) == ExitCode.OUTPUT
    assert result.stat().st_mtime_ns == before
    assert cli.main(["solve", str(workbook), "--overwrite"]) == 0


def test_bands_are_worked_out_for_a_small_problem_unless_declined(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from builders import tiny

    from fundopt.io import write_problem

    # two forces equally valued: how the money splits between them is a choice
    workbook = write_problem(tiny(), tmp_path / "two.xlsx")

    def reasons(path: Path) -> list[str]:
        ws = openpyxl.load_workbook(path, read_only=True)["Reasons"]
        rows = list(ws.iter_rows(min_row=4, values_only=True))
        ws.parent.close()
        return [str(r[4]) for r in rows if r and r[0]]

    out = tmp_path / "plan.xlsx"
    assert cli.main(["solve", str(workbook), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"^bands      \d+ of \d+ recipient-years are set by the rules", said, re.M)
    assert set(reasons(out)) == {"choice"}
    assert cli.main(["solve", str(workbook), "-o", str(out), "--overwrite", "--no-bands"]) == 0
    said = capsys.readouterr().out
    assert not re.search(r"^bands ", said, re.M)
    assert set(reasons(out)) == {"policy or choice"}
    # a problem above the size bands are worked out for by default says how to ask
    monkeypatch.setattr(cli, "AUTO_BANDS_RECIPIENT_YEARS", 1)
    assert cli.main(["solve", str(workbook), "-o", str(out), "--overwrite"]) == 0
    said = capsys.readouterr().out
    assert re.search(r"^bands      not worked out: \d+ recipient-years \(more than 1\); add "
                     "--bands", said, re.M)
    assert cli.main(["solve", str(workbook), "-o", str(out), "--overwrite", "--bands"]) == 0
    assert "recipient-years are set by the rules" in capsys.readouterr().out


def test_solve_refuses_to_write_over_its_input(workbook: Path) -> None:
    data = workbook.read_bytes()
    assert cli.main(["solve", str(workbook), "-o", str(workbook), "--overwrite"]) == ExitCode.OUTPUT
    assert workbook.read_bytes() == data


def test_an_unwritable_folder_is_refused_before_solving(workbook: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    import fundopt.plan.solve

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved before the output was checked")

    monkeypatch.setattr(fundopt.plan.solve, "solve", never)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        probe = locked / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:  # root writes anywhere: this check needs an ordinary user
            probe.unlink()
            pytest.skip("running as root: a read-only folder is still writable")
        assert cli.main(["solve", str(workbook), "-o", str(locked / "plan.xlsx")]) == \
            ExitCode.OUTPUT
        err = capsys.readouterr().err
        assert "FO-O04" in err and f"cannot write in the folder '{locked}'" in err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_a_folder_the_system_refuses_is_refused_before_solving(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the same check as above where the test runs as root: the system's refusal (here
    # made up at the one place fundopt asks for a file) stops the run before it solves
    import tempfile

    import fundopt.plan.solve

    monkeypatch.setattr(fundopt.plan.solve, "solve", lambda *a, **k: pytest.fail("solved"))
    real = tempfile.mkstemp

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        if kwargs.get("dir") == tmp_path / "shared":
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)  # type: ignore[call-overload,no-any-return]

    (tmp_path / "shared").mkdir()
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "shared" / "plan.xlsx"
    assert cli.main(["solve", str(workbook), "-o", str(out)]) == ExitCode.OUTPUT
    assert "FO-O04 cannot write in the folder" in capsys.readouterr().err
    assert not out.exists()


def test_a_link_to_nothing_is_refused_before_solving(workbook: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "plan.xlsx"
    link.symlink_to(tmp_path / "gone" / "plan.xlsx")
    assert cli.main(["solve", str(workbook), "-o", str(link), "--overwrite"]) == ExitCode.OUTPUT
    err = capsys.readouterr().err
    assert "FO-O16" in err and "which does not exist" in err
    assert link.is_symlink() and not (tmp_path / "gone").exists()


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


def test_solve_without_input_uses_the_reference_model_and_says_so(
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
    out = capsys.readouterr().out
    assert out.startswith(f"no workbook given: using the shipped reference model {model}")
    assert (tmp_path / f"{model.stem}-plan.xlsx").is_file()


def test_model_path_finds_shipped_files() -> None:
    assert cli.model_path("template.xlsx").is_file()
    with pytest.raises(cli.UsageError):
        cli.model_path("no-such-model.xlsx")


def test_compare_without_a_scenarios_sheet_says_where_to_get_one(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb.remove(wb["Scenarios"])
    wb.save(workbook)
    assert cli.main(["compare", str(workbook), "-o", str(tmp_path / "c.xlsx")]) == \
        ExitCode.USAGE
    err = capsys.readouterr().err
    assert "lists no scenarios" in err and "fundopt template NEW.xlsx" in err
    assert ".py" not in err  # never a source file


def test_compare_reports_each_scenario_as_it_finishes(workbook: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "compare.xlsx"
    assert cli.main(["compare", str(workbook), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"^solve the base +\d+\.\d\d s   optimal$", said, re.M)
    assert re.search(r"^scenario 1 of 1 +\d+\.\d\d s   envelope \+10%: optimal$", said, re.M)
    assert re.search(r"^envelope \+10%: optimal; value \+£[\d.,]+[mk]? of value on the base$",
                     said, re.M)
    assert openpyxl.load_workbook(out).sheetnames[0] == "Summary"


def test_compare_in_worker_processes_gives_the_same_lines(workbook: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    serial, parallel = tmp_path / "serial.xlsx", tmp_path / "parallel.xlsx"
    assert cli.main(["compare", str(workbook), "-o", str(serial)]) == 0
    first = [line for line in capsys.readouterr().out.splitlines() if ": optimal" in line]
    assert cli.main(["compare", str(workbook), "-o", str(parallel), "--workers", "2"]) == 0
    second = [line for line in capsys.readouterr().out.splitlines() if ": optimal" in line
              and not line.startswith("scenario ")]
    assert [line for line in first if not line.startswith("scenario ")] == second
    assert cli.main(["compare", str(workbook), "--workers", "0"]) == ExitCode.USAGE


def test_progress_lines_name_the_stage_and_what_highs_is_doing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the reference model solves in about a second: lines every 0.1 s show it happening
    monkeypatch.setenv("FUNDOPT_PROGRESS_SECONDS", "0.1")
    assert cli.main(["solve", str(REFERENCE), "-o", str(tmp_path / "plan.xlsx")]) == 0
    err = capsys.readouterr().err.splitlines()
    solving = [line for line in err if line.startswith("  solve: ")]
    assert solving, err
    assert any(re.fullmatch(r"  solve: \d+ s \(HiGHS [a-z ]+(, [\d,]+ iterations)?\)", line)
               for line in solving), solving
    assert any(line.startswith("  write the workbook: ") for line in err), err


# -- a long solve and Ctrl-C, in a real process ------------------------------------------------
@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 127k-column problem (the 100k benchmark size): HiGHS takes several seconds."""
    sys.path.insert(0, str(ROOT))
    generate = pytest.importorskip("benchmarks.generate")
    from fundopt.io import write_problem

    # without the need term: on main its rows sum every allocation of a kind (16m nonzeros
    # here), and this test is about a long solve, not a long build
    problem = generate.generate("100k", need_penalty=0.0)
    return write_problem(problem, tmp_path_factory.mktemp("large") / "big.xlsx")


def _start(args: list[str], folder: Path, every: str = "0.05") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "fundopt.cli", *args], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(FUNDOPT_PROGRESS_SECONDS=every))


@contextlib.contextmanager
def _stopped_after(proc: subprocess.Popen[str]) -> Iterator[None]:
    """Kill ``proc`` if the test fails while it runs, and close its pipes either way, so a
    failure is that test's alone (not an open-file warning in a later test)."""
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _wait_for(proc: subprocess.Popen[str], wanted: re.Pattern[str]) -> list[str]:
    """Read standard error until a line matches ``wanted`` (the lines read)."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line.rstrip("\n"))
        if wanted.search(line):
            return seen
    raise AssertionError(f"never saw {wanted.pattern!r}: {seen}")


def test_a_long_solve_prints_progress_and_stops_at_ctrl_c(large: Path, tmp_path: Path) -> None:
    proc = _start(["solve", str(large), "-o", str(tmp_path / "plan.xlsx")], tmp_path, every="1")
    with _stopped_after(proc):
        seen = _wait_for(proc, re.compile(r"^  solve: \d+ s \(HiGHS [a-z ]+, [\d,]+ iterations\)$"))
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert time.perf_counter() - sent < 5  # HiGHS stopped at once, not at the end of its solve
    assert "cancelled (Ctrl-C) during 'solve'; nothing was written" in err
    assert "Traceback" not in err + out and "Exception ignored" not in err
    assert "load into solver" in out and "whole pounds" not in out
    assert sorted(os.listdir(tmp_path)) == [], seen


#: The progress line to wait for, and the stages the Ctrl-C may land in (a short stage may
#: end before the signal arrives); "solve" is the long solve above.
STAGES = {
    "read the workbook": ("read the workbook",),
    "build the LP": ("build the LP", "load into solver"),
    "whole pounds": ("whole pounds", "check every rule", "reasons and ranging",
                     "write the workbook"),
    "write the workbook": ("write the workbook",),
}
#: Seconds between progress lines, per stage: whole pounds takes about 0.05 s on the
#: reference model, so its line is asked for every 5 ms (the others last 0.3 s or more).
EVERY = {"whole pounds": "0.005"}


@pytest.mark.parametrize("stage", list(STAGES))
def test_ctrl_c_at_each_stage_is_quiet_and_writes_nothing(stage: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    target = tmp_path / "plan.xlsx"
    # the reference model builds its LP in under 0.1 s, too short to be sure of a progress
    # line to wait for: that stage is caught on the large problem
    source = request.getfixturevalue("large") if stage == "build the LP" else REFERENCE
    proc = _start(["solve", str(source), "-o", str(target)], tmp_path,
                  every=EVERY.get(stage, "0.05"))
    with _stopped_after(proc):
        _wait_for(proc, re.compile(rf"^  {stage}: \d+ s"))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    landed = re.search(r"cancelled \(Ctrl-C\) during '([^']+)'; nothing was written", err)
    assert landed and landed.group(1) in STAGES[stage], err
    assert "Traceback" not in out + err and "Exception ignored" not in err  # no ZipFile noise
    assert sorted(os.listdir(tmp_path)) == []  # no output, no temporary file


def test_ctrl_c_during_compare_is_quiet(tmp_path: Path) -> None:
    proc = _start(["compare", str(REFERENCE), "-o", str(tmp_path / "c.xlsx")], tmp_path)
    with _stopped_after(proc):
        _wait_for(proc, re.compile(r"^  scenario 2 of \d+: "))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "cancelled (Ctrl-C) during 'scenario 2 of" in err
    assert "Traceback" not in out + err and os.listdir(tmp_path) == []


def test_the_command_leaves_its_work_whole_when_it_skips_pythons_teardown(tmp_path: Path
                                                                          ) -> None:
    # `fundopt` (the console script, cli.run) leaves with os._exit once main returns: the
    # workbook is whole, the output printed, the exit code main's, and the exit handlers
    # ran (no HiGHS log file is left in the temporary folder)
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "plan.xlsx"
    script = Path(sys.executable).parent / "fundopt"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fundopt.cli"]
    proc = subprocess.run([*command, "solve", str(REFERENCE), "-o", str(out), "--no-bands"],
                          capture_output=True, text=True, env=_env(TMPDIR=str(temp)),
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith(f"wrote      {out}")
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[0] == "Summary" and "Audit" in book.sheetnames
    book.close()
    assert os.listdir(temp) == []
    again = subprocess.run([*command, "solve", str(REFERENCE), "-o", str(out)],
                           capture_output=True, text=True, env=_env(TMPDIR=str(temp)),
                           timeout=300, check=False)
    assert again.returncode == ExitCode.OUTPUT and "already exists" in again.stderr


def test_the_command_runs_the_exit_handlers_before_it_leaves(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    probe = ("import atexit, sys; from fundopt import cli; "
             f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran')); "
             "sys.argv = ['fundopt', '--version']; cli.run()")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=_env(), timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("fundopt ")
    assert marker.read_text() == "ran"


def test_a_full_disk_is_reported_without_a_traceback(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        proc = subprocess.run([sys.executable, "-m", "fundopt.cli", "solve", str(REFERENCE),
                               "-o", str(disk / "plan.xlsx")], capture_output=True, text=True,
                              env=_env(), timeout=300, check=False)
        assert proc.returncode == ExitCode.OUTPUT, proc.stderr
        assert "FO-O05 not enough disk space to write 'plan.xlsx'; nothing was written" in \
            proc.stderr
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
        assert os.listdir(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_subprocess_bad_input_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("recipient,amount\n")
    proc = subprocess.run([sys.executable, "-m", "fundopt.cli", "validate", str(bad)],
                          capture_output=True, text=True, env=_env(), timeout=120, check=False)
    assert proc.returncode == ExitCode.INPUT
    assert "FO-F08" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_subprocess_refuses_without_defusedxml(workbook: Path) -> None:
    env = _env(OPENPYXL_DEFUSEDXML="False")
    proc = subprocess.run([sys.executable, "-m", "fundopt.cli", "validate", str(workbook)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == ExitCode.SECURITY
    assert "FO-E02" in proc.stderr
    assert "Traceback" not in proc.stderr
