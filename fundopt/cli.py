"""The ``fundopt`` command: a thin layer over the public API.

    fundopt solve [IN.xlsx] [-o OUT.xlsx] [--overwrite] [--relax] [--bands] [--debug]
    fundopt validate IN.xlsx
    fundopt template OUT.xlsx [--overwrite]
    fundopt compare [IN.xlsx] [-o OUT.xlsx] [--workers N] [--lp-only] [--overwrite] [--debug]

Errors print their message only (no traceback unless ``--debug`` or ``FUNDOPT_DEBUG=1``)
and exit with the error's code (docs/errors.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

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
    from fundopt.io.xlsx import ExtraSheet
    from fundopt.problem import FundingProblem
    from fundopt.problem.scenarios import Scenario
    from fundopt.whatif.sweep import SweepResult

REFERENCE_MODEL = "england_wales_soc.xlsx"
MAX_ISSUES_SHOWN = 200


class UsageError(FundoptError):
    """The command was called wrongly."""

    exit_code = ExitCode.USAGE
    code = "FO-U01"


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


def _say(text: str, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    try:
        print(text, file=stream)
    except UnicodeEncodeError:  # a console that cannot show '£'
        encoding = getattr(stream, "encoding", None) or "ascii"
        print(text.encode(encoding, "replace").decode(encoding), file=stream)


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


def _stage(name: str, seconds: float) -> None:
    _say(f"{name:<8} {seconds:7.2f} s")


def _read(path: Path) -> FundingProblem:
    from fundopt.io import read_workbook

    t = time.perf_counter()
    problem = read_workbook(path)
    _stage("read", time.perf_counter() - t)
    _report_warnings(problem.warnings)
    return problem


def cmd_solve(args: argparse.Namespace) -> int:
    from fundopt.io import write_workbook
    from fundopt.io.atomic import check_target
    from fundopt.plan.solve import solve

    source = Path(args.input) if args.input else model_path()
    out = Path(args.output) if args.output else Path.cwd() / f"{source.stem}-plan.xlsx"
    check_target(out, overwrite=args.overwrite, protect=[source])  # fail before solving
    problem = _read(source)
    try:
        plan = solve(problem, progress=_stage, on_infeasible="relax" if args.relax else "raise",
                     bands=args.bands)
    except InfeasibleError as e:
        _write_diagnosis(e, out.with_name(f"{out.stem}-diagnosis.xlsx"), args, source)
        raise
    t = time.perf_counter()
    written = write_workbook(plan, out, input_path=source, overwrite=args.overwrite)
    _stage("write", time.perf_counter() - t)
    _say(f"status: {plan.status.value}; objective {plan.objective:,.2f}; "
         f"master check {'passed' if plan.passed else 'FAILED'}")
    _say(f"wrote {written}")
    if args.bands:
        _stage("bands", plan.solver.times["bands"])
        pinned = int(plan.bands["set_by_rules"].sum())
        _say(f"bands: {pinned} of {len(plan.bands)} recipient-years are set by the rules and "
             f"the policy; {len(plan.bands) - pinned} are choices among equally good plans")
    if plan.status.value == "relaxed":
        _say(f"warning: the rules could not all hold; {len(plan.breaches)} promise(s) were "
             "broken at least cost (see the Breaches sheet)", sys.stderr)
    if not plan.passed:
        _say("error: FO-L13 the plan failed its checks; see the Checks sheet", sys.stderr)
        return int(ExitCode.SOLVER)
    return int(ExitCode.OK)


def _write_diagnosis(error: InfeasibleError, path: Path, args: argparse.Namespace,
                     source: Path) -> None:
    """Write why the rules cannot all hold next to the asked-for output; a failure to write
    it is reported but never hides the infeasibility itself."""
    from fundopt.io.diagnosis import write_diagnosis

    try:
        written = write_diagnosis(error, path, overwrite=args.overwrite, input_path=source)
    except OutputError as e:
        _say(f"warning: {e.code} the diagnosis was not written: {e.message}", sys.stderr)
        return
    _say(f"wrote {written} (why the rules cannot all hold)")


def cmd_compare(args: argparse.Namespace) -> int:
    from fundopt.io.atomic import check_target
    from fundopt.io.compare import write_compare
    from fundopt.io.scenarios import read_scenarios
    from fundopt.whatif.sweep import compare, process_pool

    source = Path(args.input) if args.input else model_path()
    out = Path(args.output) if args.output else Path.cwd() / f"{source.stem}-compare.xlsx"
    check_target(out, overwrite=args.overwrite, protect=[source])  # fail before solving
    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    problem = _read(source)
    t = time.perf_counter()
    scenarios = read_scenarios(source, problem)
    _stage("scenarios", time.perf_counter() - t)
    if not scenarios:
        raise UsageError(f"'{source.name}' lists no scenarios: add a sheet named Scenarios "
                         "(one row per override; see fundopt/io/scenarios.py)")
    t = time.perf_counter()
    whole_pounds = not args.lp_only
    if args.workers > 1:
        with process_pool(args.workers) as pool:
            result = compare(problem, scenarios, executor=pool, whole_pounds=whole_pounds,
                             keep_plans=whole_pounds)
    else:
        result = compare(problem, scenarios, whole_pounds=whole_pounds, keep_plans=whole_pounds)
    _stage("solve", time.perf_counter() - t)
    t = time.perf_counter()
    extra = _compare_winners(problem, scenarios, result)
    written = write_compare(result, out, problem.settings.money_unit, scenarios=scenarios,
                            overwrite=args.overwrite, input_path=source, extra_sheets=extra)
    _stage("write", time.perf_counter() - t)
    for row in result.summary.to_dict("records"):
        change = (f"objective {float(row['objective_change']):+,.2f}"
                  if row["status"] == "optimal" else str(row["message"]))
        _say(f"{row['scenario']}: {row['status']}; {change}")
    _say(f"wrote {written}")
    if result.base.status != "optimal":
        _say(f"error: FO-L01 the workbook itself has no plan: {result.base.message}",
             sys.stderr)
        return int(ExitCode.INFEASIBLE)
    return int(ExitCode.OK)


def _compare_winners(problem: FundingProblem, scenarios: Sequence[Scenario],
                     result: SweepResult) -> dict[str, ExtraSheet]:
    """The *Winners and losers* sheet of a comparison, and each scenario's largest winner
    and loser against today's method, printed."""
    from fundopt.explain.todays_method import largest, scenarios_against_todays_method
    from fundopt.io.winners import SHEET, compare_sheet

    if result.plans:  # each scenario's own problem, already applied
        tables = {name: plan.against_todays_method for name, plan in result.plans.items()}
        tables = {name: t for name, t in tables.items() if len(t)}
    else:
        tables = scenarios_against_todays_method(problem, scenarios, result.allocations)
    for name, table in tables.items():
        up, down = largest(table, 1, kind=None)
        if len(up) and len(down):
            _say(f"  {name}: against today's method, largest winner {up['name'][0]} "
                 f"{up['difference'][0] / 1e6:+,.1f}m, largest loser {down['name'][0]} "
                 f"{down['difference'][0] / 1e6:+,.1f}m")
    return {SHEET: compare_sheet(tables)} if tables else {}


