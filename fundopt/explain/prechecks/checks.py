"""One check per code: each sets a least amount the rules force against a most amount they
allow, and reports a conflict (with the exact shortfall) where the least is more."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fundopt._support import money, money_apart, percent
from fundopt.explain.diagnosis import TOLERANCE_POUNDS, Conflict, RuleRef
from fundopt.explain.prechecks.facts import Facts
from fundopt.explain.prechecks.least import Least, Need, commitment_ref, requirement_ref
from fundopt.explain.prechecks.most import cap, capacity
from fundopt.problem.schema import ShareScope, Threat
from fundopt.problem.validation import rows

LOCAL = Threat.LOCAL_POLICING.value


def conflict(code: str, summary: str, refs: list[RuleRef], shortfall: float,
             suggestion: str) -> Conflict:
    return Conflict("check", code, summary, _dedupe(refs), shortfall, suggestion)


def _dedupe(refs: list[RuleRef]) -> tuple[RuleRef, ...]:
    out: list[RuleRef] = []
    for r in refs:
        if r not in out:
            out.append(r)
    return tuple(out)


def _words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def check_unfundable(least: Least) -> list[Conflict]:
    """FO-P01: a commitment, or a recipient's least amount, that no stream may fund."""
    f = least.facts
    out: list[Conflict] = []
    for (r, a, t), got in sorted(f.commitments.items(), key=lambda kv: kv[0]):
        streams = f.line_streams.get((r, a), frozenset())
        if not f.funded(r, t):
            streams = frozenset()
        for s, (amount, pos) in sorted(got.items(), key=lambda kv: kv[0] or ""):
            if (s is None and streams) or (s is not None and s in streams):
                continue
            via = f" from stream '{s}'" if s else ""
            out.append(conflict(
                "FO-P01", f"in {t}, the commitment of {money(amount)} to {r}'s '{a}'{via} "
                f"cannot be met: no stream may fund {r}'s '{a}'{via} that year: short by "
                f"{money(amount)}", [commitment_ref(f, r, a, s, t, amount, pos)], amount,
                f"let a stream fund it (sheet 'Eligibility'; {r}'s funded years on sheet "
                "'Recipients'), or remove the commitment"))
    for r in sorted(f.recipients):
        for t in f.horizon:
            if not f.funded(r, t) or f.streams(r, t):
                continue
            need = least.recipient(r, t)
            if need.pounds > TOLERANCE_POUNDS:
                out.append(conflict(
                    "FO-P01", f"in {t}, {r}'s {_words(need.words)} need at least "
                    f"{money(need.pounds)} but no stream may fund {r}: short by "
                    f"{money(need.pounds)}", need.refs, need.pounds,
                    f"let a stream fund {r} (sheet 'Eligibility'), or change the rules"))
    return out


def check_envelopes(least: Least) -> list[Conflict]:
    """FO-P02: what the recipients only some streams can fund need, against those
    streams' envelopes plus the most they can carry in. The smallest such groups of
    streams are tried first; a group holding one already found short is not reported."""
    f = least.facts
    out: list[Conflict] = []
    for t in f.horizon:
        needs = {r: least.recipient(r, t) for r in sorted(f.recipients) if f.funded(r, t)}
        groups = {frozenset({s}) for s in sorted(f.carry_share)}
        groups |= {f.streams(r, t) for r, n in needs.items() if n.pounds > TOLERANCE_POUNDS}
        found: list[frozenset[str]] = []
        for group in sorted((g for g in groups if g), key=lambda g: (len(g), sorted(g))):
            if any(g <= group for g in found):
                continue
            total = _need_within(least, needs, group, t)
            most, most_refs, carried = capacity(f, group, t)
            if total.pounds <= most + TOLERANCE_POUNDS:
                continue
            found.append(group)
            out.append(_envelope_conflict(t, group, total, most, most_refs, carried))
    return out


def _need_within(least: Least, needs: dict[str, Need], group: frozenset[str], t: str) -> Need:
    """What must come from the streams of ``group`` in t: the least amounts of recipients
    only they can fund, and the commitments of other lines that only they can meet."""
    f = least.facts
    total = Need()
    for r, need in needs.items():
        if need.pounds > TOLERANCE_POUNDS and f.streams(r, t) <= group:
            total.add(need)
        elif f.streams(r, t):
            for a in f.lines_of.get(r, []):
                total.add(least.line(r, a, t, within=group))
    return total


