"""sarif: SARIF 2.1.0 for GitHub code scanning (upload with github/codeql-action/upload-sarif).

GitHub needs, beyond the schema: a driver name, a ruleId on each result, a message text, a
physical location with a relative `uri` and a `startLine` of at least 1. Notebook findings point at
the line of the `.ipynb` JSON that holds the code, and say the cell and line in the message.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from estimig.reports import SDK_V1_END, raw_line, relpath, sorted_findings, tool_version
from estimig.result import Severity
from estimig.rules import RULES, docs_anchor

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.INFO: "note", Severity.WARNING: "warning", Severity.ERROR: "error"}


def _rule(code: str, concern: str) -> dict:
    rule = RULES.get(code)
    if rule is None:  # a finding without a registered code (a bug: tests/test_rules.py checks the fixtures)
        return {"id": code or concern, "shortDescription": {"text": f"estimig: {concern}"},
                "defaultConfiguration": {"level": "warning"}}
    return {
        "id": rule.code,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary}. {SDK_V1_END}"},
        "help": {"text": f"{rule.fix} See {docs_anchor(rule.code)}."},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
    }


def render(results, root):
    findings = [(r, f) for r in results for f in sorted_findings(r)]
    ids = sorted({f.code or f.concern for _, f in findings})
    concern_of = {f.code or f.concern: f.concern for _, f in findings}
    rules = [_rule(rule_id, concern_of[rule_id]) for rule_id in ids]
    out = []
    for r, f in findings:
        where = f"cell {f.cell}, line {f.line}: " if f.cell is not None else ""
        region = {"startLine": raw_line(r, f)}
        if f.cell is None:
            region["startColumn"] = f.column + 1
        out.append(
            {
                "ruleId": f.code or f.concern,
                "ruleIndex": ids.index(f.code or f.concern),
                "level": _LEVEL[f.severity],
                "message": {"text": where + f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": quote(relpath(r.path, root)), "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
            }
        )
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "estimig", "version": tool_version(), "rules": rules}},
                "results": out,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
