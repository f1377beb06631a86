"""text: the summary line, then one `path:line[:col]: severity: CODE concern: message` per finding."""

from __future__ import annotations

from estimig.reports import finding_line, relpath, sorted_findings, summarize


def render(results, root):
    lines = [summarize(results).headline]
    for result in results:
        path = relpath(result.path, root)
        lines.extend(finding_line(path, f) for f in sorted_findings(result))
    return "\n".join(lines) + "\n"
