"""distributed: node_count=, process_count_per_node=, distributed_backend=, distributed_training=Mpi()|Gloo()|Nccl()|ParameterServer()|MpiConfiguration|TensorflowConfiguration -> distributed_job_config=MpiConfiguration|PyTorchConfiguration|TensorflowConfiguration.

The estimator and ScriptRunConfig fill the RunConfiguration's distribution fields by different
rules (`azureml/train/_estimator_helper.py` `_init_run_config`, `azureml/train/dnn/_pytorch.py`,
`_tensorflow.py`, against `azureml/core/script_run_config.py` `ScriptRunConfig.__init__`):

- the estimator takes the top-level node count from `node_count`; ScriptRunConfig from
  `MpiConfiguration.node_count` / `PyTorchConfiguration.node_count` /
  `TensorflowConfiguration.worker_count`;
- the deprecated helpers set communicator and framework to their own spellings: `Mpi()` gives
  `Mpi` / `python`, `Gloo()` / `Nccl()` give `Gloo` / `Nccl` / `pytorch`, `ParameterServer()`
  gives `tensorflow`; the string backends and the configuration classes give `IntelMpi`, `gloo`,
  `PyTorch`, `TensorFlow`;
- the estimator never fills the `pytorch` section and leaves `mpi.node_count` at 1.

So this module models both RunConfigurations field by field (`_estimator_fields`, `_config_fields`),
writes the guide's `distributed_job_config=...`, and sets after the call every field where the two
still differ, so the migrated job receives exactly what the estimator sent.

`Experiment.submit(estimator)` also changes the configuration at submit time:
`_estimator_submit_method` makes the workspace blob store the source-directory datastore when
`node_count > 1` and no `source_directory_data_store` was given. A ScriptRunConfig's submit does
not, so the migration sets it on `run_config` itself.

A `node_count` only known at run time (`int(args.node_count)`, an int argparse option) is written
where the estimator read it, and the submit-time datastore is set under `if <count> > 1:`.

Left alone, with the reason: a backend chosen at run time (`{"nccl": Nccl()}[name]`, a parameter),
a `node_count` that is neither a literal nor such a scalar, one only known at run time without a
backend or helper (the estimator rejected it above 1), a helper object changed or shared after it is built, a configuration
class the estimator ignores (`PyTorchConfiguration`, or `TensorflowConfiguration` on a plain
Estimator), both `distributed_backend` and `distributed_training`.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from estimig.assumptions import EXPERIMENT_SUBMIT, HANDOFF, hint
from estimig.facts import ESTIMATOR_CLASSES, EstimatorCall
from estimig.plan import CallPlan, NewArg, finding
from estimig.result import Severity
from estimig.values import Kind, classify, folded_attributes, literal, rereadable

NAME = "distributed"
SUMMARY = ("node_count, process_count_per_node, distributed_backend, distributed_training, worker_count, "
           "parameter_server_count -> distributed_job_config=MpiConfiguration|PyTorchConfiguration|TensorflowConfiguration")
HANDLES = frozenset({"node_count", "process_count_per_node", "distributed_backend", "distributed_training",
                     "worker_count", "parameter_server_count"})

RUNCONFIG = "azureml.core.runconfig"
# The workspace's built-in blob datastore: `_estimator_submit_method` looks it up by this name
# (azureml.core.workspace.WORKSPACE_DEFAULT_BLOB_STORE_NAME). Every workspace is created with it.
WORKSPACE_BLOB_STORE = "workspaceblobstore"

# Which string backends each estimator class accepts (`_SUPPORTED_BACKENDS` in the SDK); any other
# value makes the estimator raise, so such code never ran.
SUPPORTED_BACKENDS = {"Estimator": ("mpi",), "Chainer": ("mpi",), "PyTorch": ("mpi", "gloo", "nccl"),
                      "TensorFlow": ("mpi", "ps")}
# Which estimator classes accept each deprecated helper (`_supported_frameworks` in the SDK).
HELPER_KINDS = {"Mpi": ("Estimator", "PyTorch", "TensorFlow", "Chainer"), "Gloo": ("Estimator", "PyTorch"),
                "Nccl": ("Estimator", "PyTorch"), "ParameterServer": ("Estimator", "TensorFlow")}
HELPER_PREFIXES = ("azureml.train.estimator.", "azureml.train.dnn.", "azureml.train._distributed_training.")
CONFIG_PREFIXES = ("azureml.core.runconfig.",)
# Constructor parameters, in order, of every class that may be passed as distributed_training.
SIGNATURES = {
    "Mpi": ("process_count_per_node",),
    "Gloo": (),
    "Nccl": (),
    "ParameterServer": ("worker_count", "parameter_server_count"),
    "MpiConfiguration": ("process_count_per_node", "node_count"),
    "TensorflowConfiguration": ("worker_count", "parameter_server_count"),
    "PyTorchConfiguration": ("communication_backend", "process_count", "node_count"),
    "ParallelTaskConfiguration": ("node_count", "process_count_per_node"),
}
# The RunConfiguration defaults for the distribution fields (RunConfiguration.__init__ and the
# section classes' constructors).
DEFAULTS = {
    "communicator": '"None"',
    "framework": '"Python"',
    "node_count": "1",
    "mpi.process_count_per_node": "1",
    "mpi.node_count": "1",
    "pytorch.communication_backend": '"nccl"',
    "pytorch.process_count": "None",
    "pytorch.node_count": "1",
    "tensorflow.worker_count": "1",
    "tensorflow.parameter_server_count": "1",
}
# The order fixes are written in.
FIELD_ORDER = tuple(DEFAULTS)


class Unprovable(Exception):
    pass


@dataclass(frozen=True)
class Helper:
    """A distributed_training value: the class it builds and its arguments (source code)."""

    cls: str
    args: dict[str, str]
    node: cst.Call  # the call that builds it
    func: str  # how the user spelled the class (kept when the call is rewritten)
    in_variable: bool  # passed by name, built by `name = Cls(...)`
    # Attributes set on the variable after it is built (`mpi.node_count = 2`): those statements
    # stay, so they also act on the rebuilt configuration.
    later: dict[str, str] | None = None
    # Passed by a name other estimators also read: rebuilt in the call, the shared object untouched.
    shared: bool = False


def plan(call: EstimatorCall, options) -> CallPlan:
    if not HANDLES & set(call.kwargs):
        return CallPlan(NAME)
    try:
        return _plan(call, options)
    except Unprovable as exc:
        return CallPlan(NAME, blocked=str(exc))


def _plan(call: EstimatorCall, options) -> CallPlan:
    used: set[str] = set()
    handles = HANDLES & set(call.kwargs)
    node_count, node_code = _node_count(call)
    run_time = node_count is None  # only known at run time (`int(args.node_count)`)
    process_code = _number(call, "process_count_per_node")
    backend = _backend(call)
    helper = _helper(call)
    if helper is not None and helper.in_variable and call.has("node_count") \
            and not literal(call.kwargs["node_count"].value)[0]:
        if run_time:
            raise Unprovable(f"node_count={node_code} is only known at run time, and it would move into the "
                             "distributed_training variable, which is built before it; migrate by hand")
        # The node count moves into the variable's definition, which may come before the name
        # the estimator read it from: write the value itself.
        node_code = str(node_count)
    if backend and helper:
        raise Unprovable("the call sets both distributed_backend and distributed_training; the estimator lets one "
                         "override parts of the other: write distributed_job_config by hand")
    if not backend and not helper and run_time:
        raise Unprovable(f"node_count={node_code} is not a literal integer, and above 1 the estimator rejects a call "
                         "without distributed_backend or distributed_training; make it a literal, then run estimig "
                         "again")
    if not backend and not helper and (node_count > 1 or _literal_int(call, process_code, 1) != 1):
        raise Unprovable("node_count or process_count_per_node > 1 without distributed_backend or "
                         "distributed_training: the estimator rejects this call")

    estimator = _estimator_fields(call, node_code, process_code, backend, helper)
    arguments: list[NewArg] = []
    edits: list[tuple[cst.CSTNode, cst.CSTNode]] = []
    imports: set[tuple[str, str]] = set()
    config = _config_for(call, node_code, process_code, backend, helper)
    if config is not None:
        cls, args = config
        imports.add((RUNCONFIG, cls))
        rendered = f"{cls}({', '.join(f'{k}={v}' for k, v in args.items())})"
        if helper is not None and not helper.shared:
            # Reuse the distributed_training argument (its comments, its variable) and rebuild the
            # helper call in place, unless it already is exactly this configuration.
            arguments.append(NewArg("distributed_job_config", from_kwarg="distributed_training"))
            if not (helper.cls == cls and helper.args == args):
                if helper.cls == cls:
                    rendered = f"{helper.func}({', '.join(f'{k}={v}' for k, v in args.items())})"
                    imports.discard((RUNCONFIG, cls))
                edits.append((helper.node, cst.parse_expression(rendered)))
        elif helper is not None:
            # A fresh object, so it also carries what was set on the shared one before this call.
            merged = {**args, **(helper.later or {})}
            arguments.append(NewArg("distributed_job_config",
                                    code=f"{cls}({', '.join(f'{k}={v}' for k, v in merged.items())})"))
        else:
            arguments.append(NewArg("distributed_job_config", code=rendered))
        produced = _config_fields(cls, {**args, **(helper.later or {})} if helper is not None else args)
    else:
        produced = {}

    after: list[str] = []
    fixes = [(path, value) for path in FIELD_ORDER
             if not _same(call, value := estimator.get(path, DEFAULTS[path]), produced.get(path, DEFAULTS[path]))]
    if fixes:
        _need_target(call, "the distribution settings")
        why = _fix_reason(backend, helper, [path for path, _ in fixes])
        for i, (path, value) in enumerate(fixes):
            statement = f"{call.target}.run_config.{path} = {value}"
            after.append(f"# {why}\n{statement}" if i == 0 else statement)

    submitted = (run_time or node_count > 1) and _source_store_is_none(call) and _submitted(call, options, used)
    findings = _ignored(call, backend)
    if submitted:
        _need_target(call, "the source-directory datastore")
        if isinstance(submitted, list):
            copies, copy_edits = _sweep_copies(call, submitted)
            after.extend(copies)
            edits.extend(copy_edits)
            imports.add(("copy", "deepcopy"))
        store = [f'{call.target}.run_config.source_directory_data_store = "{WORKSPACE_BLOB_STORE}"',
                 f'{call.target}.run_config.data_references["{WORKSPACE_BLOB_STORE}"] = '
                 f'DataReferenceConfiguration(datastore_name="{WORKSPACE_BLOB_STORE}")']
        if run_time:
            # Decided where the estimator decided it: at the submit, from the count it was built with.
            store = [f"if {node_code} > 1:\n" + "\n".join(f"    {line}" for line in store)]
            findings = (*findings, finding(call.line, NAME, f"node_count={node_code} is only known at run time: the "
                                           "workspace blob store holds the source directory where it is above 1, as "
                                           "Estimator.submit did; the estimator's own checks of the count (at least "
                                           "1; above 1 only on AmlCompute or Kubernetes) are not repeated",
                                           Severity.INFO))
        after.append("# Estimator.submit stored the source directory on the workspace blob store for node_count > 1.\n"
                     + store[0])
        after.extend(store[1:])
        imports.add((RUNCONFIG, "DataReferenceConfiguration"))
    return CallPlan(NAME, handles=frozenset(handles), arguments=tuple(arguments), after=tuple(after),
                    imports=frozenset(imports), edits=tuple(edits), findings=findings,
                    assumes=frozenset(used))


def _ignored(call: EstimatorCall, backend: str | None) -> tuple:
    """Arguments the estimator accepted but never used: dropped, and said so."""
    used = {"mpi": ("process_count_per_node",), "ps": ("worker_count", "parameter_server_count")}.get(backend, ())
    dropped = [name for name in ("process_count_per_node", "worker_count", "parameter_server_count")
               if call.has(name) and name not in used and call.value_code(name) != "1"]
    if not dropped:
        return ()
    needs = " or ".join(f"distributed_backend={b!r}" for b, names in (("mpi", ("process_count_per_node",)),
                        ("ps", ("worker_count", "parameter_server_count"))) if set(names) & set(dropped))
    return (finding(call.line, NAME, f"{', '.join(dropped)} dropped: the estimator only reads "
                    f"{'it' if len(dropped) == 1 else 'them'} with {needs}, so the job never used "
                    f"{'it' if len(dropped) == 1 else 'them'}", Severity.INFO),)


# -- reading the arguments -------------------------------------------------------------------------

def _node_count(call: EstimatorCall) -> tuple[int | None, str]:
    """The node count and its code; None for a count only known at run time whose code reads the
    same wherever it is written again (`n`, `args.nodes`, `int(args.nodes)`)."""
    if not call.has("node_count"):
        return 1, "1"
    node = call.kwargs["node_count"].value
    value = classify(call, node)
    if value.kind is Kind.SCALAR and value.nonempty and rereadable(call, node):
        return None, call.value_code("node_count")
    if value.kind is not Kind.LITERAL or type(value.value) is not int:
        raise Unprovable(f"node_count={call.value_code('node_count')} is not a literal integer: whether it is above 1 "
                         "decides where the estimator stores the source directory at submit time; "
                         "write distributed_job_config by hand")
    return value.value, call.value_code("node_count")


def _number(call: EstimatorCall, kwarg: str) -> str | None:
    """The source code of a count argument, when re-evaluating it elsewhere is safe."""
    if not call.has(kwarg):
        return None
    return _count_code(call, call.kwargs[kwarg].value, kwarg)


def _count_code(call: EstimatorCall, node: cst.BaseExpression, label: str) -> str:
    value = classify(call, node)
    if value.kind is Kind.LITERAL:
        if type(value.value) is not int:
            raise Unprovable(f"{label}={call.code(node)} is not an integer")
        return call.code(node)
    if _is_simple_reference(node):
        return call.code(node)
    raise Unprovable(f"{label}={call.code(node)} is computed in the call; bind it to a name first")


def _is_simple_reference(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _literal_int(call: EstimatorCall, code: str | None, default: int) -> int | None:
    if code is None:
        return default
    ok, value = literal(cst.parse_expression(code))
    return value if ok else None


def _backend(call: EstimatorCall) -> str | None:
    if not call.has("distributed_backend"):
        return None
    value = classify(call, call.kwargs["distributed_backend"].value)
    if value.kind is not Kind.LITERAL or not isinstance(value.value, (str, type(None))):
        raise Unprovable(f"distributed_backend={call.value_code('distributed_backend')} is not a literal string: "
                         "estimig cannot prove which backend the job uses; write distributed_job_config by hand")
    if not value.value:
        return None
    backend = value.value.lower()
    if backend not in SUPPORTED_BACKENDS.get(call.kind, ()):
        raise Unprovable(f"{call.kind} does not support distributed_backend={value.value!r}: the estimator rejects this call")
    return backend


def _helper(call: EstimatorCall) -> Helper | None:
    if not call.has("distributed_training"):
        return None
    node = call.kwargs["distributed_training"].value
    shown = call.code(node)
    ok = classify(call, node)
    if ok.kind is Kind.LITERAL and ok.value is None:
        return None
    in_variable = isinstance(node, cst.Name)
    shared = False
    later: dict[str, cst.BaseExpression] = {}
    if in_variable:
        found = call.definition(node)
        if isinstance(found, str):
            raise Unprovable(f"distributed_training={shown}: estimig cannot prove which object the name holds "
                             f"({found}); write distributed_job_config by hand")
        attributes = folded_attributes(found)
        if attributes is None or any(classify(call, v).kind is not Kind.LITERAL for v in attributes.values()):
            raise Unprovable(f"distributed_training={shown}: the object is changed after it is built in a way "
                             "estimig cannot fold (only attributes set to literals or constants are); write "
                             "distributed_job_config by hand")
        others = other_reads(call, node, found)
        if changed_after(call, others):
            raise Unprovable(f"distributed_training={shown}: the object is changed after this call, and the estimator "
                             "keeps it by reference, so the job sees the change; write distributed_job_config by hand")
        if not all(_given_to_estimator(call, read) for read in others):
            raise Unprovable(f"distributed_training={shown}: the object is also used elsewhere, so rebuilding it as a "
                             "ScriptRunConfig configuration could change that use; write distributed_job_config by hand")
        # Shared with other estimators, which only keep a reference to it: this call gets an object
        # of its own, with what the shared one holds here, and the shared one stays as it is.
        shared = bool(others)
        in_variable = not shared
        later = attributes
        node = found.value
    if isinstance(node, cst.Subscript):
        raise Unprovable(f"distributed_training={shown} chooses the backend at run time: estimig cannot prove which one "
                         "the job uses; pick the distributed_job_config by hand")
    if not isinstance(node, cst.Call):
        raise Unprovable(f"distributed_training={shown} is not built by a call estimig can read")
    cls = _helper_class(call, node.func)
    if cls is None:
        raise Unprovable(f"distributed_training={shown}: estimig does not know {call.code(node.func)}")
    args: dict[str, str] = {}
    names = SIGNATURES[cls]
    for i, arg in enumerate(node.args):
        if arg.star:
            raise Unprovable(f"distributed_training={shown} unpacks {arg.star}{call.code(arg.value)}")
        if arg.keyword is None:
            if i >= len(names):
                raise Unprovable(f"distributed_training={shown} passes too many arguments")
            name = names[i]
        else:
            name = arg.keyword.value
            if name not in names:
                raise Unprovable(f"distributed_training={shown}: {cls} has no argument '{name}'")
        if name == "communication_backend":
            args[name] = call.code(arg.value)
        else:
            args[name] = _count_code(call, arg.value, f"{cls}({name}")
    for name, value in later.items():
        if name not in names:
            raise Unprovable(f"distributed_training={shown}: {cls} has no attribute '{name}' that the estimator reads")
        if not literal(value)[0]:
            # A constant: its value, since the rebuilt call may come before the name is bound.
            value = cst.parse_expression(repr(classify(call, value).value))
        args[name] = call.code(value) if name == "communication_backend" else _count_code(call, value, f"{shown}.{name}")
    if cls in HELPER_KINDS and call.kind not in HELPER_KINDS[cls]:
        raise Unprovable(f"{call.kind} does not support {cls}(): the estimator rejects this call")
    if cls == "PyTorchConfiguration":
        raise Unprovable("the estimator ignores distributed_training=PyTorchConfiguration(...): the job ran without "
                         "distribution; decide by hand whether the ScriptRunConfig should distribute it")
    if cls == "TensorflowConfiguration" and call.kind != "TensorFlow":
        raise Unprovable(f"{call.kind} ignores distributed_training=TensorflowConfiguration(...): the job ran without "
                         "distribution; decide by hand whether the ScriptRunConfig should distribute it")
    if cls == "ParallelTaskConfiguration":
        raise Unprovable("distributed_training=ParallelTaskConfiguration(...) has no ScriptRunConfig "
                         "distributed_job_config; migrate it by hand")
    codes = {name: args[name] for name in later}
    return Helper(cls, args, node, call.code(node.func), in_variable, codes, shared)


def _helper_class(call: EstimatorCall, func: cst.BaseExpression) -> str | None:
    for qname in call.module.qualified_names(func):
        head, _, cls = qname.rpartition(".")
        if cls in ("Mpi", "Gloo", "Nccl", "ParameterServer") and (head + ".").startswith(HELPER_PREFIXES):
            return cls
        if cls in SIGNATURES and cls not in HELPER_KINDS and (head + ".").startswith(CONFIG_PREFIXES):
            return cls
    return None


def _given_to_estimator(call: EstimatorCall, read: cst.CSTNode) -> bool:
    """Whether a read is another estimator's `distributed_training=` argument, which the estimator
    stores as its run configuration's, unchanged."""
    arg = call.module.parent(read)
    outer = call.module.parent(arg)
    return isinstance(arg, cst.Arg) and arg.keyword is not None and arg.keyword.value == "distributed_training" \
        and isinstance(outer, cst.Call) and bool(call.module.qualified_names(outer.func) & ESTIMATOR_CLASSES.keys())


