"""The ``fundopt`` command: a thin layer over the public API.

    fundopt solve [IN.xlsx] [-o OUT.xlsx] [--overwrite] [--relax] [--[no-]bands] [--debug]
    fundopt replan PREVIOUS.xlsx IN.xlsx [-o OUT.xlsx] [--overwrite] [--relax] [--[no-]bands]
                   [--cut RATE]
    fundopt validate IN.xlsx
    fundopt template OUT.xlsx [--overwrite]
    fundopt compare [IN.xlsx] [-o OUT.xlsx] [--workers N] [--lp-only] [--overwrite] [--debug]
    fundopt --version

Each stage prints its time in plain words; a long one shows a progress line (with HiGHS's
phase and iterations while it solves; its method alone on an LP under 50,000 columns). The
output is checked before any solving (its folder writable, not the input, not a link to
nothing). Errors print their message only (no traceback unless ``--debug`` or
``FUNDOPT_DEBUG=1``) and exit with the error's code (docs/errors.md); Ctrl-C at any stage
stops quietly with exit code 130 and says what, if anything, was written. Nothing heavy is
imported until the arguments are understood, so ``fundopt --help`` is quick.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import sysconfig
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

from fundopt.errors import (
    ExitCode,
    FundoptError,
    InfeasibleError,
    InputError,
    Issue,
    OutputError,
    Severity,
)

if TYPE_CHECKING:  # the heavy imports wait until a command runs, so --help is quick
    from fundopt.io.sheet_spec import SheetSpec
    from fundopt.plan import Plan
    from fundopt.problem import FundingProblem
    from fundopt.problem.scenarios import Scenario
    from fundopt.reports.progress import Progress
    from fundopt.whatif.sweep import SweepResult

REFERENCE_MODEL = "england_wales_soc.xlsx"
MAX_ISSUES_SHOWN = 200
CANCELLED = 130  # the shell's code for a program stopped by Ctrl-C (128 + SIGINT)


class UsageError(FundoptError):
    """The command was called wrongly."""

    exit_code = ExitCode.USAGE
    code = "FO-U01"


class Cancelled(Exception):
    """Ctrl-C: the stage it stopped and the outputs already written."""

    def __init__(self, stage: str, written: Sequence[Path]) -> None:
        super().__init__(stage)
        self.stage, self.written = stage, tuple(written)


def model_path(name: str = REFERENCE_MODEL) -> Path:
    """Where a shipped model lives: ``models/`` of the source tree (editable or checkout
    installs), else ``share/fundopt/models`` of the installation (wheels, see pyproject)."""
    package = Path(__file__).resolve().parent
    candidates = [package.parent / "models" / name]
    for scheme in (None, f"{os.name}_user"):
        try:
            data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        except KeyError:
            continue
        candidates.append(Path(data) / "share" / "fundopt" / "models" / name)
    for path in candidates:
        if path.is_file():
            return path
    raise UsageError(
        f"no input workbook given, and the reference model '{name}' is not installed "
        f"(looked in {', '.join(str(c.parent) for c in candidates)}); "
        "give an input: fundopt solve IN.xlsx")


def _say(text: str, stream: Any = None) -> None:
    from fundopt.reports.progress import say

    say(text, stream or sys.stdout)


def _issue_line(issue: Issue) -> str:
    return f"  {issue.code} {issue}"


def _report_input_error(e: InputError) -> None:
    errors = [i for i in e.issues if i.severity is Severity.ERROR]
    head = f"error: {len(errors)} problem{'s' if len(errors) != 1 else ''} in the input"
    _say(head + (f" '{e.source}':" if e.source else ":"), sys.stderr)
    for issue in errors[:MAX_ISSUES_SHOWN]:
        _say(_issue_line(issue), sys.stderr)
    if len(errors) > MAX_ISSUES_SHOWN:
        _say(f"  ... and {len(errors) - MAX_ISSUES_SHOWN} more", sys.stderr)
    _report_warnings([i for i in e.issues if i.severity is Severity.WARNING])


def _report_warnings(warnings: Sequence[Issue]) -> None:
    for issue in warnings:
        _say(f"warning: {issue.code} {issue}", sys.stderr)


class _Run:
    """One command's run: its progress lines, HiGHS watched, and the outputs it writes
    (so a Ctrl-C can say truthfully whether anything was written)."""

    def __init__(self) -> None:
        from fundopt.reports.progress import Progress
        from fundopt.solver.watch import SolverWatch

        self.watch = SolverWatch()
        self.progress: Progress = Progress(self.watch)
        self.written: list[Path] = []
        self._before: dict[Path, tuple[int, int] | None] = {}
        self._stack = ExitStack()

    def __enter__(self) -> _Run:
        from fundopt.solver.watch import watching

        self._stack.enter_context(watching(self.watch))
        self._stack.enter_context(self.progress)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        stage = self.progress.stage_words
        self._stack.close()
        if isinstance(error, KeyboardInterrupt):
            written = self.written + [p for p, state in self._before.items()
                                      if p not in self.written and _state(p) != state]
            raise Cancelled(stage, written) from None

    def read(self, source: Path) -> FundingProblem:
        from fundopt.io import read_workbook

        self.progress.begin("read")
        t = time.perf_counter()
        problem = read_workbook(source)
        self.progress.done("read", time.perf_counter() - t)
        for issue in problem.warnings:
            self.progress.say(f"warning: {issue.code} {issue}", error=True)
        return problem

    def write(self, path: Path, write: Callable[[], Path]) -> Path:
        self._before.setdefault(path, _state(path))
        self.progress.begin("write")
        t = time.perf_counter()
        written = write()
        self.written.append(written)
        self.progress.done("write", time.perf_counter() - t)
        return written


def _state(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _source(given: str | None, run_say: Callable[[str], None]) -> Path:
    if given:
        return Path(given)
    path = model_path()
    run_say(f"no workbook given: using the shipped reference model {path} "
            "(fundopt solve IN.xlsx plans your own)")
    return path


def cmd_solve(args: argparse.Namespace) -> int:
    from fundopt.io import write_workbook
    from fundopt.io.atomic import check_target
    from fundopt.plan.solve import solve

    with _Run() as run:
        source = _source(args.input, run.progress.say)
        out = Path(args.output) if args.output else Path.cwd() / f"{source.stem}-plan.xlsx"
        check_target(out, overwrite=args.overwrite, protect=[source])  # fail before solving
        problem = run.read(source)
        bands, skipped = _bands_choice(args, problem)
        try:
            plan = solve(problem, progress=run.progress.done,
                         on_infeasible="relax" if args.relax else "raise", bands=bands)
        except InfeasibleError as e:
            _write_diagnosis(run, e, out.with_name(f"{out.stem}-diagnosis.xlsx"), args, source)
            raise
        if bands:
            run.progress.done("bands", plan.solver.times["bands"])
        written = run.write(out, lambda: write_workbook(plan, out, input_path=source,
                                                        overwrite=args.overwrite))
        _report_plan(run.progress, plan, written, bands_skipped=skipped)
    if not plan.passed:
        _say("error: FO-L13 the plan failed its checks; see the Checks sheet", sys.stderr)
        return int(ExitCode.SOLVER)
    return int(ExitCode.OK)


def cmd_replan(args: argparse.Namespace) -> int:
    from fundopt.io import write_workbook
    from fundopt.io.atomic import check_target
    from fundopt.io.previous_plan import read_previous_plan
    from fundopt.plan.replan import replan

    with _Run() as run:
        before, source = Path(args.previous), Path(args.input)
        out = Path(args.output) if args.output else Path.cwd() / f"{source.stem}-replan.xlsx"
        check_target(out, overwrite=args.overwrite, protect=[source, before])
        run.progress.begin("read the previous plan")
        t = time.perf_counter()
        previous = read_previous_plan(before)
        run.progress.done("read the previous plan", time.perf_counter() - t,
                          f"{len(previous.table):,} figures")
        problem = run.read(source)
        bands, skipped = _bands_choice(args, problem)
        try:
            plan = replan(previous, problem, progress=run.progress.done,
                          on_infeasible="relax" if args.relax else "raise", bands=bands)
        except InfeasibleError as e:
            _write_diagnosis(run, e, out.with_name(f"{out.stem}-diagnosis.xlsx"), args, source)
            raise
        if bands:
            run.progress.done("bands", plan.solver.times["bands"])
        extra = _cut_sheet(run.progress, plan, args.cut) if args.cut is not None else {}
        written = run.write(out, lambda: write_workbook(plan, out, input_path=source,
                                                        overwrite=args.overwrite,
                                                        extra_sheets=extra))
        _report_changes(run.progress, plan)
        _report_plan(run.progress, plan, written, bands_skipped=skipped)
    if not plan.passed:
        _say("error: FO-L13 the plan failed its checks; see the Checks sheet", sys.stderr)
        return int(ExitCode.SOLVER)
    return int(ExitCode.OK)


def _cut_rate(text: str) -> float:
    """``--cut``: a share as 2% or 0.02, above 0 and below 1."""
    try:
        rate = float(text.strip().removesuffix("%")) / (100 if text.strip().endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a share such as 2% or 0.02, not {text!r}") from None
    if not 0 < rate < 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 100%, not {text!r}")
    return rate


def _cut_sheet(progress: Progress, plan: Plan, rate: float) -> dict[str, Any]:
    """The *Envelope cut* sheet: what a cut of ``rate`` in each year's envelopes would move."""
    from fundopt.io import ExtraSheet
    from fundopt.whatif.certainty import cut_effect

    progress.begin("envelope cut")
    t = time.perf_counter()
    table = cut_effect(plan, rate)
    progress.done("envelope cut", time.perf_counter() - t,
                  f"{len(plan.problem.horizon)} re-plans")
    note = (f"What a cut of {rate:.1%} in every envelope of one year would move, re-planning "
            "this plan from itself with each promise priced at its Negotiability penalty: "
            "per year cut and recipient, the confirmed and indicative money that moves and "
            "the promises broken.")
    return {"Envelope cut": ExtraSheet(table, money_columns=("confirmed_moved",
                                                            "indicative_moved"), note=note)}


