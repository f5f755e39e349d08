"""The input tables of a funding problem: their columns, types and cross-references.

One description serves the validator, the Excel template (one sheet per table) and the
reader, so the three cannot drift apart. Money is in pounds inside fundopt; the template
states its own unit (setting ``money_unit``) and the reader converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RecipientKind(StrEnum):
    FORCE = "force"
    REGIONAL_UNIT = "regional_unit"
    NATIONAL_PROGRAMME = "national_programme"


class Strand(StrEnum):
    """The 4P strands of the serious and organised crime strategy."""

    PURSUE = "pursue"
    PREVENT = "prevent"
    PROTECT = "protect"
    PREPARE = "prepare"


class Threat(StrEnum):
    """The NCA's ten serious and organised crime threats, plus local policing."""

    CHILD_SEXUAL_ABUSE = "child_sexual_abuse"
    MODERN_SLAVERY = "modern_slavery"
    ORGANISED_IMMIGRATION_CRIME = "organised_immigration_crime"
    ILLEGAL_DRUGS = "illegal_drugs"
    ILLEGAL_FIREARMS = "illegal_firearms"
    ORGANISED_ACQUISITIVE_CRIME = "organised_acquisitive_crime"
    MONEY_LAUNDERING = "money_laundering"
    FRAUD = "fraud"
    BRIBERY_CORRUPTION_SANCTIONS = "bribery_corruption_sanctions"
    CYBER_CRIME = "cyber_crime"
    LOCAL_POLICING = "local_policing"


SOC_THREATS: tuple[Threat, ...] = tuple(t for t in Threat if t is not Threat.LOCAL_POLICING)


class YearStatus(StrEnum):
    """How settled a horizon year's money is."""

    CONFIRMED = "confirmed"  # settled: its envelopes are final
    INDICATIVE = "indicative"  # a planning figure: envelopes may change at the next settlement


#: An indicative year's tolerance when its *Years* row gives none: a re-plan keeps each
#: recipient's figure for the year within 5% of the previous plan's.
DEFAULT_TOLERANCE_SHARE = 0.05


class ShareScope(StrEnum):
    """What a share target is a share of."""

    SOC = "soc"  # funding of activities on the ten serious and organised crime threats
    ALL = "all"  # all allocated funding


class MoneyUnit(StrEnum):
    POUNDS = "£"
    THOUSANDS = "£k"
    MILLIONS = "£m"

    @property
    def pounds(self) -> int:
        return {"£": 1, "£k": 1_000, "£m": 1_000_000}[self.value]


class Goal(StrEnum):
    """What a tier of the objective optimises (sheet *Priorities*, docs/formulation.md)."""

    VALUE = "value"  # value of funding less soft rules' breach penalties: maximised
    NEED = "need"  # pounds of allocation away from needs-based shares: minimised
    VOLATILITY = "volatility"  # pounds of year-to-year change in total funding: minimised
    STABILITY = "stability"  # line and stream smoothing (K x beyond limits + ...): minimised

    @property
    def maximised(self) -> bool:
        return self is Goal.VALUE


class Level(StrEnum):
    """Where a line-and-stream limit applies."""

    LINE = "line"  # a recipient's funding for one activity, from every stream
    STREAM = "stream"  # a recipient's funding from one stream, for every activity


class RuleFamily(StrEnum):
    """The kinds of rule a plan keeps (the LP's row families a user states)."""

    ENVELOPE = "envelope"
    FLOOR = "floor"
    CAP = "cap"
    COMMITMENT = "commitment"
    PROMISE = "promise"  # a confirmed figure of the previous plan, held
    TOLERANCE = "tolerance"  # an indicative figure of the previous plan, kept within its tolerance
    NOTICE = "notice"  # a cut against the previous plan needs notice
    CLIFF_EDGE = "cliff_edge"
    RISE_LIMIT = "rise_limit"
    GLIDE_PATH = "glide_path"
    LOCAL_SHARE = "local_share"
    NATIONAL_SHARE = "national_share"
    REQUIREMENT = "requirement"
    SHARE_TARGET = "share_target"
    LINE_LIMIT = "line_limit"
    STREAM_LIMIT = "stream_limit"


