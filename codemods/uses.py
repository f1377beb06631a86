"""uses: HyperDriveConfig(estimator=est), EstimatorStep(estimator=est), est.run_config.x, est.conda_dependencies -> the ScriptRunConfig's forms.

The migrated ScriptRunConfig keeps the estimator's variable name, so most later code stays valid as
it is: `est.run_config.<x>` is the same RunConfiguration object on both, and the statements keep
their order, so a write after construction still lands before the submit. What changes is what a
ScriptRunConfig holds elsewhere or not at all: `run_config.script` (a ScriptRunConfig keeps the
script on itself), `_estimator_config` and `conda_dependencies` (estimator-only), HyperDrive's
`estimator=` keyword, and the pipeline step. Every other use blocks the call with the reason: a use
estimig cannot follow (the estimator passed to a function, stored in a list) could be anything.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from estimig.assumptions import HANDOFF, LAST_WINS, SCALARS, hint
from estimig.facts import EstimatorCall, Use
from estimig.plan import CallPlan, finding
from estimig.result import Severity

NAME = "uses"
SUMMARY = ("later uses of the estimator: HyperDriveConfig(estimator=) / HyperDriveRunConfig -> run_config=, "
           "EstimatorStep -> PythonScriptStep, est.run_config.x / _estimator_config / conda_dependencies")

HYPERDRIVE_CONFIG = frozenset({"azureml.train.hyperdrive.HyperDriveConfig",
                               "azureml.train.hyperdrive.runconfig.HyperDriveConfig"})
HYPERDRIVE_RUN_CONFIG = frozenset({"azureml.train.hyperdrive.HyperDriveRunConfig",
                                   "azureml.train.hyperdrive.runconfig.HyperDriveRunConfig"})
ESTIMATOR_STEP = frozenset({"azureml.pipeline.steps.EstimatorStep",
                            "azureml.pipeline.steps.estimator_step.EstimatorStep"})
SAMPLINGS = frozenset(f"azureml.train.hyperdrive.{name}" for name in
                      ("RandomParameterSampling", "GridParameterSampling", "BayesianParameterSampling",
                       "sampling.RandomParameterSampling", "sampling.GridParameterSampling",
                       "sampling.BayesianParameterSampling"))
# Positional parameters, in order (azureml/train/hyperdrive/runconfig.py, azureml/pipeline/steps).
HYPERDRIVE_CONFIG_PARAMS = ("hyperparameter_sampling", "primary_metric_name", "primary_metric_goal",
                            "max_total_runs", "max_concurrent_runs", "max_duration_minutes", "policy",
                            "estimator", "run_config", "resume_from", "resume_child_runs", "pipeline",
                            "debug_flag", "custom_run_id")
HYPERDRIVE_RUN_CONFIG_PARAMS = ("estimator", "hyperparameter_sampling", "primary_metric_name",
                                "primary_metric_goal", "max_total_runs", "max_concurrent_runs",
                                "max_duration_minutes", "policy")
# Each HyperDrive config class and its parameters in positional order (HyperDriveRunConfig.__new__
# takes the estimator first, and returns a HyperDriveConfig of the same settings).
HYPERDRIVE_CONFIGS = ((HYPERDRIVE_CONFIG, HYPERDRIVE_CONFIG_PARAMS), (HYPERDRIVE_RUN_CONFIG, HYPERDRIVE_RUN_CONFIG_PARAMS))
ESTIMATOR_STEP_PARAMS = ("name", "estimator", "estimator_entry_script_arguments", "runconfig_pipeline_params",
                         "inputs", "outputs", "compute_target", "allow_reuse", "version")
# Calls that take a submittable config as `config=` and treat a ScriptRunConfig as they treat an
# estimator: `exp.submit(config=est)`.
SUBMIT_KEYWORD = "config"


class Blocked(Exception):
    pass


Edit = tuple[cst.CSTNode, "cst.CSTNode | Callable[[cst.CSTNode], cst.CSTNode]"]


def plan(call: EstimatorCall, options) -> CallPlan:
    if call.target is None:
        return _unassigned(call, options)
    handled: set[int] = set()
    assumes: set[str] = set()
    edits: list[Edit] = []
    imports: set[tuple[str, str]] = set()
    submitters: list[str] = []
    step_uses = [u for u in call.uses if _is_estimator_step(call, u)]
    hyperdrive_uses = [u for u in call.uses
                       if (_call_is(call, u, HYPERDRIVE_CONFIG) and _param(u, HYPERDRIVE_CONFIG_PARAMS) == "estimator")
                       or (_call_is(call, u, HYPERDRIVE_RUN_CONFIG)
                           and _param(u, HYPERDRIVE_RUN_CONFIG_PARAMS) == "estimator")]
    try:
        for use in call.uses:
            if step_uses and use.kind != "attribute" and use not in step_uses:
                raise Blocked(f"{call.target} is used by EstimatorStep(...) and also by {use.description}; "
                              "EstimatorStep changes the estimator's run configuration, so migrate both uses by hand")
            if hyperdrive_uses and use.kind == "attribute" and use.attributes[:2] in (
                    ("run_config", "arguments"), ("_estimator_config", "arguments")):
                raise Blocked(f"{use.description} is set and the estimator goes to HyperDrive, which drops sampled "
                              "arguments only from an estimator's; migrate both by hand")
            if use.kind == "submit":
                continue  # the core concern's: a ScriptRunConfig is submitted the same way
            if use.kind == "attribute":
                edits.extend(_attribute_edits(call, use.node, use.attributes, f"{call.target}", step_uses))
            elif use.kind == "keyword" and use.keyword == SUBMIT_KEYWORD and _is_submit(use):
                pass
            elif _call_is(call, use, HYPERDRIVE_CONFIG) and _param(use, HYPERDRIVE_CONFIG_PARAMS) == "run_config":
                pass  # the name is (also) bound to a ScriptRunConfig: that is what run_config= takes
            elif _call_is(call, use, HYPERDRIVE_CONFIG) and _param(use, HYPERDRIVE_CONFIG_PARAMS) == "estimator":
                _check_sampling(call, use, HYPERDRIVE_CONFIG_PARAMS, options, assumes)
                edits.append((_arg_of(use), lambda arg: arg.with_changes(keyword=cst.Name("run_config"))))
                edits.extend(_hyperdrive_reads(call, use, step_uses))
            elif _call_is(call, use, HYPERDRIVE_RUN_CONFIG) and _param(use, HYPERDRIVE_RUN_CONFIG_PARAMS) == "estimator":
                _check_sampling(call, use, HYPERDRIVE_RUN_CONFIG_PARAMS, options, assumes)
                edits.append((use.call, _hyperdrive_run_config(call, use)))
                edits.extend(_hyperdrive_reads(call, use, step_uses))
                if isinstance(use.call.func, cst.Name):
                    imports.add(("azureml.train.hyperdrive", "HyperDriveConfig"))
            elif use in step_uses:
                edits.append((use.call, _estimator_step(call, use)))
                if isinstance(use.call.func, cst.Name):
                    imports.add(("azureml.pipeline.steps", "PythonScriptStep"))
            elif use.kind == "other" and call.module.submitted_by_callers(use.node):
                submitters.append(call.module.submitted_by_action(use.node))  # None: this file's own calls
            elif options.assumes(HANDOFF) and use.kind not in ("attribute", "submit"):
                assumes.add(HANDOFF)  # the code it reaches, which estimig cannot see, only submits it
            else:
                raise Blocked(_unknown_use(call, use))
            handled.add(id(use.node))
    except Blocked as exc:
        return CallPlan(NAME, blocked=str(exc))
    shared = _shared_with(call)
    if shared is not None and edits:
        return CallPlan(NAME, blocked=f"{call.target} is also assigned another {shared.kind}(...) (chosen at run "
                        "time), and the later code that must change serves both; migrate them together by hand")
    if len(step_uses) > 1:
        return CallPlan(NAME, blocked=f"{call.target} is used by {len(step_uses)} EstimatorSteps, each of which "
                        "changes its run configuration; migrate them by hand")
    if step_uses:
        for name in ("script_params", "inputs"):
            if call.has(name):
                return CallPlan(NAME, blocked=f"EstimatorStep refuses an estimator with {name} (it raises "
                                "ValueError): pass them to the step instead, then run estimig again")
    return CallPlan(NAME, handles_uses=frozenset(handled), edits=tuple(edits), imports=frozenset(imports),
                    assumes=frozenset(assumes), findings=_submitted_by_action(call, submitters))


def _submitted_by_action(call: EstimatorCall, submitters: list[str]) -> tuple:
    """The info finding of an estimator that a workflow's action submits (estimig/actions.py)."""
    return tuple(finding(call.line, NAME, f"{who}, with Experiment.submit: a ScriptRunConfig is submitted the "
                         "same way", Severity.INFO) for who in dict.fromkeys(submitters) if who)