def _report_changes(progress: Progress, plan: Plan) -> None:
    """The re-plan against the previous plan, in two lines: the promises, and the rest."""
    from fundopt.reports.certainty import change_lines

    for line in change_lines(plan):
        progress.say(line)


#: Without --bands or --no-bands, bands (the least and the most each recipient could get
#: among equally good plans, which tell the reasons "set by the rules" from "a choice")
#: are worked out when the problem has at most this many recipient-years: the reference
#: model has 224 (about 0.15 s more, beside the solve), a 250-recipient, six-year problem
#: 1,500.
AUTO_BANDS_RECIPIENT_YEARS = 500


def _recipient_years(problem: FundingProblem) -> int:
    """How many (recipient, year) pairs of the horizon the recipients are funded in."""
    from fundopt.problem.validation import rows, year_start

    starts = [year_start(t) for t in problem.horizon]
    n = 0
    for _, r in rows(problem.recipients):
        first = year_start(str(r["first_year"])) if r["first_year"] else -1
        last = year_start(str(r["last_year"])) if r["last_year"] else 10_000
        n += sum(first <= y <= last for y in starts)
    return n


def _bands_choice(args: argparse.Namespace, problem: FundingProblem) -> tuple[bool, str]:
    """Whether to work out bands, and, when the user did not say and the problem is too
    large for the default, the line that says so (empty otherwise)."""
    if args.bands is not None:
        return bool(args.bands), ""
    n = _recipient_years(problem)
    if n <= AUTO_BANDS_RECIPIENT_YEARS:
        return True, ""
    return False, (f"bands      not worked out: {n:,} recipient-years (more than "
                   f"{AUTO_BANDS_RECIPIENT_YEARS:,}); add --bands to tell each number the "
                   "rules set from each that is a choice")