def other_reads(call: EstimatorCall, node: cst.Name, found) -> list[cst.CSTNode]:
    """The reads of a configuration object's name (bound by `found`) other than this estimator's own
    and the `name.attr = value` lines folded into it (the --target v2 `distributed` concern asks too)."""
    folded = {id(change.node) for change in found.changes}
    return [read for read in found.root.reads if not _reads_for(call, read, node, folded)]


def changed_after(call: EstimatorCall, reads: list[cst.CSTNode]) -> bool:
    """Whether one of those reads sets an attribute: the estimator keeps the object by reference, so
    a change after the call reaches the job."""
    return any(isinstance(call.module.parent(call.module.parent(read)), cst.AssignTarget) for read in reads)


def _reads_for(call: EstimatorCall, read: cst.CSTNode, kwarg_value: cst.CSTNode, folded: set[int]) -> bool:
    """Whether a read of the helper's variable is this estimator's own, or the target of a folded
    `name.attr = value`."""
    if read is kwarg_value:
        return True
    attribute = call.module.parent(read)
    target = call.module.parent(attribute)
    statement = call.module.parent(target)
    return isinstance(attribute, cst.Attribute) and isinstance(target, cst.AssignTarget) and id(statement) in folded


def _source_store_is_none(call: EstimatorCall) -> bool:
    if not call.has("source_directory_data_store"):
        return True
    value = classify(call, call.kwargs["source_directory_data_store"].value)
    if value.kind is Kind.LITERAL and value.value is None:
        return True
    if value.kind is Kind.DATASTORE:
        return False
    raise Unprovable("node_count > 1: estimig cannot prove whether source_directory_data_store="
                     f"{call.value_code('source_directory_data_store')} is None, which decides whether Estimator.submit "
                     "stores the source directory on the workspace blob store")