def _unassigned(call: EstimatorCall, options) -> CallPlan:
    """An estimator not assigned to a simple name has no uses estimig can see, so it may be migrated
    only where its value provably goes: straight into `exp.submit(...)` or `HyperDriveConfig(estimator=...)`.
    Anywhere else (`self.est = ...`, `return Estimator(...)`, a list, a conditional) its later uses
    are invisible and could expect an estimator."""
    facts = call.module
    arg = facts.parent(call.node)
    outer = facts.parent(arg) if isinstance(arg, cst.Arg) else None
    if isinstance(outer, cst.Call):
        keyword = arg.keyword.value if arg.keyword else None
        use = Use(call.node, "keyword" if keyword else "positional", call.line, f"{call.code(outer.func)}(...)",
                  call_names=frozenset(facts.qualified_names(outer.func)), keyword=keyword, call=outer)
        is_submit = isinstance(outer.func, cst.Attribute) and outer.func.attr.value == "submit"
        if is_submit and (keyword == SUBMIT_KEYWORD or (keyword is None and outer.args[0] is arg)):
            return CallPlan(NAME)
        if _call_is(call, use, HYPERDRIVE_CONFIG) and keyword == "estimator":
            assumes: set[str] = set()
            try:
                _check_sampling(call, use, HYPERDRIVE_CONFIG_PARAMS, options, assumes)
                reads = _hyperdrive_reads(call, use, [])
            except Blocked as exc:
                return CallPlan(NAME, blocked=str(exc))
            return CallPlan(NAME, edits=((arg, lambda new: new.with_changes(keyword=cst.Name("run_config"))),
                                         *reads), assumes=frozenset(assumes))
        return CallPlan(NAME, blocked=f"the estimator is built inside {call.code(outer.func)}(...) without a name, "
                        "so estimig cannot see how it is used; assign it to a name first")
    if isinstance(arg, cst.Return):
        if facts.submitted_by_callers(call.node) is not None:
            return CallPlan(NAME, findings=_submitted_by_action(call, [facts.submitted_by_action(call.node)]))
        if options.assumes(HANDOFF):
            return CallPlan(NAME, assumes=frozenset({HANDOFF}))
        return CallPlan(NAME, blocked="the estimator is returned, so estimig cannot see how callers use it; "
                        f"check that they accept a ScriptRunConfig, or {hint(HANDOFF)}")
    return CallPlan(NAME, blocked="the estimator is not assigned to a simple name in its own statement, so "
                    "estimig cannot see how it is used afterwards; assign it first (est = ...)")