def _report_plan(progress: Progress, plan: Plan, written: Path, *,
                 bands_skipped: str = "") -> None:
    from fundopt.reports.summary import objective_sentence

    relaxed = plan.status.value == "relaxed"
    n, failed = len(plan.checks), int((~plan.checks["passed"].astype(bool)).sum())
    status = ("RELAXED: the rules could not all hold" if relaxed else
              "optimal: the best plan that keeps every rule")
    checks = (f"passed: all {n:,} checks of every rule" if not failed else
              f"FAILED: {failed:,} of {n:,} checks")
    progress.say(f"status     {status}")
    progress.say(f"value      {objective_sentence(plan)}")
    progress.say(f"checks     {checks}, on the whole-pound plan")
    if len(plan.bands):
        pinned = int(plan.bands["set_by_rules"].sum())
        progress.say(f"bands      {pinned:,} of {len(plan.bands):,} recipient-years are set by "
                     f"the rules and the policy; {len(plan.bands) - pinned:,} are choices among "
                     "equally good plans (see the Bands sheet)")
    elif bands_skipped:
        progress.say(bands_skipped)
    progress.say(f"wrote      {written}")
    if relaxed:
        progress.say(f"warning: the rules could not all hold; {len(plan.breaches)} promise(s) "
                     "were broken at least cost (see the Breaches sheet)", error=True)