def _need_target(call: EstimatorCall, what: str) -> None:
    if call.target is None or call.statement is None:
        raise Unprovable(f"{what} must be set on run_config after the call, but the estimator is not assigned "
                         "to a simple name in its own statement")


def _submitted(call: EstimatorCall, options, used: set[str]) -> bool:
    """Whether the estimator goes to `Experiment.submit(estimator)`, which stores the source
    directory on the workspace blob store for node_count > 1 (True), or only to HyperDrive and
    pipeline steps, which take its run configuration without that (False). Anything else, or both:
    Unprovable, since one ScriptRunConfig cannot serve both."""
    from estimig.codemods.uses import hands_over_run_config

    submits = [use for use in call.uses if use.kind == "submit" or call.module.submitted_by_callers(use.node)]
    others = []
    for use in call.uses:
        if use.kind == "attribute" and use.attributes[:1] == ("run_config",) and set(use.attributes[1:2]) & {
                "source_directory_data_store", "data_references", "node_count"}:
            raise Unprovable(f"node_count > 1: {use.description} changes what decides the "
                             "submit-time source-directory datastore; migrate by hand")
        if use.kind in ("keyword", "positional", "other") and use not in submits:
            others.append(use)
    handed = [use for use in others if hands_over_run_config(call, use)]
    unseen = [use for use in others if use not in handed]
    if unseen and options.assumes(HANDOFF) and not handed:
        # The code they reach, which estimig cannot see, only submits the estimator (estimator-handoff).
        used.add(HANDOFF)
        return True
    if submits and handed and len(handed) == len(others) and _sweep_copy_is_exact(call, handed):
        return handed
    changed = next((use for use in call.uses if use.kind == "attribute"), None)
    if submits and handed and len(handed) == len(others) and changed is not None:
        raise Unprovable(f"node_count > 1: Experiment.submit(estimator) stores the source directory on the "
                         f"workspace blob store and {handed[0].description} does not, so HyperDrive needs a copy "
                         f"made as the estimator was built, but {changed.description} changes it later; migrate "
                         "by hand")
    if len(handed) != len(others) or (submits and handed):
        use = next((u for u in others if u not in handed), None) or handed[0]
        raise Unprovable(f"node_count > 1: Experiment.submit(estimator) stores the source directory on the "
                         f"workspace blob store, but {use.description} gets the estimator "
                         "without that; migrate by hand")
    if not submits and not handed and options.assumes(EXPERIMENT_SUBMIT):
        used.add(EXPERIMENT_SUBMIT)
        return True
    if not submits and not handed:
        raise Unprovable("node_count > 1: the estimator is not submitted in this file, so estimig cannot tell "
                         f"whether Experiment.submit would add its source-directory datastore; {hint(EXPERIMENT_SUBMIT)}")
    return bool(submits)