def _shared_with(call: EstimatorCall) -> EstimatorCall | None:
    """Another estimator construction whose name reaches the same later uses (`if gpu: est = PyTorch(...)
    else: est = Estimator(...)`): the uses are rewritten once for both, so neither may go alone."""
    mine = {id(use.node) for use in call.uses}
    for other in call.module.calls:
        if other is not call and mine & {id(use.node) for use in other.uses}:
            return other
    return None


# -- what a use is ---------------------------------------------------------------------------------
def _call_is(call: EstimatorCall, use: Use, names: frozenset[str]) -> bool:
    return use.call is not None and bool(set(use.call_names or call.module.qualified_names(use.call.func)) & names)


def _is_submit(use: Use) -> bool:
    return isinstance(use.call.func, cst.Attribute) and use.call.func.attr.value == "submit"


def _is_estimator_step(call: EstimatorCall, use: Use) -> bool:
    return _call_is(call, use, ESTIMATOR_STEP) and _param(use, ESTIMATOR_STEP_PARAMS) == "estimator"


def _arg_of(use: Use) -> cst.Arg:
    return next(arg for arg in use.call.args if arg.value is use.node)


def _param(use: Use, params: tuple[str, ...]) -> str | None:
    """The parameter the estimator is passed as: its keyword, or its position's name."""
    if use.call is None:
        return None
    arg = _arg_of(use)
    if arg.keyword is not None:
        return arg.keyword.value
    if arg.star:
        return None
    index = [a for a in use.call.args if a.keyword is None].index(arg)
    return params[index] if index < len(params) else None


