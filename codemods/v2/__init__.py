"""The v2 concerns (`--target v2`): the same facts and plans, emitting an azure-ai-ml `command()` job.

Each module here mirrors the v1 concern of the same name (`estimig.codemods.<name>`) and owns the
same estimator arguments (`estimig.codemods.ARGUMENT_OWNERS`), so `--only` / `--skip` mean the same
for both targets. A v1 concern with no v2 module yet is stood in for by `extra_plans`, which leaves
every call that needs it as it was, with the reason. docs/v2.md describes the mapping.
"""

from __future__ import annotations

from estimig.plan import CallPlan

# What the assembler writes: `command(...)`, with its arguments in azure.ai.ml.command's own order.
CALLEE = "command"
ORDER = ("code", "command", "inputs", "outputs", "environment", "environment_variables", "compute",
         "instance_type", "job_tier", "instance_count", "distribution", "shm_size", "timeout")

# (module, name) pairs the v2 emission imports; a name the file already binds to something else
# would be shadowed, so such a call is left as it was (`taken`).
COMMAND = ("azure.ai.ml", "command")
INPUT = ("azure.ai.ml", "Input")
ENVIRONMENT = ("azure.ai.ml.entities", "Environment")
ENTITIES = ("azure.ai.ml", "entities")  # when the file's own `Environment` is azureml.core's
ML_CLIENT = ("azure.ai.ml", "MLClient")
CREDENTIAL = ("azure.identity", "DefaultAzureCredential")
MPI = ("azure.ai.ml", "MpiDistribution")
TENSORFLOW = ("azure.ai.ml", "TensorFlowDistribution")
PYTORCH = ("azure.ai.ml", "PyTorchDistribution")

# v1 concerns without a v2 form yet, and why a call that needs one is left.
NOT_YET = {
    "data_references": "--target v2 does not migrate DataReferences, datastore paths or resume_from yet",
}


class Blocked(Exception):
    """Why a v2 concern leaves the call as it was."""


def planner(name: str, plan_call):
    """A concern's `plan(call, options)` from its `plan_call(call, options) -> CallPlan`, which raises Blocked."""
    def plan(call, options) -> CallPlan:
        try:
            return plan_call(call, options)
        except Blocked as exc:
            return CallPlan(name, blocked=str(exc))
    return plan


def taken(call, imports) -> str | None:
    """The first imported name the module already binds other than by that same import, or None."""
    from estimig.assemble import _imported_names

    facts = call.module
    imported = _imported_names(facts.module, len(facts.module.body))
    for module_name, name in sorted(imports):
        if facts.fresh_name(name) != name and (module_name, name) not in imported:
            return name
    return None


def finish(original, code: str) -> str:
    """The migrated module less the v1 lines it stopped reading (`leftovers`), with the client's
    imports before the client (`client`)."""
    from estimig.codemods.v2 import client, leftovers

    return client.imports_first(leftovers.remove(original, code))


def is_submit(use) -> bool:
    """`exp.submit(est)` or `exp.submit(config=est)`: the uses the `core` concern rewrites."""
    import libcst as cst

    if use.kind == "submit":
        return True
    return (use.kind == "keyword" and use.keyword == "config" and isinstance(use.call.func, cst.Attribute)
            and use.call.func.attr.value == "submit")


def extra_plans(call, options) -> tuple[CallPlan, ...]:
    """A blocked plan for each argument whose concern has no v2 form yet, and for each later use of
    the estimator other than `exp.submit(est)` and HyperDriveConfig(estimator=est) (the `uses`
    concern's sweep): pipeline steps, run_config writes, hand-offs."""
    from estimig.codemods import ARGUMENT_OWNERS
    from estimig.codemods.v2.uses import is_sweep

    plans = []
    for name, reason in NOT_YET.items():
        needing = [kwarg for kwarg in call.kwargs if ARGUMENT_OWNERS.get(kwarg) == name]
        if needing:
            plans.append(CallPlan(name, blocked=f"{reason} ({', '.join(needing)})"))
    others = [use for use in call.uses if not is_submit(use) and not is_sweep(call, use)]
    submitter = next(filter(None, (call.module.submitted_by_action(use.node) for use in others)), None)
    if submitter is not None:
        plans.append(CallPlan("uses", handles_uses=frozenset(id(use.node) for use in others),
                              blocked=f"{submitter} to SDK v1's Experiment.submit, which takes no v2 job: keep "
                              "this file on the v1 target, or move the workflow's step to a v2 job submission"))
    elif others:
        use = others[0]
        # No line number: the comment above the call moves the lines, and a second run must change nothing.
        shown = use.description if use.kind != "other" else f"{use.description} used as a value: returned, stored or passed on"
        plans.append(CallPlan("uses", handles_uses=frozenset(id(use.node) for use in others),
                              blocked=f"--target v2 does not migrate this use of the estimator yet ({shown}): "
                              "a v2 job is not a v1 run configuration"))
    return tuple(plans)
