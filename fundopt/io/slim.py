"""Formatting without data, dropped before openpyxl parses a workbook, so reading takes time
and memory in proportion to the data, not to the formatting.

A cell that is only formatted (``<c r="B7" s="3"/>``) or a row that is only formatted
(``<row r="9" s="3" customFormat="1"/>``, as Excel writes when whole rows are formatted)
holds nothing fundopt reads, yet openpyxl makes an object of each: a million of them took
minutes and gigabytes. So does a hyperlink over a range (openpyxl makes every cell of it;
fundopt reads no hyperlinks). Such elements are removed from each worksheet's XML, in pieces, with
patterns that match a whole element and its attributes (quoted values skipped, so nothing
inside a value is taken for markup); any element with content (a value, a formula, a text)
is kept as it was. A sheet is left untouched when removing elements could move others: if
any cell or row lacks its ``r`` position (openpyxl then counts positions from the elements
before it) or the sheet has a CDATA section. The input file is never changed: openpyxl gets
a new package in memory, and only when there was something worth removing.

The cells left (the data) are counted and capped (``SafetyLimits.max_cells``): beyond it a
workbook is refused before openpyxl loads it, naming the sheet with the most cells.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fundopt.errors import Issue, SecurityError
from fundopt.io.safety import SafetyLimits, area_of, xml_pieces

#: one attribute with its quoted value (a '>' or '/>' inside the quotes is not markup)
_ATTR = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))"""
_PREFIX = rb"((?:[A-Za-z_][\w.-]*:)?)"
_EMPTY_CELL = re.compile(rb"<" + _PREFIX + rb"c" + _ATTR + rb"*\s*(?:/>|>\s*</\1c\s*>)")
_EMPTY_ROW = re.compile(rb"<" + _PREFIX + rb"row" + _ATTR + rb"*\s*(?:/>|>\s*</\1row\s*>)")
_CELL_OR_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row)(?=[\s/>])")
_WITH_POSITION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row)" + _ATTR + rb"*?\s+r\s*=")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s/>])")
#: a hyperlink (fundopt reads none): openpyxl makes every cell of its range, so one link on
#: column H made a million cells (258 s and 8.8 GB)
_HYPERLINK = re.compile(
    rb"<" + _PREFIX + rb"hyperlink" + _ATTR + rb"*\s*(?:/>|>\s*</\1hyperlink\s*>)")
_LINK_RANGE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?hyperlink" + _ATTR
                         + rb"""*?\s+ref\s*=\s*["']([A-Za-z]{1,3})(\d+):([A-Za-z]{1,3})(\d+)""")

#: A package is rebuilt only when it would shed at least this much XML, or hyperlinks over
#: this many cells.
REBUILD_FROM_BYTES = 1_000_000
REBUILD_FROM_LINKED_CELLS = 10_000


@dataclass(frozen=True)
class _Sheet:
    """One worksheet part after the pass: its XML (slimmed, or None if left as it was), the
    bytes removed, the cells left, and the cells under hyperlinks removed and left."""

    xml: bytes | None
    removed: int
    cells: int
    unlinked: int = 0
    linked: int = 0


