r"""Envelopes: what each stream spends in a year, with carry-forward.

.. math::

    \sum_{r,a} x_{r,a,s,t} + c_{s,t} \le E_{s,t} + c_{s,t-1}
    \qquad (= \text{ if must-spend}),
    \qquad 0 \le c_{s,t} \le \kappa_s E_{s,t}

Reads sheets *Envelopes* (stream, year, amount, must_spend) and *Streams*
(carry_forward_share :math:`\kappa_s`). Money in £. No carry out of the last year:
money unspent then is simply unspent.
"""

from __future__ import annotations

from fundopt._support import money
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense, Term
from fundopt.problem.validation import rows


def add_envelopes(b: LpBuilder) -> None:
    idx = b.index
    p = idx.problem
    last = idx.horizon[-1]
    share = {str(r["stream"]): float(r["carry_forward_share"] or 0.0) for _, r in rows(p.streams)}
    env = {(str(r["stream"]), str(r["year"])): (pos, r) for pos, r in rows(p.envelopes)}
    for (s, t), (pos, r) in sorted(env.items()):
        if share[s] > 0 and t != last:
            b.carry[(s, t)] = b.aux(
                "carry", f"carry[{s},{t}]", upper_pounds=share[s] * float(r["amount"]),
                upper_from=("envelopes", pos, "amount", share[s]),
            )
    for (s, t), (pos, r) in sorted(env.items()):
        carry: list[Term] = []
        if (s, t) in b.carry:
            carry.append((b.carry[(s, t)], 1.0))
        if t != idx.horizon[0] and (s, idx.previous(t)) in b.carry:
            carry.append((b.carry[(s, idx.previous(t))], -1.0))
        terms = b.alloc_terms(idx.columns_of_stream_year.get((s, t), ())) + carry
        amount = float(r["amount"])
        must = bool(r["must_spend"])
        b.row(
            terms,
            Sense.EQ if must else Sense.LE,
            amount,
            RowInfo(
                Family.ENVELOPE,
                f"envelope[{s},{t}]",
                envelope_words(s, t, amount, must),
                year=t,
                stream=s,
                sources=(("envelopes", pos),),
            ),
            rhs_from=("envelopes", pos, "amount", 1.0),
        )


def envelope_words(stream: str, year: str, amount: float, must: bool) -> str:
    verb = "must spend exactly" if must else "may spend at most"
    return f"Envelope: stream '{stream}' {verb} {money(amount)} (plus carry-in) in {year}"