#: Cost per pound of breaking a rule when the rules cannot all hold and a plan must break
#: some (``solve(..., on_infeasible="relax")`` and the "cheapest way out" of a diagnosis).
#: Cheapest first: targets and smoothing give way before promises, money last. The sheet
#: *Negotiability* overrides them, one row per family; a blank penalty there means never.
DEFAULT_RELAX_PENALTIES: dict[RuleFamily, float] = {
    RuleFamily.SHARE_TARGET: 1.0,
    RuleFamily.NATIONAL_SHARE: 1.0,
    RuleFamily.LINE_LIMIT: 1.0,
    RuleFamily.STREAM_LIMIT: 1.0,
    RuleFamily.LOCAL_SHARE: 2.0,
    RuleFamily.RISE_LIMIT: 2.0,
    RuleFamily.CLIFF_EDGE: 5.0,
    RuleFamily.GLIDE_PATH: 5.0,
    RuleFamily.REQUIREMENT: 10.0,
    RuleFamily.CAP: 20.0,
    RuleFamily.FLOOR: 20.0,
    RuleFamily.COMMITMENT: 50.0,
    RuleFamily.PROMISE: 50.0,
    RuleFamily.TOLERANCE: 5.0,
    RuleFamily.NOTICE: 10.0,
    RuleFamily.ENVELOPE: 100.0,
}


class ColumnKind(StrEnum):
    ID = "id"  # a key of this table (text)
    REF = "ref"  # an id defined in another table
    TEXT = "text"
    ENUM = "enum"
    YEAR = "year"  # a fiscal-year label like 2026-27
    MONEY = "money"  # >= 0, in the template's money unit
    SHARE = "share"  # a fraction in [0, 1] (a percentage in Excel)
    RATIO = "ratio"  # a non-negative multiplier, may exceed 1
    RATE = "rate"  # a rate of change: 0.02 (or 2%) is +2%; not negative, below 1
    NUMBER = "number"  # any finite number
    PENALTY = "penalty"  # >= 0, value lost per pound of breach; blank = a hard rule
    BOOL = "bool"
    INT = "int"


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    required: bool = True
    ref: str = ""  # for REF: the table whose id it names
    choices: tuple[str, ...] = ()  # for ENUM
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    name: str  # attribute of FundingProblem
    sheet: str  # Excel sheet name
    columns: tuple[Column, ...]
    doc: str
    key: tuple[str, ...] = ()  # columns that must be unique together (blank counts as a value)
    required: bool = False  # must have at least one row

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _enum(e: type[StrEnum]) -> tuple[str, ...]:
    return tuple(m.value for m in e)


C = Column
K = ColumnKind

# The allocation variables' recipients (formulation/index.py), funded from first_year to
# last_year; region groups regional requirements, need_weight sets the objective's need term.
RECIPIENTS = TableSpec(
    "recipients",
    "Recipients",
    (
        C("recipient", K.ID, doc="Short unique id, e.g. cumbria"),
        C("name", K.TEXT, doc="Full name"),
        C("kind", K.ENUM, choices=_enum(RecipientKind)),
        C("region", K.TEXT, required=False, doc="Region (forces and regional units)"),
        C(
            "first_year",
            K.YEAR,
            required=False,
            doc="First funded year; blank = from the start",
        ),
        C("last_year", K.YEAR, required=False, doc="Last funded year; blank = to the end"),
        C(
            "need_weight",
            K.NUMBER,
            required=False,
            doc="Needs-formula weight; target share = weight / sum of weights of its kind",
        ),
    ),
    "Who can be funded.",
    key=("recipient",),
    required=True,
)


