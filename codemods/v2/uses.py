"""uses: hdc = HyperDriveConfig(estimator=est, hyperparameter_sampling=..., policy=..., ...); exp.submit(hdc) -> hdc = est(lr=sweep.Uniform(...)).sweep(...); ml_client.jobs.create_or_update(hdc, ...).

An estimator whose one use is `HyperDriveConfig(estimator=est, ...)`, bound to a name that one
`Experiment(ws, "<name>").submit(hdc)` submits, becomes a v2 sweep job over the command job:

- each sampled parameter `"--lr": uniform(0.001, 0.1)` becomes a typed input of the command job
  (`inputs={"lr": Input(type="number")}`), written on its command line as `--lr ${{inputs.lr}}`
  after the fixed arguments (HyperDrive appended each sampled value to the run's arguments as
  `name value`), and the command job called with its search space, `est(lr=sweep.Uniform(
  min_value=0.001, max_value=0.1))`; a fixed script_param that is also sampled is dropped, as
  `HyperDriveConfig(estimator=)` dropped it;
- `.sweep(...)` takes the sampling algorithm, the primary metric and its goal, the limits
  (`max_total_runs` -> `max_total_trials`, `max_concurrent_runs` -> `max_concurrent_trials`,
  `max_duration_minutes` -> `timeout` in seconds, v1's defaults written out: 10080 minutes, and as
  many runs at once as in all), the
  estimator's `max_run_duration_seconds` as `trial_timeout` (a sweep drops the trial's own timeout),
  and the early termination policy with every count written out (v1's evaluation_interval defaults
  to 1, v2's to 0).

Left as they were, with the reason: sampled names that do not start with `--` (the SDK compares them
without dashes and the service spells them itself), parameter expressions or policy counts that are
not literals, `TruncationSelectionPolicy` (its `exclude_finished_jobs` has no v2 form), sampling
`properties`, a trial timeout that is not a literal number of whole minutes (v2 rounds it up to
one), an estimator also submitted directly or swept twice, and a HyperDrive run used other than by
`wait_for_completion()` / `get_portal_url()` (`get_best_run_by_primary_metric()` has no v2 form).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import libcst as cst

from estimig.assumptions import DASHED, V1_RUN, hint
from estimig.codemods.uses import (HYPERDRIVE_CONFIGS, SAMPLINGS, _argument, _call_is,
                                   _param, _resolved)
from estimig.codemods.v2 import CREDENTIAL, INPUT, ML_CLIENT, Blocked, taken
from estimig.facts import EstimatorCall, Use
from estimig.plan import CallPlan
from estimig.values import Kind, classify, literal

NAME = "uses"
SUMMARY = "HyperDriveConfig(estimator=est) submitted -> the command job called with its search space, .sweep(...)"
SWEEP = ("azure.ai.ml", "sweep")

_ALGORITHMS = {"RandomParameterSampling": "random", "GridParameterSampling": "grid",
               "BayesianParameterSampling": "bayesian"}
# v1 parameter expression -> the v2 class and its parameters, in the v1 function's positional order.
_EXPRESSIONS = {
    "uniform": ("Uniform", ("min_value", "max_value")), "loguniform": ("LogUniform", ("min_value", "max_value")),
    "normal": ("Normal", ("mu", "sigma")), "lognormal": ("LogNormal", ("mu", "sigma")),
    "quniform": ("QUniform", ("min_value", "max_value", "q")),
    "qloguniform": ("QLogUniform", ("min_value", "max_value", "q")),
    "qnormal": ("QNormal", ("mu", "sigma", "q")), "qlognormal": ("QLogNormal", ("mu", "sigma", "q")),
    "randint": ("Randint", ("upper",)),
}
_HYPERDRIVE_MODULES = ("azureml.train.hyperdrive.", "azureml.train.hyperdrive.parameter_expressions.",
                       "azureml.train.hyperdrive.policy.", "azureml.train.hyperdrive.runconfig.",
                       "azureml.train.hyperdrive.sampling.")
# v1 policy -> v2 class and the v1 defaults of the counts written out.
_POLICIES = {"BanditPolicy": ("BanditPolicy", {"evaluation_interval": 1, "delay_evaluation": 0}),
             "MedianStoppingPolicy": ("MedianStoppingPolicy", {"evaluation_interval": 1, "delay_evaluation": 0})}
_V1_DEFAULT_DURATION_MINUTES = 10080  # HyperDriveConfig's max_duration_minutes default
_KNOWN = {"estimator", "hyperparameter_sampling", "primary_metric_name", "primary_metric_goal", "max_total_runs",
          "max_concurrent_runs", "max_duration_minutes", "policy"}


@dataclass(frozen=True)
class Sampled:
    flag: str  # "--batch-size", as HyperDrive put it on the command line
    name: str  # "batch_size", the v2 input
    input_type: str  # "number" | "integer" | "string"
    code: str  # "sweep.Choice(values=[16, 32])"


@dataclass(frozen=True)
class Sweep:
    use: Use  # HyperDriveConfig(estimator=est)
    config: cst.Call
    target: cst.Name  # the name the HyperDrive config is bound to
    parameters: tuple[Sampled, ...]
    settings: tuple[tuple[str, str], ...]  # .sweep(...) keyword -> code, compute and trial_timeout aside
    assumes: frozenset[str] = frozenset()  # dashed-sampled-names, where a sampled name has no dashes


def is_sweep(call: EstimatorCall, use: Use) -> bool:
    """`HyperDriveConfig(estimator=est)` (or the deprecated `HyperDriveRunConfig(est, ...)`, which
    builds that HyperDriveConfig): the use this concern answers for."""
    return any(_call_is(call, use, names) and _param(use, params) == "estimator"
               for names, params in HYPERDRIVE_CONFIGS)


def _params(call: EstimatorCall, config: cst.Call) -> tuple[str, ...]:
    names = call.module.qualified_names(config.func)
    return next(params for classes, params in HYPERDRIVE_CONFIGS if names & classes)


def sweep_of(call: EstimatorCall, options=None) -> Sweep | None:
    """The one HyperDrive sweep over this estimator, None when HyperDrive does not take it; Blocked
    when it does in a way --target v2 cannot prove (the `arguments` and `datasets` concerns ask
    this too, with the same `options`: the sampled parameters are inputs of the command job)."""
    found = [use for use in call.uses if is_sweep(call, use)]
    if not found:
        return None
    others = [use for use in call.uses if use not in found and use.kind != "attribute"]
    if len(found) > 1 or others:
        shown = others[0].description if others else found[1].description
        raise Blocked(f"the estimator is swept and also used as {shown}; --target v2 migrates an estimator "
                      "whose one use is one HyperDriveConfig")
    use = found[0]
    config = use.call
    given = {_name_of(_params(call, config), index, arg) for index, arg in enumerate(config.args)}
    unknown = sorted(given - _KNOWN)
    if unknown:
        raise Blocked(f"HyperDriveConfig(...) sets {unknown[0]}, which --target v2 does not migrate yet")
    target = _bound_name(call, config)
    assumed: set[str] = set()
    parameters, algorithm = _space(call, config, options, assumed)
    settings = [("sampling_algorithm", json.dumps(algorithm)),
                ("primary_metric", _string(call, config, "primary_metric_name")),
                ("goal", json.dumps(_goal(call, config))),
                ("max_total_trials", _count(call, config, "max_total_runs")),
                # HyperDriveConfig runs max_total_runs at once when max_concurrent_runs is not given.
                ("max_concurrent_trials", _count(call, config, "max_concurrent_runs", "max_total_runs")),
                ("timeout", str(_minutes(call, config) * 60))]
    policy = _policy(call, config)
    if policy is not None and algorithm == "bayesian":
        raise Blocked("Bayesian sampling takes no early termination policy: the original fails when the HyperDrive "
                      "config is built")
    if policy is not None:
        settings.append(("early_termination_policy", policy))
    return Sweep(use, config, target, parameters, tuple(settings), frozenset(assumed))


def plan(call: EstimatorCall, options) -> CallPlan:
    handled = frozenset(id(use.node) for use in call.uses if is_sweep(call, use))
    try:
        found = sweep_of(call, options)
        if found is None:
            return CallPlan(NAME)
        return _plan(call, found, options)
    except Blocked as exc:
        return CallPlan(NAME, handles_uses=handled, blocked=str(exc))


def _plan(call: EstimatorCall, found: Sweep, options) -> CallPlan:
    from estimig.codemods.v2.core import HYPERDRIVE_RUN_CLASS, _compute, _submission, clients, noted

    if call.target is None:
        raise Blocked("the swept estimator is not bound to a name, which the sweep job calls")
    facts = call.module
    reads = facts.accesses(found.target)
    submits = [read for read in reads if _submitted(facts, read)]
    if len(reads) != 1 or len(submits) != 1:
        others = [read for read in reads if not _submitted(facts, read)]
        used = f"submitted {len(submits)} times" if not others else \
            f"{'submitted and also ' if submits else ''}used as {_use_shown(facts, others[0])}"
        if not reads:
            used = "never used"
        raise Blocked(f"the HyperDrive config {found.target.value} is {used}; --target v2 migrates a config "
                      "submitted once by Experiment.submit and used for nothing else")
    assumed: set[str] = set()
    compute = _compute(call, options, assumed)
    keywords = [*found.settings[:1], ("compute", compute), *found.settings[1:]]
    if call.has("max_run_duration_seconds") and literal(call.kwargs["max_run_duration_seconds"].value) != (True, None):
        keywords.append(("trial_timeout", _trial_timeout(call)))
    space = ", ".join(f"{p.name}={p.code}" for p in found.parameters)
    sweep = cst.parse_expression(f"{call.target}({space}).sweep({', '.join(f'{k}={v}' for k, v in keywords)})")
    client = facts.fresh_name("ml_client")
    read = submits[0]
    arg = facts.parent(read)
    submit = facts.parent(arg)
    shim = Use(read, "submit", facts.line_of(read), f"{facts.code_for(submit)}", call=submit)
    notes: list[str] = []
    edits = [(found.config, sweep), *clients(call, [shim], client),
             *_submission(call, shim, client, notes, options, assumed, HYPERDRIVE_RUN_CLASS)]
    imports = {SWEEP, ML_CLIENT, CREDENTIAL, INPUT}
    if V1_RUN in assumed:
        imports.add(HYPERDRIVE_RUN_CLASS)
    clash = taken(call, imports)
    if clash is not None:
        raise Blocked(f"the file already binds the name '{clash}', which the v2 sweep needs; rename yours first")
    return CallPlan(NAME, handles_uses=frozenset({id(found.use.node)}), imports=frozenset(imports),
                    edits=tuple(edits), findings=noted(call, NAME, notes), assumes=frozenset(assumed) | found.assumes)


def _trial_timeout(call: EstimatorCall) -> str:
    """The estimator's max_run_duration_seconds, each trial's limit: v2 keeps a sweep's timeouts in
    whole minutes (it rounds a part of one up), so only a literal number of minutes is the same."""
    found = classify(call, call.kwargs["max_run_duration_seconds"].value)
    ok, value = found.kind is Kind.LITERAL, found.value
    if not ok or isinstance(value, bool) or not isinstance(value, int) or value < 60 or value % 60:
        raise Blocked(f"max_run_duration_seconds={call.value_code('max_run_duration_seconds')} is not a literal "
                      "number of whole minutes, and v2 rounds a sweep trial's timeout up to one")
    return str(value)


def _use_shown(facts, read: cst.Name) -> str:
    """`HyperDriveStep(hyperdrive_config=hdc, ...)`: the call a read is an argument of, shortened."""
    arg = facts.parent(read)
    inner = facts.parent(arg) if isinstance(arg, cst.Arg) else None
    if isinstance(inner, cst.Call):
        given = f"{arg.keyword.value}={read.value}" if arg.keyword is not None else read.value
        return f"{facts.code_for(inner.func)}({given}{', ...' if len(inner.args) > 1 else ''})"
    return f"'{read.value}'"


def _submitted(facts, read: cst.Name) -> bool:
    arg = facts.parent(read)
    submit = facts.parent(arg) if isinstance(arg, cst.Arg) else None
    return (isinstance(submit, cst.Call) and isinstance(submit.func, cst.Attribute) and submit.func.attr.value == "submit"
            and (arg.keyword is None and submit.args[0] is arg or arg.keyword is not None and arg.keyword.value == "config"))


def _name_of(params: tuple[str, ...], index: int, arg: cst.Arg) -> str:
    if arg.star:
        raise Blocked("HyperDriveConfig(...) unpacks arguments estimig cannot see")
    if arg.keyword is None and index >= len(params):
        raise Blocked("HyperDriveConfig(...) has more positional arguments than it takes")
    return arg.keyword.value if arg.keyword is not None else params[index]


def _bound_name(call: EstimatorCall, config: cst.Call) -> cst.Name:
    parent = call.module.parent(config)
    if (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
        return parent.targets[0].target
    raise Blocked("the HyperDrive config is not bound to a name (hdc = HyperDriveConfig(...)), which --target v2 "
                  "migrates")


def _hyperdrive_name(call: EstimatorCall, node: cst.CSTNode) -> str | None:
    """`uniform` for azureml.train.hyperdrive's uniform (or its modules' paths to it), else None."""
    for name in call.module.qualified_names(node):
        for prefix in _HYPERDRIVE_MODULES:
            if name.startswith(prefix) and "." not in name[len(prefix):]:
                return name[len(prefix):]
    return None


def _value(call: EstimatorCall, node: cst.BaseExpression, shown: str):
    """The literal the node proves (`60 * 6` and names bound once to literals too): the v2 sweep is
    written at migration time."""
    found = classify(call, node)
    if found.kind is not Kind.LITERAL:
        raise Blocked(f"{shown} is not a literal, and the v2 search space is written at migration time")
    return found.value


def _space(call: EstimatorCall, config: cst.Call, options, assumed: set[str]) -> tuple[tuple[Sampled, ...], str]:
    node = _resolved(call, _argument(config, _params(call, config), "hyperparameter_sampling"))
    if not (isinstance(node, cst.Call) and call.module.qualified_names(node.func) & SAMPLINGS):
        raise Blocked("estimig cannot see which sampling the HyperDrive config uses (bind it once to "
                      "RandomParameterSampling({...}), GridParameterSampling or BayesianParameterSampling)")
    algorithm = _ALGORITHMS[_hyperdrive_name(call, node.func).rsplit(".", 1)[-1]]
    if any(arg.keyword is not None and arg.keyword.value == "properties" or arg.keyword is None and index > 0
           for index, arg in enumerate(node.args)):
        raise Blocked("the sampling sets properties, which --target v2 does not migrate yet")
    space = _resolved(call, _argument(node, ("parameter_space",), "parameter_space"))
    if not isinstance(space, cst.Dict):
        raise Blocked("the parameter space is not a dict literal estimig can read")
    parameters, names = [], set()
    for element in space.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            raise Blocked("the parameter space has keys that are not string literals")
        flag = element.key.evaluated_value
        if not flag.startswith("-") and re.fullmatch(r"[A-Za-z_][\w-]*", flag):
            # The service wrote such a name on the child runs' command lines itself, as `--<name>` by all
            # accounts but not in the SDK: the user may assume so (dashed-sampled-names).
            if options is None or not options.assumes(DASHED):
                raise Blocked(f"the sampled parameter {flag!r} does not start with '--' (v1 compared it without its "
                              f"dashes and the service wrote it on the command line itself); {hint(DASHED)}")
            assumed.add(DASHED)
            flag = f"--{flag}"
        name = flag[2:].replace("-", "_")
        if not flag.startswith("--") or not re.fullmatch(r"[A-Za-z_]\w*", name) or name in names:
            raise Blocked(f"the sampled parameter {flag!r} does not start with '--' and a name (v1 compared it "
                          "without its dashes and the service wrote it on the command line itself)")
        names.add(name)
        parameters.append(_sampled(call, flag, name, element.value))
    if not parameters:
        raise Blocked("the parameter space is empty")
    if algorithm == "grid" and not all(p.code.startswith("sweep.Choice(") for p in parameters):
        raise Blocked("GridParameterSampling takes choice(...) only: the original fails when the sampling is built")
    return tuple(parameters), algorithm


def _sampled(call: EstimatorCall, flag: str, name: str, node: cst.BaseExpression) -> Sampled:
    shown = f"the sampled {flag}"
    kind = _hyperdrive_name(call, node.func) if isinstance(node, cst.Call) else None
    if kind == "choice":
        values = [_value(call, arg.value, shown) for arg in node.args if not arg.star and arg.keyword is None]
        if len(values) != len(node.args):
            raise Blocked(f"{shown}: choice(...) takes arguments estimig cannot read")
        if len(values) == 1 and isinstance(values[0], (list, tuple)):
            values = list(values[0])
        return Sampled(flag, name, _choice_type(values, shown), f"sweep.Choice(values=[{', '.join(map(_code, values))}])")
    if kind not in _EXPRESSIONS:
        raise Blocked(f"{shown} is not one of HyperDrive's parameter expressions (choice, uniform, ...)")
    v2_class, params = _EXPRESSIONS[kind]
    values = {}
    for index, arg in enumerate(node.args):
        key = arg.keyword.value if arg.keyword is not None else params[index] if index < len(params) else None
        if arg.star or key not in params:
            raise Blocked(f"{shown}: {kind}(...) takes arguments estimig cannot read")
        value = _value(call, arg.value, shown)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Blocked(f"{shown}: {kind}(...) takes a value that is not a number")
        values[key] = value
    if set(values) != set(params):
        raise Blocked(f"{shown}: {kind}(...) misses an argument")
    written = ", ".join(f"{key}={values[key]!r}" for key in params)
    return Sampled(flag, name, "integer" if kind == "randint" else "number", f"sweep.{v2_class}({written})")


def _code(value) -> str:
    """A literal as code: strings in double quotes, as the rest of the emitted job."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _choice_type(values: list, shown: str) -> str:
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    if values and all(isinstance(v, str) for v in values):
        return "string"
    raise Blocked(f"{shown} chooses among values of mixed or other types, which a typed v2 input cannot hold")