def _unknown_use(call: EstimatorCall, use: Use) -> str:
    function = call.module.returned_from(use.node)
    skipped = call.module.skipped_by_action(function) if function is not None else None
    if skipped is not None:
        return (f"{call.target} is returned by {function.name.value}(), and {skipped}, so estimig cannot see who "
                f"calls it: check that they accept a ScriptRunConfig, or {hint(HANDOFF)}")
    if function is not None and call.module.result_used_here(function):
        return (f"{call.target} is returned by {function.name.value}(), and this file does more with what it returns "
                f"than submit it: check that those uses accept a ScriptRunConfig, or {hint(HANDOFF)}")
    if function is not None:
        return (f"{call.target} is returned by {function.name.value}(), whose callers estimig cannot see: check "
                "that they accept a ScriptRunConfig (a workflow's Azure/aml-run step that runs it is followed), "
                f"or {hint(HANDOFF)}")
    if use.kind in ("keyword", "positional"):
        return (f"{call.target} is passed to {use.description}, which estimig cannot follow: "
                f"check that the callee accepts a ScriptRunConfig, or {hint(HANDOFF)}")
    return (f"{call.target} is used as a value ({use.description}), which estimig cannot "
            f"follow: check that the code using it accepts a ScriptRunConfig, or {hint(HANDOFF)}")


# -- est.run_config.<x>, est._estimator_config.<x>, est.conda_dependencies -------------------------
def _attribute_edits(call: EstimatorCall, base: cst.CSTNode, chain: tuple[str, ...], shown: str,
                     step_uses) -> list[Edit]:
    """Rewrite the attribute chain read from an estimator (`base` is the expression that holds it)
    into the same access on the ScriptRunConfig; raise Blocked when there is none."""
    new_prefix, consumed = _translate(call, base, chain, shown, step_uses)
    if new_prefix == ".".join(chain[:consumed]):
        return []  # the same access on a ScriptRunConfig: nothing to change
    return [(_up(call, base, consumed), _replacement(f"{call.code(base)}.{new_prefix}"))]