# The horizon every family runs over; the baseline year is the cliff edges' starting point.
YEARS = TableSpec(
    "years",
    "Years",
    (
        C("year", K.YEAR),
        C(
            "baseline",
            K.BOOL,
            required=False,
            doc="TRUE on exactly one row: the year before the horizon",
        ),
        C(
            "status",
            K.ENUM,
            required=False,
            choices=_enum(YearStatus),
            doc="confirmed (blank) or indicative: a planning figure, not yet settled; "
            "indicative years come after the confirmed ones",
        ),
        C(
            "tolerance_share",
            K.SHARE,
            required=False,
            doc="indicative years only: how far the next re-plan may move each recipient's "
            "figure for this year, as a share of it; blank = 5%",
        ),
    ),
    "The baseline year and the consecutive fiscal years of the horizon.",
    key=("year",),
    required=True,
)


# What money is for: threat and strand group the requirements and share targets.
ACTIVITIES = TableSpec(
    "activities",
    "Activities",
    (
        C("activity", K.ID),
        C("name", K.TEXT),
        C("threat", K.ENUM, choices=_enum(Threat)),
        C(
            "strand",
            K.ENUM,
            required=False,
            choices=_enum(Strand),
            doc="4P strand; blank for activities outside the 4P (e.g. local policing)",
        ),
    ),
    "The lines a recipient can be funded for, each tagged with a threat and a 4P strand.",
    key=("activity",),
    required=True,
)


# Where money comes from: carry_forward_share bounds the carry in constraints/envelopes.py.
STREAMS = TableSpec(
    "streams",
    "Streams",
    (
        C("stream", K.ID),
        C("name", K.TEXT),
        C(
            "carry_forward_share",
            K.SHARE,
            required=False,
            doc="Most of a year's envelope that may be carried into the next year; blank = 0",
        ),
        C(
            "paid_by",
            K.REF,
            required=False,
            ref="recipients",
            doc="The recipient whose PCC pays this stream out of its own budget (e.g. its "
            "contribution to its regional unit); blank = central money",
        ),
    ),
    "Funding streams.",
    key=("stream",),
    required=True,
)


# The envelope rows (constraints/envelopes.py).
ENVELOPES = TableSpec(
    "envelopes",
    "Envelopes",
    (
        C("stream", K.REF, ref="streams"),
        C("year", K.YEAR),
        C("amount", K.MONEY),
        C(
            "must_spend",
            K.BOOL,
            required=False,
            doc="TRUE: the envelope (plus carry-in) must be spent or carried",
        ),
    ),
    "The money each stream has in each year of the horizon.",
    key=("stream", "year"),
    required=True,
)


# Not a row family: decides which allocation variables exist (formulation/index.py).
ELIGIBILITY = TableSpec(
    "eligibility",
    "Eligibility",
    (
        C("stream", K.REF, ref="streams"),
        C(
            "recipient_kind",
            K.ENUM,
            required=False,
            choices=_enum(RecipientKind),
            doc="blank = any kind",
        ),
        C("recipient", K.REF, required=False, ref="recipients", doc="blank = any recipient"),
        C("activity", K.REF, required=False, ref="activities", doc="blank = any activity"),
        C("threat", K.ENUM, required=False, choices=_enum(Threat), doc="blank = any threat"),
    ),
    "What each stream may fund: a row allows every (recipient, activity) it matches.",
    key=("stream", "recipient_kind", "recipient", "activity", "threat"),
    required=True,
)


# The year before the horizon: floor and cap ratios (constraints/limits.py), cliff edges and
# glide paths (constraints/cliff_edges.py) and the objective's volatility term start from it.
BASELINES = TableSpec(
    "baselines",
    "Baselines",
    (
        C("recipient", K.REF, ref="recipients"),
        C(
            "activity",
            K.REF,
            required=False,
            ref="activities",
            doc="blank = the recipient's whole baseline",
        ),
        C("amount", K.MONEY),
        C(
            "stream",
            K.REF,
            required=False,
            ref="streams",
            doc="the stream that paid it: today's method continues each stream's share, and "
            "the stability goal the recipient's mix of streams; blank = not said (give it on "
            "every row of a recipient or on none)",
        ),
    ),
    "Funding from the streams in the baseline year, per recipient (per activity and stream "
    "where known: every row of a recipient at the same level).",
    key=("recipient", "activity", "stream"),
)


