"""distributed: node_count=, distributed_training=Mpi(...) | MpiConfiguration(...) | TensorflowConfiguration(...) -> instance_count=, distribution=MpiDistribution(...) | TensorFlowDistribution(...).

- MPI: `process_count_per_node` (the estimator's and MpiConfiguration's, default 1) is per node in
  both SDKs: `MpiDistribution(process_count_per_instance=...)`. MpiConfiguration's own node_count is
  ignored by an estimator (its node count is the estimator's), so it is dropped.
- TensorFlow parameter server: TensorflowConfiguration defaults to one parameter server and v2's
  TensorFlowDistribution to none, so both counts are always written out; so is the deprecated
  `worker_count=, parameter_server_count=, distributed_backend="ps"` (ignored without "ps").
- PyTorch's native backends (`Gloo()`, `Nccl()` on PyTorch or Estimator, `distributed_backend="gloo" |
  "nccl"` on PyTorch): the estimator
  ran one process per node (its process_count_per_node is MPI's), so
  `PyTorchDistribution(process_count_per_instance=1)`; v2 takes no backend (the script picks it in
  `init_process_group`, and both launchers set the same MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK,
  LOCAL_RANK and NODE_RANK).
- v1's launchers also set Batch AI variables v2 does not ($AZ_BATCHAI_PYTORCH_INIT_METHOD,
  $AZ_BATCH_MASTER_NODE, ...): a call whose scripts (the .py files of source_directory) mention one is
  left; a PyTorch job, whose v1 samples passed $AZ_BATCHAI_PYTORCH_INIT_METHOD as the init method,
  is also left when estimig cannot read its scripts.
"""

from __future__ import annotations

import libcst as cst

from estimig.codemods.distributed import changed_after, other_reads
from estimig.codemods.v2 import MPI, PYTORCH, TENSORFLOW, Blocked, planner
from estimig.facts import EstimatorCall
from estimig.plan import CallPlan, NewArg
from estimig.values import Kind, classify, folded_attributes, literal

NAME = "distributed"
SUMMARY = "node_count -> instance_count; MPI and TensorFlow parameter-server configurations -> v2 distributions"
HANDLES = frozenset({"node_count", "distributed_training", "process_count_per_node", "distributed_backend",
                     "worker_count", "parameter_server_count"})
_MPI = frozenset({"azureml.train.estimator.Mpi", "azureml.train.dnn.Mpi", "azureml.core.runconfig.MpiConfiguration",
                  "azureml.core.MpiConfiguration"})
_NATIVE = frozenset({f"azureml.train.{module}{cls}" for module in ("dnn.", "_distributed_training.", "estimator.")
                     for cls in ("Gloo", "Nccl")})
# What only v1's launchers set (Batch AI): a script that reads one would not see it under v2.
_V1_VARIABLES = ("AZ_BATCHAI_", "AZ_BATCH_")
# The v2 distribution classes the job names, by the code's class name.
_CLASSES = {cls: imported for imported in (MPI, PYTORCH, TENSORFLOW) for cls in imported[1:]}
_TENSORFLOW = frozenset({"azureml.core.runconfig.TensorflowConfiguration", "azureml.train.dnn.ParameterServer",
                         "azureml.core.TensorflowConfiguration"})


