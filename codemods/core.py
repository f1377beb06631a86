"""core: Estimator(source_directory, entry_script=, compute_target=, vm_size=, ...) -> ScriptRunConfig(...).

Also owns `exp.submit(est)`: a ScriptRunConfig is submitted the same way, so the call stays.
"""

from __future__ import annotations

from estimig.facts import EstimatorCall
from estimig.values import Kind, classify
from estimig.plan import CallPlan, NewArg

NAME = "core"
SUMMARY = "the call itself: source_directory, entry_script -> script, compute_target, run-based compute, max_run_duration_seconds"
HANDLES = frozenset({"source_directory", "entry_script", "compute_target", "vm_size", "vm_priority",
                     "max_run_duration_seconds"})
IMPORTS = frozenset({("azureml.core", "ScriptRunConfig")})


def plan(call: EstimatorCall, options) -> CallPlan:
    submits = frozenset(id(use.node) for use in call.uses if use.kind == "submit")
    if call.shape_problem:
        return CallPlan(NAME, handles_uses=submits, blocked=call.shape_problem)
    if not call.has("source_directory"):
        return CallPlan(NAME, handles_uses=submits, blocked="the call has no source_directory")
    arguments = [NewArg("source_directory", from_kwarg="source_directory")]
    if call.has("entry_script"):
        arguments.append(NewArg("script", from_kwarg="entry_script"))
    after: list[str] = []
    if call.has("compute_target"):
        arguments.append(NewArg("compute_target", from_kwarg="compute_target"))
    elif call.has("vm_size"):
        # Run-based compute: the estimator targets "amlcompute" and the service creates a cluster
        # of this size for the run.
        arguments.append(NewArg("compute_target", code='"amlcompute"'))
    for name in ("vm_size", "vm_priority"):
        if call.has(name):
            if call.target is None or call.statement is None:
                return CallPlan(NAME, blocked=f"'{name}' must be set on run_config after the call, "
                                "but the estimator is not assigned to a simple name")
            statement = f"{call.target}.run_config.amlcompute.{name} = {call.value_code(name)}"
            # Each run_config line after the constructor says which estimator behaviour it keeps.
            after.append(statement if after else f"# The run-based cluster the estimator asked for.\n{statement}")
    if (not call.has("compute_target") and call.has("vm_size")) or _may_be_run_based(call):
        # The estimator sizes the run-based cluster to its node count; ScriptRunConfig has no
        # public setting for it, so the SDK's own field is set (HyperDrive does the same).
        if call.target is None or call.statement is None:
            return CallPlan(NAME, blocked="the run-based cluster's size must be set on run_config after the call, "
                            "but the estimator is not assigned to a simple name")
        nodes = call.value_code("node_count") if call.has("node_count") else "1"
        after.append(f"{call.target}.run_config.amlcompute._cluster_max_node_count = {nodes}"
                     "  # as the Estimator sized its run-based cluster")
    if call.has("max_run_duration_seconds"):
        arguments.append(NewArg("max_run_duration_seconds", from_kwarg="max_run_duration_seconds"))
    return CallPlan(NAME, handles=HANDLES & set(call.kwargs), handles_uses=submits, arguments=tuple(arguments),
                    after=tuple(after), imports=IMPORTS)


def _may_be_run_based(call: EstimatorCall) -> bool:
    """Whether compute_target may be run-based compute at run time: the estimator then sent
    `_cluster_max_node_count = node_count` (`_init_run_config` always sets it; only a target of
    "amlcompute" reads it), which a ScriptRunConfig leaves unset. A compute target object, or any
    other string literal, is not; a value of unknown kind may be."""
    if not call.has("compute_target"):
        return False
    value = classify(call, call.kwargs["compute_target"].value)
    if value.kind is Kind.LITERAL:
        return not value.value or (isinstance(value.value, str) and value.value == "amlcompute")
    return value.kind not in (Kind.COMPUTE, Kind.OTHER_COMPUTE)