def _envelope_conflict(t: str, group: frozenset[str], total: Need, most: float,
                       most_refs: list[RuleRef], carried: bool) -> Conflict:
    short = total.pounds - most
    names = _words([f"'{s}'" for s in sorted(group)])
    only = f"only stream {names} can fund" if len(group) == 1 else \
        f"only streams {names} can fund"
    has = "its envelope is" if len(group) == 1 else "their envelopes total"
    carry = " with the most it can carry in" if carried else ""
    needed, allowed = money_apart(total.pounds, most)
    return conflict(
        "FO-P02", f"in {t}, {_words(total.words)} of recipients {only} total "
        f"{needed} but {has} {allowed}{carry}: short by "
        f"{money(short)}", total.refs + most_refs, short,
        f"add {money(short)} to the envelope{'s' if len(group) > 1 else ''} in {t}, "
        f"or let these {_words(total.words)} give way by {money(short)} in all")


def check_caps(least: Least) -> list[Conflict]:
    """FO-P03: a recipient's floor, commitments or cliff-edge minimum above its cap."""
    f = least.facts
    out: list[Conflict] = []
    for r in sorted(f.recipients):
        for t in f.horizon:
            if not f.funded(r, t):
                continue
            most, refs = cap(f, r, t)
            need = least.recipient(r, t)
            if need.pounds > most + TOLERANCE_POUNDS:
                short = need.pounds - most
                needed, allowed = money_apart(need.pounds, most)
                out.append(conflict(
                    "FO-P03", f"in {t}, {r}'s {_words(need.words)} need at least "
                    f"{needed} but its cap is {allowed}: over by {money(short)}",
                    need.refs + refs, short,
                    f"raise {r}'s cap in {t} or lower its {_words(need.words)} by "
                    f"{money(short)}"))
    return out


def check_shares(least: Least) -> list[Conflict]:
    """FO-P04: a share target eligibility cannot reach (no stream may fund its numerator,
    or nothing outside it) while other rules force funding into its base."""
    out: list[Conflict] = []
    for pos, g in rows(least.facts.problem.share_targets):
        if g["penalty"] is None:
            out += _share_target(least, pos, g)
    return out


def _share_target(least: Least, pos: int, g: dict[str, Any]) -> list[Conflict]:
    f = least.facts
    t = str(g["year"])
    soc = g["scope"] == ShareScope.SOC.value

    def in_scope(a: str) -> bool:
        return not soc or f.threat[a] != LOCAL

    def in_numerator(a: str) -> bool:
        return ((g["strand"] is None or f.strand[a] == g["strand"])
                and (g["threat"] is None or f.threat[a] == g["threat"]))

    possible = [(r, a) for (r, a), s in f.line_streams.items()
                if s and f.funded(r, t) and in_scope(a)]
    what = " ".join(str(v) for v in (g["strand"], g["threat"]) if v is not None) or "all"
    of = "SOC funding" if soc else "all funding"
    out: list[Conflict] = []
    for column, word in (("min_share", "at least"), ("max_share", "at most")):
        share = g[column]
        if share is None:
            continue
        share = float(share)
        key = f"{g['strand'] or '*'},{g['threat'] or '*'},{g['scope']},{t}"
        ref = RuleRef(f"share_{column[:3]}[{key}]", "share_target",
                      f"Share target: {what} gets {word} {percent(share)} of {of} in {t}",
                      year=t, locations=(f.loc("share_targets", pos, column),))
        reachable = any(in_numerator(a) for _, a in possible)
        wanted: Callable[[str], bool]
        if column == "min_share" and share > 0 and not reachable:
            wanted, gap_share = in_scope, share
            missing = f"{what} activities"
        elif column == "max_share" and share < 1 and not any(
                not in_numerator(a) for _, a in possible):
            wanted, gap_share = (lambda a: in_numerator(a) and in_scope(a)), 1 - share
            missing = f"any {'SOC ' if soc else ''}activity other than {what}"
        else:
            continue
        base = least.forced(t, wanted)
        short = gap_share * base.pounds
        if short <= TOLERANCE_POUNDS:
            continue
        out.append(conflict(
            "FO-P04", f"in {t}, the share target '{what} gets {word} {percent(share)} of "
            f"{of}' cannot be met: no stream may fund {missing} that year, yet "
            f"{_words(base.words)} force {money(base.pounds)} of {of}: short by "
            f"{money(short)}", [ref, *base.refs], short,
            f"let a stream fund {missing} in {t} (sheet 'Eligibility'), or remove the "
            "target"))
    return out