# Income outside the allocation, counted in total funding by constraints/cliff_edges.py.
OTHER_INCOME = TableSpec(
    "other_income",
    "Other income",
    (
        C("recipient", K.REF, ref="recipients"),
        C("year", K.YEAR),
        C("source", K.TEXT, doc="e.g. precept, PCC contribution"),
        C(
            "contributor",
            K.REF,
            required=False,
            ref="recipients",
            doc="The recipient whose PCC pays it (for PCC contributions to a regional unit)",
        ),
        C("amount", K.MONEY),
    ),
    "Income the allocation does not control, per recipient and year (baseline year included).",
    key=("recipient", "year", "source", "contributor"),
)


# Floors and caps (constraints/limits.py).
LIMITS = TableSpec(
    "limits",
    "Floors and caps",
    (
        C("recipient", K.REF, ref="recipients"),
        C("year", K.YEAR, required=False, doc="blank = every year of the horizon"),
        C("floor_amount", K.MONEY, required=False),
        C(
            "floor_ratio",
            K.RATIO,
            required=False,
            doc="floor as a multiple of baseline, e.g. 1.02",
        ),
        C("cap_amount", K.MONEY, required=False),
        C("cap_ratio", K.RATIO, required=False, doc="cap as a multiple of baseline"),
        C("penalty", K.PENALTY, required=False),
    ),
    "Floors and caps on a recipient's allocation in a year.",
    key=("recipient", "year"),
)


# Commitments (constraints/commitments.py).
COMMITMENTS = TableSpec(
    "commitments",
    "Commitments",
    (
        C("recipient", K.REF, ref="recipients"),
        C("activity", K.REF, ref="activities"),
        C("stream", K.REF, required=False, ref="streams", doc="blank = from any stream"),
        C("first_year", K.YEAR),
        C("last_year", K.YEAR),
        C("amount", K.MONEY, doc="per year"),
        C("penalty", K.PENALTY, required=False),
    ),
    "Multi-year amounts promised to a recipient's activity.",
    key=("recipient", "activity", "stream", "first_year"),
)


# Cliff edges, rise limits and glide paths to closure (constraints/cliff_edges.py).
CLIFF_EDGES = TableSpec(
    "cliff_edges",
    "Cliff-edge limits",
    (
        C(
            "recipient",
            K.REF,
            required=False,
            ref="recipients",
            doc="blank = the default for all",
        ),
        C("max_fall_rate", K.SHARE, doc="largest year-on-year fall in total funding, e.g. 5%"),
        C("max_rise_rate", K.RATE, required=False,
          doc="largest year-on-year rise in total funding as a rate, e.g. 0.02 or 2% for "
              "+2% (not a multiplier like 1.02); blank = no limit"),
        C("penalty", K.PENALTY, required=False),
    ),
    "How far a recipient's total funding may fall (or rise) from one year to the next.",
    key=("recipient",),
)


# Which lines count as local for the local shares (constraints/local_priorities.py).
LOCAL_PRIORITIES = TableSpec(
    "local_priorities",
    "Local priorities",
    (
        C("recipient", K.REF, ref="recipients"),
        C("activity", K.REF, ref="activities"),
    ),
    "The activities each force's PCC names as local priorities.",
    key=("recipient", "activity"),
)


# Local shares and the national ring-fence (constraints/local_priorities.py).
LOCAL_SHARES = TableSpec(
    "local_shares",
    "Local shares",
    (
        C("recipient", K.REF, ref="recipients"),
        C("year", K.YEAR, required=False, doc="blank = every year"),
        C(
            "min_local_share",
            K.SHARE,
            required=False,
            doc="least share of the force's allocation on its local priorities",
        ),
        C("min_local_amount", K.MONEY, required=False),
        C(
            "max_national_share",
            K.SHARE,
            required=False,
            doc="most of its allocation national (SOC) priorities may ring-fence",
        ),
        C("penalty", K.PENALTY, required=False),
    ),
    "PCC local-priority shares per force.",
    key=("recipient", "year"),
)


