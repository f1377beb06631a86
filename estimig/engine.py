"""The engine: source text in, migrated source text and findings out. Never raises for bad input."""

from __future__ import annotations

import libcst as cst

from estimig import assumptions, comments, rules
from estimig.assemble import CallDecision, assemble, enclosing_statement, render, statement_at_line
from estimig.facts import EstimatorCall, collect
from estimig.nesting import MESSAGE as NESTING_MESSAGE, too_deep
from estimig.options import Options
from estimig.plan import SCRIPT_RUN_CONFIG_ORDER, CallPlan, blocked_message, merge
from estimig.prefilter import mentions_azureml
from estimig.result import Finding, Result, Severity


def migrate_source(code: str, *, path: str = "<string>", options: Options | None = None) -> Result:
    """Migrate every estimator construction in `code` that the enabled concerns fully handle."""
    if not mentions_azureml(code):
        return Result(code)
    deep = too_deep(code)  # LibCST's native parser would take the whole process down
    if deep is not None:
        return Result(code, (Finding(deep, Severity.ERROR, "engine", NESTING_MESSAGE,
                                     code=rules.TOO_LARGE_OR_DEEP),))
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        return Result(code, (parse_error(exc),))
    except RecursionError:
        return Result(code, (Finding(1, Severity.ERROR, "engine", NESTING_MESSAGE,
                                     code=rules.TOO_LARGE_OR_DEEP),))
    if options is None:
        options = default_options()
    try:
        return _migrate_module(code, module, options, path)
    except RecursionError:
        return Result(code, (Finding(1, Severity.ERROR, "engine", NESTING_MESSAGE,
                                     code=rules.TOO_LARGE_OR_DEEP),))
    except Exception as exc:  # a bug in estimig must never cost the user their file
        message = f"internal error ({type(exc).__name__}: {exc}); the file was left as it was. Please report this"
        return Result(code, (Finding(1, Severity.ERROR, "engine", message, code=rules.INTERNAL),))


_DEFAULT_OPTIONS: Options | None = None


def default_options() -> Options:
    global _DEFAULT_OPTIONS
    if _DEFAULT_OPTIONS is None:
        _DEFAULT_OPTIONS = Options.create()
    return _DEFAULT_OPTIONS


def parse_error(exc: cst.ParserSyntaxError) -> Finding:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
    return Finding(exc.raw_line, Severity.ERROR, "parse", f"cannot parse this file ({message}); left as it was",
                   column=exc.raw_column, code=rules.PARSE)


def _migrate_module(code: str, module: cst.Module, options: Options, path: str = "<string>") -> Result:
    facts = collect(module, path)
    # `# estimig: ignore` comments are looked for only in a file that has one: finding the comments
    # of each call's lines walks its nodes, which would cost as much as the analysis.
    suppressible = comments.MAY_IGNORE.search(code) is not None
    stray = [(line, message) for line, message in facts.stray
             if not (suppressible and _stray_suppressed(facts, line))]
    findings: list[Finding] = [Finding(line, Severity.WARNING, "uses", message, code=rules.CLASS_USED)
                               for line, message in stray]
    if not facts.calls and not facts.stray:
        return Result(code, tuple(findings))
    decisions = [decide(call, options, suppressible) for call in facts.calls]
    for decision in decisions:
        if decision.suppressed:
            continue  # `# estimig: ignore`: no finding, no comment
        findings.extend(decision.plan.findings)
        if not decision.left and decision.plan.assumes:
            findings.append(assumptions.finding(decision.call.line, decision.call.column, decision.call.kind,
                                                decision.plan.assumes))
        if decision.left:
            first = decision.plan.blocked[0]
            findings.append(Finding(decision.call.line, Severity.WARNING, first.concern,
                                    f"{decision.call.kind}(...) left as it was: {blocked_message(decision.plan)}",
                                    column=decision.call.column, code=first.code))
    extra = stray_comments(stray) if options.comments == "inline" else {}
    new_code = render(facts, assemble(facts, decisions, extra, owned_lines(facts.stray)), code)
    migrated = sum(1 for d in decisions if not d.left)
    assumed = sum(1 for d in decisions if not d.left and d.plan.assumes)
    suppressed = sum(1 for d in decisions if d.suppressed)
    if migrated:
        from estimig.codemods import registry

        new_code = registry(options.target).finish(module, new_code)
    findings.sort(key=lambda f: (f.line, f.column))
    files = tuple(dict.fromkeys(f for d in decisions if not d.left for f in d.plan.files))
    return Result(new_code, tuple(findings), migrated=migrated, left=len(decisions) - migrated - suppressed,
                  suppressed=suppressed, assumed=assumed, files=files)


def _stray_suppressed(facts, line: int) -> bool:
    statement = statement_at_line(facts, line)
    return statement is not None and comments.suppressed(comments.call_suppression(statement), rules.CLASS_USED)


def stray_comments(stray: list[tuple[int, str]]) -> dict[int, str]:
    """One short `# estimig:` comment per line that uses an estimator class other than by calling it."""
    by_line: dict[int, str] = {}
    for line, message in stray:
        by_line.setdefault(line, comments.inline(rules.CLASS_USED, message))
    return by_line


def owned_lines(stray: list[tuple[int, str]]) -> set[int]:
    """Lines whose statement this run decides again, so estimig's own comments there are replaced."""
    return {line for line, _ in stray}


def decide(call: EstimatorCall, options: Options, suppressible: bool = True) -> CallDecision:
    from estimig.codemods import ALWAYS_REQUIRED, ARGUMENT_OWNERS, registry

    target = registry(options.target)
    plans: list[CallPlan] = [concern.plan(call, options) for concern in options.concerns.values()]
    plans.extend(target.extra_plans(call, options))
    for required in ALWAYS_REQUIRED:
        if required not in options.concerns:
            plans.append(CallPlan(required, blocked=f"the '{required}' concern is needed by every estimator and is not enabled",
                                  blocked_code=rules.CONCERN_DISABLED))
    uses = [(id(use.node), use.description) for use in call.uses]
    merged = merge(plans, call.kwargs, ARGUMENT_OWNERS, uses, call.line)
    statement = call.statement or enclosing_statement(call.module, call.node)
    silenced = comments.call_suppression(statement, call.node) if statement is not None and suppressible else None
    code = merged.blocked[0].code if merged.is_blocked else None
    if comments.suppressed(silenced, code) or (silenced is comments.ALL and code is None):
        return CallDecision(call, merged, left=True, suppressed=True)
    if merged.is_blocked:
        comment = comments.inline(code, merged.blocked[0].reason) if options.comments == "inline" else None
        return CallDecision(call, merged, comment=comment, left=True)
    order = target.ORDER or SCRIPT_RUN_CONFIG_ORDER
    if merged.assumes:
        # Written whatever --comments says: an assumed migration always says so on the line.
        return CallDecision(call, merged, comment=assumptions.comment(merged.assumes), callee=target.CALLEE,
                            order=order)
    return CallDecision(call, merged, callee=target.CALLEE, order=order)