def _sweep_copy_is_exact(call: EstimatorCall, handed) -> bool:
    """Whether HyperDrive, beside Experiment.submit, can take a copy of the ScriptRunConfig made as
    the estimator built it: every hand-over is `HyperDriveConfig(estimator=)` (a pipeline step is
    rewritten around the name), and nothing changes the estimator after it is built (the copy, made
    then, would not see it)."""
    from estimig.codemods.uses import HYPERDRIVE_CONFIG, HYPERDRIVE_RUN_CONFIG, _call_is

    return not any(use.kind == "attribute" for use in call.uses) and all(
        _call_is(call, use, HYPERDRIVE_CONFIG | HYPERDRIVE_RUN_CONFIG) and use.keyword in (None, "estimator")
        for use in handed)


def _sweep_copies(call: EstimatorCall, handed) -> tuple[list[str], list[tuple[cst.CSTNode, cst.CSTNode]]]:
    """A deep copy of the ScriptRunConfig for the HyperDrive configs, made before the submit-time
    datastore is set on the original (deepcopy is what HyperDrive does to a run configuration)."""
    name = call.fresh_name("hyperdrive")
    after = [f"# HyperDriveConfig(estimator={call.target}) took the run configuration as built, without the "
             "submit-time datastore below.\n"
             f"{name} = deepcopy({call.target})"]
    return after, [(use.node, cst.Name(name)) for use in handed]