def check_requirements(least: Least) -> list[Conflict]:
    """FO-P05: a national or regional requirement above the most its recipients can be
    given, under their national ring-fences, caps and streams."""
    f = least.facts
    regions: dict[str, list[str]] = defaultdict(list)
    for r, rec in f.recipients.items():
        if rec["region"]:
            regions[str(rec["region"])].append(r)
    out: list[Conflict] = []
    for pos, q in rows(f.problem.requirements):
        if q["penalty"] is not None:
            continue
        t, threat, amount = str(q["year"]), str(q["threat"]), float(q["amount"])
        members = sorted(f.recipients if q["region"] is None else regions[str(q["region"])])
        total, refs = _most_on_threat(f, members, threat, t)
        if amount <= total + TOLERANCE_POUNDS:
            continue
        short = amount - total
        where = "nationally" if q["region"] is None else f"in region {q['region']}"
        needed, allowed = money_apart(amount, total)
        out.append(conflict(
            "FO-P05", f"in {t}, the requirement of {needed} on {threat} {where} "
            f"cannot be met: its recipients' national ring-fences, caps and streams allow at "
            f"most {allowed}: short by {money(short)}",
            [requirement_ref(f, pos, q), *refs], short,
            f"lower the requirement by {money(short)}, or raise those ring-fences "
            "(max_national_share), caps or envelopes"))
    return out


def _most_on_threat(f: Facts, members: list[str], threat: str, t: str
                    ) -> tuple[float, list[RuleRef]]:
    """The most ``members`` can be given for ``threat`` in t: per recipient, its cap or
    what its streams have, whichever is less (times its national ring-fence where one
    applies); in all, never more than those streams have together."""
    total = 0.0
    refs: list[RuleRef] = []
    all_streams: set[str] = set()
    for r in members:
        if not f.funded(r, t):
            continue
        lines = [a for a in f.lines_of.get(r, []) if f.threat[a] == threat]
        streams = frozenset().union(*(f.line_streams[(r, a)] for a in lines))
        if not streams:
            continue
        all_streams |= streams
        most_cap, cap_refs = cap(f, r, t)
        ring = f.local_shares.get((r, t))
        national = threat != LOCAL and not (set(lines) & f.local_priorities.get(r, frozenset()))
        if ring is not None and ring[1]["max_national_share"] is not None and national:
            # a ring-fence caps the national part of all r's allocation, from any stream
            share = float(ring[1]["max_national_share"])
            money_in, money_refs, _ = capacity(f, f.streams(r, t), t)
            most, most_refs = (most_cap, cap_refs) if most_cap <= money_in \
                else (money_in, money_refs)
            total += share * most
            refs += [RuleRef(
                f"national_share[{r},{t}]", "national_share",
                f"National ring-fence: at most {percent(share)} of {r}'s allocation goes "
                f"to national priorities in {t}", year=t, recipient=r,
                locations=(f.loc("local_shares", ring[0], "max_national_share"),)),
                *most_refs]
        else:
            money_in, money_refs, _ = capacity(f, streams, t)
            most, most_refs = (most_cap, cap_refs) if most_cap <= money_in \
                else (money_in, money_refs)
            total += most
            refs += most_refs
    pooled, pooled_refs, _ = capacity(f, frozenset(all_streams), t)
    if pooled < total:
        return pooled, pooled_refs
    return total, refs


#: The checks in the order their conflicts are reported.
CHECKS: tuple[Callable[[Least], list[Conflict]], ...] = (
    check_unfundable, check_envelopes, check_caps, check_shares, check_requirements,
)
