"""Checks on an input file before openpyxl parses it.

The file is read once into memory (opened ``rb``, never written); every later step works
on those bytes, so the file cannot change between the checks and the parse. The checks
sniff the format from its first bytes (encrypted, legacy .xls, .xlsb, text/CSV, empty,
damaged), cap the declared uncompressed size, entry count and compression ratio (zip
bombs), refuse XML with a DOCTYPE (entity attacks), huge merged areas (which make
openpyxl allocate one object per merged cell), too many shared strings (each read one by
one) and parts in UTF-16 (which the scans could not read), and refuse to run without
defusedxml. Macros are never run: openpyxl cannot run them and fundopt does not keep them.
Formatting without data is dropped later, before the parse (:mod:`fundopt.io.slim`).
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fundopt.errors import InputError, Issue, SecurityError, Severity

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm")
_MERGE_RE = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]{1,3})(\d+):([A-Za-z]{1,3})(\d+)\""
)
#: A DOCTYPE or ENTITY declaration in UTF-8 (what Excel writes) or UTF-16 either way round
#: (XML allows it, and an attack may hide in it)
_DOCTYPE_RE = re.compile(b"|".join(re.escape(word.encode(encoding)) for encoding in
                                   ("utf-8", "utf-16-le", "utf-16-be")
                                   for word in ("<!DOCTYPE", "<!ENTITY")), re.IGNORECASE)
#: A shared string (an ``si`` element): one different text of the workbook
_STRING_RE = re.compile(rb"<(?:\w+:)?si(?=[\s/>])")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SafetyLimits:
    """Limits on an input workbook; the defaults are far above any real funding template."""

    max_file_bytes: int = 100_000_000
    max_uncompressed_bytes: int = 500_000_000
    max_entries: int = 10_000
    max_ratio: float = 100.0  # uncompressed / compressed, for entries above ratio_floor_bytes
    ratio_floor_bytes: int = 1_000_000
    max_merged_cells: int = 100_000  # cells covered by merged ranges, per sheet
    #: different texts in the shared-strings part (openpyxl reads each, about 35 µs, twice);
    #: the reference model has 608 different texts
    max_shared_strings: int = 50_000
    #: cells with data in a workbook, once the cells and rows that are only formatted are
    #: dropped (fundopt.io.slim): about 10 s and 0.4 GB to read at the limit; the reference
    #: model has 6,408
    max_cells: int = 300_000


def _refuse(path: Path, code: str, message: str, hint: str = "", *, security: bool = False
            ) -> InputError:
    issue = Issue(message=message, hint=hint, code=code)
    cls = SecurityError if security else InputError
    return cls([issue], source=str(path))


def check_defusedxml() -> None:
    """Fail closed when openpyxl would parse XML without defusedxml's protections."""
    import openpyxl.xml

    if openpyxl.xml.DEFUSEDXML is not True:
        raise _refuse(
            Path(""), "FO-E02",
            "refusing to read workbooks: openpyxl is not using defusedxml",
            'install defusedxml (pip install "defusedxml>=0.7") and do not set '
            "OPENPYXL_DEFUSEDXML to anything but True",
            security=True,
        )


def read_input_bytes(path: Path, limits: SafetyLimits) -> bytes:
    """The file's bytes, after checks on the path and size."""
    name = path.name
    if "\n" in str(path) or "\t" in str(path) or "\r" in str(path):
        raise _refuse(path, "FO-F02", f"the path {str(path)!r} contains a line break or tab",
                      r'in Python write paths as r"C:\folder\file.xlsx" or with forward slashes')
    try:
        st = path.stat()  # follows links: a link that loops fails here, not in a read
    except FileNotFoundError:
        st = None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _refuse(path, "FO-F14", f"'{name}' is a symbolic link that loops back on "
                          "itself", "give the path of the .xlsx file itself") from None
        raise _unreadable(path, e) from e
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise _refuse(path, "FO-F14", f"'{path}' is a folder, not an Excel file",
                      "give the path of an .xlsx file")
    if st is None:
        folder = path.parent
        near = sorted(p.name for p in folder.glob("*.xlsx"))[:5] if folder.is_dir() else []
        hint = (f"files in that folder: {', '.join(near)}" if near
                else "check the file name and folder")
        raise _refuse(path, "FO-F01",
                      f"input file not found: '{name}' (looked for {path.resolve()})", hint)
    if not stat.S_ISREG(st.st_mode):
        raise _not_a_file(path)
    try:
        if st.st_size > limits.max_file_bytes:
            raise _too_big(path, st.st_size, limits)
        # never blocks on a pipe with no writer, and reads at most one byte past the limit,
        # so a file that grows (or a device that never ends) cannot exhaust memory
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped since the check
                raise _not_a_file(path)
            data = f.read(limits.max_file_bytes + 1)
        if len(data) > limits.max_file_bytes:
            raise _too_big(path, len(data), limits)
        return data
    except PermissionError as e:
        raise _refuse(path, "FO-F16", f"cannot read '{name}' (permission denied)",
                      "check the file's permissions, or copy it somewhere you can read") from e
    except OSError as e:
        raise _unreadable(path, e) from e