# -- the two RunConfigurations, field by field ------------------------------------------------------

def _estimator_fields(call: EstimatorCall, node_code: str, process_code: str | None, backend: str | None,
                      helper: Helper | None) -> dict[str, str]:
    """The distribution fields `_init_run_config` (and the framework subclasses) set."""
    fields = {"node_count": node_code}
    if backend == "mpi":
        fields.update(communicator='"IntelMpi"')
        if process_code is not None:
            fields["mpi.process_count_per_node"] = process_code
    elif backend in ("gloo", "nccl"):  # azureml/train/dnn/_pytorch.py
        fields.update(framework='"PyTorch"', communicator=f'"{backend}"')
    elif backend == "ps":  # azureml/train/dnn/_tensorflow.py
        fields.update(framework='"TensorFlow"', communicator='"ParameterServer"')
        for name in ("worker_count", "parameter_server_count"):
            code = _number(call, name)
            if code is not None:
                fields[f"tensorflow.{name}"] = code
    if helper is None:
        return fields
    if helper.cls == "MpiConfiguration":
        fields["communicator"] = '"IntelMpi"'
        fields.update({f"mpi.{k}": v for k, v in helper.args.items()})
    elif helper.cls == "TensorflowConfiguration":  # TensorFlow only
        fields.update(framework='"TensorFlow"', communicator='"ParameterServer"')
        fields.update({f"tensorflow.{k}": v for k, v in helper.args.items()})
    else:  # the deprecated helpers: communicator is the class name, framework its own spelling
        framework = {"Mpi": "python", "Gloo": "pytorch", "Nccl": "pytorch", "ParameterServer": "tensorflow"}[helper.cls]
        fields.update(communicator=f'"{helper.cls}"', framework=f'"{framework}"')
        section = {"Mpi": "mpi", "ParameterServer": "tensorflow"}.get(helper.cls)
        if section:
            fields.update({f"{section}.{k}": v for k, v in helper.args.items()})
    return fields