def cmd_validate(args: argparse.Namespace) -> int:
    problem = _read(Path(args.input))
    counts = ", ".join(f"{n} {name}" for name, n in problem.summary().items() if n)
    _say(f"ok: '{args.input}' is valid ({counts}); {len(problem.warnings)} warning(s)")
    return int(ExitCode.OK)


def cmd_template(args: argparse.Namespace) -> int:
    from fundopt.io import write_template

    written = write_template(args.output, overwrite=args.overwrite)
    _say(f"wrote a blank template to {written}")
    return int(ExitCode.OK)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="show the full traceback on errors (or set FUNDOPT_DEBUG=1)")
    parser = argparse.ArgumentParser(
        prog="fundopt", parents=[common],
        description="Plan multi-year police funding from an Excel workbook.",
        epilog="Exit codes: 0 ok, 1 internal error, 2 usage, 3 input, 4 infeasible, "
               "5 solver, 6 output, 7 security refusal (docs/errors.md).")
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
    solve.add_argument("--bands", action="store_true",
                       help="also work out, for every recipient and year, the least and the "
                            "most it could get among equally good plans (about 2 s more on "
                            "the reference model), and say how many are set by the rules")
    solve.set_defaults(run=cmd_solve)
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
                      help="solve scenarios in N processes (default 1: this one)")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse already explained
        return e.code if isinstance(e.code, int) else int(ExitCode.USAGE)
    debug = bool(getattr(args, "debug", False)) or os.environ.get("FUNDOPT_DEBUG") == "1"
    if getattr(args, "run", None) is None:
        parser.print_help()
        return int(ExitCode.USAGE)
    try:
        return int(args.run(args))
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
    except KeyboardInterrupt:
        _say("cancelled; nothing was written", sys.stderr)
        return 130
    except Exception as e:
        if debug:
            traceback.print_exc()
        _say(f"internal error: {type(e).__name__}: {e}", sys.stderr)
        _say("this is a bug in fundopt; run again with --debug and report the output",
             sys.stderr)
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
