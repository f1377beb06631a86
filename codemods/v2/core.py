"""core: Estimator(source_directory, entry_script=, compute_target=, vm_size=, max_run_duration_seconds=) -> command(code=, compute="<name>" | instance_type=, timeout=).

Run-based compute (`vm_size=`) becomes serverless compute (`_serverless`).

Also owns the job's submission and the client it needs: `Experiment(ws, name).submit(est, tags=...)`
becomes `ml_client.jobs.create_or_update(est, experiment_name=name, tags=...)`, a later
`run.wait_for_completion()` becomes `ml_client.jobs.stream(run.name)`, `run.get_portal_url()`
`run.studio_url`, `RunDetails(run).show()` `print(run.studio_url)` (`print(run)` stays), and
`ml_client = MLClient.from_config(credential=DefaultAzureCredential())` (or `MLClient(...)` from a
`Workspace.get(...)`'s settings) is added after the module's workspace lookup, which stays while other
v1 code reads it (`leftovers`).
The entry script is the `arguments` concern's: it heads the command line.
"""

from __future__ import annotations

import json

import libcst as cst

from estimig.assumptions import AMLCOMPUTE, V1_RUN, hint
from estimig.codemods.environment import visibly_other_compute
from estimig.codemods.v2 import COMMAND, CREDENTIAL, ML_CLIENT, Blocked, is_submit, taken
from estimig.facts import EstimatorCall
from estimig.plan import CallPlan, NewArg, finding
from estimig.result import Severity
from estimig.values import Kind, classify

NAME = "core"
SUMMARY = ("source_directory -> code, compute_target -> compute by name (run-based: serverless), "
           "max_run_duration_seconds -> timeout, submit -> ml_client.jobs")
HANDLES = frozenset({"source_directory", "entry_script", "compute_target", "max_run_duration_seconds", "vm_size",
                     "vm_priority"})

_COMPUTE_CLASSES = frozenset({"azureml.core.compute.ComputeTarget", "azureml.core.ComputeTarget",
                              "azureml.core.compute.AmlCompute", "azureml.core.compute.amlcompute.AmlCompute",
                              "azureml.core.compute.compute.ComputeTarget"})
_EXPERIMENTS = frozenset({"azureml.core.Experiment", "azureml.core.experiment.Experiment"})
_FROM_CONFIG = frozenset({"azureml.core.Workspace.from_config", "azureml.core.workspace.Workspace.from_config"})
_RUN_DETAILS = frozenset({"azureml.widgets.RunDetails", "azureml.widgets.run_details.RunDetails"})
# SDK v1's run classes a v2 job is read through under v1-run-of-the-job: a command job's, a sweep's.
V1_RUN_CLASS = ("azureml.core", "Run")
HYPERDRIVE_RUN_CLASS = ("azureml.train.hyperdrive", "HyperDriveRun")
_GET = frozenset({"azureml.core.Workspace.get", "azureml.core.workspace.Workspace.get"})


def plan(call: EstimatorCall, options) -> CallPlan:
    submits = frozenset(id(use.node) for use in call.uses if is_submit(use))
    try:
        return _plan(call, submits, options)
    except Blocked as exc:
        return CallPlan(NAME, handles_uses=submits, blocked=str(exc))