def _translate(call: EstimatorCall, base: cst.CSTNode, chain: tuple[str, ...], shown: str,
               step_uses) -> tuple[str, int]:
    """(the ScriptRunConfig's attribute path, how many of the chain's attributes it replaces)."""
    facts = call.module
    text = f"{shown}.{'.'.join(chain)}" if chain else shown
    is_store = _is_store(facts, _up(call, base, len(chain)))
    first, rest = (chain[0], chain[1:]) if chain else (None, ())
    if first == "_estimator_config":
        first = "run_config"
    if first == "conda_dependencies":
        if is_store and not rest:
            raise Blocked(f"{text} is assigned; an estimator's conda_dependencies cannot be set")
        return "run_config.environment.python.conda_dependencies", 1
    if first == "run_config":
        if not rest:
            raise Blocked(f"{text} is used as a whole: a ScriptRunConfig's run_config holds neither "
                          "the script nor the arguments (they stay on the ScriptRunConfig); pass the "
                          "ScriptRunConfig itself, or set them by hand")
        method = _up(call, base, 2)
        caller = facts.parent(method)
        if isinstance(caller, cst.Call) and caller.func is method:
            raise Blocked(f"{shown}.{chain[0]}.{rest[0]}(...) is called: it sees the whole run configuration, which "
                          "on a ScriptRunConfig holds neither the script nor the arguments; migrate by hand")
        if rest[0] == "script":
            if step_uses:
                raise Blocked(f"{text} is used beside EstimatorStep; migrate by hand")
            return "script", 2
        if rest[0] == "arguments":
            if not (is_store and len(rest) == 1):
                raise Blocked(f"{text} is read: a ScriptRunConfig keeps its arguments on itself "
                              "(None when none were given), not on run_config; rewrite it to read "
                              f"{shown}.arguments by hand")
            if step_uses:
                raise Blocked(f"{text} is set beside EstimatorStep; migrate by hand")
            return "arguments", 2
        return "run_config", 1
    if first == "source_directory" and not is_store:
        return "source_directory", 1
    if first is None:
        raise Blocked(f"{text} is used as a whole, which estimig cannot follow")
    raise Blocked(f"{text} has no ScriptRunConfig equivalent estimig can prove; rewrite it by hand")


def _up(call: EstimatorCall, node: cst.CSTNode, levels: int) -> cst.CSTNode:
    for _ in range(levels):
        node = call.module.parent(node)
    return node


def _replacement(code: str):
    new = cst.parse_expression(code)
    return lambda updated: new.with_changes(lpar=updated.lpar, rpar=updated.rpar)


def _is_store(facts, node: cst.CSTNode) -> bool:
    parent = facts.parent(node)
    return isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)) and parent.target is node


# -- HyperDrive ------------------------------------------------------------------------------------
def _check_sampling(call: EstimatorCall, use: Use, params: tuple[str, ...], options, assumes: set[str]) -> None:
    """HyperDriveConfig(estimator=) drops fixed arguments that are also sampled hyperparameters
    (`_remove_duplicate_arguments`); run_config= does not. Prove there is no overlap, or that it
    does not matter (last-argument-wins: the sampled value the service appends wins)."""
    if not call.has("script_params"):
        return
    if _in_hyperdrive_step(call, use.call):
        # HyperDriveStep refuses an estimator with arguments, but refuses a ScriptRunConfig whose
        # arguments are not None (even []) beside estimator_entry_script_arguments.
        raise Blocked("the estimator has script_params and goes to a HyperDriveStep, which treats an estimator's "
                      "arguments and a ScriptRunConfig's differently: pass the arguments to the step as "
                      "estimator_entry_script_arguments, then run estimig again")
    from estimig.codemods.arguments import Unprovable, script_params_items

    from estimig.values import Kind, classify

    try:
        items = script_params_items(call)
    except Unprovable as exc:
        if options.assumes(LAST_WINS) and options.assumes(SCALARS):
            assumes.add(LAST_WINS)  # the arguments concern flattens them at run time, keeping every one
            return
        raise Blocked(str(exc)) from exc
    keys = {}
    for key, _ in items:
        value = classify(call, key)
        if value.kind is Kind.LITERAL and isinstance(value.value, str):
            keys[value.value.lstrip("-")] = value.value
    if not keys:
        return
    unknown = sorted(a.keyword.value for a in use.call.args if a.keyword is not None and a.keyword.value not in params)
    if unknown:
        # A misspelt keyword (`hyperparametr_sampling=`): the original raises TypeError there.
        raise Blocked(f"{use.description}: HyperDriveConfig has no parameter '{unknown[0]}', so the original fails "
                      "when it builds the config; fix the name, then run estimig again")
    sampled = _sampled_names(call, use, params)
    if sampled is None and options.assumes(LAST_WINS):
        assumes.add(LAST_WINS)
    elif sampled is None:
        raise Blocked(f"{use.description}: estimig cannot prove which hyperparameters are "
                      "sampled, and HyperDriveConfig(estimator=) drops script_params that are also sampled while "
                      f"run_config= keeps them; {hint(LAST_WINS)}")
    # A fixed value that is also sampled is dropped from the arguments by the `arguments` concern,
    # as HyperDriveConfig(estimator=) did (see hyperdrive_sampling).


