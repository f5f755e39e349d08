"""The what-if scenarios shipped on the reference model's *Scenarios* sheet.

- the PAC's cases as the PAC meant them (HC 2049): a region's PCCs pulling out of their
  regional organised crime unit (the unit can lose up to 72% of its funding), and a
  programme fund ending (the county lines programme stops after 2027-28);
- the needs target moving: no East Midlands formula gap, half of it, double it;
- the core grant up and down, and a higher prevent share in the last year.

Ids are taken from the problem, so the scenarios follow the data if it changes.
"""

from __future__ import annotations

from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import (
    Override,
    ScaleEnvelope,
    Scenario,
    SetEnvelope,
    SetNeedWeight,
    SetShareTarget,
)

CORE_STREAM = "core_grant"
COUNTY_LINES_STREAM = "county_lines_programme"
PULL_OUT_REGION = "North West"
NEEDS_GAPS = (0.0, 0.5, 2.0)  # multiples of the published East Midlands gap


def region_pull_out(problem: FundingProblem, region: str) -> Scenario:
    """Every PCC of ``region`` stops paying its unit: each stream it pays is set to zero in
    every horizon year (the PAC: a ROCU could lose up to 72% of its funding)."""
    rec = problem.recipients.set_index("recipient")
    streams = problem.streams
    paid = [str(s) for s, who in zip(streams["stream"], streams.get("paid_by", []), strict=False)
            if who is not None and who == who and rec.loc[str(who), "region"] == region]
    if not paid:
        raise ValueError(f"no PCC of region '{region}' pays a stream")
    units = rec.loc[(rec["kind"] == "regional_unit") & (rec["region"] == region)]
    unit = str(units["name"].iloc[0]) if len(units) else region
    return Scenario(f"{region} PCCs pull out of {unit.split('(')[-1].rstrip(')')}",
                    tuple(ScaleEnvelope(s, None, 0.0) for s in paid))


def fund_ends(problem: FundingProblem, stream: str, after: str) -> Scenario:
    """``stream`` stops after ``after``: its envelope is zero in every later year."""
    later = [y for y in problem.horizon if y > after]
    name = str(problem.streams.set_index("stream").loc[stream, "name"])
    return Scenario(f"{name} ends after {after}",
                    tuple(SetEnvelope(stream, y, 0.0) for y in later))


def needs_target(problem: FundingProblem, multiple: float) -> Scenario:
    """The East Midlands forces' formula gap times ``multiple`` (0: today's shares)."""
    from fundopt.datasets.england_wales import need_weights
    from fundopt.datasets.england_wales_figures import value

    weights = need_weights(value("east_midlands_gap") * multiple)
    rec = problem.recipients
    east = rec.loc[(rec["kind"] == "force") & (rec["region"] == "East Midlands"), "recipient"]
    overrides: tuple[Override, ...] = tuple(SetNeedWeight(str(r), float(weights[r]))
                                            for r in east)
    label = "no formula gap" if multiple == 0 else f"formula gap x{multiple:g}"
    return Scenario(f"needs target: {label}", overrides)


def reference_scenarios(problem: FundingProblem) -> tuple[Scenario, ...]:
    """The shipped scenarios for ``problem`` (the England and Wales reference model)."""
    last = problem.horizon[-1]
    return (
        region_pull_out(problem, PULL_OUT_REGION),
        fund_ends(problem, COUNTY_LINES_STREAM, problem.horizon[0]),
        *(needs_target(problem, m) for m in NEEDS_GAPS),
        Scenario("core grant -2%", (ScaleEnvelope(CORE_STREAM, None, 0.98),)),
        Scenario("core grant +2%", (ScaleEnvelope(CORE_STREAM, None, 1.02),)),
        Scenario(f"prevent 8% in {last}", (SetShareTarget("prevent", None, "soc", last,
                                                          0.08),)),
    )


__all__ = ["fund_ends", "needs_target", "reference_scenarios", "region_pull_out"]
