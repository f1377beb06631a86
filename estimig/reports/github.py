"""github: workflow commands (`::warning file=...::message`) that GitHub Actions shows as annotations.

Escaping follows the runner's rules (actions/toolkit, `command.ts`): `%`, CR and LF in the message;
additionally `:` and `,` in properties. Notebook findings point at the JSON line holding the code.
"""

from __future__ import annotations

from estimig.reports import raw_line, relpath, sorted_findings, summarize
from estimig.result import Severity
from estimig.rules import RULES

_COMMAND = {Severity.INFO: "notice", Severity.WARNING: "warning", Severity.ERROR: "error"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _title(finding) -> str:
    rule = RULES.get(finding.code)
    return f"estimig {finding.code} ({rule.name})" if rule else f"estimig {finding.concern}"


def render(results, root):
    lines = []
    for result in results:
        path = relpath(result.path, root)
        for f in sorted_findings(result):
            where = f"cell {f.cell}, line {f.line}: " if f.cell is not None else ""
            props = f"file={_prop(path)},line={raw_line(result, f)}"
            if f.cell is None and f.column:
                props += f",col={f.column + 1}"
            props += f",title={_prop(_title(f))}"
            lines.append(f"::{_COMMAND[f.severity]} {props}::{_data(where + f.message)}")
    lines.append(f"::notice title=estimig::{_data(summarize(results).headline)}")
    return "\n".join(lines) + "\n"