def hands_over_run_config(call: EstimatorCall, use: Use) -> bool:
    """Whether a use gives the estimator to HyperDriveConfig / HyperDriveRunConfig (`estimator=`) or
    to an EstimatorStep, which take its run configuration as built (never through
    Experiment.submit's estimator path)."""
    return ((_call_is(call, use, HYPERDRIVE_CONFIG) and _param(use, HYPERDRIVE_CONFIG_PARAMS) == "estimator")
            or (_call_is(call, use, HYPERDRIVE_RUN_CONFIG) and _param(use, HYPERDRIVE_RUN_CONFIG_PARAMS) == "estimator")
            or _is_estimator_step(call, use))


def hyperdrive_sampling(call: EstimatorCall) -> "tuple[set[str], bool] | str | None":
    """The hyperparameter names `HyperDriveConfig(estimator=this)` samples (without leading dashes),
    and whether that HyperDrive config is the only code that reads the estimator's arguments; None
    when no HyperDriveConfig takes it as `estimator=`; why not, when the names cannot be proven."""
    found = sampled_by_use(call)
    if not isinstance(found, tuple):
        return found
    found, others = found
    names = set.union(*(s for _, s in found))
    exclusive = not others and len(found) == 1
    return names, exclusive


def sampled_by_use(call: EstimatorCall) -> "tuple[list[tuple[Use, set[str]]], list[Use]] | str | None":
    """Each `HyperDriveConfig(estimator=this)` use with the names it samples, and the estimator's
    other uses that read its arguments (submits, hand-offs); None and why-not as hyperdrive_sampling."""
    if call.target is None:
        arg = call.module.parent(call.node)
        outer = call.module.parent(arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(outer, cst.Call) and arg.keyword is not None and arg.keyword.value == "estimator"):
            return None
        uses = [Use(call.node, "keyword", call.line, f"{call.code(outer.func)}(...)",
                    call_names=frozenset(call.module.qualified_names(outer.func)), keyword="estimator", call=outer)]
    else:
        uses = list(call.uses)
    found = []
    for use in uses:
        for names, params in HYPERDRIVE_CONFIGS:
            if _call_is(call, use, names) and _param(use, params) == "estimator":
                sampled = _sampled_names(call, use, params)
                if sampled is None:
                    return (f"{use.description}: estimig cannot prove which hyperparameters are sampled, and "
                            "HyperDriveConfig(estimator=) drops script_params that are also sampled")
                found.append((use, sampled))
    if not found:
        return None
    others = [u for u in uses if u.kind != "attribute" and all(u is not f for f, _ in found)]
    return found, others


def _in_hyperdrive_step(call: EstimatorCall, config: cst.Call) -> bool:
    """Whether the HyperDrive config is given to a HyperDriveStep, directly or through a name."""
    facts = call.module
    holders = [config]
    parent = facts.parent(config)
    if (isinstance(parent, cst.Assign) and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)):
        holders.extend(facts.accesses(parent.targets[0].target))
    for node in holders:
        arg = facts.parent(node)
        outer = facts.parent(arg) if isinstance(arg, cst.Arg) else None
        if isinstance(outer, cst.Call) and any(q.endswith(".HyperDriveStep")
                                                for q in facts.qualified_names(outer.func)):
            return True
    return False


