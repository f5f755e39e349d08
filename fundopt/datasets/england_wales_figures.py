"""The figures behind the England and Wales reference model, each with its source.

Published figures are copied from the sources named (``published``; a figure seen only in
a secondary transcription says so in its note). ``derived`` figures are arithmetic on
published ones. ``estimated`` figures are modelling assumptions: plausible, not published.
Per-recipient tables live in ``data/*.csv``; this module holds the scalar figures and
assumptions and turns everything into the *Sources* table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

import pandas as pd

from fundopt.problem.schema import SOC_THREATS, Strand, Threat


class Status(StrEnum):
    PUBLISHED = "published"
    DERIVED = "derived"
    ESTIMATED = "estimated"


class Category(StrEnum):
    """What a figure is about; the Sources sheet covers every category."""

    FORCE_GRANT = "force_grant"
    WELSH_ADJUSTMENT = "welsh_adjustment"
    PRECEPT = "precept"
    NEED_WEIGHT = "need_weight"
    ROCU_BUDGET = "rocu_budget"
    FLOOR_HISTORY = "floor_history"
    ROCU_GRANT = "rocu_grant"
    PCC_CONTRIBUTION = "pcc_contribution"
    NCA_PROGRAMME = "nca_programme"
    ENVELOPE = "envelope"
    TRANSFORMATION_FUND = "transformation_fund"
    FLOOR = "floor"
    COMMITMENT = "commitment"
    CLIFF_EDGE = "cliff_edge"
    LOCAL_SHARE = "local_share"
    REQUIREMENT = "requirement"
    SHARE_TARGET = "share_target"
    VALUE = "value"


REFS: dict[str, tuple[str, str]] = {
    "pgr": ("Police Grant Report (England and Wales) 2025 to 2026, per-force 'Overall Total'",
            "https://www.gov.uk/government/publications/police-grant-report-england-and-wales-2025-to-2026"),
    "wg_2025": ("Welsh Government: written statement, final police settlement 2025-26",
                "https://gov.wales/written-statement-final-police-settlement-2025-26"),
    "funding_stats": ("Police funding for England and Wales 2015 to 2026, table 4a",
                      "https://www.gov.uk/government/statistics/police-funding-for-england-and-wales-2015-to-2024/police-funding-for-england-and-wales-2015-to-2024"),
    "paf": ("Guide to the police allocation formula",
            "https://www.gov.uk/guidance/guide-to-the-police-allocation-formula"),
    "pq_211818": ("Written answer 211818: National Crime Agency and Regional Organised Crime Units",
                  "https://www.parallelparliament.co.uk/question/211818/national-crime-agency-and-regional-organised-cri"),
    "apcc_2019": ("APCC response to the NAO report on tackling serious and organised crime (2019)",
                  "https://www.apccs.police.uk/latest-news/apcc-response-to-national-audit-office-report-tackling-serious-and-organised-crime/"),
    "emsou_2012": ("EMSOU briefing for incoming police and crime commissioners (2012)",
                   "https://pdfslide.net/documents/brie-policing-and-crime-commissioners-derbyshire-2012-08-09the-unit-ensures.html"),
    "pcd_1418": ("MOPAC decision PCD 1418: ROCU and SOC grant agreement 2022/23",
                 "https://www.london.gov.uk/pcd-1418-rocu-soc-grant-agreement-rocu-rart-acet-rocta-soc-20222023"),
    "hmicfrs_2021": ("HMICFRS: Regional Organised Crime Units, inspection of effectiveness (2021)",
                     "https://www.justiceinspectorates.gov.uk/hmicfrs/publication-html/regional-organised-crime-units-effectiveness"),
    "nao_2019": ("National Audit Office: Tackling serious and organised crime (HC 2219, 2019)",
                 "https://www.nao.org.uk/press-releases/serious-and-organised-crime/"),
    "pac_2049": ("Public Accounts Committee: Serious and organised crime (HC 2049, 2019)",
                 "https://publications.parliament.uk/pa/cm201719/cmselect/cmpubacc/2049/204906.htm"),
    "pac_1513": ("Public Accounts Committee: Financial sustainability of police forces "
                 "(HC 1513, 2018)",
                 "https://publications.parliament.uk/pa/cm201719/cmselect/cmpubacc/1513/151305.htm"),
    "ptf_2018": ("Counter Terror Business: £450 million increase in police funding for 2018",
                 "http://counterterrorbusiness.com/news/19122017/%C2%A3450-million-increase-police-funding-2018"),
    "wms_2010": ("Written ministerial statement: Police authority grants (13 December 2010)",
                 "https://www.theyworkforyou.com/wms/?id=2010-12-13a.72WS.4"),
    "hcws503": ("Written statement HCWS503: police funding settlement (16 December 2021)",
                "https://questions-statements.parliament.uk/written-statements/detail/2021-12-16/hcws503"),
    "soc_2023": ("No place to hide: serious and organised crime strategy 2023 to 2028",
                 "https://gov.uk/government/publications/serious-and-organised-crime-strategy-2023-to-2028/no-place-to-hide-serious-and-organised-crime-strategy-2023-to-2028-accessible-version"),
    "fundopt": ("fundopt modelling assumption (fundopt/datasets/england_wales_figures.py)", ""),
}

TRANSCRIPTION = ("seen in a secondary transcription (GitHub isthisben/cbl-realcrime, "
                 "data/raw, commit ca6aae67859d87af5d0e1be1bba35c1ba56800b4); re-check on gov.uk")

# -- published totals -------------------------------------------------------------------
PGR_TOTAL_POUNDS = 9_806_553_489  # 43 forces, 2025-26, before the Welsh adjustment
WELSH_CORE_SUPPORT_M = 476.8  # total central support for the four Welsh PCCs, 2025-26
PRECEPT_TOTAL_POUNDS = 6_057_626_419  # England and Wales precept, 2025-26
ROCU_NETWORK_BUDGET_2018_M = 166.4  # nine ROCUs, 2018/19 operating, excluding London
ROCU_GRANT_M = 20.0  # Home Office ROCU grant, "around £20m" a year
LONDON_ROCU_GRANT_POUNDS = 2_096_674  # 2022/23
PCC_ROCU_INVESTMENT_M = 123.0  # PCCs' investment in ROCUs (APCC 2019)
EMSOU_2012_SPLIT = {"nottinghamshire": 0.276, "leicestershire": 0.231, "derbyshire": 0.22,
                    "northamptonshire": 0.147, "lincolnshire": 0.126}
PTF_2018_M = 175.0
NAO_PURSUE_SHARE = 0.79  # of front-line SOC spend, 2015-16
NAO_PREVENT_SHARE = 0.04
NAO_SOC_SPEND_M = 2_900.0  # total government SOC spend, 2015-16
PCC_LOCAL_SOC_M = 1_800.0  # PCCs' local SOC spend (NAO)

#: The uniform core-grant change each year from 2019-20 to 2025-26 (2023-24 estimated).
FLOORS_SINCE_2018: tuple[tuple[str, float, Status, str], ...] = (
    ("2019-20", 0.021, Status.PUBLISHED, "https://www.gov.wales/written-statement-provisional-police-settlement-2019-20"),
    ("2020-21", 0.075, Status.PUBLISHED, "https://research.senedd.wales/research-articles/7-5-increase-in-police-funding-confirmed-for-2020-21/"),
    ("2021-22", 0.063, Status.PUBLISHED, "https://www.gov.wales/written-statement-final-police-settlement-2021-22"),
    ("2022-23", 0.059, Status.PUBLISHED, "https://gov.wales/node/45531"),
    ("2023-24", 0.021, Status.ESTIMATED, ""),
    ("2024-25", 0.02054, Status.PUBLISHED, "https://www.gov.wales/written-statement-final-police-settlement-2024-25"),
    ("2025-26", 0.03705, Status.PUBLISHED, "https://gov.wales/written-statement-final-police-settlement-2025-26"),
)
ROCU_UPLIFT = math.prod(1 + f for _, f, _, _ in FLOORS_SINCE_2018)

# -- modelling assumptions (estimated) ---------------------------------------------------
BASELINE_YEAR = "2025-26"
HORIZON = ("2026-27", "2027-28", "2028-29", "2029-30", "2030-31")
CORE_GROWTH = (0.03, 0.025, 0.025, 0.02, 0.02)
ROCU_GRANT_GROWTH = 0.02
NCA_GROWTH = 0.02
PRECEPT_GROWTH = 0.035  # about a £10-£14 Band D rise a year
CONTRIBUTION_GROWTH = 0.03
ROCU_OTHER_GRANT_SHARE = 0.15  # PTF, National Cyber Security Programme and other grants
TRANSFORMATION_M = (75.0, 50.0, 0.0, 0.0, 0.0)  # ends after 2027-28: the cliff edge
TRANSFORMATION_CARRY_SHARE = 0.25
DEFAULT_MAX_FALL = 0.05
UNIT_MAX_FALL = 0.03
FORCE_FLOOR_RATIO = 1.0  # flat cash: no force's allocation below its 2025-26 grant
MIN_LOCAL_SHARE = {"English shire": 0.85, "Welsh": 0.85, "English metropolitan": 0.8,
                   "London": 0.75}
CITY_OF_LONDON_LOCAL_SHARE = 0.6  # national lead force for fraud
MAX_NATIONAL_SHARE = 0.25
CITY_OF_LONDON_NATIONAL_SHARE = 0.4
REQUIREMENT_TOTAL_M = PCC_LOCAL_SOC_M  # national SOC requirement, ten threats, 2026-27
REQUIREMENT_GROWTH = 0.02
REGIONAL_REQUIREMENT_SHARE = 0.5  # of the national requirement, split by region
REGIONAL_THREATS = (Threat.ILLEGAL_DRUGS, Threat.CHILD_SEXUAL_ABUSE)
THREAT_WEIGHTS: dict[Threat, float] = {
    Threat.ILLEGAL_DRUGS: 0.30, Threat.FRAUD: 0.12, Threat.CHILD_SEXUAL_ABUSE: 0.12,
    Threat.MONEY_LAUNDERING: 0.08, Threat.ORGANISED_ACQUISITIVE_CRIME: 0.08,
    Threat.CYBER_CRIME: 0.08, Threat.MODERN_SLAVERY: 0.07,
    Threat.ORGANISED_IMMIGRATION_CRIME: 0.06, Threat.ILLEGAL_FIREARMS: 0.06,
    Threat.BRIBERY_CORRUPTION_SANCTIONS: 0.03,
}
PREVENT_PATH = (0.04, 0.05, 0.06, 0.07, 0.08)  # least prevent share of SOC funding
PREVENT_BAND = 0.04  # the most prevent may take is the least plus this
PURSUE_BAND = (0.70, NAO_PURSUE_SHARE)
MIN_PROTECT_SHARE = 0.05
MIN_PREPARE_SHARE = 0.05
LOCAL_POLICING_VALUE = 1.0
SOC_VALUE = 1.02  # a pound on a national SOC priority in a force; local shares cap it
LOCAL_SOC_SLICE = 0.02  # of a force's 2025-26 grant, on its PCC's own SOC priority
LOCAL_SOC_VALUES = (1.01, 0.99)
UNIT_VALUES = (1.0, 0.8)  # regional units and programmes: up to baseline, then above it
ROCU_CYBER_COMMITMENT_M = 1.0  # each regional unit's cyber-crime pursue line, 2026-27 to 2028-29
NCLCC_COMMITMENT_M = 4.4
ONLINE_CSEA_COMMITMENT_M = 10.0

assert abs(sum(THREAT_WEIGHTS.values()) - 1.0) < 1e-12
assert set(THREAT_WEIGHTS) == set(SOC_THREATS)

STRANDS: tuple[Strand, ...] = tuple(Strand)


@cache
def table(name: str) -> pd.DataFrame:
    """One of the CSV tables in ``data/`` (forces, regional_units, national_programmes)."""
    with resources.files("fundopt.datasets").joinpath(f"data/{name}.csv").open("rb") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Figure:
    category: Category
    item: str
    value: float
    unit: str
    status: Status
    ref: str
    note: str = ""
    url: str = ""


def figures(derived: dict[str, dict[str, float]]) -> list[Figure]:
    """Every figure, given the per-recipient amounts the model derived (in £m)."""
    C, S = Category, Status
    out: list[Figure] = []
    forces = table("forces")
    for r in forces.to_dict("records"):
        out.append(Figure(C.FORCE_GRANT, f"2025-26 police grant: {r['name']}",
                          float(r["grant_2025_26_m"]), "£m", S.PUBLISHED, "pgr", TRANSCRIPTION))
    welsh_pgr = sum(float(r["grant_2025_26_m"]) for r in forces.to_dict("records")
                    if r["type"] == "Welsh")
    out += [
        Figure(C.FORCE_GRANT, "2025-26 police grant: total of the 43 forces",
               PGR_TOTAL_POUNDS / 1e6, "£m", S.PUBLISHED, "pgr", TRANSCRIPTION),
        Figure(C.WELSH_ADJUSTMENT, "2025-26 police grant: the four Welsh forces", welsh_pgr, "£m",
               S.DERIVED, "pgr", "sum of the Welsh rows"),
        Figure(C.WELSH_ADJUSTMENT, "2025-26 central support for the four Welsh PCCs",
               WELSH_CORE_SUPPORT_M, "£m", S.PUBLISHED, "wg_2025"),
        Figure(C.WELSH_ADJUSTMENT, "Welsh adjustment factor", WELSH_CORE_SUPPORT_M / welsh_pgr,
               "ratio", S.ESTIMATED, "wg_2025",
               "Welsh rows omit the Welsh Government's share; each Welsh force is scaled by the "
               "same factor (the real split uses tax base and is not published in our sources)"),
        Figure(C.PRECEPT, "2025-26 precept, England and Wales", PRECEPT_TOTAL_POUNDS / 1e6, "£m",
               S.PUBLISHED, "funding_stats", TRANSCRIPTION),
        Figure(C.PRECEPT, "2025-26 precept of each force", 0.0, "", S.ESTIMATED, "fundopt",
               "the national total split in proportion to the (Wales-adjusted) grant; per-force "
               "precept is in the funding statistics' table 4a, not yet loaded"),
        Figure(C.PRECEPT, "Precept growth a year", PRECEPT_GROWTH, "rate", S.ESTIMATED,
               "hcws503", "about a £10 Band D rise a year, as allowed 2022-23 to 2024-25"),
        Figure(C.NEED_WEIGHT, "Need weight of each recipient", 0.0, "", S.ESTIMATED, "paf",
               "forces: 2025-26 grant (Wales-adjusted) in £m, so the needs target is today's "
               "share (grant shares have been frozen by the floor since 2011-12); regional "
               "units: estimated 2025-26 budget; programmes: baseline. Replace with the police "
               "allocation formula's undamped shares when available"),
        Figure(C.ROCU_BUDGET, "ROCU network operating budget 2018/19 (excluding London)",
               ROCU_NETWORK_BUDGET_2018_M, "£m", S.PUBLISHED, "pq_211818"),
        Figure(C.ROCU_BUDGET, "ROCU budget uplift 2018-19 to 2025-26", ROCU_UPLIFT, "ratio",
               S.ESTIMATED, "fundopt",
               "product of the uniform core-grant changes 2019-20 to 2025-26 (floor_history)"),
        Figure(C.ROCU_GRANT, "Home Office ROCU grant a year", ROCU_GRANT_M, "£m", S.PUBLISHED,
               "pq_211818", "'around £20m'; held at this level in 2025-26 (estimated)"),
        Figure(C.ROCU_GRANT, "Home Office ROCU and SOC grant to London, 2022/23",
               LONDON_ROCU_GRANT_POUNDS / 1e6, "£m", S.PUBLISHED, "pcd_1418"),
        Figure(C.ROCU_GRANT, "ROCU grant of the nine ROCUs", 0.0, "", S.ESTIMATED, "fundopt",
               "the £20m less London's grant, split by estimated budget"),
        Figure(C.PCC_CONTRIBUTION, "PCC investment in ROCUs", PCC_ROCU_INVESTMENT_M, "£m",
               S.PUBLISHED, "apcc_2019"),
        Figure(C.PCC_CONTRIBUTION, "PCC share of ROCU funding, 2018/19",
               PCC_ROCU_INVESTMENT_M / ROCU_NETWORK_BUDGET_2018_M, "share", S.DERIVED, "apcc_2019",
               "£123m of £166.4m"),
        Figure(C.PCC_CONTRIBUTION, "Other grants' share of a ROCU budget", ROCU_OTHER_GRANT_SHARE,
               "share", S.ESTIMATED, "pq_211818",
               "PTF, National Cyber Security Programme and other specific grants"),
        Figure(C.PCC_CONTRIBUTION, "PCC contribution growth a year", CONTRIBUTION_GROWTH, "rate",
               S.ESTIMATED, "fundopt"),
        Figure(C.PCC_CONTRIBUTION, "Split of a unit's PCC contributions", 0.0, "",
               S.ESTIMATED, "emsou_2012",
               "in proportion to the members' formula grant, as EMSOU's members paid in 2012"),
    ]
    for force, share in EMSOU_2012_SPLIT.items():
        out.append(Figure(C.PCC_CONTRIBUTION, f"EMSOU 2012 contribution share: {force}", share,
                          "share", S.PUBLISHED, "emsou_2012"))
    for year, rate, status, url in FLOORS_SINCE_2018:
        out.append(Figure(C.FLOOR_HISTORY, f"Uniform core-grant change {year}", rate, "rate",
                          status, "fundopt" if status is S.ESTIMATED else "wg_2025",
                          "not found; backed out of the 2025-26 figures" if not url else "",
                          url=url))
    units = table("regional_units")
    for r in units.to_dict("records"):
        rid = r["recipient"]
        if r["budget_2018_19_m"]:
            out.append(Figure(C.ROCU_BUDGET, f"2018/19 budget: {r['name']}",
                              float(r["budget_2018_19_m"]), "£m", S.ESTIMATED, "pq_211818",
                              "the network total split by the members' 2025-26 grant",
                              url=r["url"]))
        out.append(Figure(C.ROCU_BUDGET, f"2025-26 budget: {r['name']}",
                          derived["unit_budget"][rid], "£m", S.ESTIMATED, "fundopt",
                          "2018/19 estimate x uplift (London: the same rule on its members' "
                          "grant)"))
    for r in table("national_programmes").to_dict("records"):
        out.append(Figure(C.NCA_PROGRAMME, f"2025-26 baseline: {r['name']}",
                          float(r["baseline_m"]), "£m", Status(r["status"]), "fundopt", r["basis"],
                          url=r["url"]))
    out += [
        Figure(C.ENVELOPE, "Core police grant growth a year", CORE_GROWTH[0], "rate",
               S.ESTIMATED, "fundopt", "3%, 2.5%, 2.5%, 2%, 2% from 2026-27"),
        Figure(C.ENVELOPE, "ROCU grant and NCA programme growth a year", ROCU_GRANT_GROWTH,
               "rate", S.ESTIMATED, "fundopt"),
        Figure(C.TRANSFORMATION_FUND, "Police Transformation Fund 2018-19", PTF_2018_M, "£m",
               S.PUBLISHED, "ptf_2018"),
        Figure(C.TRANSFORMATION_FUND, "Transformation fund 2026-27 / 2027-28",
               TRANSFORMATION_M[0], "£m", S.ESTIMATED, "pac_1513",
               "£75m then £50m, nothing from 2028-29: the 'cliff edge' the PAC warned of; a "
               "quarter of a year's money may be carried forward"),
        Figure(C.FLOOR, "Floor on each force's allocation", FORCE_FLOOR_RATIO, "ratio",
               S.ESTIMATED, "hcws503", "flat cash, as in the 2018-19 settlement"),
        Figure(C.COMMITMENT, "Online CSEA teams a year", ONLINE_CSEA_COMMITMENT_M, "£m",
               S.ESTIMATED, "fundopt", "the 2015/16 £10m, kept for the whole horizon"),
        Figure(C.COMMITMENT, "NCLCC a year, 2026-27 and 2027-28", NCLCC_COMMITMENT_M, "£m",
               S.ESTIMATED, "fundopt", "the 2021/22 grant, rounded"),
        Figure(C.COMMITMENT, "Each regional unit's cyber-crime pursue line a year",
               ROCU_CYBER_COMMITMENT_M, "£m", S.ESTIMATED, "hmicfrs_2021",
               "2026-27 to 2028-29; fixed-term posts were HMICFRS's complaint"),
        Figure(C.CLIFF_EDGE, "Largest fall in total funding a year (default)", DEFAULT_MAX_FALL,
               "rate", S.ESTIMATED, "wms_2010", "the deepest uniform cut was 6.7% (2012-13)"),
        Figure(C.CLIFF_EDGE, "Largest fall for a regional unit", UNIT_MAX_FALL, "rate",
               S.ESTIMATED, "hmicfrs_2021", "HMICFRS: 'no clear and sustainable funding model'"),
        Figure(C.LOCAL_SHARE, "Least local-priority share of a force's allocation", 0.85,
               "share", S.ESTIMATED, "pac_2049",
               "85% shire and Welsh, 80% metropolitan, 75% Metropolitan Police, 60% City of "
               "London; local priorities are local policing plus one SOC line per force"),
        Figure(C.LOCAL_SHARE, "Most national SOC priorities may ring-fence", MAX_NATIONAL_SHARE,
               "share", S.ESTIMATED, "pac_2049", "40% for the City of London"),
        Figure(C.REQUIREMENT, "Total government SOC spend 2015-16", NAO_SOC_SPEND_M, "£m",
               S.PUBLISHED, "nao_2019"),
        Figure(C.REQUIREMENT, "PCCs' local SOC spend", PCC_LOCAL_SOC_M, "£m", S.PUBLISHED,
               "nao_2019"),
        Figure(C.REQUIREMENT, "National SOC requirement 2026-27", REQUIREMENT_TOTAL_M, "£m",
               S.ESTIMATED, "nao_2019",
               "the PCCs' 2015-16 local SOC spend in cash, split by threat weight, growing "
               "2% a year; half of the drugs and child sexual "
               "abuse requirements is asked of each region in proportion to its grant"),
    ]
    for threat, w in THREAT_WEIGHTS.items():
        out.append(Figure(C.REQUIREMENT, f"Threat weight: {threat.value}", w, "share",
                          S.ESTIMATED, "nao_2019",
                          "informed by the social and economic cost (drugs £20bn of £37bn)"))
    out += [
        Figure(C.SHARE_TARGET, "Pursue share of front-line SOC spend 2015-16", NAO_PURSUE_SHARE,
               "share", S.PUBLISHED, "nao_2019", "also the most pursue may take in the plan"),
        Figure(C.SHARE_TARGET, "Prevent share of front-line SOC spend 2015-16", NAO_PREVENT_SHARE,
               "share", S.PUBLISHED, "nao_2019"),
        Figure(C.SHARE_TARGET, "Least prevent share by 2030-31", PREVENT_PATH[-1], "share",
               S.ESTIMATED, "soc_2023",
               f"4%, 5%, 6%, 7%, 8% from 2026-27; at most {PREVENT_BAND:.0%} above that"),
        Figure(C.SHARE_TARGET, "Least pursue share", PURSUE_BAND[0], "share", S.ESTIMATED,
               "fundopt", "pursue kept between 70% and its 2015-16 share of 79%"),
        Figure(C.SHARE_TARGET, "Least protect share and least prepare share", MIN_PROTECT_SHARE,
               "share", S.ESTIMATED, "nao_2019",
               "protect and prepare shared 17% in 2015-16; the split was not published"),
        Figure(C.VALUE, "Value of a pound of local policing", LOCAL_POLICING_VALUE, "value",
               S.ESTIMATED, "fundopt"),
        Figure(C.VALUE, "Value of a pound of a force's SOC line", SOC_VALUE, "value",
               S.ESTIMATED, "pac_2049",
               "national SOC priorities are worth slightly more than local policing, so "
               "they take what the PCC's local share leaves (PAC: forces favour local priorities)"),
        Figure(C.VALUE, "Value of a pound on a PCC's own SOC priority, first slice / beyond",
               LOCAL_SOC_VALUES[0], "value", S.ESTIMATED, "fundopt",
               f"{LOCAL_SOC_VALUES[0]} for the first {LOCAL_SOC_SLICE:.0%} of the force's grant, "
               f"{LOCAL_SOC_VALUES[1]} beyond"),
        Figure(C.VALUE, "Value of a regional unit's or programme's pound, up to / above baseline",
               UNIT_VALUES[0], "value", S.ESTIMATED, "fundopt",
               f"{UNIT_VALUES[0]} up to its baseline spread over its lines, "
               f"{UNIT_VALUES[1]} above"),
    ]
    return out


def sources_frame(derived: dict[str, dict[str, float]]) -> pd.DataFrame:
    rows = []
    for f in figures(derived):
        title, url = REFS[f.ref]
        rows.append({"category": f.category.value, "item": f.item, "value": f.value,
                     "unit": f.unit, "status": f.status.value, "source": title,
                     "url": f.url or url, "note": f.note})
    return pd.DataFrame(rows, columns=["category", "item", "value", "unit", "status", "source",
                                       "url", "note"])
