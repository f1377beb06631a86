"""text: the summary line, then one `path[:cell N]:line: severity: concern: message` per finding."""

from __future__ import annotations

from estimig.reports import relpath, sorted_findings, summarize


def render(results, root):
    lines = [summarize(results).headline]
    for result in results:
        path = relpath(result.path, root)
        for f in sorted_findings(result):
            # One finding, one line: tools grep and parse this.
            message = " ".join(f.message.split())
            lines.append(f"{f.location(path)}: {f.severity.value}: {f.concern}: {message}")
    return "\n".join(lines) + "\n"