def _sampled_names(call: EstimatorCall, use: Use, params: tuple[str, ...]) -> set[str] | None:
    sampling = _argument(use.call, params, "hyperparameter_sampling")
    sampling = _resolved(call, sampling)
    if not isinstance(sampling, cst.Call) or not (call.module.qualified_names(sampling.func) & SAMPLINGS):
        return None
    space = _argument(sampling, ("parameter_space",), "parameter_space")
    space = _resolved(call, space)
    if not isinstance(space, cst.Dict):
        return None
    names = set()
    for element in space.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return None
        names.add(element.key.evaluated_value.lstrip("-"))
    return names


def _argument(node: cst.Call, params: tuple[str, ...], name: str) -> cst.BaseExpression | None:
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    index = params.index(name)
    return positional[index].value if index < len(positional) else None


def _resolved(call: EstimatorCall, expr):
    """The literal a name holds where it is read, when one unchanged `name = value` reaches it."""
    if isinstance(expr, cst.Name):
        found = call.module.definition(expr)
        return found.value if not isinstance(found, str) and not found.changes else None
    return expr


def _hyperdrive_run_config(call: EstimatorCall, use: Use):
    """HyperDriveRunConfig(estimator, sampling, ...) -> HyperDriveConfig(sampling, ..., run_config=est):
    the deprecated class's `__new__` builds exactly that HyperDriveConfig with estimator=."""
    column = call.module.column_of(use.call)
    paren_column = column + len(call.code(use.call.func)) + 1

    def build(updated: cst.Call) -> cst.Call:
        func = updated.func
        func = (cst.Name("HyperDriveConfig") if isinstance(func, cst.Name)
                else func.with_changes(attr=cst.Name("HyperDriveConfig")))
        args = list(updated.args)
        index = next(i for i, a in enumerate(use.call.args) if a.value is use.node)
        arg = args[index]
        if arg.keyword is not None:
            args[index] = arg.with_changes(keyword=cst.Name("run_config"))
        else:
            # Positional first: the rest of the positionals shift into HyperDriveConfig's order, and the
            # estimator moves last, as a keyword, keeping the separator it had.
            del args[index]
            moved = cst.Arg(keyword=cst.Name("run_config"), value=arg.value, equal=_equal())
            last = args[-1]
            args[-1] = last.with_changes(comma=arg.comma)
            args.append(moved.with_changes(comma=last.comma))
        delta = len("HyperDriveConfig") - len("HyperDriveRunConfig")
        return updated.with_changes(func=func, args=_realign(args, paren_column, delta))
    return build


def _hyperdrive_reads(call: EstimatorCall, use: Use, step_uses) -> list[Edit]:
    """`hd.estimator.<x>` (tests assert on it) -> `hd.run_config.<x>` on the ScriptRunConfig."""
    facts = call.module
    parent = facts.parent(use.call)
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)):
        return []
    name = parent.targets[0].target
    edits: list[Edit] = []
    for access in facts.accesses(name):
        holder = facts.parent(access)
        if isinstance(holder, cst.Attribute) and holder.value is access and holder.attr.value == "estimator":
            chain: list[str] = []
            node: cst.CSTNode = holder
            while isinstance(facts.parent(node), cst.Attribute) and facts.parent(node).value is node:
                node = facts.parent(node)
                chain.append(node.attr.value)
            if not chain:
                if _is_store(facts, holder):
                    raise Blocked(f"{name.value}.estimator is assigned; migrate by hand")
                edits.append((holder, _replacement(f"{name.value}.run_config")))
                continue
            new_prefix, consumed = _translate(call, holder, tuple(chain), f"{name.value}.estimator", step_uses)
            edits.append((_up(call, holder, consumed), _replacement(f"{name.value}.run_config.{new_prefix}")))
    return edits