def _plan(call: EstimatorCall, options=None) -> CallPlan:
    arguments = []
    nodes = _run_time_nodes(call) or _int(call, "node_count", 1)
    if nodes != 1:
        arguments.append(NewArg("instance_count", from_kwarg="node_count"))
    backend = _literal(call, "distributed_backend")
    per_node = _int(call, "process_count_per_node", None)
    configuration = call.kwargs["distributed_training"].value if call.has("distributed_training") else None
    if configuration is not None and classify(call, configuration).value is None and \
            classify(call, configuration).kind is Kind.LITERAL:
        configuration = None
    imports = set()
    if configuration is not None:
        if backend is not None:
            raise Blocked("distributed_training and distributed_backend are both given")
        distribution = _from_configuration(call, configuration, per_node)
    elif isinstance(backend, str) and backend.lower() == "ps" and call.kind == "TensorFlow":
        # TensorFlow(distributed_backend="ps") sets its deprecated worker_count and
        # parameter_server_count (1 each by default) on the run; both are written, as for
        # TensorflowConfiguration. Without "ps" the estimator ignores them.
        if per_node not in (None, 1):
            raise Blocked("process_count_per_node beside the 'ps' backend")
        distribution = (f"TensorFlowDistribution(worker_count={_int(call, 'worker_count', 1)}, "
                        f"parameter_server_count={_int(call, 'parameter_server_count', 1)})")
    elif isinstance(backend, str) and backend.lower() in ("gloo", "nccl") and call.kind == "PyTorch":
        distribution = _native(call, per_node)
    elif backend is not None:
        if not isinstance(backend, str) or backend.lower() != "mpi":  # the SDK compares it lowercased
            raise Blocked(f"distributed_backend={backend!r}: --target v2 migrates the 'mpi', 'gloo' and 'nccl' "
                          "backends of PyTorch, and 'ps' on TensorFlow, only (for now)")
        distribution = f"MpiDistribution(process_count_per_instance={per_node or 1})"
    elif per_node not in (None, 1):
        raise Blocked("process_count_per_node without a distributed backend")
    else:
        distribution = None
    if nodes == _RUN_TIME and distribution is None:
        raise Blocked(f"node_count={call.value_code('node_count')} is not a literal integer, and above 1 the estimator "
                      "rejects a call without distributed_backend or distributed_training; make it a literal")
    edits = ()
    if distribution is not None:
        _v1_variables_unread(call, distribution.startswith("PyTorch"))
        imports.add(_CLASSES[distribution.split("(", 1)[0]])
        arguments.append(NewArg("distribution", code=distribution))
        if isinstance(configuration, cst.Call):
            # Marked as replaced (by itself: the job drops it) so its v1 class's import goes when unused.
            edits = ((configuration, configuration),)
    return CallPlan(NAME, handles=HANDLES & set(call.kwargs), arguments=tuple(arguments), imports=frozenset(imports),
                    edits=edits)


def _literal(call: EstimatorCall, name: str):
    if not call.has(name):
        return None
    value = classify(call, call.kwargs[name].value)
    if value.kind is not Kind.LITERAL:
        raise Blocked(f"{name}={call.value_code(name)}: estimig cannot prove its value; make it a literal")
    return value.value


_RUN_TIME = "run time"


def _run_time_nodes(call: EstimatorCall) -> str | None:
    """`_RUN_TIME` for a node count only known at run time (`int(args.nodes)`): instance_count
    takes the same expression, evaluated where the estimator evaluated it."""
    if not call.has("node_count"):
        return None
    value = classify(call, call.kwargs["node_count"].value)
    return _RUN_TIME if value.kind is Kind.SCALAR and value.nonempty else None