# National requirements (constraints/requirements.py).
REQUIREMENTS = TableSpec(
    "requirements",
    "National requirements",
    (
        C("threat", K.ENUM, choices=_enum(Threat)),
        C("year", K.YEAR),
        C("region", K.TEXT, required=False, doc="blank = national"),
        C("amount", K.MONEY, doc="least funding for the threat"),
        C("penalty", K.PENALTY, required=False),
    ),
    "Strategic Policing Requirement: least funding per threat and year.",
    key=("threat", "year", "region"),
)


# Strand and threat share targets (constraints/shares.py).
SHARE_TARGETS = TableSpec(
    "share_targets",
    "Share targets",
    (
        C("strand", K.ENUM, required=False, choices=_enum(Strand), doc="blank = any strand"),
        C("threat", K.ENUM, required=False, choices=_enum(Threat), doc="blank = any threat"),
        C(
            "scope",
            K.ENUM,
            choices=_enum(ShareScope),
            doc="share of SOC funding or of all funding",
        ),
        C("year", K.YEAR),
        C("min_share", K.SHARE, required=False),
        C("max_share", K.SHARE, required=False),
        C("penalty", K.PENALTY, required=False),
    ),
    "Strand and threat shares, e.g. prevent at least 6% of SOC funding in 2027-28.",
    key=("strand", "threat", "scope", "year"),
)


# The objective's value of a pound, with diminishing returns (formulation/objective.py).
VALUE_TRANCHES = TableSpec(
    "value_tranches",
    "Objective weights",
    (
        C("recipient", K.REF, required=False, ref="recipients", doc="blank = any"),
        C("activity", K.REF, required=False, ref="activities", doc="blank = any"),
        C("tranche", K.INT, doc="1, 2, ... in order of use"),
        C(
            "width",
            K.MONEY,
            required=False,
            doc="tranche size per year; blank = unlimited (last only)",
        ),
        C("value", K.NUMBER, doc="value of a pound in this tranche; must not rise"),
    ),
    "Value of funding per line, with diminishing returns. No rows: every pound is worth 1.",
    key=("recipient", "activity", "tranche"),
)


# Overrides DEFAULT_RELAX_PENALTIES when the rules cannot all hold (explain/diagnosis, behind
# solve's on_infeasible="relax").
NEGOTIABILITY = TableSpec(
    "negotiability",
    "Negotiability",
    (
        C("family", K.ENUM, choices=_enum(RuleFamily), doc="a kind of rule, e.g. cliff_edge"),
        C(
            "penalty",
            K.PENALTY,
            required=False,
            doc="cost per pound of breaking it when the rules cannot all hold; blank = never",
        ),
    ),
    "Which rules give way first when they cannot all hold (cheapest first). Families not "
    "listed keep their defaults (docs/formulation.md, 'When the rules cannot all hold').",
    key=("family",),
)


# How far a line or a stream may change from one year to the next (formulation/constraints/
# stability.py): shapes the stability goal, or, marked hard, a rule.
LINE_LIMITS = TableSpec(
    "line_limits",
    "Line and stream limits",
    (
        C("level", K.ENUM, choices=_enum(Level),
          doc="line: a recipient's activity, from every stream; stream: a recipient's stream"),
        C("recipient", K.REF, required=False, ref="recipients", doc="blank = every recipient"),
        C("activity", K.REF, required=False, ref="activities",
          doc="level line only; blank = every activity"),
        C("stream", K.REF, required=False, ref="streams",
          doc="level stream only; blank = every stream"),
        C("max_fall_rate", K.SHARE, required=False,
          doc="largest fall within the limit; blank = the recipient's cliff-edge fall rate "
          "(5% without one)"),
        C("max_rise_rate", K.RATE, required=False,
          doc="largest rise within the limit as a rate, e.g. 0.1 or 10%; blank = 10%"),
        C("hard", K.BOOL, required=False,
          doc="TRUE: a rule the plan keeps; blank or FALSE: change beyond it only costs "
          "stability"),
    ),
    "How far a recipient's funding for one activity (a line) or from one stream may change "
    "from one year to the next. No rows: every line and stream gets the defaults (soft).",
    key=("level", "recipient", "activity", "stream"),
)


