"""markdown: a pull-request comment or CI job summary that always fits GitHub's comment limit.

The summary table comes first, then the findings counted by code (what each means, how to fix
it), then one collapsed section per file: its findings grouped by code, then its diff (notebooks
as cell diffs). A report too long for `limit` characters keeps, file by file, the largest section
that leaves every later file room for its warnings: diffs go first, then info notes, and whole
sections only when even that cannot fit; it says above the files what it left out and where the
full report is. Everything taken from user files or messages is HTML-escaped or fenced, so a file name or
message can never break the comment's layout.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

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
        *([f"| of them on named assumptions | {summary.assumed} |"] if summary.assumed else []),
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


def _findings(findings) -> list[str]:
    """Findings grouped by code, each group headed by its count."""
    groups: dict[str, list] = {}
    for f in findings:
        groups.setdefault(f.code, []).append(f)
    out = []
    for code, group in sorted(groups.items()):
        out += [f"**{_prose(code)}** ({len(group)})", ""]
        # Inside the file's own section the line is enough.
        out += [f"- {_span(f.position())} {f.severity.value}: {_prose(f.message)}" for f in group]
        out.append("")
    return out


def _diff_block(diff: str) -> list[str]:
    if len(diff) > MAX_DIFF_CHARS:
        cut = diff[:MAX_DIFF_CHARS]
        diff = cut[: cut.rfind("\n") + 1] + "... (diff cut here; run estimig rewrite --diff locally for all of it)\n"
    fence = _fence(diff)
    return [f"{fence}diff", diff.rstrip("\n"), fence, ""]


@dataclass(frozen=True)
class _Section:
    """One file's collapsed section at the three sizes the budget chooses from."""

    full: list[str]  # findings and diff
    findings: list[str]  # findings, no diff
    attention: list[str]  # warnings and errors only
    has_diff: bool
    notes: int  # info findings the smallest size leaves out
    count: int  # all findings


def _section(result, root) -> _Section:
    path = relpath(result.path, root)
    n = result.result.migrated if result.result else 0
    bits = [f"{n} call{'s' if n != 1 else ''} migrated"]
    ordered = sorted_findings(result)
    needing = [f for f in ordered if f.severity is not Severity.INFO]
    if needing:
        bits.append(f"{len(needing)} need{'s' if len(needing) == 1 else ''} attention")
    head = ["<details>", f"<summary>{_code(path)}: {', '.join(bits)}</summary>", ""]
    tail = ["</details>", ""]
    diff = file_diff(result, root)
    every = head + _findings(ordered)
    return _Section(full=every + _diff_block(diff) + tail if diff else every + tail, findings=every + tail,
                    attention=head + _findings(needing) + tail, has_diff=bool(diff),
                    notes=len(ordered) - len(needing), count=len(ordered))


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


@dataclass
class _LeftOut:
    diffs: int = 0
    notes: int = 0
    files: int = 0
    findings: int = 0

    def __bool__(self) -> bool:
        return bool(self.diffs or self.notes or self.files)


def _fit(sections: list[_Section], room: int) -> tuple[list[list[str]], _LeftOut]:
    """Per file, in order, the largest size that still leaves every later file its smallest size:
    diffs go first, then info notes, then (only when even that cannot fit) whole sections."""
    chosen, left = [], _LeftOut()
    smallest = [_size(s.attention) for s in sections]
    for index, section in enumerate(sections):
        later = sum(smallest[index + 1:])
        for lines in (section.full, section.findings, section.attention):
            if _size(lines) + later <= room or (lines is section.attention and _size(lines) <= room):
                break
        else:
            left.files += 1
            left.findings += section.count
            left.diffs += section.has_diff
            continue
        chosen.append(lines)
        room -= _size(lines)
        left.diffs += section.has_diff and lines is not section.full
        left.notes += section.notes if lines is section.attention else 0
    return chosen, left


def render(results, root, *, full_report: str | None = None, limit: int | None = None):
    limit = DEFAULT_LIMIT if limit is None else limit
    header = _header(results) + _codes_table(results)
    footer = _footer()
    sections = [_section(r, root) for r in results if r.changed or r.findings]
    if not limit or _size(header) + _size(footer) + sum(_size(s.full) for s in sections) <= limit:
        chosen, left = [s.full for s in sections], _LeftOut()
    else:
        # Room for the note that says what was left out, whatever it ends up saying.
        chosen, left = _fit(sections, limit - _size(header) - _size(footer) - 600)
    out = list(header)
    if left:  # said before the files, where a reviewer looks first
        out += _left_out(left, full_report, limit)
    if chosen:
        out += ["### Files", ""] + [line for section in chosen for line in section]
    out += footer
    return "\n".join(out)


def _left_out(left: _LeftOut, full_report: str | None, limit: int) -> list[str]:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'s' if count != 1 else ''}"

    parts = []
    if left.diffs:
        parts.append(f"the diffs of {n(left.diffs, 'file')}")
    if left.notes:
        parts.append(f"{n(left.notes, 'info note')}")
    if left.files:
        parts.append(f"{n(left.findings, 'finding')} in {n(left.files, 'more file')}")
    where = (f"The full report is in {_span(full_report)}." if full_report else
             "Run `estimig rewrite --diff` locally, or pass `--report-full FILE` for a report without this limit.")
    return ["> [!IMPORTANT]", f"> To fit in {limit:,} characters this report leaves out {', '.join(parts)}. {where}",
            ""]
