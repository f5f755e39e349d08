"""Each table's key: no two rows may say the same thing."""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from fundopt.problem.schema import TABLES
from fundopt.problem.validation.cells import is_blank
from fundopt.problem.validation.issues import Checker


def check_keys(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    for spec in TABLES:
        if not spec.key:
            continue
        df = t[spec.name]
        seen: dict[tuple[Any, ...], int] = {}
        for pos, key in enumerate(df[list(spec.key)].itertuples(index=False, name=None)):
            norm = tuple("" if is_blank(k) else k for k in key)
            if all(k == "" for k in norm) and len(spec.key) > 1:
                continue
            if norm in seen:
                shown = ", ".join(
                    f"{c}={k}" for c, k in zip(spec.key, norm, strict=True) if k != ""
                )
                ck.add(
                    spec.name,
                    pos,
                    spec.key[0],
                    f"duplicate row ({shown})",
                    hint=f"it repeats row {seen[norm] + 1} of the table; keep one",
                    code="FO-V20",
                )
            else:
                seen[norm] = pos


#: Letters from other scripts that look like Latin ones (the common homoglyphs of
#: Cyrillic and Greek): an id typed with one is another id that looks the same.
_LOOK_ALIKES = str.maketrans("асеіјорѕхуԁһӏкмнтвАВСЕНІЈКМОРЅТХУαοικνρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
                             "aceijopsxydhlkmhtbABCEHIJKMOPSTXYaoikvptuxABEZHIKMNOPTYX")


def _canonical_id(text: str) -> str:
    """How an id reads to a person: Unicode-normalised, case folded, invisible characters
    dropped, look-alike letters as their Latin twins."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKC", text)
                    if unicodedata.category(ch) != "Cf")
    return plain.translate(_LOOK_ALIKES).casefold()


def check_near_duplicate_ids(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    """Two ids a person cannot tell apart (``Cumbria`` and ``cumbria``, a Cyrillic ``а``, a
    zero-width space) would be two recipients, each funded; an invisible character in an id
    is refused too, since nobody can type it again in another sheet."""
    for table, column in (("recipients", "recipient"), ("activities", "activity"),
                          ("streams", "stream")):
        first: dict[str, tuple[int, str]] = {}
        for pos, v in enumerate(t[table][column]):
            if not isinstance(v, str):
                continue
            if any(unicodedata.category(ch) == "Cf" for ch in v):
                ck.add(table, pos, column, f"the id {v!r} contains an invisible character",
                       found=v.encode("unicode_escape").decode("ascii"), code="FO-V33",
                       hint="retype the id")
            key = _canonical_id(v)
            if key in first and first[key][1] != v:
                other_pos, other = first[key]
                ck.add(table, pos, column,
                       f"the id {v!r} looks the same as {other!r} (row {other_pos + 1} of the "
                       "table) but is a different id",
                       found=v.encode("unicode_escape").decode("ascii"), code="FO-V33",
                       hint="use one spelling for one recipient, activity or stream")
            first.setdefault(key, (pos, v))