def _string(call: EstimatorCall, config: cst.Call, name: str) -> str:
    node = _argument(config, _params(call, config), name)
    value = _value(call, node, f"HyperDriveConfig's {name}") if node is not None else None
    if not isinstance(value, str) or not value:
        raise Blocked(f"HyperDriveConfig's {name} is not a string literal")
    return json.dumps(value)


def _goal(call: EstimatorCall, config: cst.Call) -> str:
    node = _argument(config, _params(call, config), "primary_metric_goal")
    if isinstance(node, cst.Call) and len(node.args) == 1 and node.args[0].keyword is None:
        # `PrimaryMetricGoal("MAXIMIZE")`: the enum looked up by its value, the same member.
        ok, value = literal(node.args[0].value)
        if ok and value in ("MAXIMIZE", "MINIMIZE") and any(
                n.startswith("azureml.train.hyperdrive.") and n.endswith(".PrimaryMetricGoal")
                for n in call.module.qualified_names(node.func)):
            return value.capitalize()
    names = call.module.qualified_names(node) if node is not None else set()
    for name in names:
        for goal in ("MAXIMIZE", "MINIMIZE"):
            if name.endswith(f".PrimaryMetricGoal.{goal}") and name.startswith("azureml.train.hyperdrive."):
                return goal.capitalize()
    raise Blocked("HyperDriveConfig's primary_metric_goal is not PrimaryMetricGoal.MAXIMIZE or MINIMIZE")


