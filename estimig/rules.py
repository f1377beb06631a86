"""The finding codes: one `EST` code per kind of finding, the one registry every output reads.

A code never changes meaning once released; a kind of finding that goes away keeps its number
retired. `estimig rules` lists them, docs/rules.md has each with an example and the fix (a test
keeps the two in step), and every report format carries the code of each finding.

Numbering: EST0xx a file could not be processed; EST1xx an estimator was left as it was (a
person must act); EST2xx a call was migrated and there is something to know about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from estimig.result import Severity

DOCS = "docs/rules.md"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # kebab-case, for SARIF's rule name and the docs anchor's title
    severity: Severity
    summary: str  # one sentence, short enough for an inline comment after the code
    fix: str  # what the person does; the docs page expands it with an example


_RULES = (
    Rule("EST001", "unparsable-file", Severity.ERROR, "the file does not parse, so it was left as it was",
         "Fix the syntax error (or exclude the file), then run estimig again."),
    Rule("EST002", "unreadable-file", Severity.ERROR, "the file could not be read, decoded or written",
         "Check the file's permissions and encoding (a PEP 263 cookie must name the real encoding)."),
    Rule("EST003", "internal-error", Severity.ERROR, "estimig failed on this file and left it as it was",
         "Report it with the file (or a reduced copy); run again with -j 1 if a worker process died."),
    Rule("EST004", "unreadable-notebook", Severity.ERROR, "the notebook is not valid nbformat JSON",
         "Open and save it in Jupyter (or `nbformat.validate` it), then run estimig again."),
    Rule("EST005", "notebook-cell-skipped", Severity.INFO, "a cell or kernel that is not Python was left alone",
         "Nothing to do, unless that cell builds an estimator: then move the code to a Python cell."),
    Rule("EST006", "notebook-cell-unparsable", Severity.WARNING, "this notebook cell does not parse as Python",
         "Fix the cell's syntax (IPython magics on their own line are understood), then run estimig again."),
    Rule("EST007", "too-large-or-deep", Severity.ERROR, "the file is too large or too deeply nested to analyse",
         "Split or simplify the file, or raise --max-file-size; nesting deeper than 200 levels is never analysed."),
    Rule("EST008", "path-skipped", Severity.INFO, "a symlink or folder was not followed while walking the tree",
         "Nothing to do, unless a file there should be migrated: name it directly, or pass --follow-symlinks."),
    Rule("EST009", "notebook-cell-too-deep", Severity.WARNING, "this notebook cell is too deeply nested to analyse",
         "Simplify the cell (or move that code to a module), then run estimig again."),
    Rule("EST101", "core-unprovable", Severity.WARNING, "left as an Estimator: its call shape cannot be proven",
         "Write the arguments out as keywords, assign the estimator to a name, then run estimig again."),
    Rule("EST102", "arguments-unprovable", Severity.WARNING, "left as an Estimator: script_params cannot be proven",
         "Make script_params a dict literal of values whose type estimig can prove, or write arguments= by hand."),
    Rule("EST103", "environment-unprovable", Severity.WARNING,
         "left as an Estimator: the environment it builds cannot be proven",
         "Make the environment arguments literals (packages, image, framework_version), then run estimig again."),
    Rule("EST104", "datasets-unprovable", Severity.WARNING, "left as an Estimator: its dataset inputs cannot be proven",
         "Pass each dataset with a consumption mode (as_named_input / as_mount) in a list literal."),
    Rule("EST105", "data-references-unprovable", Severity.WARNING,
         "left as an Estimator: its data references cannot be proven",
         "Bind each DataReference / datastore to a simple name in this file, then run estimig again."),
    Rule("EST106", "distributed-unprovable", Severity.WARNING,
         "left as an Estimator: its distributed setup cannot be proven",
         "Make node_count and the backend literals, or write distributed_job_config by hand."),
    Rule("EST107", "uses-unprovable", Severity.WARNING,
         "left as an Estimator: a later use of it cannot be migrated",
         "Assign the estimator to a name and use it only through submit / HyperDriveConfig / EstimatorStep."),
    Rule("EST110", "concern-disabled", Severity.WARNING, "left as an Estimator: a concern it needs is not enabled",
         "Enable the concern (drop it from --skip, or add it to --only), then run estimig again."),
    Rule("EST111", "unknown-argument", Severity.WARNING, "left as an Estimator: estimig does not know an argument",
         "Check the argument name against the estimator's signature; a typo fails at run time too."),
    Rule("EST112", "concern-conflict", Severity.WARNING, "left as an Estimator: two concerns set the same argument",
         "Report it: it is a bug in estimig. Migrate the call by hand meanwhile."),
    Rule("EST120", "estimator-class-used", Severity.WARNING,
         "an estimator class is used other than by calling it; migrate this by hand",
         "Replace the subclass, isinstance check or class reference with ScriptRunConfig code by hand."),
    Rule("EST201", "migrated-on-assumption", Severity.INFO, "migrated on an assumption you named with --assume",
         "Check that the assumption holds where this code runs; delete the `# estimig: assumes` comment then."),
    Rule("EST202", "arguments-note", Severity.INFO, "migrated; the estimator's arguments differ in a harmless way",
         "Read the note; nothing changes in what runs."),
    Rule("EST203", "environment-note", Severity.INFO, "migrated; a deliberate, documented environment difference",
         "Read the note; the environment is equal or differs only as the note says."),
    Rule("EST204", "environment-check", Severity.WARNING, "migrated; check the environment by hand",
         "Compare the job's environment with the note's; keep the migration or adjust the Environment."),
    Rule("EST205", "distributed-note", Severity.INFO, "migrated; the estimator ignored some distributed arguments",
         "Nothing to do: the dropped arguments never reached the job."),
    Rule("EST206", "migrated-note", Severity.INFO, "migrated, with a note",
         "Read the note."),
    Rule("EST207", "migrated-check", Severity.WARNING, "migrated; check what the note says by hand",
         "Do what the note says; keep the migration or adjust it."),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}

# The codes the engine, the file readers and the merge of plans set by name.
PARSE, IO, INTERNAL = "EST001", "EST002", "EST003"
NOTEBOOK_UNREADABLE, NOTEBOOK_SKIPPED, NOTEBOOK_UNPARSABLE = "EST004", "EST005", "EST006"
TOO_LARGE_OR_DEEP, PATH_SKIPPED, NOTEBOOK_CELL_TOO_DEEP = "EST007", "EST008", "EST009"
CONCERN_DISABLED, UNKNOWN_ARGUMENT, CONFLICT = "EST110", "EST111", "EST112"
CLASS_USED = "EST120"
# A call migrated on a named assumption (issue 14): `Finding(..., code=rules.ASSUMED, assumptions=...)`.
ASSUMED = "EST201"

# The codes that follow from the concern that raised them: its refusal, or a note it adds (with
# the severity it gives it) to a migrated call.
_REFUSALS = {
    "core": "EST101", "arguments": "EST102", "environment": "EST103", "datasets": "EST104",
    "data_references": "EST105", "distributed": "EST106", "uses": "EST107",
}
_NOTES = {
    ("arguments", Severity.INFO): "EST202",
    ("environment", Severity.INFO): "EST203", ("environment", Severity.WARNING): "EST204",
    ("distributed", Severity.INFO): "EST205",
}


def refusal_code(concern: str) -> str:
    """The code of a call left as an Estimator because `concern` could not prove its part."""
    return _REFUSALS.get(concern, "EST101")


def note_code(concern: str, severity: Severity) -> str:
    """The code of a note a concern adds to a migrated call."""
    return _NOTES.get((concern, severity), "EST206" if severity is Severity.INFO else "EST207")


def docs_anchor(code: str) -> str:
    return f"{DOCS}#{code.lower()}"
