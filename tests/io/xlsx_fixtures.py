"""Fixture builders for the Excel tests: every bad workbook is generated, none committed."""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
from openpyxl.workbook.workbook import Workbook

from fundopt.errors import InputError, Issue
from fundopt.io import read_workbook, write_template

CELL_RE = re.compile(r"'[^']+'![A-Z]{1,3}[0-9]+")


def template(folder: Path, name: str = "input.xlsx") -> Path:
    path = folder / name
    write_template(path)
    return path


def edited(folder: Path, change: Callable[[Workbook], None], name: str = "input.xlsx") -> Path:
    """A fresh template with ``change`` applied through openpyxl."""
    path = template(folder, name)
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def patch_part(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one XML part of an xlsx (for things openpyxl cannot write)."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == part:
                data = change(data.decode()).encode()
            z.writestr(info.filename, data)


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part name of a sheet (from the workbook's relationships)."""
    wb = openpyxl.load_workbook(path)
    index = wb.sheetnames.index(sheet) + 1
    return f"xl/worksheets/sheet{index}.xml"


def fingerprint(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_mtime_ns, stat.st_size


@contextmanager
def untouched(path: Path) -> Iterator[None]:
    """Assert the input is byte-identical afterwards and no file appeared in its folder."""
    before = fingerprint(path) if path.is_file() else None
    listing = sorted(os.listdir(path.parent))
    yield
    if before is not None:
        assert fingerprint(path) == before, "the input file was changed"
    assert sorted(os.listdir(path.parent)) == listing, "a file was left behind"


def read_error(path: Path, **kwargs: object) -> InputError:
    with untouched(path):
        try:
            read_workbook(path, **kwargs)  # type: ignore[arg-type]
        except InputError as e:
            return e
    raise AssertionError("the workbook was accepted")


def issue(path: Path, code: str, **kwargs: object) -> Issue:
    """The first issue with ``code``; checks that every error names a sheet and cell."""
    err = read_error(path, **kwargs)
    matches = [i for i in err.issues if i.code == code]
    assert matches, f"no {code} in:\n{err}"
    return matches[0]


def cell_issue(path: Path, code: str, where: str) -> Issue:
    """The issue with ``code``: its message names ``where`` (e.g. 'Envelopes'!C2)."""
    found = issue(path, code)
    text = str(found)
    assert CELL_RE.search(text), text
    assert text.startswith(where + ":"), text
    return found