def _plan(call: EstimatorCall, submits: frozenset[int], options) -> CallPlan:
    if call.shape_problem:
        raise Blocked(call.shape_problem)
    if not call.has("source_directory"):
        raise Blocked("the call has no source_directory")
    # A positional source_directory cannot stay positional: command() takes keywords only.
    code = NewArg("code", from_kwarg="source_directory") if call.kwargs["source_directory"].keyword is not None \
        else NewArg("code", code=call.value_code("source_directory"))
    used: set[str] = set()
    serverless = _serverless(call)
    arguments = [code, *serverless] if serverless is not None else \
        [code, NewArg("compute", code=_compute(call, options, used))]
    notes: list[str] = []
    ignored = [name for name in ("vm_size", "vm_priority") if call.has(name)]
    if serverless is None and ignored:
        # RunConfiguration.amlcompute only sizes run-based compute; on a named target the service never read it.
        notes.append(f"{' and '.join(ignored)} beside compute_target={call.value_code('compute_target')}: the "
                     "estimator ran on that target and the size was never read; the v2 job leaves it out")
    if call.has("max_run_duration_seconds"):
        # An int or None in both SDKs; an expression of literals (3600 * 24) is passed as written.
        value = classify(call, call.kwargs["max_run_duration_seconds"].value)
        if not (value.kind is Kind.SCALAR or (value.kind is Kind.LITERAL and (value.value is None or (
                isinstance(value.value, int) and not isinstance(value.value, bool))))):
            raise Blocked(f"max_run_duration_seconds={call.value_code('max_run_duration_seconds')} is not an int, "
                          "and v2's timeout must be one")
        arguments.append(NewArg("timeout", from_kwarg="max_run_duration_seconds"))
    imports = {COMMAND}
    edits: list = []
    if submits:
        client = call.module.fresh_name("ml_client")
        edits.extend(clients(call, [use for use in call.uses if is_submit(use)], client))
        imports |= {ML_CLIENT, CREDENTIAL}
        for use in call.uses:
            if is_submit(use):
                edits.extend(_submission(call, use, client, notes, options, used))
        if V1_RUN in used:
            imports.add(V1_RUN_CLASS)
    clash = taken(call, imports)
    if clash is not None:
        raise Blocked(f"the file already binds the name '{clash}', which the v2 job needs; rename yours first")
    return CallPlan(NAME, handles=HANDLES & set(call.kwargs), handles_uses=submits, arguments=tuple(arguments),
                    imports=frozenset(imports), edits=tuple(edits),
                    findings=noted(call, NAME, notes), assumes=frozenset(used))


# v1 run-based compute's priority -> v2 serverless compute's job tier (low priority VMs are v2's spot tier).
_JOB_TIERS = {"dedicated": None, "lowpriority": "Spot"}


def _serverless(call: EstimatorCall) -> list[NewArg] | None:
    """Run-based compute (`vm_size=`, no cluster or `compute_target="amlcompute"`): the service made a
    cluster of that size for the run and removed it after, which is what v2's serverless compute does:
    no `compute`, `instance_type=<vm_size>`, and `job_tier="Spot"` for low priority. None otherwise."""
    if not call.has("vm_size") and not call.has("vm_priority"):
        return None
    target = classify(call, call.kwargs["compute_target"].value) if call.has("compute_target") else None
    if target is not None and not (target.kind is Kind.LITERAL and target.value in (None, "amlcompute")):
        return None  # the estimator ran on the target and ignored the size (`_compute` proves which it is)
    if not call.has("vm_size"):
        raise Blocked("vm_priority without vm_size or a compute target: the estimator raised (it needs one or the "
                      "other)")
    size = classify(call, call.kwargs["vm_size"].value)
    if not (size.kind is Kind.LITERAL and isinstance(size.value, str) and size.value):
        raise Blocked("run-based compute: vm_size is not a string literal, and a v2 serverless job names its VM "
                      "size (instance_type)")
    priority = classify(call, call.kwargs["vm_priority"].value) if call.has("vm_priority") else None
    if priority is not None and not (priority.kind is Kind.LITERAL and priority.value in (*_JOB_TIERS, None)):
        raise Blocked(f"vm_priority={call.value_code('vm_priority')} is not 'dedicated' or 'lowpriority'")
    arguments = [NewArg("instance_type", from_kwarg="vm_size")]
    tier = _JOB_TIERS.get(priority.value) if priority is not None else None
    if tier is not None:
        arguments.append(NewArg("job_tier", code=json.dumps(tier)))
    return arguments


