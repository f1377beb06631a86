"""markdown: a pull-request comment or CI job summary that always fits GitHub's comment limit.

The summary table comes first, then the findings counted by code (what each means, how to fix
it), then one collapsed section per file: its findings grouped by code, then its diff (notebooks
as cell diffs). A report too long for `limit` characters drops diffs first (in file order, a diff
is kept while every later file's findings still fit), then whole file sections, and says above
the files how many it left out and where the full report is. Everything taken from user files or messages is HTML-escaped or fenced, so a file name or
message can never break the comment's layout.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from estimig.reports import SDK_V1_END, file_diff, relpath, sorted_findings, summarize
from estimig.result import Severity
from estimig.rules import DOCS, RULES

# GitHub refuses comments over 65,536 characters; the default limit leaves room for a bot's header.
GITHUB_LIMIT = 65_536
DEFAULT_LIMIT = 60_000
# One file's diff is cut here even when the report has room: a reviewer reads the rest locally.
MAX_DIFF_CHARS = 12_000


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


def _header(results) -> list[str]:
    summary = summarize(results)
    return [
        "## estimig: Estimator to ScriptRunConfig migration",
        "",
        f"**{summary.headline}.**",
        "",
        "| | count |",
        "| --- | ---: |",
        f"| Files checked | {summary.files} |",
        f"| Files changed | {summary.files_changed} |",
        f"| Estimator calls migrated | {summary.migrated} |",
        f"| Estimator calls left as they were | {summary.left} |",
        *([f"| Estimator calls left alone by `# estimig: ignore` | {summary.suppressed} |"] if summary.suppressed else []),
        f"| Findings that need attention | {summary.needs_attention} |",
        f"| Files that could not be read | {sum(1 for r in results if r.error)} |",
        "",
    ]


def _codes_table(results) -> list[str]:
    counts = Counter(f.code for r in results for f in r.findings)
    if not counts:
        return []
    out = ["### Findings by code", "", "| code | count | what it means | fix |", "| --- | ---: | --- | --- |"]
    for code, n in sorted(counts.items()):
        rule = RULES.get(code)
        what, fix = (rule.summary, rule.fix) if rule else ("", "")
        out.append(f"| {_span(code)} | {n} | {_prose(what)} | {_prose(fix)} |")
    # No link: a relative link in a pull-request comment would point into the user's repository.
    return out + ["", f"Each code has an example in estimig's {_span(DOCS)}; `estimig rules CODE` prints its fix.", ""]


def _footer() -> list[str]:
    return [
        "> [!NOTE]",
        f"> {SDK_V1_END} Estimators were deprecated in SDK 1.19; ScriptRunConfig keeps these jobs "
        "running on SDK v1 until they move to SDK v2.",
        "",
    ]


def _findings(result, path: str) -> list[str]:
    """The file's findings grouped by code, each group headed by its count."""
    groups: dict[str, list] = {}
    for f in sorted_findings(result):
        groups.setdefault(f.code, []).append(f)
    out = []
    for code, findings in sorted(groups.items()):
        out.append(f"**{_prose(code)}** ({len(findings)})")
        out.append("")
        # Inside the file's own section the line is enough.
        out += [f"- {_span(f.position())} {f.severity.value}: {_prose(f.message)}" for f in findings]
        out.append("")
    return out


def _diff_block(diff: str) -> list[str]:
    if len(diff) > MAX_DIFF_CHARS:
        cut = diff[:MAX_DIFF_CHARS]
        diff = cut[: cut.rfind("\n") + 1] + "... (diff cut here; run estimig rewrite --diff locally for all of it)\n"
    fence = _fence(diff)
    return [f"{fence}diff", diff.rstrip("\n"), fence, ""]


def _section(result, root, with_diff: bool) -> tuple[list[str], list[str]]:
    """A file's collapsed section, without and with its diff block (the same when it has no diff)."""
    path = relpath(result.path, root)
    n = result.result.migrated if result.result else 0
    bits = [f"{n} call{'s' if n != 1 else ''} migrated"]
    need = sum(1 for f in result.findings if f.severity is not Severity.INFO)
    if need:
        bits.append(f"{need} need{'s' if need == 1 else ''} attention")
    head = ["<details>", f"<summary>{_code(path)}: {', '.join(bits)}</summary>", ""] + _findings(result, path)
    tail = ["</details>", ""]
    diff = file_diff(result, root) if with_diff else ""
    return head + tail, (head + _diff_block(diff) + tail if diff else head + tail)


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def render(results, root, *, full_report: str | None = None, limit: int | None = None):
    limit = DEFAULT_LIMIT if limit is None else limit
    shown = [r for r in results if r.changed or r.findings]
    header = _header(results) + _codes_table(results)
    footer = _footer()
    sections = [_section(r, root, with_diff=True) for r in shown]
    chosen: list[list[str]] = []
    dropped_diffs = dropped_files = dropped_findings = 0
    if not limit or _size(header) + _size(footer) + sum(_size(full) for _, full in sections) <= limit:
        chosen = [full for _, full in sections]
    else:
        # Room for the note that says what was left out, whatever it ends up saying.
        room = limit - _size(header) - _size(footer) - 600
        bare_sizes = [_size(bare) for bare, _ in sections]
        for index, (bare, full) in enumerate(sections):
            later = sum(bare_sizes[index + 1:])  # every later file keeps at least its findings if it can
            has_diff = len(full) > len(bare)
            if has_diff and _size(full) + later <= room:
                chosen.append(full)
                room -= _size(full)
                continue
            dropped_diffs += has_diff
            if _size(bare) <= room:
                chosen.append(bare)
                room -= _size(bare)
            else:
                dropped_files += 1
                dropped_findings += len(shown[index].findings)
    out = list(header)
    if dropped_diffs or dropped_files:  # said before the files, where a reviewer looks first
        out += _left_out(dropped_diffs, dropped_files, dropped_findings, full_report, limit)
    if chosen:
        out += ["### Files", ""] + [line for section in chosen for line in section]
    out += footer
    return "\n".join(out)


def _left_out(diffs: int, files: int, findings: int, full_report: str | None, limit: int) -> list[str]:
    parts = []
    if diffs:
        parts.append(f"the diffs of {diffs} file{'s' if diffs != 1 else ''}")
    if files:
        parts.append(f"{findings} finding{'s' if findings != 1 else ''} in {files} more file{'s' if files != 1 else ''}")
    where = (f"The full report is in {_span(full_report)}." if full_report else
             "Run `estimig rewrite --diff` locally, or pass `--report-full FILE` for a report without this limit.")
    return ["> [!IMPORTANT]", f"> To fit in {limit:,} characters this report leaves out {' and '.join(parts)}. {where}", ""]
