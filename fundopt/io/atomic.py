"""Write an output file all at once or not at all.

The content is made in memory first, then written to a temporary file in the target's
folder (``mkstemp``, so a planted symlink is never followed), flushed and fsynced, and
moved into place with one atomic rename. On any failure, or a Ctrl-C, the temporary file is
removed, so the target is either untouched or complete. Making the content in memory
matters: an openpyxl save stopped half-way (Ctrl-C, a full disk) leaves a ``ZipFile``
whose clean-up later writes to its file; with the file already closed Python printed
"Exception ignored in ZipFile.__del__" and a traceback at exit, while into memory the
clean-up is harmless, and a full disk can only stop the one write of finished bytes. The
input workbook is never a valid target; the target's folder is tried for writing before
a long solve, not after it. A run killed outright
(power cut, ``kill -9``) cannot remove its temporary file: the next write to the same
target removes those more than an hour old (a write takes seconds; a younger one may be
another run's, still writing).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import io
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from fundopt.errors import OutputError


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    if os.path.normcase(str(a.resolve())) == os.path.normcase(str(b.resolve())):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_target(path: Path, *, overwrite: bool, protect: Iterable[str | Path] = (),
                 suffix: str = ".xlsx") -> None:
    """Refuse an input, a folder, a missing or unwritable folder, a link to nothing, or
    (unless allowed) an existing file: cheap checks, made before a long solve."""
    for p in protect:
        if p and _same_file(path, Path(p)):
            raise OutputError(
                f"refusing to overwrite the input workbook '{path.name}'; "
                "choose another output name (-o NAME.xlsx)", code="FO-O01")
    if path.is_dir():
        raise OutputError(f"the output '{path}' is a folder; give a file name ending in .xlsx",
                          code="FO-O14")
    if not path.parent.is_dir():
        raise OutputError(f"the output folder '{path.parent}' does not exist; create it first",
                          code="FO-O14")
    if path.suffix.lower() != suffix:
        raise OutputError(f"the output name '{path.name}' must end in {suffix}", code="FO-O15")
    if path.is_symlink() and not path.exists():
        raise OutputError(
            f"the output '{path}' is a link to '{os.readlink(path)}', which does not exist; "
            "remove the link or choose another name", code="FO-O16")
    if path.exists() and not overwrite:
        raise OutputError(
            f"'{path}' already exists; choose another name, or allow replacing it "
            "(--overwrite, or overwrite=True)", code="FO-O02")
    _try_folder(path)


def _try_folder(target: Path) -> None:
    """Make and remove a temporary file beside ``target``: the one sure test that the
    folder takes a new file (permissions, ACLs, a read-only share or disk all show here)."""
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=_temporary_prefix(target),
                                    suffix=".tmp")
    except OSError as e:
        if isinstance(e, PermissionError) or e.errno == errno.EROFS:
            raise OutputError(
                f"cannot write in the folder '{target.parent}' ({e.strerror or e}); choose a "
                "folder you can write to", code="FO-O04") from None
        raise _output_error(e, target) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


STALE_SECONDS = 3600.0  # a temporary file this old was left by a run that was killed


def _temporary_prefix(target: Path) -> str:
    return f".{target.stem}."


def remove_stale_temporaries(target: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files of earlier writes to ``target`` that were killed before
    they could clean up (older than :data:`STALE_SECONDS`); the ones removed."""
    now = time.time() if now is None else now
    removed = []
    prefix = _temporary_prefix(target)
    ours = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}\.tmp")  # as mkstemp names them
    for p in target.parent.glob(glob.escape(prefix) + "*.tmp"):
        with contextlib.suppress(OSError):
            if (not ours.fullmatch(p.name) or p.is_symlink() or not p.is_file()
                    or now - p.stat().st_mtime <= STALE_SECONDS):
                continue
            p.unlink()
            removed.append(p)
    return removed


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object], *, overwrite: bool,
                     protect: Iterable[str | Path] = (), suffix: str = ".xlsx") -> Path:
    """Call ``write(file)`` on an in-memory file, then put its bytes at ``path`` in one step."""
    target = Path(path)
    check_target(target, overwrite=overwrite, protect=protect, suffix=suffix)
    remove_stale_temporaries(target)
    buffer = io.BytesIO()
    try:
        write(buffer)  # an error or a Ctrl-C here has touched no file
    except OSError as e:  # e.g. openpyxl's own temporary files on a full disk
        raise _output_error(e, target) from e
    content = buffer.getbuffer()
    mode = target.stat().st_mode & 0o777 if target.exists() else _default_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=_temporary_prefix(target),
                                        suffix=".tmp")
    except OSError as e:
        raise _output_error(e, target) from e
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, target)
        else:
            _link_exclusive(tmp, target)
        _fsync_dir(target.parent)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError):
            raise _output_error(e, target) from e
        raise
    return target


def _link_exclusive(tmp: Path, target: Path) -> None:
    """Move into place without replacing a file that appeared since the check."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        # no hard links on this file system (e.g. FAT, some network shares)
        if target.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _output_error(e: OSError, target: Path) -> OutputError:
    if isinstance(e, FileExistsError):
        return OutputError(f"'{target}' already exists; choose another name or use --overwrite",
                           code="FO-O02")
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return OutputError(f"not enough disk space to write '{target.name}'; nothing was written",
                           code="FO-O05")
    if isinstance(e, PermissionError):
        return OutputError(
            f"cannot write '{target}' (permission denied); if it is open in Excel close it, "
            "otherwise choose a folder you can write to", code="FO-O04")
    return OutputError(f"could not write '{target}' ({e.strerror or e}); nothing was written",
                       code="FO-O03")
