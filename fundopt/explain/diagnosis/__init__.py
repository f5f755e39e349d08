"""When the rules cannot all hold: say why, in the template's own cells, with the cheapest
way out.

Three sources of explanation, fastest first:

1. **Closed-form checks** (:mod:`fundopt.explain.prechecks`, run once HiGHS reports the LP
   infeasible): common conflicts with the exact shortfall in pounds.
2. **The conflicting rules** (an irreducible infeasible subset, IIS, from HiGHS): a set of
   rules that cannot hold together although any one of them could be dropped.
3. **The cheapest way out** (an elastic re-solve): every negotiable rule gets a slack that
   costs its family's penalty per pound (sheet *Negotiability*, defaults in
   :data:`fundopt.problem.schema.DEFAULT_RELAX_PENALTIES`); the least-cost slacks say which
   promises to break and by how many pounds. For each rule of the IIS the amount that would
   do on its own is given as an alternative.

Everything is carried by a :class:`Diagnosis` (``.text`` and ``.to_frame()``) on
:class:`~fundopt.InfeasibleError`. The LP parts need HiGHS; they import it lazily so the
data classes stay light (the pre-checks and the Excel writer use them).

The parts: ``conflicts`` (the Diagnosis and its words), ``rules`` (an LP rule in the
user's words and cells), ``iis``, ``elastic`` (the cheapest way out), ``search`` (the three
in turn) and ``relaxation`` (``on_infeasible="relax"``). Callers import from here, and
look :func:`diagnose_infeasible` up here when they call it.
"""

from __future__ import annotations

from fundopt.explain.diagnosis.conflicts import (
    FRAME_COLUMNS,
    TOLERANCE_POUNDS,
    Conflict,
    Diagnosis,
    Location,
    RuleRef,
    cell_ranges,
    infeasible,
    locate,
    quote,
    render,
)
from fundopt.explain.diagnosis.elastic import Elastic
from fundopt.explain.diagnosis.iis import (
    IIS_FROM_LP,
    IIS_IRREDUCIBLE,
    IIS_TIME_LIMIT_SECONDS,
    describe_bounds,
    find_iis,
    iis_rows,
)
from fundopt.explain.diagnosis.relaxation import (
    BREACH_COLUMNS,
    Relaxation,
    allow_breaches,
    breaches_table,
    relax,
    rounding_breaks,
)
from fundopt.explain.diagnosis.rules import (
    RULE_COLUMNS,
    relax_penalties,
    rule_locations,
    rule_ref,
    suggestion,
)
from fundopt.explain.diagnosis.search import (
    MAX_ALTERNATIVES,
    diagnose_infeasible,
    explain,
    explain_with_breaks,
)

__all__ = [
    "BREACH_COLUMNS",
    "FRAME_COLUMNS",
    "IIS_FROM_LP",
    "IIS_IRREDUCIBLE",
    "IIS_TIME_LIMIT_SECONDS",
    "MAX_ALTERNATIVES",
    "RULE_COLUMNS",
    "TOLERANCE_POUNDS",
    "Conflict",
    "Diagnosis",
    "Elastic",
    "Location",
    "Relaxation",
    "RuleRef",
    "allow_breaches",
    "breaches_table",
    "cell_ranges",
    "describe_bounds",
    "diagnose_infeasible",
    "explain",
    "explain_with_breaks",
    "find_iis",
    "iis_rows",
    "infeasible",
    "locate",
    "quote",
    "relax",
    "relax_penalties",
    "render",
    "rounding_breaks",
    "rule_locations",
    "rule_ref",
    "suggestion",
]
