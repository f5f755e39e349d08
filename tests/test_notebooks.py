"""The what-if notebooks: committed without outputs, each runs top to bottom, and every
cell that draws a chart shows it as a picture (in a kernel like a user's: no backend set,
no %matplotlib magic)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds; each notebook takes about a minute on the reference model


def test_the_numbered_stories_are_there() -> None:
    assert [n.name[:3] for n in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_", "06_",
                                                   "07_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_outputs_are_committed(path: Path) -> None:
    book = json.loads(path.read_text(encoding="utf-8"))
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: strip outputs (nbstripout)"
            assert cell.get("execution_count") is None, f"{path.name}: strip execution counts"


# jupyter_client and jupyter_core warn about their own deprecations; not ours to fix
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own choice, as for a user
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(book, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, if one fails
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    charts = [c for c in book.cells if c.cell_type == "code" and "fo.plot_" in c.source]
    assert charts or path.stem.startswith("05_")  # 05 tells its story in tables
    for cell in charts:
        pictures = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert pictures, f"{path.name}: this cell drew no picture:\n{cell.source}"
        assert not [o for o in cell.outputs
                    if o.get("data", {}).get("text/plain", "").startswith("<Figure size")
                    and "image/png" not in o.get("data", {})]
    print(f"{path.name}: {time.perf_counter() - started:.0f} s")