def _write_diagnosis(run: _Run, error: InfeasibleError, path: Path, args: argparse.Namespace,
                     source: Path) -> None:
    """Write why the rules cannot all hold next to the asked-for output; a failure to write
    it is reported but never hides the infeasibility itself."""
    from fundopt.io.diagnosis import write_diagnosis

    try:
        written = run.write(path, lambda: write_diagnosis(error, path, overwrite=args.overwrite,
                                                          input_path=source))
    except OutputError as e:
        run.progress.say(f"warning: {e.code} the diagnosis was not written: {e.message}",
                         error=True)
        return
    run.progress.say(f"wrote {written} (why the rules cannot all hold)")


def cmd_compare(args: argparse.Namespace) -> int:
    from fundopt.io.atomic import check_target
    from fundopt.io.compare import write_compare
    from fundopt.io.scenarios import read_scenarios

    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    with _Run() as run:
        source = _source(args.input, run.progress.say)
        out = Path(args.output) if args.output else Path.cwd() / f"{source.stem}-compare.xlsx"
        check_target(out, overwrite=args.overwrite, protect=[source])  # fail before solving
        problem = run.read(source)
        run.progress.begin("scenarios")
        t = time.perf_counter()
        scenarios = read_scenarios(source, problem)
        run.progress.done("scenarios", time.perf_counter() - t, f"{len(scenarios)} found")
        if not scenarios:
            raise UsageError(
                f"'{source.name}' lists no scenarios: add a sheet named Scenarios, one row per "
                "change (a fresh template, fundopt template NEW.xlsx, has one with an example, "
                "and its Instructions sheet explains each column)")
        if args.workers > 1:
            result = _compare_in_parallel(run, problem, scenarios, args)
        else:
            result = _compare_here(run, problem, scenarios, not args.lp_only)
        extra = _compare_winners(run.progress, problem, scenarios, result)
        written = run.write(out, lambda: write_compare(
            result, out, problem.settings.money_unit, scenarios=scenarios,
            overwrite=args.overwrite, input_path=source, problem=problem, extra_sheets=extra))
        for row in result.summary.to_dict("records"):
            run.progress.say(f"{row['scenario']}: {_outcome({str(k): v for k, v in row.items()})}")
        run.progress.say(f"wrote {written}")
    if result.base.status != "optimal":
        _say(f"error: FO-L01 the workbook itself has no plan: {result.base.message}",
             sys.stderr)
        return int(ExitCode.INFEASIBLE)
    return int(ExitCode.OK)