def _compute(call: EstimatorCall, options=None, used: set[str] | None = None) -> str:
    """The cluster's name: v2 names compute, it never takes a ComputeTarget object. A target that
    cannot be seen is a cluster object under amlcompute-target (recorded in `used`): its `.name`."""
    if not call.has("compute_target"):
        raise Blocked("no compute_target and no vm_size: the estimator raised (it needs one or the other)")
    node = call.kwargs["compute_target"].value
    value = classify(call, node)
    if value.kind is Kind.LITERAL and isinstance(value.value, str) and value.value not in ("", "amlcompute"):
        # "local" too: v2 runs compute="local" on this machine in a container, as a v1 local run
        # with use_docker (the estimators' default; use_docker=False is left by the environment).
        return call.code(node)
    if value.kind is Kind.COMPUTE:
        # Every object the name may hold (`try: ComputeTarget(ws, name) except: ComputeTarget.create(ws, name, ...)`)
        # looked up or created under one literal name: that name.
        name = _one_name(call, node, _named)
        if name is not None:
            return json.dumps(name)
        # Else the cluster's own name, read from the v1 object where the estimator read the object:
        # an estimator sends a ComputeTarget as its name (RunConfiguration.target).
        return _name_read(call, node)
    if isinstance(node, cst.Name):
        # Bound to a cluster on some paths only (`if name in ws.compute_targets: target = ...`): its
        # name read where the estimator read the object, so the other paths still raise NameError.
        bound = call.values(node, where_bound=True)
        if not isinstance(bound, str) and all(classify(call, found).kind is Kind.COMPUTE for found in bound):
            return f"{node.value}.name"
    if value.kind is Kind.UNKNOWN and not visibly_other_compute(call, node):
        if options is not None and options.assumes(AMLCOMPUTE):
            used.add(AMLCOMPUTE)
            return _name_read(call, node)
        raise Blocked(f"compute_target={call.code(node)}: v2 names the compute, and estimig cannot prove this one's "
                      f"name (bind it to ComputeTarget(workspace=ws, name=\"...\") or pass the name); {hint(AMLCOMPUTE)}")
    raise Blocked(f"compute_target={call.code(node)}: v2 names the compute, and estimig cannot prove this one's name "
                  "(bind it to ComputeTarget(workspace=ws, name=\"...\") or pass the name)")


def _name_read(call: EstimatorCall, node: cst.BaseExpression) -> str:
    """`<target>.name`: the cluster's own name, read from the v1 object where the estimator read it."""
    code = call.code(node)
    return f"{code}.name" if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) else f"({code}).name"


def _one_name(call: EstimatorCall, node: cst.BaseExpression, read_name) -> str | None:
    """The one literal name (`read_name` of each) of every object `node` may hold at the call, or None."""
    built = call.values(node) if isinstance(node, cst.Name) else [node]
    names = {read_name(call, found) for found in built} if not isinstance(built, str) else {None}
    return names.pop() if len(names) == 1 and None not in names else None


