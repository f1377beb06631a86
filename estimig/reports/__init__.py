"""Reports: render a run's FileResults as text, json, markdown, sarif or GitHub annotations.

Each format is one module with `render(results, root) -> str`. Shared helpers (relative paths, the
summary counts, per-file diffs, sorted findings) live here so every format counts the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module

from estimig.result import FileResult, Finding, Severity

FORMATS = ("text", "json", "markdown", "sarif", "github")
_MODULES = {"text": "text", "json": "json_report", "markdown": "markdown", "sarif": "sarif", "github": "github"}

SDK_V1_END = "Azure ML SDK v1 support ended on 30 June 2026."


def render(results: list[FileResult], fmt: str, *, root: str | None = None, full_report: str | None = None,
           limit: int | None = None) -> str:
    """The report in `fmt`. Markdown is cut to fit `limit` characters (default: a GitHub comment),
    naming `full_report` as where the rest is; `limit=0` means no limit."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = import_module(f"estimig.reports.{_MODULES[fmt]}")
    ordered = sorted(results, key=lambda r: relpath(r.path, root))
    if fmt == "markdown":
        return module.render(ordered, root, full_report=full_report, limit=limit)
    return module.render(ordered, root)


def relpath(path: str, root: str | None) -> str:
    """The path as a reviewer reads it: relative to root when under it, always with `/`, never `./`."""
    if root is not None:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
        if not rel.startswith(".."):
            path = rel
    return os.path.normpath(path).replace(os.sep, "/") if path not in ("", "-") else path


def one_line(text: str) -> str:
    """A message on one line: tools grep and parse reports line by line."""
    return " ".join(text.split())


def finding_line(path: str, finding: Finding) -> str:
    """`path:line[:col]: severity: CODE concern: message` (a notebook: `path, cell N, line L: ...`)."""
    column = f":{finding.column + 1}" if finding.column and finding.cell is None else ""
    return (f"{finding.location(path)}{column}: {finding.severity.value}: {finding.code} {finding.concern}: "
            f"{one_line(finding.message)}")


def at_least(results: list[FileResult], severity: Severity) -> list[FileResult]:
    """The results with only the findings of `severity` or worse (`--severity`)."""
    import dataclasses

    order = list(Severity)
    keep = {s for s in order if order.index(s) >= order.index(severity)}
    if keep == set(order):
        return results
    filtered = []
    for r in results:
        error = r.error if r.error is None or r.error.severity in keep else None
        result = r.result and dataclasses.replace(r.result, findings=tuple(f for f in r.result.findings
                                                                         if f.severity in keep))
        filtered.append(dataclasses.replace(r, result=result, error=error))
    return filtered


def is_notebook(result: FileResult) -> bool:
    return str(result.path).lower().endswith(".ipynb")


@dataclass(frozen=True)
class Summary:
    files: int
    files_changed: int
    migrated: int
    left: int
    needs_attention: int
    errors: int
    assumed: int = 0  # of the migrated calls, those migrated on named assumptions
    suppressed: int = 0  # calls left alone by `# estimig: ignore`

    @property
    def headline(self) -> str:
        calls = _plural(self.migrated, "call")
        if self.assumed:
            calls += f", {self.assumed} of them on assumptions,"
        files = _plural(self.files_changed, "file")
        need = "needs" if self.needs_attention == 1 else "need"
        return f"Migrated {calls} in {files}; {self.needs_attention} {need} attention"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summarize(results: list[FileResult]) -> Summary:
    findings = [f for r in results for f in r.findings]
    return Summary(
        files=len(results),
        files_changed=sum(1 for r in results if r.changed),
        migrated=sum(r.result.migrated for r in results if r.result),
        left=sum(r.result.left for r in results if r.result),
        assumed=sum(r.result.assumed for r in results if r.result),
        needs_attention=sum(1 for f in findings if f.severity is not Severity.INFO),
        errors=sum(1 for f in findings if f.severity is Severity.ERROR),
        suppressed=sum(r.result.suppressed for r in results if r.result),
    )


def sorted_findings(result: FileResult) -> list[Finding]:
    return sorted(result.findings, key=lambda f: (f.cell or 0, f.line, f.column, f.code, f.concern, f.message))


def file_diff(result: FileResult, root: str | None = None) -> str:
    """The change to one file as a unified diff; a notebook's is its cell diffs, never its JSON."""
    if not result.changed:
        return ""
    if is_notebook(result):
        return "".join(d if d.endswith("\n") else d + "\n" for d in result.cell_diffs)
    import difflib  # here: a run that changes nothing (pre-commit on most commits) never needs it

    rel = relpath(result.path, root)
    lines = difflib.unified_diff(
        result.original.splitlines(keepends=True),
        result.result.code.splitlines(keepends=True),
        f"a/{rel}",
        f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def raw_line(result: FileResult, finding: Finding) -> int:
    """The line in the file on disk: for a notebook, the line of the JSON that holds the code."""
    if finding.cell is not None and result.original is not None:
        from estimig.notebooks import file_line

        return file_line(result.original, finding.cell, finding.line) or 1
    return max(1, finding.line)


def tool_version() -> str:
    from estimig import __version__

    return __version__
