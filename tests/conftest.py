import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _close_workbooks_a_test_opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every workbook a test opened with ``openpyxl.load_workbook`` when it ends: a
    read-only workbook holds its file open, and if the test forgets to close it, the
    garbage collector's ResourceWarning (an error here) lands in whichever test runs next.
    fundopt itself reads workbooks from bytes in memory, so nothing of its own is hidden."""
    opened: list[Any] = []
    real = openpyxl.load_workbook

    def load(*args: Any, **kwargs: Any) -> Any:
        book = real(*args, **kwargs)
        opened.append(book)
        return book

    monkeypatch.setattr(openpyxl, "load_workbook", load)
    yield
    for book in opened:
        book.close()
