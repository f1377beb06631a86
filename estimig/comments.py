"""The `# estimig:` comments in user code: the short ones estimig writes, and the ones users write.

estimig owns the comments it writes (`# estimig: EST103 <one sentence>`, and the longer forms of
earlier versions): every run removes them from the statements it decides again and writes those
that apply now, so a comment never outlives its reason. Users own `# estimig: ignore` /
`# estimig: ignore[EST103, ...]` (leave this call alone) and `# estimig: assumes ...` (written on
a call migrated on an assumption; the user deletes it once checked): those are never removed.
"""

from __future__ import annotations

import re

import libcst as cst

from estimig import rules

PREFIX = "# estimig:"
# No inserted comment is longer than this (the indentation in front of it not counted).
MAX_COMMENT = 120
# The sentence after the code: the specific reason when it is this short, else the rule's summary.
MAX_SENTENCE = 100

_CODE = r"EST\d{3}"
_OWNED = re.compile(rf"#\s*estimig:(?!\s*(?:ignore|assumes)\b)\s*(?:{_CODE}\b|left as an Estimator:|.*\(docs/manual\.md\)\.\s*$)")
_IGNORE = re.compile(rf"#\s*estimig:\s*ignore(?:\[\s*({_CODE}(?:\s*,\s*{_CODE})*)\s*\])?\s*(?:#.*)?$")
# A hint that only makes sense in a report (the comment already says to look there).
_HINT = re.compile(r"\s*[;:,(]?\s*(?:then )?run (?:estimig|with --assume)\b.*$", re.IGNORECASE)


def inline(code: str, reason: str) -> str:
    """`# estimig: CODE sentence`: the reason itself when it is one short sentence, else the summary
    of the code (the full reason is in the report either way)."""
    sentence = _sentence(" ".join(reason.split()))  # code quoted over several lines stays on the comment's one
    if not sentence or len(sentence) > MAX_SENTENCE:
        sentence = rules.RULES[code].summary
    text = f"{PREFIX} {code} {sentence}"
    return text if len(text) <= MAX_COMMENT else text[: MAX_COMMENT - 3].rstrip() + "..."


def _sentence(reason: str) -> str:
    """The reason's first clause, without hints meant for the report; a long one is cut at the
    last clause boundary (`: `, `, `, ` (`) that leaves a sentence of some substance."""
    clauses = reason.split("; ")
    first = _HINT.sub("", clauses[0].strip()).rstrip(" .;:,")
    if len(first) <= MAX_SENTENCE:
        # The way to migrate it on an assumption (issue 14) is worth its place when it fits.
        assume = next((m.group(0) for clause in clauses for m in [_ASSUME.search(clause)] if m), None)
        if assume and len(first) + 2 + len(assume) <= MAX_SENTENCE:
            return f"{first}; {assume}"
        return first
    cuts = [m.start() for m in re.finditer(r": |, | \(", first) if _MIN_SENTENCE <= m.start() <= MAX_SENTENCE]
    return first[: max(cuts)] if cuts else first


_MIN_SENTENCE = 40
_ASSUME = re.compile(r"run with --assume [\w.-]+")


def is_owned(comment: str) -> bool:
    """A comment estimig wrote, which a run may replace (never `ignore` or `assumes`)."""
    return bool(_OWNED.match(comment.strip()))


ALL = frozenset({"*"})


def suppression(comment: str) -> frozenset[str] | None:
    """The codes a `# estimig: ignore[...]` comment silences (ALL for a bare `ignore`), or None."""
    match = _IGNORE.match(comment.strip())
    if match is None:
        return None
    if match.group(1) is None:
        return ALL
    return frozenset(code.strip() for code in match.group(1).split(","))


def suppressed(codes: frozenset[str] | None, code: str | None) -> bool:
    """Whether a call whose finding would have `code` (None: it migrates) is left alone silently."""
    if codes is None:
        return False
    return codes is ALL or "*" in codes or (code is not None and code in codes)


def call_suppression(statement: cst.CSTNode, call: cst.Call | None = None) -> frozenset[str] | None:
    """The codes silenced on a call (or, without one, on a statement): by a `# estimig: ignore`
    comment on the comment lines directly above the statement, or at the end of one of the call's
    lines (of a compound statement's header line, when there is no call)."""
    found: set[str] = set()
    for comment in _comments_above(statement) + _comments_within(statement, call):
        codes = suppression(comment)
        if codes is not None:
            found |= codes
    if not found:
        return None
    return ALL if "*" in found else frozenset(found)


def _comments_above(statement: cst.CSTNode) -> list[str]:
    lines = list(getattr(statement, "leading_lines", ()))
    block: list[str] = []
    for line in lines:
        if line.comment is None:
            block = []  # a blank line ends the block that belongs to the statement
        else:
            block.append(line.comment.value)
    return block


def _comments_within(statement: cst.CSTNode, call: cst.Call | None) -> list[str]:
    if isinstance(statement, cst.SimpleStatementLine):
        parts: list[cst.CSTNode] = [*statement.body, statement.trailing_whitespace]
    elif call is not None:
        parts = [call]  # a compound statement: only the call's own lines, not the block below it
    else:  # `class Mine(Estimator):  # estimig: ignore`: the header line's own comment
        body = getattr(statement, "body", None)
        header = getattr(body, "header", None) or getattr(body, "trailing_whitespace", None)
        parts = [header] if header is not None else []
    return [comment.value for part in parts for comment in _comment_nodes(part)]


def _comment_nodes(node: cst.CSTNode):
    """Every Comment below a node (they sit in its whitespace nodes; order does not matter here)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comment):
            yield current
        else:
            stack.extend(current.children)


# Whether a source may hold a suppression at all: a cheap test before looking at any call's comments.
MAY_IGNORE = re.compile(r"#\s*estimig:\s*ignore")


def without_owned(lines) -> list[cst.EmptyLine]:
    """A statement's leading lines without the comments estimig owns."""
    return [line for line in lines if not (line.comment is not None and is_owned(line.comment.value))]