# -- EstimatorStep ---------------------------------------------------------------------------------
def _estimator_step(call: EstimatorCall, use: Use):
    """EstimatorStep(name=, estimator=est, estimator_entry_script_arguments=, ...) ->
    PythonScriptStep(name=, script_name=, source_directory=, runconfig=est.run_config, arguments=, ...).

    EstimatorStep is a PythonScriptStep built from the estimator's run configuration, script and
    source directory (azureml/pipeline/steps/estimator_step.py); PythonScriptStep with the
    ScriptRunConfig's keeps the step's run configuration and arguments (PipelineParameters and
    PipelineData included) as they were. CommandStep would run a command instead of a script.
    """
    est = call.target
    script = _reused(call, "entry_script", f"{est}.script")
    source = _reused(call, "source_directory", f"{est}.source_directory")
    facts = call.module
    column = facts.column_of(use.call)
    paren_column = column + len(call.code(use.call.func)) + 1
    original_args = list(use.call.args)

    def build(updated: cst.Call) -> cst.Call:
        func = updated.func
        func = (cst.Name("PythonScriptStep") if isinstance(func, cst.Name)
                else func.with_changes(attr=cst.Name("PythonScriptStep")))
        separator = _separator(updated)
        args: list[cst.Arg] = []
        for i, (original, arg) in enumerate(zip(original_args, updated.args)):
            name = arg.keyword.value if arg.keyword is not None else ESTIMATOR_STEP_PARAMS[i]
            if name == "estimator":
                comma = arg.comma if isinstance(arg.comma, cst.Comma) else separator
                for key, code in (("script_name", script), ("source_directory", source)):
                    args.append(cst.Arg(keyword=cst.Name(key), value=cst.parse_expression(code), equal=_equal(arg),
                                        comma=comma))
                args.append(arg.with_changes(keyword=cst.Name("runconfig"), equal=_equal(arg),
                                             value=cst.parse_expression(f"{est}.run_config")))
            elif name == "estimator_entry_script_arguments":
                args.append(arg.with_changes(keyword=cst.Name("arguments")))
            elif arg.keyword is None:
                args.append(arg.with_changes(keyword=cst.Name(name), equal=_equal()))
            else:
                args.append(arg)
        delta = len("PythonScriptStep") - len("EstimatorStep")
        return updated.with_changes(func=func, args=_realign(args, paren_column, delta))
    return build


def _reused(call: EstimatorCall, kwarg: str, fallback: str) -> str:
    """A string literal the estimator was given, repeated as it was; otherwise read from the
    ScriptRunConfig (a name could be rebound between the two calls)."""
    if call.has(kwarg) and isinstance(call.kwargs[kwarg].value, cst.SimpleString):
        return call.value_code(kwarg)
    return fallback


def _equal(like: cst.Arg | None = None) -> cst.AssignEqual:
    if like is not None and isinstance(like.equal, cst.AssignEqual):
        return like.equal
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def _separator(node: cst.Call) -> cst.Comma:
    for arg in node.args[:-1]:
        if isinstance(arg.comma, cst.Comma):
            ws = arg.comma.whitespace_after
            if isinstance(ws, cst.ParenthesizedWhitespace):
                ws = ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
            return arg.comma.with_changes(whitespace_after=ws)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _realign(args: list[cst.Arg], paren_column: int, delta: int) -> list[cst.Arg]:
    """Continuation lines aligned under the opening parenthesis move with the new name."""
    if delta == 0:
        return args
    realigned = []
    for arg in args:
        comma = arg.comma
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
            ws = comma.whitespace_after
            if len(ws.last_line.value) == paren_column:
                ws = ws.with_changes(last_line=cst.SimpleWhitespace(" " * (paren_column + delta)))
                arg = arg.with_changes(comma=comma.with_changes(whitespace_after=ws))
        realigned.append(arg)
    return realigned