def _compare_winners(progress: Progress, problem: FundingProblem, scenarios: Sequence[Scenario],
                     result: SweepResult) -> dict[str, SheetSpec]:
    """The *Winners and losers* sheet of a comparison, and each scenario's largest winner
    and loser against today's method, printed (only a material change names anyone)."""
    from fundopt.explain.todays_method import scenarios_against_todays_method
    from fundopt.io.winners import SHEET, compare_spec
    from fundopt.reports.summary import Names, money_change, winners_and_losers

    progress.begin("winners")
    started = time.perf_counter()
    if result.plans:  # each scenario's own problem, already applied
        tables = {name: plan.against_todays_method for name, plan in result.plans.items()}
        tables = {name: t for name, t in tables.items() if len(t)}
    else:
        tables = scenarios_against_todays_method(problem, scenarios, result.allocations)
    if tables:
        progress.done("winners", time.perf_counter() - started)
    names = Names(problem).recipient
    for name, table in tables.items():
        up, down = winners_and_losers(table, names, largest=1)
        said = [f"{side} {t['name'][0]} {money_change(float(t['difference'][0]))}"
                for side, t in (("largest winner", up), ("largest loser", down)) if len(t)]
        progress.say(f"  {name}: against today's method, "
                     f"{', '.join(said) if said else 'no material change'}")
    return {SHEET: compare_spec(tables)} if tables else {}


def _outcome(row: dict[str, Any]) -> str:
    """A scenario's line: its status and its value, in £m of value (on the base's)."""
    from fundopt.reports.summary import millions, money_change

    if row["status"] != "optimal":
        return f"{row['status']}; {row['message']}"
    if row["scenario"] == "base":
        return f"optimal; value {millions(float(row['objective']))} of value"
    return f"optimal; value {money_change(float(row['objective_change']))} of value on the base"


def _compare_here(run: _Run, problem: FundingProblem, scenarios: Sequence[Any],
                  whole_pounds: bool) -> SweepResult:
    """The base, then each scenario in turn, each reported as it finishes (what
    :func:`fundopt.compare` does in this process)."""
    from fundopt.whatif.result import collect
    from fundopt.whatif.sweep import SweepEngine

    n = len(scenarios)
    run.progress.begin("solve the base")
    t = time.perf_counter()
    engine = SweepEngine(problem, keep_plans=whole_pounds, whole_pounds=whole_pounds)
    run.progress.done("solve the base", time.perf_counter() - t, engine.base.status.value)
    outcomes = []
    for i, scenario in enumerate(scenarios, start=1):
        stage = f"scenario {i} of {n}"
        run.progress.begin(f"{stage}: {scenario.name}")
        t = time.perf_counter()
        outcomes.append(engine.solve(scenario))
        run.progress.done(stage, time.perf_counter() - t,
                          f"{scenario.name}: {outcomes[-1].status.value}")
    return collect(engine.base, [engine.base, *outcomes], problem.horizon, engine.plans)


