"""verify's reports (text, json). Kept apart so it can move onto estimig.reports.render later."""

from __future__ import annotations

import json

from estimig.runtime.compare import CROSS_TARGET, Comparison
from estimig.runtime.trace import NORMALIZED


def render_text(comparisons: list[Comparison]) -> str:
    lines = []
    for comparison in comparisons:
        head = f"{comparison.old} -> {comparison.new}"
        if comparison.unchanged:
            lines.append(f"{head}: unchanged ({comparison.jobs} job{'s' if comparison.jobs != 1 else ''})")
        else:
            lines.append(f"{head}: {len(comparison.differences)} difference(s)")
            lines.extend("  " + d.describe() for d in comparison.differences)
    lines.append("normalized (random by nature): " + ", ".join(NORMALIZED))
    if any(c.cross_target for c in comparisons):
        lines.append("v1 against v2, not compared (only v1's platform sets them): " + "; ".join(
            f"{name} ({why})" for name, why in CROSS_TARGET.items()))
    return "\n".join(lines) + "\n"


def render_json(comparisons: list[Comparison]) -> str:
    return json.dumps(
        {
            "unchanged": all(c.unchanged for c in comparisons),
            "normalized": NORMALIZED,
            "cross_target": CROSS_TARGET if any(c.cross_target for c in comparisons) else {},
            "pairs": [
                {"old": c.old, "new": c.new, "jobs": c.jobs, "unchanged": c.unchanged,
                 "differences": [d.as_dict() for d in c.differences]}
                for c in comparisons
            ],
        },
        indent=2,
        default=str,
    ) + "\n"


def render(comparisons: list[Comparison], fmt: str) -> str:
    return {"text": render_text, "json": render_json}[fmt](comparisons)