def slim_package(data: bytes, path: Path, limits: SafetyLimits) -> bytes:
    """The package for openpyxl: ``data`` with its worksheets' formatted-but-empty cells and
    rows and their hyperlinks removed (``data`` itself when there is little to remove).
    Refuses a workbook with more than ``limits.max_cells`` cells left, or hyperlinks it
    could not remove over more than ``limits.max_merged_cells`` cells of a sheet."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        sheets = {i.filename: _slim(archive, i) for i in infos if is_worksheet(i.filename)}
        cells = sum(s.cells for s in sheets.values())
        if cells > limits.max_cells:
            raise _too_many_cells(archive, sheets, cells, path, limits)
        linked = max((s.linked for s in sheets.values()), default=0)
        if linked > limits.max_merged_cells:
            raise SecurityError([Issue(
                message=f"'{path.name}' has a hyperlink over {linked:,} cells (limit "
                        f"{limits.max_merged_cells:,}); refused",
                hint="remove the hyperlink (right-click > Remove Hyperlink) or put it on one "
                     "cell, and save again", code="FO-X05")], source=str(path))
        if sum(s.removed for s in sheets.values()) < REBUILD_FROM_BYTES and \
                sum(s.unlinked for s in sheets.values()) < REBUILD_FROM_LINKED_CELLS:
            return data
        out = io.BytesIO()
        # stored, not compressed: openpyxl reads it at once, and the data left is small
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as new:
            for info in infos:
                sheet = sheets.get(info.filename)
                body = sheet.xml if sheet is not None and sheet.xml is not None \
                    else archive.read(info)
                new.writestr(info.filename, body)
    return out.getvalue()


def is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _slim(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Sheet:
    pieces: list[bytes] = []
    removed = cells = tags = positioned = linked = left = 0
    with archive.open(info) as f:
        for piece in xml_pieces(f):
            if b"<![CDATA[" in piece:
                return _as_it_is(archive, info)
            tags += _count(_CELL_OR_ROW, piece)
            positioned += _count(_WITH_POSITION, piece)
            linked += _linked(piece)
            kept = _HYPERLINK.sub(b"", _EMPTY_ROW.sub(b"", _EMPTY_CELL.sub(b"", piece)))
            removed += len(piece) - len(kept)
            cells += _count(_CELL, kept)
            left += _linked(kept)
            pieces.append(kept)
    if tags != positioned:  # an element placed by counting: removing others would move it
        return _as_it_is(archive, info)
    return _Sheet(b"".join(pieces) if removed else None, removed, cells, linked - left, left)


def _as_it_is(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Sheet:
    cells = linked = 0
    with archive.open(info) as f:
        for piece in xml_pieces(f):
            cells += _count(_CELL, piece)
            linked += _linked(piece)
    return _Sheet(None, 0, cells, linked=linked)


def _count(pattern: re.Pattern[bytes], piece: bytes) -> int:
    return len(pattern.findall(piece))


def _linked(piece: bytes) -> int:
    """Cells under the hyperlinks over a range in ``piece``."""
    return sum(area_of(m) for m in _LINK_RANGE.finditer(piece))


def _too_many_cells(archive: zipfile.ZipFile, sheets: dict[str, _Sheet], cells: int,
                    path: Path, limits: SafetyLimits) -> SecurityError:
    part, most = max(sheets.items(), key=lambda item: item[1].cells)
    names = dict(_sheet_names(archive))
    where = f"sheet '{names[part]}'" if part in names else part
    issue = Issue(
        message=f"'{path.name}' has {cells:,} cells with data ({most.cells:,} on {where}; "
                f"limit {limits.max_cells:,} in a workbook): far more than a funding template "
                "has, and too many to read in reasonable time and memory",
        hint="delete the sheets or the data fundopt does not read (below or beside the "
             "tables), save, and try again",
        code="FO-X04")
    return SecurityError([issue], source=str(path))


def _sheet_names(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(worksheet part, sheet name) for the sheets the workbook lists, where it can tell."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return
    targets = {}
    for m in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        tag = m.group(0)
        rid, target = _attr(tag, b"Id"), _attr(tag, b"Target")
        if rid and target:
            targets[rid] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    for m in re.finditer(rb"<(?:\w+:)?sheet\s[^>]*>", workbook):
        tag = m.group(0)
        name, rid = _attr(tag, b"name"), _attr(tag, b"r:id")
        if name and rid in targets:
            yield targets[rid], name


def _attr(tag: bytes, name: bytes) -> str:
    m = re.search(rb"\s" + re.escape(name) + rb"""\s*=\s*("([^"]*)"|'([^']*)')""", tag)
    if m is None:
        return ""
    return html.unescape((m.group(2) or m.group(3) or b"").decode("utf-8", "replace"))
