"""markdown: a pull-request comment or CI job summary.

A summary table, the manual-attention list, one collapsible section per changed file with its diff
(notebooks as cell diffs), and the end-of-support note. Everything taken from user files or messages
is HTML-escaped or fenced, so a file name or message can never break the comment's layout.
"""

from __future__ import annotations

import html
import re

from estimig.reports import SDK_V1_END, file_diff, relpath, sorted_findings, summarize
from estimig.result import Severity

# GitHub refuses comments over 65,536 characters; long diffs are cut so the report always posts.
MAX_DIFF_CHARS = 12_000
MAX_TOTAL_CHARS = 60_000


def _fence(body: str) -> str:
    # A fence longer than any run of backticks inside, so a diff can never close it early.
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def _code(text: str) -> str:
    # For HTML blocks (<summary>), where markdown is not parsed.
    return f"<code>{html.escape(text)}</code>"


def _span(text: str) -> str:
    # A markdown code span: its content is never parsed as markdown or HTML.
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _prose(text: str) -> str:
    # A message as plain text on one line: no tags, no emphasis, no links from user-controlled text.
    one_line = " ".join(text.split())
    return re.sub(r"([\\`*_\[\]#~|!])", r"\\\1", html.escape(one_line, quote=False))


def render(results, root):
    summary = summarize(results)
    out = [
        "## estimig: Estimator to ScriptRunConfig migration",
        "",
        f"**{summary.headline}.**",
        "",
        "| | count |",
        "| --- | ---: |",
        f"| Files checked | {summary.files} |",
        f"| Files changed | {summary.files_changed} |",
        f"| Estimator calls migrated | {summary.migrated} |",
        *([f"| of them on named assumptions | {summary.assumed} |"] if summary.assumed else []),
        f"| Estimator calls left as they were | {summary.left} |",
        f"| Findings that need attention | {summary.needs_attention} |",
        f"| Files that could not be read | {sum(1 for r in results if r.error)} |",
        "",
    ]
    attention = [
        (relpath(r.path, root), f) for r in results for f in sorted_findings(r) if f.severity is not Severity.INFO
    ]
    if attention:
        out += ["### Needs attention", ""]
        for path, f in attention:
            out.append(f"- {_span(f.location(path))} **{f.severity.value}** ({_prose(f.concern)}): {_prose(f.message)}")
        out.append("")

    sections, budget = [], MAX_TOTAL_CHARS
    for r in results:
        diff = file_diff(r, root)
        if not diff and not r.findings:
            continue
        path = relpath(r.path, root)
        n = r.result.migrated if r.result else 0
        bits = [f"{n} call{'s' if n != 1 else ''} migrated"]
        need = sum(1 for f in r.findings if f.severity is not Severity.INFO)
        if need:
            bits.append(f"{need} need{'s' if need == 1 else ''} attention")
        lines = ["<details>", f"<summary>{_code(path)}: {', '.join(bits)}</summary>", ""]
        if diff:
            if len(diff) > min(MAX_DIFF_CHARS, budget):
                cut = diff[: max(0, min(MAX_DIFF_CHARS, budget))]
                diff = cut[: cut.rfind("\n") + 1] + "... (diff cut here; run estimig --diff locally for all of it)\n"
            budget -= len(diff)
            fence = _fence(diff)
            lines += [f"{fence}diff", diff.rstrip("\n"), fence, ""]
        for f in sorted_findings(r):
            lines.append(f"- {_span(f.location(path))} {f.severity.value} ({_prose(f.concern)}): {_prose(f.message)}")
        if r.findings:
            lines.append("")
        lines += ["</details>", ""]
        sections += lines
    if sections:
        out += ["### Files", ""] + sections
    out += [
        "> [!NOTE]",
        f"> {SDK_V1_END} Estimators were deprecated in SDK 1.19; ScriptRunConfig keeps these jobs "
        "running on SDK v1 until they move to SDK v2.",
        "",
    ]
    return "\n".join(out)
