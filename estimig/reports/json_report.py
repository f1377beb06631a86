"""json: the whole run as data; the schema is documented in docs/reports.md (bump VERSION on change)."""

from __future__ import annotations

import json

from estimig.reports import file_diff, is_notebook, relpath, sorted_findings, summarize, tool_version

# Bumped on any change that can break a reader: a field removed, renamed or retyped.
VERSION = 1


def render(results, root):
    summary = summarize(results)
    report = {
        "version": VERSION,
        "tool": {"name": "estimig", "version": tool_version()},
        "summary": {
            "headline": summary.headline,
            "files": summary.files,
            "files_changed": summary.files_changed,
            "migrated": summary.migrated,
            "assumed": summary.assumed,
            "left": summary.left,
            "needs_attention": summary.needs_attention,
            "errors": summary.errors,
            "suppressed": summary.suppressed,
        },
        "files": [
            {
                "path": relpath(r.path, root),
                "kind": "notebook" if is_notebook(r) else "python",
                "changed": r.changed,
                "written": r.written,
                "migrated": r.result.migrated if r.result else 0,
                "assumed": r.result.assumed if r.result else 0,
                "left": r.result.left if r.result else 0,
                "diff": file_diff(r, root),
                "findings": [
                    {
                        "line": f.line,
                        "column": f.column,
                        "cell": f.cell,
                        "severity": f.severity.value,
                        "code": f.code,
                        "concern": f.concern,
                        "message": f.message,
                        "assumptions": list(f.assumptions),
                    }
                    for f in sorted_findings(r)
                ],
            }
            for r in results
        ],
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
