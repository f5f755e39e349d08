"""What if the core police grant is cut? Solve the reference model under three envelopes
and see what one more pound is worth. Run: python examples/envelope_whatif.py"""

from pathlib import Path

import fundopt as fo

MODEL = Path(__file__).resolve().parent.parent / "models" / "england_wales_soc.xlsx"

problem = fo.read_workbook(MODEL)
cuts = [
    fo.Scenario(f"core x{f:.3f}", (fo.ScaleEnvelope("core_grant", None, f),))
    for f in (0.99, 0.995, 1.0)
]
result = fo.sweep(problem, cuts, progress=False)
print(result.summary[["scenario", "status", "objective"]].to_string(index=False))

# a bigger envelope is never worth less
objectives = list(result.summary["objective"])
assert objectives == sorted(objectives), objectives
assert set(result.summary["status"]) == {"optimal"}