def _not_a_file(path: Path) -> InputError:
    return _refuse(path, "FO-F14", f"'{path.name}' is not a regular file (a device, pipe or "
                   "socket, which could be read without end)", "give the path of an .xlsx file")


def _too_big(path: Path, size: int, limits: SafetyLimits) -> InputError:
    return _refuse(path, "FO-X04", f"'{path.name}' is {size:,} bytes or more, over the limit "
                   f"of {limits.max_file_bytes:,}", "split or trim the workbook", security=True)


def _unreadable(path: Path, e: OSError) -> InputError:
    return _refuse(path, "FO-F16", f"cannot read '{path.name}' ({e.strerror or e})",
                   "check the file is available (synced, not online-only) and try again")


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    printable = sum(1 for b in head if b in b"\t\r\n" or 32 <= b < 127 or b >= 160)
    return b"\x00" not in head and printable / len(head) > 0.95


def check_container(data: bytes, path: Path, limits: SafetyLimits) -> list[Issue]:
    """Refuse anything that is not a safe .xlsx/.xlsm; return warnings (e.g. macros present)."""
    name = path.name
    suffix = path.suffix.lower()
    if len(data) == 0:
        raise _refuse(path, "FO-F07", f"'{name}' is empty (0 bytes)",
                      "it may be an online-only file or a failed download; open it in Excel "
                      "and save it again")
    if data.startswith(CFB_MAGIC):
        # an encrypted .xlsx is an OLE container holding an EncryptedPackage stream; any
        # other OLE file is an old .xls, whatever its name says
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _refuse(path, "FO-F04", f"'{name}' is password-protected (encrypted)",
                          "in Excel use File > Info > Protect Workbook > Encrypt with Password, "
                          "clear the password and save again")
        renamed = " (whatever its extension says)" if suffix != ".xls" else ""
        raise _refuse(path, "FO-F03",
                      f"'{name}' is in the old Excel 97-2003 (.xls) format{renamed}",
                      "open it in Excel and use Save As > Excel Workbook (.xlsx)")
    if suffix == ".csv" or (not data.startswith(ZIP_MAGICS) and _looks_like_text(data[:4096])):
        raise _refuse(path, "FO-F08", f"'{name}' is a text/CSV file, not an Excel workbook",
                      "open it in Excel and use Save As > Excel Workbook (.xlsx), "
                      "or start from a fresh template: fundopt template")
    if not data.startswith(ZIP_MAGICS):
        raise _refuse(path, "FO-F06", f"'{name}' is not an Excel workbook or is damaged",
                      "open it in Excel (which may offer to repair it) and save it as .xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise _refuse(path, "FO-F06", f"'{name}' is damaged or incomplete",
                      "if it is syncing (OneDrive/SharePoint) wait and retry; otherwise open and "
                      "repair it in Excel") from e
    with archive:
        infos = archive.infolist()
        names = {i.filename for i in infos}
        if suffix == ".xlsb" or "xl/workbook.bin" in names:
            raise _refuse(path, "FO-F10",
                          f"'{name}' is a binary workbook (.xlsb), which is not supported",
                          "open it in Excel and use Save As > Excel Workbook (.xlsx)")
        if "[Content_Types].xml" not in names:
            raise _refuse(path, "FO-F13", f"'{name}' is a zip file but not an Excel workbook",
                          "give the path of an .xlsx file")
        if suffix not in ACCEPTED_SUFFIXES:
            raise _refuse(path, "FO-F14", f"'{name}' does not end in .xlsx or .xlsm",
                          "save the workbook as .xlsx (Excel Workbook)")
        _check_sizes(infos, path, limits)
        warnings: list[Issue] = []
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            if suffix == ".xlsx":
                raise _refuse(path, "FO-X10",
                              f"'{name}' has macros inside a macro-free (.xlsx) file",
                              "remove the macros, or save it from Excel as a normal workbook",
                              security=True)
            warnings.append(Issue(message=f"'{name}' contains macros; they were not run",
                                  code="FO-F11", severity=Severity.WARNING))
        strings = sum(_scan_part(archive, info, path, limits) for info in infos
                      if info.filename.endswith((".xml", ".rels", ".vml")))
    if strings > limits.max_shared_strings:
        raise _refuse(path, "FO-X04", f"'{path.name}' holds {strings:,} different texts (shared "
                      f"strings; limit {limits.max_shared_strings:,}): far more than a funding "
                      "template has, and slow to read (about 7 s for every 100,000)",
                      "delete the sheets fundopt does not read (or copy its sheets into a new "
                      "workbook) and save it from Excel, which drops texts no cell uses",
                      security=True)
    return warnings


