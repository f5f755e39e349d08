"""The package shows its pipeline, and data flows one way through it.

``fundopt/`` is grouped by stage; a module may import from its own stage or an earlier one,
never from a later one (imports under ``if TYPE_CHECKING:`` are type hints, not
dependencies, and are not counted). The map is in the README's Architecture section and in
docs/CONTRIBUTING.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fundopt"

#: The stages in pipeline order: workbook -> problem -> LP -> solver -> reasons -> plan
#: -> what-if -> reports -> Excel -> shipped models -> command line.
STAGES: tuple[tuple[str, ...], ...] = (
    ("errors", "_support"),
    ("problem",),
    ("formulation",),
    ("solver",),
    ("explain",),
    ("plan",),
    ("whatif",),
    ("reports",),
    ("io",),
    ("datasets",),
    ("cli", "__init__", "__main__"),
)
RANK = {name: i for i, names in enumerate(STAGES) for name in names}


def _stage_of(parts: tuple[str, ...]) -> str:
    """The stage of module ``fundopt.<parts>``: its first part (``__init__`` for the
    package itself, the public API, which comes last)."""
    first = parts[0] if parts else "__init__"
    return first.removesuffix(".py")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, dotted module) of every ``fundopt`` import outside ``if TYPE_CHECKING:``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "fundopt":  # `from fundopt import x`: the public API
                out.append((node.lineno, "fundopt.__init__"))
            elif node.module.startswith("fundopt."):
                out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("fundopt.")]
    return out


def test_ls_fundopt_shows_the_stages() -> None:
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    stages = {name for names in STAGES for name in names}
    expected = {f"{s}.py" if s in ("errors", "_support", "cli", "__init__", "__main__") else s
                for s in stages}
    assert entries - {"py.typed"} <= expected, f"not in a stage: {entries - expected}"
    for folder in ("problem", "formulation", "solver", "explain", "plan", "whatif", "reports",
                   "io", "datasets"):
        assert (PACKAGE / folder / "__init__.py").is_file()
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
        assert doc, f"fundopt/{folder}/__init__.py should say what the stage is for"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_later_stage(path: Path) -> None:
    own = _stage_of(path.relative_to(PACKAGE).parts)
    assert own in RANK, f"{path} is in no stage"
    tree = ast.parse(path.read_text(), str(path))
    backwards = [
        f"line {line}: {target} (stage {_stage_of(tuple(target.split('.')[1:]))})"
        for line, target in _runtime_imports(tree)
        if RANK[_stage_of(tuple(target.split(".")[1:]))] > RANK[own]
    ]
    assert not backwards, f"{path.relative_to(PACKAGE)} (stage {own}) reaches forward: " + \
        "; ".join(backwards)


def test_the_check_sees_a_backward_import(tmp_path: Path) -> None:
    """The check would fail on a formulation module importing the plan stage."""
    tree = ast.parse("from fundopt.plan.tables import allocation_table\n"
                     "from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from fundopt.whatif.sweep import SweepResult\n")
    targets = [t for _, t in _runtime_imports(tree)]
    assert targets == ["fundopt.plan.tables"]
    assert RANK[_stage_of(tuple(targets[0].split(".")[1:]))] > RANK["formulation"]
