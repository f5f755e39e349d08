"""The README's examples run as written, and twice in a row (a second run must not trip
over the first's output), and print what the README says they print."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON = re.findall(r"```python\n(.*?)```", README, re.S)


def test_the_set_up_is_two_commands_in_a_virtual_environment() -> None:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block is not None
    lines = block.group(1).strip().splitlines()
    assert len(lines) == 2  # .ci/run runs exactly these
    assert lines[0].startswith("python3.11 -m venv .venv && . .venv/bin/activate && ")
    assert lines[1].startswith(". .venv/bin/activate && ")


@pytest.mark.parametrize("number", range(len(PYTHON)), ids=lambda n: f"block{n + 1}")
def test_each_example_runs_twice(number: int, tmp_path: Path) -> None:
    (tmp_path / "models").symlink_to(ROOT / "models")
    script = tmp_path / "example.py"
    script.write_text(PYTHON[number], encoding="utf-8")
    outputs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    shown = README.split(PYTHON[number], 1)[1]
    printed = re.match(r"```\n\n```\n(.*?)```", shown, re.S)
    if printed:  # the README shows what it prints: it must print exactly that
        assert outputs[0] == printed.group(1)
    assert "e+" not in outputs[0]  # readable numbers, not 5.320369e+10