def _compare_in_parallel(run: _Run, problem: FundingProblem, scenarios: Sequence[Any],
                         args: argparse.Namespace) -> SweepResult:
    """Scenarios in ``--workers`` processes that ignore Ctrl-C (this process stops them)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from fundopt.whatif.sweep import compare

    run.progress.begin(f"solve {len(scenarios)} scenarios in {args.workers} processes")
    t = time.perf_counter()
    pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_ignore_ctrl_c)
    try:
        result = compare(problem, scenarios, executor=pool, progress=True,
                         whole_pounds=not args.lp_only)
    except KeyboardInterrupt:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()  # their scenarios are abandoned: nothing of theirs is written
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    run.progress.done("solve", time.perf_counter() - t)
    return result


def _ignore_ctrl_c() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def cmd_validate(args: argparse.Namespace) -> int:
    with _Run() as run:
        problem = run.read(Path(args.input))
    counts = ", ".join(f"{n} {name}" for name, n in problem.summary().items() if n)
    _say(f"ok: '{args.input}' is valid ({counts}); {len(problem.warnings)} warning(s)")
    return int(ExitCode.OK)


def cmd_template(args: argparse.Namespace) -> int:
    from fundopt.io import write_template

    with _Run() as run:
        path = Path(args.output)
        written = run.write(path, lambda: write_template(path, overwrite=args.overwrite))
    _say(f"wrote a blank template to {written}")
    return int(ExitCode.OK)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fundopt")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="show the full traceback on errors (or set FUNDOPT_DEBUG=1)")
    parser = argparse.ArgumentParser(
        prog="fundopt", parents=[common],
        description="Plan multi-year police funding from an Excel workbook.",
        epilog="Exit codes: 0 ok, 1 internal error, 2 usage, 3 input, 4 infeasible, "
               "5 solver, 6 output, 7 security refusal, 130 stopped by Ctrl-C "
               "(docs/errors.md).")
    parser.add_argument("--version", action="version", version=f"fundopt {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    solve = sub.add_parser("solve", parents=[common], help="solve a workbook and write the plan",
                           description="Read IN.xlsx (default: the shipped reference model), "
                           "solve it and write the plan to a new workbook (with a Winners and "
                           "losers sheet against today's method when the Baselines sheet says "
                           "which stream paid each baseline).")
    solve.add_argument("input", nargs="?", metavar="IN.xlsx")
    solve.add_argument("-o", "--output", metavar="OUT.xlsx",
                       help="where to write the plan (default: IN-plan.xlsx in this folder)")
    solve.add_argument("--overwrite", action="store_true", help="replace OUT.xlsx if it exists")
    solve.add_argument("--relax", action="store_true",
                       help="if the rules cannot all hold, break the cheapest promises (in the "
                            "order of the Negotiability sheet) and write that plan, flagged "
                            "RELAXED, instead of stopping")
    solve.add_argument("--bands", action=argparse.BooleanOptionalAction, default=None,
                       help="work out, for every recipient and year, the least and the most "
                            "it could get among equally good plans, so the Reasons sheet "
                            "tells the numbers the rules set from the choices (about 0.15 s more "
                            "on the reference model). Default: on when the problem has at "
                            f"most {AUTO_BANDS_RECIPIENT_YEARS} recipient-years")
    solve.set_defaults(run=cmd_solve)
    again = sub.add_parser(
        "replan", parents=[common], help="re-plan from a previous plan, keeping its promises",
        description="Read the plan in PREVIOUS.xlsx (a results workbook fundopt solve or "
        "replan wrote: its Settlement sheet) and the new budget IN.xlsx, and solve IN.xlsx "
        "holding every figure PREVIOUS.xlsx confirmed, keeping its indicative figures within "
        "their tolerance and giving cuts the notice the Notice periods sheet asks; write the "
        "plan with a Changes sheet (previous, new, change and why, per recipient and year). "
        "When the new envelopes cannot keep every promise, it says which and the cheapest "
        "break, naming cells in both workbooks.")
    again.add_argument("previous", metavar="PREVIOUS.xlsx")
    again.add_argument("input", metavar="IN.xlsx")
    again.add_argument("-o", "--output", metavar="OUT.xlsx",
                       help="where to write the plan (default: IN-replan.xlsx in this folder)")
    again.add_argument("--overwrite", action="store_true", help="replace OUT.xlsx if it exists")
    again.add_argument("--relax", action="store_true",
                       help="if the promises cannot all hold, break the cheapest (in the order "
                            "of the Negotiability sheet: tolerance, notice, then confirmed "
                            "figures) and write that plan, flagged RELAXED, instead of stopping")
    again.add_argument("--bands", action=argparse.BooleanOptionalAction, default=None,
                       help="work out the least and the most each recipient could get among "
                            "equally good plans (default: on when the problem has at most "
                            f"{AUTO_BANDS_RECIPIENT_YEARS} recipient-years)")
    again.add_argument("--cut", type=_cut_rate, metavar="RATE",
                       help="also say how much confirmed and indicative money a cut of RATE "
                            "(e.g. 2%%) in one year's envelopes would move, year by year (sheet "
                            "Envelope cut; one re-plan per year, about 2 s each on the "
                            "reference model)")
    again.set_defaults(run=cmd_replan)
    comp = sub.add_parser("compare", parents=[common],
                          help="solve the scenarios on the Scenarios sheet and compare them",
                          description="Read IN.xlsx (default: the shipped reference model), "
                          "solve it and every scenario on its Scenarios sheet, and write the "
                          "comparison to a new workbook, each scenario also against today's "
                          "method (sheet Winners and losers).")
    comp.add_argument("input", nargs="?", metavar="IN.xlsx")
    comp.add_argument("-o", "--output", metavar="OUT.xlsx",
                      help="where to write the comparison (default: IN-compare.xlsx here)")
    comp.add_argument("--workers", type=int, default=1, metavar="N",
                      help="solve scenarios in N processes (default 1: this one, reporting "
                           "each scenario as it finishes)")
    comp.add_argument("--lp-only", action="store_true",
                      help="report each scenario's objective, binding rules and shadow prices "
                           "from the LP alone, about as fast as HiGHS re-solves it: no "
                           "whole-pound allocations, not verified (a first look at many "
                           "scenarios); the base is solved in full as usual")
    comp.add_argument("--overwrite", action="store_true", help="replace OUT.xlsx if it exists")
    comp.set_defaults(run=cmd_compare)
    validate = sub.add_parser("validate", parents=[common], help="check a workbook, no solve")
    validate.add_argument("input", metavar="IN.xlsx")
    validate.set_defaults(run=cmd_validate)
    template = sub.add_parser("template", parents=[common], help="write a blank input template")
    template.add_argument("output", metavar="OUT.xlsx")
    template.add_argument("--overwrite", action="store_true", help="replace OUT.xlsx if it exists")
    template.set_defaults(run=cmd_template)
    return parser


def run() -> NoReturn:
    """The ``fundopt`` command (and ``python -m fundopt.cli``): :func:`main`, then out.

    When ``main`` returns, everything the command makes is written and closed. The process
    then runs its exit handlers (HiGHS's log files are removed, logging flushed), flushes
    its output and leaves without Python's own teardown, which frees every object one by
    one: about 0.25 s after a solve of the reference model, a tenth of the whole command.
    """
    code = main()
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # a closed pipe, a Ctrl-C now: leave the usual way
        sys.exit(code)
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # before or after a command's own run (parsing, printing)
        _say("cancelled (Ctrl-C)", sys.stderr)
        return CANCELLED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error argparse already explained
        return e.code if isinstance(e.code, int) else int(ExitCode.USAGE)
    debug = bool(getattr(args, "debug", False)) or os.environ.get("FUNDOPT_DEBUG") == "1"
    if getattr(args, "run", None) is None:
        parser.print_help()
        return int(ExitCode.USAGE)
    try:
        return int(args.run(args))
    except Cancelled as e:
        _report_cancelled(e)
        return CANCELLED
    except InputError as e:
        if debug:
            traceback.print_exc()
        _report_input_error(e)
        return int(e.exit_code)
    except FundoptError as e:
        if debug:
            traceback.print_exc()
        _say(f"error: {e.code} {e.message}", sys.stderr)
        return int(e.exit_code)
    except Exception as e:
        if debug:
            traceback.print_exc()
        _say(f"internal error: {type(e).__name__}: {e}", sys.stderr)
        _say("this is a bug in fundopt; run again with --debug and report the output",
             sys.stderr)
        return int(ExitCode.INTERNAL)


def _report_cancelled(e: Cancelled) -> None:
    during = f" during '{e.stage}'" if e.stage else ""
    if e.written:
        done = ", ".join(str(p) for p in e.written)
        _say(f"cancelled (Ctrl-C){during}; already written: {done}", sys.stderr)
    else:
        _say(f"cancelled (Ctrl-C){during}; nothing was written", sys.stderr)


if __name__ == "__main__":
    run()
