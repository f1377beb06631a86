"""Plans: what one concern wants done to one estimator call, and how plans combine.

A concern never edits the tree. It returns a `CallPlan`; the merge below combines the plans of all
enabled concerns, and `estimig.assemble` applies the merged plan in one pass. A call is migrated all
or nothing: one blocked plan, one conflict, or one estimator argument that no enabled concern
handles leaves the whole call as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

import libcst as cst

from estimig import rules
from estimig.result import Finding, Severity

# ScriptRunConfig's own parameter order (azureml.core.ScriptRunConfig.__init__): the assembler puts
# arguments in this order so migrated calls read like the SDK's documentation.
SCRIPT_RUN_CONFIG_ORDER = (
    "source_directory",
    "script",
    "arguments",
    "run_config",
    "compute_target",
    "environment",
    "distributed_job_config",
    "resume_from",
    "max_run_duration_seconds",
    "command",
    "docker_runtime_config",
)


@dataclass(frozen=True)
class NewArg:
    """A ScriptRunConfig keyword argument.

    Either `code` (Python source for the value) or `from_kwarg` (reuse the original estimator
    argument's value node untouched, with its comments and layout) is set.
    """

    name: str
    code: str | None = None
    from_kwarg: str | None = None


@dataclass(frozen=True)
class CallPlan:
    concern: str
    # Estimator keyword arguments this concern takes responsibility for.
    handles: frozenset[str] = frozenset()
    # Later uses of the estimator (node identities from EstimatorCall.uses) this concern handles.
    handles_uses: frozenset[int] = frozenset()
    arguments: tuple[NewArg, ...] = ()
    # Statements (Python source, one or more lines) inserted before / after the statement that
    # builds the estimator, in the same block.
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    # (module, name) pairs: `from module import name`.
    imports: frozenset[tuple[str, str]] = frozenset()
    # Replacements elsewhere in the module: (original node, new node), matched by identity.
    edits: tuple[tuple[cst.CSTNode, cst.CSTNode], ...] = ()
    findings: tuple[Finding, ...] = ()
    blocked: str | None = None
    # Named assumptions (estimig/assumptions.py) this plan relies on; only ever ones the user asked for.
    assumes: frozenset[str] = frozenset()
    # The finding code of the refusal when it is not the concern's own (see estimig/rules.py).
    blocked_code: str | None = None
    # Files written next to the migrated one: (name, text).
    files: tuple[tuple[str, str], ...] = ()


class Refusal(NamedTuple):
    """Why a call is left as it was: the concern that said so, its reason, and the finding's code."""

    concern: str
    reason: str
    code: str


@dataclass
class MergedPlan:
    arguments: dict[str, NewArg] = field(default_factory=dict)
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    imports: set[tuple[str, str]] = field(default_factory=set)
    edits: list[tuple[cst.CSTNode, cst.CSTNode]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    blocked: list[Refusal] = field(default_factory=list)
    assumes: set[str] = field(default_factory=set)
    files: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked)


def merge(plans: Iterable[CallPlan], kwargs: Iterable[str], owners: dict[str, str],
          uses: Iterable[tuple[int, str]] = (), line: int = 0) -> MergedPlan:
    """Combine plans; record why the call must be left alone, if it must.

    `owners` maps every estimator argument estimig knows to the concern that handles it, so a
    message can name the concern that is missing. `uses` are (node id, description) pairs.
    """
    merged = MergedPlan()
    handled: set[str] = set()
    handled_uses: set[int] = set()
    for plan in plans:
        merged.findings.extend(plan.findings)
        # Uses a concern would handle count even when it is blocked: the call is left for that
        # concern's reason, not also reported for uses that were never the problem.
        handled_uses |= plan.handles_uses
        if plan.blocked:
            merged.blocked.append(Refusal(plan.concern, plan.blocked,
                                          plan.blocked_code or rules.refusal_code(plan.concern)))
            continue
        handled |= plan.handles
        merged.assumes |= plan.assumes
        for arg in plan.arguments:
            if arg.name in merged.arguments and merged.arguments[arg.name] != arg:
                merged.blocked.append(Refusal(plan.concern, f"two concerns both set ScriptRunConfig argument "
                                                            f"'{arg.name}'", rules.CONFLICT))
            merged.arguments[arg.name] = arg
        merged.before.extend(s for s in plan.before if s not in merged.before)
        merged.after.extend(s for s in plan.after if s not in merged.after)
        merged.imports |= plan.imports
        edited = {id(old) for old, _ in merged.edits}
        if any(id(old) in edited for old, _ in plan.edits):
            merged.blocked.append(Refusal(plan.concern, "two concerns both rewrite the same later use of the "
                                                        "estimator; migrate it by hand", rules.CONFLICT))
        merged.edits.extend(plan.edits)
        merged.files.extend(plan.files)
    for kwarg in kwargs:
        if kwarg in handled:
            continue
        owner = owners.get(kwarg)
        if owner is None:
            merged.blocked.append(Refusal("core", f"estimig does not know the argument '{kwarg}'", rules.UNKNOWN_ARGUMENT))
        elif not any(refusal.concern == owner for refusal in merged.blocked):
            merged.blocked.append(Refusal(owner, f"argument '{kwarg}' needs the '{owner}' concern, which is not enabled",
                                          rules.CONCERN_DISABLED))
    uses_already_explained = any(refusal.concern == "uses" for refusal in merged.blocked)
    for node_id, description in uses:
        if node_id not in handled_uses and not uses_already_explained:
            merged.blocked.append(Refusal("uses", f"the estimator is used afterwards ({description}), which needs "
                                                  "the 'uses' concern", rules.CONCERN_DISABLED))
    return merged


def blocked_message(merged: MergedPlan) -> str:
    return "; ".join(dict.fromkeys(refusal.reason for refusal in merged.blocked))


def finding(call_line: int, concern: str, message: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(line=call_line, severity=severity, concern=concern, message=message,
                   code=rules.note_code(concern, severity))