def _named(call: EstimatorCall, node) -> str | None:
    """The literal name of `ComputeTarget(workspace=ws, name="x")`, `ComputeTarget.create(ws, "x", ...)`
    or `ws.compute_targets["x"]`."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "create" \
            and call.module.qualified_names(node.func.value) & _COMPUTE_CLASSES:
        value = _argument(node, "name", 1)
    elif isinstance(node, cst.Call) and call.module.qualified_names(node.func) & _COMPUTE_CLASSES:
        value = _argument(node, "name", 1)
    elif (isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute)
          and node.value.attr.value == "compute_targets" and len(node.slice) == 1
          and isinstance(node.slice[0].slice, cst.Index)):
        value = node.slice[0].slice.value
    else:
        return None
    return _literal_string(call, value)


def _literal_string(call: EstimatorCall, node) -> str | None:
    found = classify(call, node) if node is not None else None
    return found.value if found is not None and found.kind is Kind.LITERAL and isinstance(found.value, str) \
        and found.value else None


def _argument(node: cst.Call, keyword: str, position: int):
    for index, arg in enumerate(node.args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
        if arg.keyword is None and arg.star == "" and index == position:
            return arg.value
    return None


def clients(call: EstimatorCall, submits: list, client: str) -> list:
    """The edits that bind the MLClient the submissions use: one after the module's workspace
    lookup (`_client`); where there is none (the workspace is a function's parameter, a
    `Workspace(...)` or `Run.get_context()` one), one right before each submitting statement, built
    from the v1 workspace that Experiment belongs to, so it names the same workspace."""
    try:
        return [_client(call, client)]
    except Blocked as exc:
        reason = exc
    from estimig.assemble import enclosing_statement

    facts = call.module
    edits = []
    for use in submits:
        experiment = use.call.func.value
        workspace = _workspace_of(call, experiment)
        statement = enclosing_statement(facts, use.call)
        if workspace is None or not isinstance(statement, cst.SimpleStatementLine):
            raise reason
        new = cst.parse_statement(
            f"{client} = MLClient(DefaultAzureCredential(), subscription_id={workspace}.subscription_id, "
            f"resource_group_name={workspace}.resource_group, workspace_name={workspace}.name)\n")
        edits.append((statement, lambda updated, new=new: cst.FlattenSentinel(
            [new.with_changes(leading_lines=updated.leading_lines), updated.with_changes(leading_lines=())])))
    return edits


def _workspace_of(call: EstimatorCall, experiment: cst.BaseExpression) -> str | None:
    """The code of the v1 workspace an Experiment belongs to: its `workspace` argument when built in
    place from a name (`Experiment(ws, "x")`), else `exp.workspace` for an experiment bound to a name."""
    if isinstance(experiment, cst.Call) and call.module.qualified_names(experiment.func) & _EXPERIMENTS:
        found = _argument(experiment, "workspace", 0)
        return call.code(found) if isinstance(found, cst.Name) else None
    if isinstance(experiment, cst.Name):
        return f"{experiment.value}.workspace"
    return None


def _client(call: EstimatorCall, client: str):
    """An edit that adds the MLClient right after the module's `ws = Workspace.from_config(...)` or
    `ws = Workspace.get(name, subscription_id=..., resource_group=...)`, from the same settings."""
    facts = call.module
    for statement in facts.module.body:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if not (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)):
            continue
        names = facts.qualified_names(small.value.func)
        if names & _FROM_CONFIG:
            code = _from_config(facts, small.value)
        elif names & _GET:
            code = _from_get(facts, small.value)
        else:
            continue
        new = cst.parse_statement(f"{client} = {code}\n")
        return statement, lambda updated: cst.FlattenSentinel([updated, new])
    raise Blocked("the job is submitted, but the file has no module-level `ws = Workspace.from_config()` or "
                  "`Workspace.get(...)` to build the v2 MLClient from; --target v2 does not migrate other workspace "
                  "lookups yet")


def _from_config(facts, lookup: cst.Call) -> str:
    if any(a.keyword is None or a.keyword.value not in ("path", "file_name") for a in lookup.args):
        raise Blocked("Workspace.from_config(...) takes arguments that MLClient.from_config has no form for")
    args = [f"{a.keyword.value}={facts.code_for(a.value)}" for a in lookup.args]
    return f"MLClient.from_config({', '.join(['credential=DefaultAzureCredential()', *args])})"


def _from_get(facts, lookup: cst.Call) -> str:
    """`Workspace.get(name, subscription_id=s, resource_group=g)` -> `MLClient(credential, s, g, name)`; the
    values are read again, so each must be one that reads the same twice (a literal or a name)."""
    given = {}
    for index, arg in enumerate(lookup.args):
        keyword = arg.keyword.value if arg.keyword is not None else ("name", "auth", "subscription_id",
                                                                     "resource_group")[min(index, 3)]
        given[keyword] = arg.value
    if set(given) != {"name", "subscription_id", "resource_group"} or not all(
            isinstance(v, (cst.Name, cst.SimpleString)) for v in given.values()):
        raise Blocked("Workspace.get(...) is not `Workspace.get(name, subscription_id=..., resource_group=...)` "
                      "with names or strings, which MLClient takes as they are")
    shown = {k: facts.code_for(v) for k, v in given.items()}
    return (f"MLClient(DefaultAzureCredential(), subscription_id={shown['subscription_id']}, "
            f"resource_group_name={shown['resource_group']}, workspace_name={shown['name']})")


def _submission(call: EstimatorCall, use, client: str, notes: list, options=None, used: set[str] | None = None,
                run_class: tuple[str, str] = V1_RUN_CLASS) -> list:
    """`exp.submit(est, tags=...)` -> `ml_client.jobs.create_or_update(est, experiment_name=..., tags=...)`,
    and the run it returns (`_run_uses`); where the run is used in ways a v2 Job has no form for, and
    the user assumes v1-run-of-the-job (`options`; recorded in `used`), `Run(exp, <that>.name)`: SDK v1's
    Run of the v2 job (`run_class`: HyperDriveRun for a sweep), which the rest of the program reads as before."""
    facts = call.module
    submit = use.call
    experiment = submit.func.value
    named = _experiment_name_code(call, experiment, use, notes)
    extra = []
    for arg in submit.args:
        if arg.value is use.node:
            continue
        if arg.keyword is None or arg.keyword.value != "tags":
            raise Blocked(f"{use.description}: submit(...) takes an argument v2's create_or_update has no form for")
        extra.append(f", tags={facts.code_for(arg.value)}")
    job = use.node.value
    new = cst.parse_expression(f"{client}.jobs.create_or_update({job}, experiment_name={named}{''.join(extra)})")
    became: list[str] = []  # what the run's uses became: kept only where they all have a v2 form
    try:
        edits = [(submit, new), *_run_uses(call, submit, client, became)]
        notes.extend(became)
        return edits
    except Blocked as exc:
        if options is None:
            raise
        if not options.assumes(V1_RUN):
            raise Blocked(f"{exc}; {hint(V1_RUN)}") from None
    # v1-run-of-the-job: the run is SDK v1's Run of the v2 job, so every later use of it stays.
    used.add(V1_RUN)
    return [(submit, cst.parse_expression(f"{run_class[1]}({facts.code_for(experiment)}, {facts.code_for(new)}.name)"))]


def noted(call: EstimatorCall, concern: str, notes: list[str]) -> tuple:
    """The info findings of what a submission's run uses became (`_run_uses`' notes)."""
    return tuple(finding(call.line, concern, note, Severity.INFO) for note in notes)


def _experiment_name(call: EstimatorCall, node) -> str | None:
    if isinstance(node, cst.Call) and call.module.qualified_names(node.func) & _EXPERIMENTS:
        return _literal_string(call, _argument(node, "name", 1))
    return None


def _experiment_name_code(call: EstimatorCall, experiment: cst.BaseExpression, use, notes: list) -> str:
    """The code of `experiment_name=` for a submit on `experiment`: its literal name; else, where it is
    provably an `Experiment(ws, name)`, that name read where v1 read it: the expression itself when it
    is in the submitting statement (`Experiment(ws, args.experiment).submit(est)`) and provably a
    non-empty str, else the v1 object's `.name` (the Experiment stays: v1 validated and created it
    under that name, as it still does)."""
    literal_name = _one_name(call, experiment, _experiment_name)
    if literal_name is not None:
        return json.dumps(literal_name)
    built = call.values(experiment) if isinstance(experiment, cst.Name) else [experiment]
    if isinstance(built, str) or not built or not all(
            isinstance(found, cst.Call) and call.module.qualified_names(found.func) & _EXPERIMENTS
            and _argument(found, "name", 1) is not None for found in built):
        raise Blocked(f"{use.description}: estimig cannot see which Experiment submits the job")
    if isinstance(experiment, cst.Call):
        name = _argument(experiment, "name", 1)
        if _nonempty_str(call, name):
            return call.module.code_for(name)
    shown = call.module.code_for(experiment)
    notes.append(f"{shown}: the v2 job is filed under the Experiment's name, read from it ({shown}.name), "
                 "since estimig cannot write it as a literal; the v1 Experiment stays")
    return f"{shown}.name"


def _nonempty_str(call: EstimatorCall, node: cst.BaseExpression) -> bool:
    """Provably a str, never '' or None: a command-line option of type str with a non-empty value, or
    an f-string with a non-empty literal part."""
    from estimig.values import command_line_option

    if isinstance(node, cst.FormattedString):
        return classify(call, node).nonempty
    if isinstance(node, cst.Attribute):
        option = command_line_option(call, node)
        return option is not None and option[0] is str and option[1]
    return False


def _run_uses(call: EstimatorCall, submit: cst.Call, client: str, notes: list) -> list:
    """`run.wait_for_completion(...)` on the submitted run -> `ml_client.jobs.stream(run.name)`; the v2
    Job has no other v1 Run method, so any other use of the run leaves the call as it was."""
    facts = call.module
    parent = facts.parent(submit)
    if isinstance(parent, cst.Expr):
        return []
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
        raise Blocked("the submitted run is used in place, which --target v2 does not migrate yet")
    target = parent.targets[0].target
    edits = []
    for read in facts.accesses(target):
        attribute = facts.parent(read)
        method = facts.parent(attribute) if isinstance(attribute, cst.Attribute) else None
        if (isinstance(attribute, cst.Attribute) and attribute.attr.value == "wait_for_completion"
                and isinstance(method, cst.Call) and isinstance(facts.parent(method), cst.Expr)):
            edits.append((method, cst.parse_expression(f"{client}.jobs.stream({read.value}.name)")))
            continue
        if (isinstance(attribute, cst.Attribute) and attribute.attr.value == "get_portal_url"
                and isinstance(method, cst.Call) and not method.args):
            # The v2 Job's link to the run in the studio.
            edits.append((method, cst.parse_expression(f"{read.value}.studio_url")))
            continue
        if _printed(facts, read) or isinstance(attribute, cst.Expr):
            # print(run), or `run` alone (a notebook cell shows it): the v2 Job prints and shows its own
            # description (name, status, studio link).
            continue
        shown_widget = _run_details(facts, read)
        if shown_widget is not None:
            # The widget reads a v1 Run; its own fallback, where it cannot render, is the run's studio link.
            edits.append((shown_widget, cst.parse_expression(f"print({read.value}.studio_url)")))
            notes.append(f"RunDetails({read.value}).show() becomes print({read.value}.studio_url): v2 has no "
                         "notebook widget, and the link is the widget's own fallback")
            continue
        shown = facts.code_for(attribute) if isinstance(attribute, cst.Attribute) else read.value
        use = "returned, and what is done with it there may need a v1 Run, which the v2 job is not" \
            if isinstance(attribute, cst.Return) \
            else f"used as {shown}, which has no v2 form yet"
        raise Blocked(f"the submitted run is {use} (only run.wait_for_completion(), run.get_portal_url(), print(run), "
                      "a notebook's display of run and RunDetails(run).show() have one)")
    return edits


def _printed(facts, read: cst.Name) -> bool:
    """`print(run)`."""
    printing = _sole_argument_of(facts, read)
    return printing is not None and "builtins.print" in facts.qualified_names(printing.func)


def _run_details(facts, read: cst.Name) -> cst.Call | None:
    """The `RunDetails(run).show()` statement's call, when that is how `read` is used."""
    widget = _sole_argument_of(facts, read)
    if widget is None or not facts.qualified_names(widget.func) & _RUN_DETAILS:
        return None
    show = facts.parent(widget)
    shown = facts.parent(show) if isinstance(show, cst.Attribute) and show.attr.value == "show" else None
    return shown if isinstance(shown, cst.Call) and not shown.args and isinstance(facts.parent(shown), cst.Expr) \
        else None


def _sole_argument_of(facts, read: cst.Name) -> cst.Call | None:
    """The call `read` is the one positional argument of, or None."""
    arg = facts.parent(read)
    called = facts.parent(arg) if isinstance(arg, cst.Arg) else None
    return called if isinstance(called, cst.Call) and len(called.args) == 1 and arg.keyword is None \
        and arg.star == "" else None