def _count(call: EstimatorCall, config: cst.Call, name: str, default: str | None = None) -> str:
    node = _argument(config, _params(call, config), name)
    if node is not None and literal(node) == (True, None):
        node = None  # `max_concurrent_runs=None` is HyperDriveConfig's own default: as if not given
    if node is None and default is not None:
        return _count(call, config, default)
    if node is None:
        raise Blocked(f"HyperDriveConfig sets no {name}")
    value = _value(call, node, f"HyperDriveConfig's {name}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Blocked(f"HyperDriveConfig's {name} is not a positive int literal")
    return str(value)


def _minutes(call: EstimatorCall, config: cst.Call) -> int:
    node = _argument(config, _params(call, config), "max_duration_minutes")
    if node is None:
        return _V1_DEFAULT_DURATION_MINUTES
    value = _value(call, node, "HyperDriveConfig's max_duration_minutes")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Blocked("HyperDriveConfig's max_duration_minutes is not a positive int literal")
    return value


def _policy(call: EstimatorCall, config: cst.Call) -> str | None:
    given = _argument(config, _params(call, config), "policy")
    if given is None or literal(given) == (True, None):
        return None
    node = _resolved(call, given)
    if literal(node) == (True, None) if node is not None else False:
        return None
    kind = _hyperdrive_name(call, node.func) if isinstance(node, cst.Call) else None
    kind = kind.rsplit(".", 1)[-1] if kind else None
    if kind == "NoTerminationPolicy" and not node.args:
        return None
    if kind not in _POLICIES:
        raise Blocked(f"the early termination policy {call.code(given)} is not a BanditPolicy, MedianStoppingPolicy "
                      "or NoTerminationPolicy estimig can read, which --target v2 migrates")
    v2_class, counts = _POLICIES[kind]
    values = dict(counts)
    order = {"BanditPolicy": ("evaluation_interval", "slack_factor", "slack_amount", "delay_evaluation"),
             "MedianStoppingPolicy": ("evaluation_interval", "delay_evaluation")}[kind]
    for index, arg in enumerate(node.args):
        key = arg.keyword.value if arg.keyword is not None else order[index] if index < len(order) else None
        if arg.star or key not in order:
            raise Blocked(f"{kind}(...) takes arguments estimig cannot read")
        value = _value(call, arg.value, f"{kind}'s {key}")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Blocked(f"{kind}'s {key} is not a number")
        values[key] = value
    if kind == "BanditPolicy" and len({"slack_factor", "slack_amount"} & set(values)) != 1:
        raise Blocked("BanditPolicy takes one of slack_factor and slack_amount: the original fails when it is built")
    return f"sweep.{v2_class}({', '.join(f'{k}={v!r}' for k, v in values.items())})"