def _int(call: EstimatorCall, name: str, default):
    value = _literal(call, name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise Blocked(f"{name}={call.value_code(name)} is not a positive int literal")
    return value


def _from_configuration(call: EstimatorCall, node: cst.BaseExpression, per_node: int | None) -> str:
    found, later = _built(call, node) if isinstance(node, cst.Name) else (node, {})
    names = call.module.qualified_names(found.func) if isinstance(found, cst.Call) else set()
    if names & _NATIVE and call.kind in ("PyTorch", "Estimator") and not found.args and not later:
        return _native(call, per_node)
    if not names:
        raise Blocked(f"distributed_training={call.code(node)}: estimig cannot prove which configuration it is "
                      "(bind it to one MpiConfiguration(...) or TensorflowConfiguration(...) call with literal counts)")
    counts = {}
    for arg in found.args:
        ok, value = literal(arg.value)
        if arg.keyword is None or not ok or not isinstance(value, int) or isinstance(value, bool):
            raise Blocked(f"distributed_training={call.code(node)}: its arguments are not literal keyword counts")
        counts[arg.keyword.value] = value
    for name, value in later.items():  # `mpi.process_count_per_node = 2` after it is built, folded
        if not isinstance(value, int) or isinstance(value, bool):
            raise Blocked(f"distributed_training={call.code(node)}: {node.value}.{name} is set to something other "
                          "than an int")
        counts[name] = value
    if names & _MPI:
        if per_node is not None:
            raise Blocked("process_count_per_node is given beside an MPI configuration")
        unknown = set(counts) - {"process_count_per_node", "node_count"}
        if unknown:
            raise Blocked(f"the MPI configuration sets {sorted(unknown)[0]}, which --target v2 does not migrate")
        return f"MpiDistribution(process_count_per_instance={counts.get('process_count_per_node', 1)})"
    if names & _TENSORFLOW:
        unknown = set(counts) - {"worker_count", "parameter_server_count"}
        if unknown:
            raise Blocked(f"the TensorFlow configuration sets {sorted(unknown)[0]}, which --target v2 does not migrate")
        return (f"TensorFlowDistribution(worker_count={counts.get('worker_count', 1)}, "
                f"parameter_server_count={counts.get('parameter_server_count', 1)})")
    raise Blocked(f"distributed_training={call.code(node)}: --target v2 migrates MPI and TensorFlow parameter-server "
                  "configurations only (for now; PyTorch's process_count counts all nodes, v2's one instance)")


def _native(call: EstimatorCall, per_node: int | None) -> str:
    """PyTorch's Gloo or Nccl: one process per node, whatever process_count_per_node says (the
    estimator reads that for MPI only), so a call that gives another count is left."""
    if per_node not in (None, 1):
        raise Blocked("process_count_per_node beside a gloo or nccl backend: PyTorch ignored it and ran one process "
                      "per node; drop it (or use PyTorchConfiguration by hand), then run estimig again")
    return "PyTorchDistribution(process_count_per_instance=1)"


def _v1_variables_unread(call: EstimatorCall, required: bool) -> None:
    """Blocked when the job's scripts read a variable only v1's launchers set, or, where `required`,
    when estimig cannot read them to tell."""
    directory = classify(call, call.kwargs["source_directory"].value) if call.has("source_directory") else None
    read = None
    if directory is not None and directory.kind is Kind.LITERAL and isinstance(directory.value, str):
        read = call.module.scripts_mentioning(directory.value or ".", _V1_VARIABLES)
    if read:
        raise Blocked(f"a script in source_directory reads ${sorted(read)[0]}... variables, which v1's launcher set and "
                      "v2's does not; read the standard ones (MASTER_ADDR, RANK, OMPI_COMM_WORLD_RANK, ...) instead")
    if read is None and required:
        raise Blocked("estimig cannot read the scripts in source_directory to check that none reads "
                      "$AZ_BATCHAI_PYTORCH_INIT_METHOD or $AZ_BATCHAI_TASK_INDEX, which v1's PyTorch launcher set "
                      "and v2's does not")


def _built(call: EstimatorCall, node: cst.Name) -> tuple[cst.BaseExpression | None, dict]:
    """The call a configuration name is bound to, and the attributes set on it before this call
    (`mpi.process_count_per_node = 4`, to literals or constants; estimig/flow.py folds them). The
    estimator keeps the object by reference, so one changed after this call is refused."""
    found = call.definition(node)
    if isinstance(found, str):
        raise Blocked(f"distributed_training={node.value}: estimig cannot prove which configuration it is ({found})")
    attributes = folded_attributes(found)
    if attributes is None:
        raise Blocked(f"distributed_training={node.value}: the object is changed before this call in a way estimig "
                      "cannot fold (only attributes set to literals or constants are)")
    later = {}
    for name, value in attributes.items():
        known = classify(call, value)
        if known.kind is not Kind.LITERAL:
            raise Blocked(f"distributed_training={node.value}: {node.value}.{name} is not set to a literal or constant")
        later[name] = known.value
    if changed_after(call, other_reads(call, node, found)):
        raise Blocked(f"distributed_training={node.value}: the object is changed after this call, and the "
                      "estimator keeps it by reference, so the job sees the change; migrate it by hand")
    return found.value, later


plan = planner(NAME, _plan)