def _config_for(call: EstimatorCall, node_code: str, process_code: str | None, backend: str | None,
                helper: Helper | None) -> tuple[str, dict[str, str]] | None:
    """The guide's distributed_job_config for this form: class name and keyword arguments."""
    nodes = {} if node_code == "1" else {"node_count": node_code}
    if backend == "mpi" or (helper and helper.cls in ("Mpi", "MpiConfiguration")):
        process = process_code if backend else helper.args.get("process_count_per_node")
        return "MpiConfiguration", {**nodes, **({"process_count_per_node": process} if process is not None else {})}
    if backend in ("gloo", "nccl") or (helper and helper.cls in ("Gloo", "Nccl")):
        name = (backend or helper.cls).capitalize()
        return "PyTorchConfiguration", {"communication_backend": f'"{name}"', **nodes}
    if backend == "ps" or (helper and helper.cls in ("ParameterServer", "TensorflowConfiguration")):
        source = helper.args if helper else {k: v for k in ("worker_count", "parameter_server_count")
                                             if (v := _number(call, k)) is not None}
        return "TensorflowConfiguration", dict(source)
    return None


def _config_fields(cls: str, args: dict[str, str]) -> dict[str, str]:
    """The distribution fields `ScriptRunConfig.__init__` sets for distributed_job_config."""
    if cls == "MpiConfiguration":
        fields = {"communicator": '"IntelMpi"', "framework": '"Python"'}
        fields.update({f"mpi.{k}": v for k, v in args.items()})
        fields["node_count"] = args.get("node_count", "1")
    elif cls == "PyTorchConfiguration":
        backend = args["communication_backend"].strip("\"'").lower()  # the SDK stores it lower-cased
        fields = {"communicator": f'"{backend}"', "framework": '"PyTorch"',
                  "pytorch.communication_backend": f'"{backend}"'}
        fields.update({f"pytorch.{k}": v for k, v in args.items() if k != "communication_backend"})
        fields["node_count"] = args.get("node_count", "1")
    else:
        fields = {"communicator": '"ParameterServer"', "framework": '"TensorFlow"'}
        fields.update({f"tensorflow.{k}": v for k, v in args.items()})
        fields["node_count"] = args.get("worker_count", "1")
    return fields


def _same(call: EstimatorCall, a: str, b: str) -> bool:
    """Whether two value codes provably give the same value: the same code, or equal literals."""
    if a == b:
        return True
    (ok_a, x), (ok_b, y) = literal(cst.parse_expression(a)), literal(cst.parse_expression(b))
    return ok_a and ok_b and x == y and type(x) is type(y)


def _fix_reason(backend: str | None, helper: Helper | None, paths: list[str]) -> str:
    if all(path.startswith("pytorch.") for path in paths):
        return "The estimator left run_config.pytorch at its defaults (it set only the communicator); keep them."
    if paths == ["mpi.node_count"]:
        return "The estimator left mpi.node_count at 1 (its node count is run_config.node_count); keep it."
    if helper is not None and helper.cls in ("Mpi", "Gloo", "Nccl", "ParameterServer"):
        return f"Keep what {helper.cls}() sent the service, which {_config_name(helper.cls)} spells differently."
    return "Keep the distribution settings exactly as the estimator sent them."


def _config_name(cls: str) -> str:
    return {"Mpi": "MpiConfiguration", "Gloo": "PyTorchConfiguration", "Nccl": "PyTorchConfiguration",
            "ParameterServer": "TensorflowConfiguration"}[cls]