# The order in which goals are optimised (formulation/goals.py, solver/tiers.py).
PRIORITIES = TableSpec(
    "priorities",
    "Priorities",
    (
        C("tier", K.INT, doc="1, 2, ...: tier 1 is optimised first"),
        C("goal", K.ENUM, choices=_enum(Goal),
          doc="value, need, volatility or stability (stability only in the last tier)"),
        C("weight", K.RATIO, required=False,
          doc="blank = 1; goals sharing a tier are added with these weights"),
        C("give", K.MONEY, required=False,
          doc="how much of this tier's optimum later tiers may give up, in pounds of its "
          "own measure; blank = none: later tiers choose only among the plans this tier "
          "finds best, and whole pounds may cost it up to a millionth of the problem's "
          "money (every envelope added up)"),
    ),
    "Goals in order: each tier is optimised, then kept at its optimum (or within its give) "
    "while the later tiers are. No rows: tier 1 is value less need_penalty x need less "
    "volatility_penalty x volatility; a last tier, stability, is always added.",
    key=("goal",),
)


# The plan a re-plan starts from (formulation/constraints/promises.py): its confirmed figures
# are held, its indicative ones kept within their tolerance. fundopt.replan fills it from a
# Plan or a results workbook; it can also be typed in.
PREVIOUS_PLAN = TableSpec(
    "previous_plan",
    "Previous plan",
    (
        C("recipient", K.REF, ref="recipients"),
        C("year", K.YEAR),
        C("amount", K.MONEY, doc="the recipient's allocation in the previous plan"),
        C(
            "status",
            K.ENUM,
            required=False,
            choices=_enum(YearStatus),
            doc="confirmed (blank): held exactly; indicative: kept within its tolerance",
        ),
        C(
            "tolerance_share",
            K.SHARE,
            required=False,
            doc="indicative only: how far the re-plan may move the figure, as a share of it; "
            "blank = 5%",
        ),
        C("penalty", K.PENALTY, required=False),
    ),
    "The previous plan's allocation per recipient and year, for a re-plan: a confirmed "
    "figure is a promise, an indicative one a planning figure with a tolerance. No rows: "
    "not a re-plan.",
    key=("recipient", "year"),
)


# Notice periods (formulation/constraints/promises.py): a cut against the previous plan.
NOTICE_PERIODS = TableSpec(
    "notice_periods",
    "Notice periods",
    (
        C(
            "recipient",
            K.REF,
            required=False,
            ref="recipients",
            doc="blank = the default for all",
        ),
        C(
            "max_cut_rate",
            K.SHARE,
            doc="the largest cut, against the previous plan's figure, that needs no notice",
        ),
        C(
            "notice_years",
            K.INT,
            doc="a larger cut first made in a re-plan cannot fall in this many years from "
            "the start of its horizon",
        ),
        C("penalty", K.PENALTY, required=False),
    ),
    "How much notice a cut needs: a recipient's allocation may not fall more than "
    "max_cut_rate below the previous plan's figure in the first notice_years of a re-plan.",
    key=("recipient",),
)


#: Every table, in the template's sheet order; validation reports issues in this order too.
TABLES: tuple[TableSpec, ...] = (
    RECIPIENTS,
    YEARS,
    ACTIVITIES,
    STREAMS,
    ENVELOPES,
    ELIGIBILITY,
    BASELINES,
    OTHER_INCOME,
    LIMITS,
    COMMITMENTS,
    CLIFF_EDGES,
    LOCAL_PRIORITIES,
    LOCAL_SHARES,
    REQUIREMENTS,
    SHARE_TARGETS,
    VALUE_TRANCHES,
    LINE_LIMITS,
    PRIORITIES,
    NEGOTIABILITY,
    PREVIOUS_PLAN,
    NOTICE_PERIODS,
)

TABLES_BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}
