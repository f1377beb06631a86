"""The engine: source text in, migrated source text and findings out. Never raises for bad input."""

from __future__ import annotations

import libcst as cst

from estimig.assemble import COMMENT_PREFIX, CallDecision, assemble, manual_comment, render
from estimig.facts import EstimatorCall, collect
from estimig.nesting import MESSAGE as NESTING_MESSAGE, too_deep
from estimig.options import Options
from estimig.prefilter import mentions_azureml
from estimig.plan import CallPlan, blocked_message, merge
from estimig.result import Finding, Result, Severity


def migrate_source(code: str, *, path: str = "<string>", options: Options | None = None) -> Result:
    """Migrate every estimator construction in `code` that the enabled concerns fully handle."""
    if not mentions_azureml(code):
        return Result(code)
    deep = too_deep(code)  # LibCST's native parser would take the whole process down
    if deep is not None:
        return Result(code, (Finding(deep, Severity.ERROR, "engine", NESTING_MESSAGE),))
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        return Result(code, (parse_error(exc),))
    except RecursionError:
        return Result(code, (Finding(1, Severity.ERROR, "engine", NESTING_MESSAGE),))
    if options is None:
        options = default_options()
    try:
        return _migrate_module(code, module, options, path)
    except RecursionError:
        return Result(code, (Finding(1, Severity.ERROR, "engine", NESTING_MESSAGE),))
    except Exception as exc:  # a bug in estimig must never cost the user their file
        message = f"internal error ({type(exc).__name__}: {exc}); the file was left as it was. Please report this"
        return Result(code, (Finding(1, Severity.ERROR, "engine", message),))


_DEFAULT_OPTIONS: Options | None = None


def default_options() -> Options:
    global _DEFAULT_OPTIONS
    if _DEFAULT_OPTIONS is None:
        _DEFAULT_OPTIONS = Options.create()
    return _DEFAULT_OPTIONS


def parse_error(exc: cst.ParserSyntaxError) -> Finding:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
    return Finding(exc.raw_line, Severity.ERROR, "parse", f"cannot parse this file ({message}); left as it was",
                   column=exc.raw_column)


def _migrate_module(code: str, module: cst.Module, options: Options, path: str = "<string>") -> Result:
    facts = collect(module, path)
    findings: list[Finding] = [Finding(line, Severity.WARNING, "uses", message) for line, message in facts.stray]
    if not facts.calls and not facts.stray:
        return Result(code, tuple(findings))
    decisions = [decide(call, options) for call in facts.calls]
    for decision in decisions:
        findings.extend(decision.plan.findings)
        if decision.comment is not None:
            concern = decision.plan.blocked[0][0]
            findings.append(Finding(decision.call.line, Severity.WARNING, concern,
                                    f"{decision.call.kind}(...) left as it was: {blocked_message(decision.plan)}",
                                    column=decision.call.column))
    new_code = render(facts, assemble(facts, decisions, stray_comments(facts.stray)), code)
    migrated = sum(1 for d in decisions if d.comment is None)
    findings.sort(key=lambda f: (f.line, f.column))
    return Result(new_code, tuple(findings), migrated=migrated, left=len(decisions) - migrated)


def stray_comments(stray: list[tuple[int, str]]) -> dict[int, str]:
    """One `# estimig:` comment per line that uses an estimator class other than by calling it."""
    by_line: dict[int, list[str]] = {}
    for line, message in stray:
        by_line.setdefault(line, []).append(message)
    return {line: f"{COMMENT_PREFIX} {'; '.join(dict.fromkeys(messages))} (docs/manual.md)."
            for line, messages in by_line.items()}


def decide(call: EstimatorCall, options: Options) -> CallDecision:
    from estimig.codemods import ALWAYS_REQUIRED, ARGUMENT_OWNERS

    plans: list[CallPlan] = [concern.plan(call, options) for concern in options.concerns.values()]
    for required in ALWAYS_REQUIRED:
        if required not in options.concerns:
            plans.append(CallPlan(required, blocked=f"the '{required}' concern is needed by every estimator and is not enabled"))
    uses = [(id(use.node), use.description) for use in call.uses]
    merged = merge(plans, call.kwargs, ARGUMENT_OWNERS, uses, call.line)
    if merged.is_blocked:
        return CallDecision(call, merged, comment=manual_comment(blocked_message(merged)))
    return CallDecision(call, merged)