def _check_sizes(infos: list[zipfile.ZipInfo], path: Path, limits: SafetyLimits) -> None:
    name = path.name
    if len(infos) > limits.max_entries:
        raise _refuse(path, "FO-X04",
                      f"'{name}' has {len(infos):,} parts (limit {limits.max_entries:,})",
                      "this is not a normal workbook; refused", security=True)
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise _refuse(path, "FO-X04", f"'{name}' would expand to {total:,} bytes "
                      f"(limit {limits.max_uncompressed_bytes:,}); refused",
                      "this looks like a zip bomb, or a workbook far larger than any template",
                      security=True)
    for i in infos:
        if i.file_size > limits.ratio_floor_bytes:
            ratio = i.file_size / max(i.compress_size, 1)
            if ratio > limits.max_ratio:
                raise _refuse(path, "FO-X04",
                              f"'{name}' part {i.filename} is compressed {ratio:,.0f}:1 "
                              f"(limit {limits.max_ratio:,.0f}:1); refused",
                              "this looks like a zip bomb", security=True)


class Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


def xml_pieces(f: Readable) -> Iterator[bytes]:
    """An XML part's bytes, in order, in pieces of about a megabyte that each end just before
    a ``<``, so no tag is ever cut in two (a ``<`` cannot occur inside a tag); in linear time
    and memory, however long a tag or text is."""
    pending = bytearray()
    while chunk := f.read(_CHUNK):
        k = chunk.rfind(b"<")
        if k < 0:
            pending += chunk
            continue
        piece = bytes(pending) + chunk[:k]
        pending = bytearray(chunk[k:])
        if piece:
            yield piece
    if pending:
        yield bytes(pending)


class _Raw:
    """A reader that remembers the last bytes it gave, so a DOCTYPE cut in two by a read is
    still found (in UTF-16 the piece boundary before a '<' would cut it)."""

    def __init__(self, f: Readable, refuse: Callable[[], InputError]) -> None:
        self.f, self.refuse, self.overlap = f, refuse, b""

    def read(self, n: int) -> bytes:
        chunk = self.f.read(n)
        if _DOCTYPE_RE.search(self.overlap + chunk):
            raise self.refuse()
        self.overlap = chunk[-32:]
        return chunk


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path,
               limits: SafetyLimits) -> int:
    """Refuse DOCTYPE/ENTITY declarations, huge merged areas and parts in UTF-16 (which the
    scans could not read), reading in pieces; how many shared strings the part holds."""
    merged = strings = 0
    name = info.filename
    is_sheet = name.startswith("xl/worksheets/")

    def unsafe() -> InputError:
        return _refuse(path, "FO-X01", f"'{path.name}' contains unsafe XML (a DOCTYPE or entity "
                       f"declaration) in {name}; refused",
                       "Excel never writes these; re-save the file from Excel", security=True)

    try:
        with archive.open(info) as f:
            for n, piece in enumerate(xml_pieces(_Raw(f, unsafe))):
                # XML in UTF-8 has no zero byte; the scans below read UTF-8 only
                if n == 0 and (piece.startswith(_UTF16_BOMS) or b"\x00" in piece[:64]):
                    raise _refuse(path, "FO-F06", f"'{path.name}' has a part in UTF-16 ({name}), "
                                  "which Excel never writes and fundopt does not read",
                                  "open it in Excel and save it again")
                if is_sheet:
                    merged += sum(area_of(m) for m in _MERGE_RE.finditer(piece))
                else:
                    strings += len(_STRING_RE.findall(piece))
    except zipfile.BadZipFile as e:
        raise _refuse(path, "FO-F06", f"'{path.name}' is damaged ({name} fails its check)",
                      "open and repair it in Excel, then save again") from e
    if merged > limits.max_merged_cells:
        raise _refuse(path, "FO-X05", f"'{path.name}' merges {merged:,} cells in {name} "
                      f"(limit {limits.max_merged_cells:,}); refused",
                      "unmerge the cells (Home > Merge & Center > Unmerge Cells) and save again",
                      security=True)
    return strings


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def area_of(m: re.Match[bytes]) -> int:
    """Cells in the range a match's groups 1-4 give (column letters, row, letters, row)."""
    c1, r1, c2, r2 = _col(m.group(1)), int(m.group(2)), _col(m.group(3)), int(m.group(4))
    return (abs(c2 - c1) + 1) * (abs(r2 - r1) + 1)
