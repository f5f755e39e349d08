"""The figures behind the England and Wales reference model, each with its source.

Every figure says where it comes from: the document, and where in it (``locator``: the
paragraph, table or row). ``published`` figures are copied from that document (a figure
seen only in a secondary copy, such as a press report or a transcription, says so in its
note). ``derived`` figures are arithmetic on published ones, the method in the note.
``estimated`` figures are modelling assumptions, said plainly: plausible, not published.

Per-recipient figures live in ``data/*.csv`` (``figures.csv``: one published figure a row,
with its source; ``pgr_2025_26.csv`` and ``pgr_2026_27.csv``: the Police Grant Report's
per-force table, as far as our sources hold it); this module holds the scalar figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

import pandas as pd


class Status(StrEnum):
    PUBLISHED = "published"
    DERIVED = "derived"
    ESTIMATED = "estimated"


class Category(StrEnum):
    """What a figure is about; the Sources sheet groups figures by it."""

    SETTLEMENT = "settlement"
    FORCE_GRANT = "force_grant"
    WALES = "wales"
    CAPITAL_CITY = "capital_city"
    RING_FENCED = "ring_fenced"
    PRECEPT = "precept"
    ROCU = "rocu"
    NCA = "nca"
    REFORM_FUND = "reform_fund"
    ENVELOPE = "envelope"
    NEEDS = "needs"
    RULE = "rule"


@dataclass(frozen=True)
class Ref:
    title: str
    url: str


REFS: dict[str, Ref] = {
    "hc1638": Ref("Police Grant Report (England and Wales) 2026 to 2027, HC 1638 "
                  "(Home Office, 28 Jan 2026)",
                  "https://www.gov.uk/government/publications/police-grants-in-england-and-"
                  "wales-2026-to-2027/police-grant-report-england-and-wales-2026-to-2027-"
                  "accessible"),
    "wms_2026": Ref("Written ministerial statement: Police Funding Settlement 2026-27 (England "
                    "and Wales), 28 Jan 2026",
                    "https://parallelparliament.co.uk/debate/2026-01-28/commons/written-"
                    "statements/police-funding-settlement-2026-27-england-and-wales"),
    "wg_2026": Ref("Welsh Government written statement: Final Police Settlement 2026-27, "
                   "30 Jan 2026",
                   "https://www.gov.wales/written-statement-final-police-settlement-2026-27"),
    "wg_2026_prov": Ref("Welsh Government written statement: Provisional Police Settlement "
                        "2026-27, 18 Dec 2025",
                        "https://www.gov.wales/written-statement-provisional-police-"
                        "settlement-2026-27"),
    "pgr_2022": Ref("Police Grant Report (England and Wales) 2022 to 2023 (accessible), "
                    "2 Feb 2022",
                    "https://www.gov.uk/government/publications/police-grant-report-england-"
                    "and-wales-2022-to-2023"),
    "pgr_2025": Ref("Police Grant Report (England and Wales) 2025 to 2026, per-force table "
                    "(as transcribed: GitHub isthisben/cbl-realcrime, data/raw/police-grant-"
                    "2025-26.csv, commit ca6aae6)",
                    "https://github.com/isthisben/cbl-realcrime/blob/ca6aae67859d87af5d0e1be1bb"
                    "a35c1ba56800b4/data/raw/police-grant-2025-26.csv"),
    "funding_stats": Ref("Home Office: Police funding for England and Wales 2015 to 2026, "
                         "table 4a (precept), as transcribed (isthisben/cbl-realcrime "
                         "data/raw/SOURCES.md)",
                         "https://www.gov.uk/government/statistics/police-funding-england-"
                         "and-wales-2015-to-2026"),
    "debate_2026": Ref("Commons debate on the Police Grant Report 2026-27, 11 Feb 2026 "
                       "(Policing Minister's speech)",
                       "https://www.parallelparliament.co.uk/mp/nusrat-ghani/debate/2026-02-"
                       "11/commons/commons-chamber/police-grant-report"),
    "pq_110521": Ref("Written answer 110521 (Police: Finance)",
                     "https://www.parallelparliament.co.uk/question/110521/police-finance"),
    "pq_59321": Ref("Written answer 59321 (Police: Finance), HM Treasury, 17 Jun 2025",
                    "https://parallelparliament.co.uk/question/59321/police-finance"),
    "pq_93418": Ref("Written answer 93418 (Slavery: Criminal Investigation)",
                    "https://www.parallelparliament.co.uk/question/93418/slavery-criminal-"
                    "investigation"),
    "pq_211818": Ref("Written answer 211818: National Crime Agency and Regional Organised "
                     "Crime Units",
                     "https://www.parallelparliament.co.uk/question/211818/national-crime-"
                     "agency-and-regional-organised-cri"),
    "pcd_1418": Ref("MOPAC decision PCD 1418: ROCU and SOC grant agreement 2022/23",
                    "https://www.london.gov.uk/pcd-1418-rocu-soc-grant-agreement-rocu-rart-"
                    "acet-rocta-soc-20222023"),
    "nclcc_2021": Ref("MOPAC decision: National County Lines Co-ordination Centre Home Office "
                      "funding 2021/22",
                      "https://www.london.gov.uk/programmes-strategies/mayors-office-policing-"
                      "and-crime/governance-and-decision-making/mopac-decisions-0/national-"
                      "county-lines-co-ordination-centre-home-office-funding"),
    "pq_nca_2025": Ref("Written answer (Home Office to Mark Hendrick MP) on SOC funding, "
                       "2025-26",
                       "https://www.parallelparliament.co.uk/dept/HomeOffice/writtenanswers"),
    "pq_8220": Ref("Written answer 8220: National Crime Agency (2015)",
                   "https://questions-statements.parliament.uk/written-questions/detail/2015-"
                   "07-21/8220/"),
    "nicc_2025": Ref("Evening Standard, quoting the Policing Minister's written statement of "
                     "17 Dec 2024 (provisional settlement 2025-26)",
                     "https://standard.co.uk/news/politics/met-police-funding-london-protests-"
                     "officer-numbers-b1200569.html"),
    "nicc_2024": Ref("Police Professional: Mayor proposes council tax increase (2024-25)",
                     "https://www.policeprofessional.com/"),
    "wg_2025": Ref("Welsh Government written statement: Final Police Settlement 2025-26, "
                   "30 Jan 2025",
                   "https://gov.wales/written-statement-final-police-settlement-2025-26"),
    "hc104": Ref("East Midlands Regional Committee, oral evidence 30 Nov 2009 (HC 104), Q1",
                 "https://publications.parliament.uk/pa/cm200910/cmselect/cmeastmid/104/"
                 "9113002.htm"),
    "pgr_2021": Ref("Police Grant Report (England and Wales) 2021/22, HC 1162",
                    "https://www.readkong.com/page/police-grant-england-and-wales-police-"
                    "grant-report-1900217"),
    "nao_2019": Ref("National Audit Office: Tackling serious and organised crime (HC 2219, "
                    "2019)", "https://www.nao.org.uk/press-releases/serious-and-organised-"
                    "crime/"),
    "pac_2049": Ref("Public Accounts Committee: Serious and organised crime (HC 2049, 2019)",
                    "https://publications.parliament.uk/pa/cm201719/cmselect/cmpubacc/2049/"
                    "204906.htm"),
    "wms_2010": Ref("Written ministerial statement: Police authority grants (13 Dec 2010)",
                    "https://www.theyworkforyou.com/wms/?id=2010-12-13a.72WS.4"),
    "hmicfrs_2021": Ref("HMICFRS: Regional Organised Crime Units, inspection of effectiveness "
                        "(2021)",
                        "https://www.justiceinspectorates.gov.uk/hmicfrs/publication-html/"
                        "regional-organised-crime-units-effectiveness"),
    "gazette_2025": Ref("Northumberland Gazette (local democracy reporting), Feb 2025",
                        "https://www.northumberlandgazette.co.uk/news/politics/northumbria-"
                        "police-and-crime-commissioner-defends-council-tax-bill-hike-as-77-"
                        "rise-signed-off-4976178"),
    "floors": Ref("Welsh Government final police settlement statements 2019-20 to 2025-26 "
                  "(the uniform core funding change each year)",
                  "https://gov.wales/written-statement-final-police-settlement-2025-26"),
    "fundopt": Ref("fundopt modelling assumption (fundopt/datasets/england_wales_figures.py)",
                   ""),
}


@dataclass(frozen=True)
class Figure:
    category: Category
    item: str
    value: float
    unit: str
    status: Status
    ref: str
    locator: str = ""
    note: str = ""
    url: str = ""  # overrides the reference's address


C, S = Category, Status

#: The scalar figures, by the name the model's code uses.
V: dict[str, Figure] = {f.item: f for f in (
    # -- the 2026-27 settlement ------------------------------------------------------------
    Figure(C.SETTLEMENT, "floor_2026_27", 0.04022, "rate", S.PUBLISHED, "wg_2026",
           "para 4", "'an increase in core funding of 4.022% for 2026-27' for every force "
           "(the needs formula overlaid with a floor); the PGR's own text was not retrievable"),
    Figure(C.SETTLEMENT, "floor_2025_26", 0.03705, "rate", S.PUBLISHED, "wg_2025", "para 4"),
    Figure(C.SETTLEMENT, "damping_rule", 1.0, "text", S.PUBLISHED, "pgr_2022", "section 1, "
           "para 1.5", "the uniform % is applied to Police Main Grant + ex-DCLG Formula "
           "Funding; Legacy Council Tax Grants are outside it (held flat in cash: the PCCs' "
           "own papers print the same LCTG every year, see figures.csv)"),
    Figure(C.SETTLEMENT, "territorial_forces_2026_27", 18_400e6, "£", S.PUBLISHED, "wms_2026",
           "para 4", "'up to £18.4 billion' for territorial forces, precept included"),
    Figure(C.SETTLEMENT, "precept_extra_2026_27", 364e6, "£", S.PUBLISHED, "wms_2026",
           "para 6", "'up to £364 million' more from precept (assumes every PCC uses the £15 "
           "limit)"),
    Figure(C.SETTLEMENT, "band_d_limit_2026_27", 15.0, "£ per Band D", S.PUBLISHED,
           "wg_2026_prov", "para 4", "England; Welsh PCCs are not capped by it"),
    Figure(C.SETTLEMENT, "sr2025_real_growth", 0.017, "rate", S.PUBLISHED, "pq_59321",
           "answer para 1", "police spending power, 2026-27 to 2028-29, average a year in "
           "real terms, precept included"),
    # -- Wales ------------------------------------------------------------------------------
    Figure(C.WALES, "wales_core_support_2026_27", 512.34e6, "£", S.PUBLISHED, "wg_2026",
           "para 2", "total core support for the four Welsh PCCs; the per-force Tables 1-4 "
           "were not retrievable"),
    Figure(C.WALES, "welsh_government_2026_27", 113.47e6, "£", S.PUBLISHED, "wg_2026",
           "para 5", "revenue support grant and NNDR, flat since 2022-23"),
    Figure(C.WALES, "welsh_split", 0.0, "", S.ESTIMATED, "fundopt", "",
           "the Welsh Government's £113.47m and the Home Office's Welsh top-up (the rest of "
           "the £512.34m beyond the transcribed Police Main Grant rows) are split between the "
           "four forces in proportion to their 2025-26 Police Grant Report rows; the real "
           "split is in Tables 1-4 of the Welsh statement, not in our sources"),
    # -- Capital City grant -----------------------------------------------------------------
    Figure(C.CAPITAL_CITY, "nicc_2025_26", 255.2e6, "£", S.PUBLISHED, "nicc_2025",
           "quoted statement", "SECONDARY SOURCE (press quoting the written statement): "
           "National and International Capital City grant, Metropolitan Police and City of "
           "London together, +£65m on 2024-25"),
    Figure(C.CAPITAL_CITY, "nicc_met_2024_25", 185e6, "£", S.PUBLISHED, "nicc_2024", "para 4",
           "SECONDARY SOURCE (press quoting the Mayor): 'maintaining the ... grant' at £185m"),
    Figure(C.CAPITAL_CITY, "nicc_2026_27", 0.0, "", S.ESTIMATED, "fundopt", "",
           "2026-27 amount not found: held at the 2025-26 £255.2m, split Met 185 : City 5.2 "
           "(2024-25: £255.2m - £65m = £190.2m together, of which the Met £185m), and held "
           "flat in later years"),
    # -- ring-fenced and programme money ----------------------------------------------------
    Figure(C.RING_FENCED, "neighbourhood_2026_27", 363e6, "£", S.PUBLISHED, "pq_110521",
           "answer para 4", "'up to £363 million ... through the neighbourhood policing "
           "grant' for 1,750 more neighbourhood personnel by 31 Mar 2027"),
    Figure(C.RING_FENCED, "neighbourhood_split", 0.0, "", S.ESTIMATED, "fundopt", "",
           "per-force allocation not in our sources: split in proportion to core grant, and "
           "held flat in cash in later years"),
    Figure(C.RING_FENCED, "county_lines_2026_27", 28e6, "£", S.PUBLISHED, "debate_2026",
           "Minister's speech", "'£28 million, through our county lines programme'"),
    Figure(C.RING_FENCED, "nclcc_2021_22", 6_403_246.0, "£", S.PUBLISHED, "nclcc_2021",
           "recommendations 1 and 3", "£4,403,246 grant plus £2,000,000 surge fund"),
    Figure(C.RING_FENCED, "county_lines_split", 0.0, "", S.ESTIMATED, "fundopt", "",
           "NCLCC keeps its 2021/22 £6.4m in cash; the rest goes to the four exporting "
           "forces' county lines taskforces (Metropolitan, Merseyside, West Midlands, Greater "
           "Manchester) in proportion to core grant; the programme is held at £28m a year"),
    # -- the police reform programme (the fund that ends) -----------------------------------
    Figure(C.REFORM_FUND, "reform_2026_27", 119e6, "£", S.PUBLISHED, "debate_2026",
           "Minister's speech", "'A total of £119 million will go towards our ambitious "
           "programme of police reform'"),
    Figure(C.REFORM_FUND, "reform_ends", 0.0, "", S.ESTIMATED, "pac_2049", "",
           "who receives it is not published, so it has no baseline; the model lets it fund "
           "forces' reform work, keeps £119m in 2027-28 and ends it from 2028-29: the cliff "
           "edge the PAC warned of when a programme fund ends"),
    # -- precept ------------------------------------------------------------------------------
    Figure(C.PRECEPT, "precept_total_2025_26", 6_057_626_419.0, "£", S.PUBLISHED,
           "funding_stats", "table 4a, precept column, 43 forces",
           "SECONDARY SOURCE (a loader's reconciliation total in the transcribing repository)"),
    Figure(C.PRECEPT, "precept_rest", 0.0, "", S.ESTIMATED, "fundopt", "",
           "forces whose precept is not in figures.csv: the 2026-27 national total (2025-26 "
           "£6,057.6m + the £364m the settlement assumes) less the known forces, split in "
           "proportion to core grant. Per-force precept is in table 4a of the Home Office "
           "funding statistics (gov.uk ODS), not in our sources"),
    Figure(C.PRECEPT, "precept_growth", 0.0, "", S.ESTIMATED, "wg_2026_prov", "",
           "every year each PCC raises Band D by £15 (the 2026-27 limit) on a flat tax base: "
           "precept x 15 / Band D, with Band D the force's 2026-27 level where published, "
           "else the 2024-25 national average £281 + £14 + £15 = £310"),
    Figure(C.PRECEPT, "national_band_d_2024_25", 281.0, "£ per Band D", S.PUBLISHED,
           "gazette_2025", "last para", "SECONDARY SOURCE (press report of a police and crime "
           "panel)"),
    # -- regional organised crime units -----------------------------------------------------
    Figure(C.ROCU, "rocu_network_2018_19", 166.4e6, "£", S.PUBLISHED, "pq_211818",
           "answer, ROCU paragraph", "nine ROCUs' operating budget, London excluded"),
    Figure(C.ROCU, "rocu_home_office_share", 0.30, "share", S.PUBLISHED, "pq_93418",
           "answer para 1", "'c.30% ... with the remaining c.70% coming from Police and Crime "
           "Commissioners in 2025-26'"),
    Figure(C.ROCU, "rocu_network_2026_27", 0.0, "", S.ESTIMATED, "fundopt", "",
           "the 2018-19 £166.4m grown by the uniform core-grant change of each year 2019-20 to "
           "2026-27 (2023-24's, not found, taken as 2.1%); split between the nine units in "
           "proportion to their members' core grant, and each unit's PCC share between its "
           "members the same way (the rule EMSOU's members used, 2012)"),
    Figure(C.ROCU, "london_grant_2022_23", 2_096_674.0, "£", S.PUBLISHED, "pcd_1418",
           "recommendation 1", "RART £1,000,000, ACET £237,944, ROCTA £335,500, drugs "
           "strategy £110,250, digital forensics £78,000, SOC transformation £334,980; held in "
           "cash to 2026-27 (estimated). London's unit has no published PCC contributions: the "
           "Metropolitan Police funds its regional capabilities within its own budget"),
    Figure(C.ROCU, "rocu_line_tags", 0.0, "", S.ESTIMATED, "fundopt", "",
           "London's grant lines tagged: RART and ACET money laundering pursue, ROCTA "
           "organised acquisitive crime pursue, drugs strategy drugs pursue, digital forensics "
           "cyber crime pursue, SOC transformation drugs prevent; other units' and the NCA's "
           "money is worth full value up to its baseline spread evenly over its lines"),
    # -- NCA -----------------------------------------------------------------------------------
    Figure(C.NCA, "nca_2025_26", 1_000e6, "£", S.PUBLISHED, "pq_nca_2025", "answer para 1",
           "'c.£1 billion to the National Crime Agency'; held at £1bn in 2026-27 (estimated)"),
    Figure(C.NCA, "online_csea", 10e6, "£", S.PUBLISHED, "pq_8220", "answer",
           "£10m a year for specialist online child sexual exploitation teams from 2015-16; "
           "held in cash (estimated)"),
    # -- envelopes ----------------------------------------------------------------------------
    Figure(C.ENVELOPE, "growth_confirmed", 0.03, "rate", S.ESTIMATED, "pq_59321", "",
           "core grant, Welsh top-up, ROCU grant, NCA budget and PCC contributions grow 3% a "
           "year in 2027-28 and 2028-29 (Spending Review 2025: police spending power +1.7% a "
           "year real; the stream split is not published)"),
    Figure(C.ENVELOPE, "growth_indicative", 0.02, "rate", S.ESTIMATED, "fundopt", "",
           "2% a year in 2029-30 and 2030-31, after the Spending Review: indicative years"),
    # -- needs ----------------------------------------------------------------------------------
    Figure(C.NEEDS, "paf_basis", 2013.0, "formula year", S.PUBLISHED, "pgr_2021",
           "contents, appendix A", "the formula printed in recent reports is the 2013/14 "
           "Police Allocation Formula; no per-force share before damping is published in our "
           "sources"),
    Figure(C.NEEDS, "east_midlands_gap", 0.068, "rate", S.PUBLISHED, "hc104", "Q1 answer",
           "'Were the funding formula to be implemented to its full extent, we would actually "
           "receive 6.8% more' (the five East Midlands forces, 2009-10)"),
    Figure(C.NEEDS, "needs_proxy", 0.0, "", S.ESTIMATED, "hc104", "",
           "needs target = what today's method gives each force over the plan (so with no "
           "gap the plan is today's method), the East Midlands forces' raised by their "
           "published 6.8% formula gap: the only published measure of damping we found. "
           "Scenarios move the target (no gap, half, double)"),
    # -- rules ------------------------------------------------------------------------------------
    Figure(C.RULE, "max_fall", 0.05, "rate", S.ESTIMATED, "wms_2010", "",
           "largest fall in a recipient's total funding a year; the deepest uniform cut was "
           "6.7% (2012-13)"),
    Figure(C.RULE, "max_rise", 0.06, "rate", S.ESTIMATED, "fundopt", "",
           "largest rise in total funding a year: the pace at which a force below its needs "
           "target may catch up"),
    Figure(C.RULE, "unit_max_fall", 0.03, "rate", S.ESTIMATED, "hmicfrs_2021", "",
           "a regional unit's total funding falls at most 3% a year (a national programme's "
           "5%); negotiable (penalty 5 a pound), so a region pulling out or a fund ending "
           "shows as a broken promise, priced, not a dead end"),
    Figure(C.RULE, "force_floor", 1.0, "ratio", S.ESTIMATED, "fundopt", "",
           "no force's allocation below its 2026-27 cash"),
    Figure(C.RULE, "min_local_share", 0.975, "share", S.ESTIMATED, "fundopt", "",
           "each PCC keeps at least 97.5% of its whole budget (grant plus precept) for local "
           "priorities, which bounds what it may pay its regional unit (today its "
           "contribution and any directed SOC lines take at most about 2.1%)"),
    Figure(C.RULE, "prevent_share", 0.04, "share", S.PUBLISHED, "nao_2019", "summary",
           "prevent's share of front-line SOC spend, 2015-16: the least in every year"),
    Figure(C.RULE, "pursue_share", 0.79, "share", S.PUBLISHED, "nao_2019", "summary",
           "pursue's share of front-line SOC spend, 2015-16: the most in every year"),
)}

#: The uniform core-grant change from 2019-20 to 2025-26 (2023-24 not found: estimated).
FLOORS_SINCE_2018: tuple[tuple[str, float], ...] = (
    ("2019-20", 0.021), ("2020-21", 0.075), ("2021-22", 0.063), ("2022-23", 0.059),
    ("2023-24", 0.021), ("2024-25", 0.02054), ("2025-26", 0.03705))


def value(name: str) -> float:
    return V[name].value


@cache
def table(name: str) -> pd.DataFrame:
    """One of the CSV tables in ``data/`` (forces, regional_units, national_programmes,
    figures, pgr_2025_26, pgr_2026_27), as text."""
    with resources.files("fundopt.datasets").joinpath(f"data/{name}.csv").open("rb") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def published(recipient: str, item: str, year: str) -> float | None:
    """A per-recipient figure from ``figures.csv`` (None when there is none)."""
    t = table("figures")
    row = t.loc[(t["recipient"] == recipient) & (t["item"] == item) & (t["year"] == year)]
    return float(row["value"].iloc[0]) if len(row) else None
