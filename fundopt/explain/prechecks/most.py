"""The most amounts the rules allow, in every plan: what streams can spend in a year (their
envelopes plus the most they may carry in) and a recipient's hard cap."""

from __future__ import annotations

from fundopt._support import money, percent
from fundopt.explain.diagnosis import RuleRef
from fundopt.explain.prechecks.facts import Facts


def capacity(f: Facts, streams: frozenset[str], t: str) -> tuple[float, list[RuleRef], bool]:
    """The most ``streams`` can spend in year t: envelopes plus the most carried in, the
    rules and figures behind it, and whether any of it is carried in."""
    total, refs, carried = 0.0, [], False
    prev = f.previous(t)
    for s in sorted(streams):
        pos, amount = f.envelopes.get((s, t), (None, float("inf")))
        total += amount
        refs.append(RuleRef(f"envelope[{s},{t}]", "envelope",
                            f"Envelope: stream '{s}' has {money(amount)} in {t}", year=t,
                            stream=s, locations=(f.loc("envelopes", pos, "amount"),)))
        share_pos, share = f.carry_share.get(s, (None, 0.0))
        # the LP carries only between years of the horizon: none into its first
        if share > 0 and prev != f.base_year and (s, prev) in f.envelopes:
            prev_pos, prev_amount = f.envelopes[(s, prev)]
            total += share * prev_amount
            carried = True
            refs.append(RuleRef(
                f"carry[{s},{prev}]", "carry",
                f"Carry-forward: stream '{s}' may carry at most {percent(share)} of its "
                f"{prev} envelope ({money(share * prev_amount)}) into {t}", year=prev,
                stream=s, locations=(f.loc("streams", share_pos, "carry_forward_share"),
                                     f.loc("envelopes", prev_pos, "amount"))))
    return total, refs, carried


def cap(f: Facts, r: str, t: str) -> tuple[float, list[RuleRef]]:
    """r's hard cap in t (infinite without one): the smaller of its amount and its ratio
    of the baseline."""
    chosen = f.limits.get((r, t))
    if chosen is None:
        return float("inf"), []
    pos, row = chosen
    base, base_pos = f.baseline.get(r, (0.0, []))
    best: tuple[float, list[RuleRef]] = (float("inf"), [])
    for column, amount in (("cap_amount", row["cap_amount"]),
                           ("cap_ratio", None if row["cap_ratio"] is None
                            else float(row["cap_ratio"]) * base)):
        if amount is None or float(amount) >= best[0]:
            continue
        where = [f.loc("limits", pos, column)]
        if column == "cap_ratio":
            where += [f.loc("baselines", b, "amount") for b in base_pos]
        best = (float(amount), [RuleRef(
            f"{column}[{r},{t}]", "cap", f"Cap: {r} gets at most {money(float(amount))} in {t}",
            year=t, recipient=r, locations=tuple(where))])
    return best
