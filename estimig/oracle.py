"""The oracle: run original and migrated code with the real SDK and compare what each submits.

Each side is executed with the service boundary replaced (`estimig.offline`). Every submitted (or,
for code that never submits, every constructed) Estimator or ScriptRunConfig is turned into the
RunConfiguration the service would receive: an Estimator through its own
`_get_script_run_config()`, both through `get_run_config_from_script_run`, as SPEC.md defines.
The serialized dictionaries are compared after the normalizations in `NORMALIZATIONS`, the one
list of differences that do not change what runs.

Datasets are compared as the service receives them. An Estimator moves each
DatasetConsumptionConfig of `script_params` and `inputs` into `run_config.data` when it is built and
leaves `DatasetConsumptionConfig:<name>` in its arguments; a ScriptRunConfig keeps the
DatasetConsumptionConfig object in `arguments` until `azureml.core.script_run_config.submit` calls
`_update_args_and_io`, which moves it into `run_config.data` (unless an input of that name is
already there) and puts the same string in its place, then turns every input into a
`runconfig.Data`. `_submitted_data` applies that same step, offline, to both sides; the only part
it cannot do offline is `dataset._ensure_saved(workspace)` (registering an unsaved dataset to get
its id), so an unsaved dataset is identified by its definition instead of the id the service
would give it: two inputs compare equal when they would deliver the same data the same way.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import io
import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, ContextManager

from estimig.assumptions import EXPERIMENT_SUBMIT, LAST_WINS
from estimig.offline import OfflineSession, Submission, offline_sdk


_ASSUMED: contextvars.ContextVar[frozenset] = contextvars.ContextVar("assumed", default=frozenset())
_COMMAND_LINE: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("command_line", default=())


@contextlib.contextmanager
def command_line(options: tuple[str, ...] | list[str]):
    """Programs run inside this as `python file.py OPTIONS`: argparse in them reads these (a
    submit script whose options have no default, or are required, runs the way its users run it)."""
    token = _COMMAND_LINE.set(tuple(options))
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


@dataclass(frozen=True)
class Normalization:
    """One allowed difference. `apply` rewrites each serialized RunConfiguration; `rerun`, instead, is
    a patch of the SDK under which the original is run again: a migrated job that equals its
    original's job of that run passes too (`check`)."""
    name: str
    reason: str
    apply: Callable[[dict], None] | None = None
    rerun: Callable[[], ContextManager] | None = None


@contextlib.contextmanager
def _framework_full_build():
    """Force the one decision `_FrameworkBaseEstimator._setup_environment` makes between the private
    prebuilt framework image and the full build: `_use_framework_image` always reads False (the
    class-level property outranks the instance attribute the method assigns), nothing else changes;
    not for a user-managed estimator (`chosen`)."""
    from unittest import mock

    from azureml.train.estimator._framework_base_estimator import _FrameworkBaseEstimator

    def chosen(self):
        # With user_managed the full build builds no framework on the public base image: it is no
        # copy of the prebuilt image then, so that estimator keeps the SDK's own choice.
        python = self._estimator_config.environment.python
        return self.__dict__.get("_estimig_framework_image", False) if python.user_managed_dependencies else False

    def choose(self, value):
        self.__dict__["_estimig_framework_image"] = value

    with mock.patch.object(_FrameworkBaseEstimator, "_use_framework_image", property(chosen, choose), create=True):
        yield


def _set_environment_name(d: dict) -> None:
    if isinstance(d.get("environment"), dict):
        d["environment"]["name"] = "<environment>"


def _default_max_run(d: dict) -> None:
    from azureml.core.script_run_config import ScriptRunConfig

    if d.get("maxRunDurationSeconds") is None:
        d["maxRunDurationSeconds"] = ScriptRunConfig.MAX_DURATION_SECONDS_DEFAULT


def _empty_env_vars(d: dict) -> None:
    if not d.get("environmentVariables"):
        d["environmentVariables"] = {}


def _precache(d: dict) -> None:
    env = d.get("environment") or {}
    if isinstance(env.get("spark"), dict):
        env["spark"].pop("precachePackages", None)


def _cluster_max_nodes(d: dict) -> None:
    if d.get("target") != "amlcompute" and isinstance(d.get("amlcompute"), dict):
        d["amlcompute"].pop("clusterMaxNodeCount", None)


def _shm_default(d: dict) -> None:
    from azureml.core.environment import _DEFAULT_SHM_SIZE

    docker = d.get("docker")
    if isinstance(docker, dict) and docker.get("shmSize") is None:
        docker["shmSize"] = _DEFAULT_SHM_SIZE


def _by_appearance(names: list[str], arguments: Any) -> list[str]:
    """`names` in order of first appearance in the arguments, then in their own (insertion) order:
    the order both sides build them in, which never depends on the random part of a name."""
    text = json.dumps(arguments, default=str)
    return sorted(names, key=lambda n: (text.find(n) if n in text else len(text), names.index(n)))


def _data_reference_names(d: dict) -> None:
    """Rename data references by order of appearance: the SDK names them with random ids
    (`uuid4().hex`, 32 hexadecimal digits) when no name is given."""
    refs = d.get("dataReferences") or {}
    if not refs:
        return
    renames = {}
    for i, name in enumerate(_by_appearance(list(refs), d.get("arguments"))):
        if _RANDOM_REFERENCE.fullmatch(name):
            renames[name] = f"<data_reference_{i}>"
    d["dataReferences"] = {renames.get(k, k): _rename(v, renames) for k, v in refs.items()}
    d["arguments"] = _rename(d.get("arguments"), renames)


def _dataset_input_names(d: dict) -> None:
    """Rename generated dataset input names by order of appearance: `dataset.as_mount()` without
    `as_named_input(...)` names the input `input_` + '_' + 8 random hexadecimal digits (or the
    first 8 of the dataset's id)."""
    data = d.get("data") or {}
    if not data:
        return
    renames = {}
    for i, name in enumerate(_by_appearance(list(data), d.get("arguments"))):
        if _GENERATED_INPUT.fullmatch(name):
            renames[name] = f"<dataset_input_{i}>"
    if not renames:
        return
    d["data"] = {renames.get(k, k): _rename(v, renames) for k, v in data.items()}
    d["arguments"] = _rename(d.get("arguments"), renames)
    if isinstance(d.get("environmentVariables"), dict):
        d["environmentVariables"] = _rename(d["environmentVariables"], renames)


_RANDOM_REFERENCE = re.compile(r"[0-9a-f]{32}")
_GENERATED_INPUT = re.compile(r"input__[0-9a-f]{8}")


def _rename(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in renames.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_rename(v, renames) for v in value]
    if isinstance(value, dict):
        return {k: _rename(v, renames) for k, v in value.items()}
    return value


NORMALIZATIONS: tuple[Normalization, ...] = (
    Normalization("environment.name", "the environment's display name does not change what runs", _set_environment_name),
    Normalization("maxRunDurationSeconds", "an estimator leaves it None, which the service treats as ScriptRunConfig's "
                  "default (MAX_DURATION_SECONDS_DEFAULT, 30 days)", _default_max_run),
    Normalization("environmentVariables", "None and {} both mean no run-level variables", _empty_env_vars),
    Normalization("environment.spark.precachePackages", "only read for Spark runs (HDInsight, Databricks), which "
                  "estimators cannot target (the SDK rejects HDInsightCompute)", _precache),
    Normalization("amlcompute.clusterMaxNodeCount", "only read when the target is run-based compute ('amlcompute')",
                  _cluster_max_nodes),
    Normalization("docker.shmSize", "None means the SDK default: DockerConfiguration's docstring says 'If not set, "
                  "the default azureml.core.environment._DEFAULT_SHM_SIZE is used'", _shm_default),
    Normalization("dataReferences names", "the SDK names DataReferences with random ids; they are compared by order "
                  "of appearance", _data_reference_names),
    Normalization("data (dataset input) names", "a dataset consumed without as_named_input(...) gets a random input "
                  "name (input__ + 8 hex digits); inputs are compared by order of appearance", _dataset_input_names),
    Normalization("framework-image-cache", "a framework estimator on AmlCompute ran a private prebuilt image "
                  "(viennaprivate.azurecr.io) that the SDK treats as a cached copy of its full build, which it builds "
                  "on every other target and region; users cannot pull that image. A migrated job may equal the "
                  "original run with the SDK's full-build branch forced (`_setup_environment`'s one decision)",
                  rerun=_framework_full_build),
)


def normalize(serialized: dict) -> dict:
    result = copy.deepcopy(serialized)
    for normalization in NORMALIZATIONS:
        if normalization.apply is not None:
            normalization.apply(result)
    return result


def reruns() -> list[Callable[[], ContextManager]]:
    """The patches under which the original is run again (the `rerun` normalizations)."""
    return [n.rerun for n in NORMALIZATIONS if n.rerun is not None]


class ExecutionFailed(Exception):
    """The code under test raised while running against the stand-ins."""


def run_config_of(config: Any):
    """The RunConfiguration the service would receive for a submitted Estimator or ScriptRunConfig."""
    from azureml.core.script_run_config import ScriptRunConfig, get_run_config_from_script_run
    from azureml.train.estimator._mml_base_estimator import MMLBaseEstimator

    wrapped = _run_config_of_wrapper(config)
    if wrapped is not None:
        return wrapped
    if isinstance(config, MMLBaseEstimator):
        config = config._get_script_run_config()
    if not isinstance(config, ScriptRunConfig):
        raise TypeError(f"cannot compare a submitted {type(config).__name__}")
    return get_run_config_from_script_run(config), config.source_directory


def _run_config_of_wrapper(config: Any):
    """HyperDrive and pipeline steps (the `uses` concern): the run configuration their runs start from.

    - HyperDriveConfig: what `_get_platform_config_data_from_run_config` sends as the child runs'
      override, minus the per-submission cluster name: `HyperDriveConfig(estimator=)` drops fixed
      arguments that are also sampled hyperparameters, `run_config=` does not (SPEC.md).
    - HyperDriveStep: the same, with the step's own arguments (`estimator_entry_script_arguments`).
    - PythonScriptStep (and EstimatorStep, its subclass): the step's RunConfiguration as `create_node`
      sends it, with the script (`script_name`) and the compute target (`compute_target`) the step
      runs, which the node's own parameters set over the RunConfiguration's, and the step's
      arguments with PipelineParameters by name and default.
    Returns (RunConfiguration, source_directory), or None for any other object.
    """
    from azureml.core.script_run_config import get_run_config_from_script_run
    from azureml.train.hyperdrive import HyperDriveConfig

    if isinstance(config, HyperDriveConfig):
        inner = config.estimator._get_script_run_config() if config.estimator is not None else config.run_config
        # run_config= keeps a fixed argument that is also sampled, and the service appends the sampled
        # value after it; when the script takes an option's last value (last-argument-wins), its child
        # runs see what estimator= sends, which drops the fixed value.
        drops = config.estimator is not None or LAST_WINS in _ASSUMED.get()
        run_config = HyperDriveConfig._remove_duplicate_arguments(
            get_run_config_from_script_run(inner), config._generator_config, drops)
        return run_config, inner.source_directory
    try:
        from azureml.pipeline.core._python_script_step_base import _PythonScriptStepBase
        from azureml.pipeline.steps import HyperDriveStep
    except ImportError:  # azureml-pipeline-steps is not installed: no step can have been built
        return None
    if isinstance(config, HyperDriveStep):
        run_config, source_directory = _run_config_of_wrapper(config._hyperdrive_config)
        run_config.arguments = [_step_argument(a) for a in config._arguments or []]
        return run_config, source_directory
    if isinstance(config, _PythonScriptStepBase):
        from azureml.core.runconfig import RunConfiguration

        run_config = copy.deepcopy(config._runconfig) if config._runconfig is not None else RunConfiguration()
        run_config.script = config._script_name
        if config._compute_target is not None:
            target = config._compute_target
            run_config.target = target if isinstance(target, str) else getattr(target, "name", None) or target[0]
        run_config.arguments = [_step_argument(a) for a in config._arguments or []]
        return run_config, config._source_directory
    return None


def _step_argument(value: Any) -> Any:
    from azureml.pipeline.core import PipelineParameter

    if isinstance(value, PipelineParameter):
        return f"<PipelineParameter {value.name}={value.default_value!r}>"
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _expand(config: Any) -> list:
    """A submitted Pipeline stands for each of its steps (recorded by `_offline_pipelines`)."""
    steps = getattr(config, "_estimig_steps", None)
    return [config] if steps is None else list(steps)


@contextlib.contextmanager
def _offline_pipelines():
    """`Pipeline(workspace, steps)` asks the service for its endpoint; offline it records its steps."""
    try:
        from azureml.pipeline.core import Pipeline
    except ImportError:
        yield
        return
    from unittest import mock

    def init(self, workspace, steps, *args, **kwargs):
        flat, stack = [], [steps]
        while stack:
            item = stack.pop(0)
            if isinstance(item, (list, tuple)):
                stack[:0] = list(item)
            else:
                flat.append(item)
        self._workspace = workspace
        self._estimig_steps = flat

    with mock.patch.object(Pipeline, "__init__", init):
        yield


def serialize(config: Any) -> dict:
    from azureml.core._serialization_utils import _serialize_to_dict

    run_config, source_directory = run_config_of(config)
    _submitted_data(run_config)
    serialized = _serialize_to_dict(run_config)
    serialized["arguments"] = [_argument(a) for a in run_config.arguments or []]
    serialized["sourceDirectory"] = os.path.normpath(source_directory or ".")
    if hasattr(config, "_allow_reuse"):  # a pipeline step: what the step adds around its run
        serialized["step"] = {"name": config.name, "allowReuse": config._allow_reuse,
                              "inputs": [_step_data(i) for i in config._inputs or []],
                              "outputs": [_step_data(o) for o in config._outputs or []],
                              "runconfigPipelineParams": {k: _step_argument(v) for k, v in
                                                          (getattr(config, "_runconfig_pipeline_params", None) or {}).items()}}
    return json.loads(json.dumps(serialized, default=str))


def _step_data(value: Any) -> Any:
    """A step's input or output by what it is, not by the object's address: a dataset consumption
    by its name, mode, path and dataset (as `run_config.data` identifies it)."""
    from azureml.data.dataset_consumption_config import DatasetConsumptionConfig

    if isinstance(value, DatasetConsumptionConfig):
        dataset = value.dataset
        identity = getattr(dataset, "id", None) or f"<unsaved {_definition(dataset)}>"
        return {"name": value.name, "mode": value.mode, "pathOnCompute": value.path_on_compute,
                "dataset": identity, "datasetName": getattr(dataset, "name", None)}
    return str(value)


def _submitted_data(run_config) -> None:
    """Apply, offline and in place, what `azureml.core.script_run_config._update_args_and_io` does to
    the inputs of a RunConfiguration at submit time (see the module docstring)."""
    from azureml.core.runconfig import Data, DataLocation
    from azureml.core.runconfig import Dataset as RunDataset
    from azureml.data.constants import _DATASET_ARGUMENT_TEMPLATE, _SKIP_VALIDATE_DATASETS
    from azureml.data.dataset_consumption_config import DatasetConsumptionConfig

    data = run_config.data if run_config.data is not None else {}
    arguments = run_config.arguments or []
    for index, argument in enumerate(arguments):
        if isinstance(argument, DatasetConsumptionConfig):
            # An input of the same name already in `data` wins (the SDK logs a warning).
            data.setdefault(argument.name, argument)
            arguments[index] = _DATASET_ARGUMENT_TEMPLATE.format(argument.name)
    for key, value in list(data.items()):
        if not isinstance(value, DatasetConsumptionConfig):
            continue
        dataset = value.dataset
        if dataset._consume_latest:
            location = RunDataset(dataset_name=dataset.name, dataset_version="latest")
            variables = run_config.environment_variables
            if variables is None:
                variables = run_config.environment_variables = {}
            previous = variables.get(_SKIP_VALIDATE_DATASETS)
            variables[_SKIP_VALIDATE_DATASETS] = value.name if previous is None else f"{previous},{value.name}"
        else:
            # `dataset._ensure_saved(workspace)` needs the service; an unsaved dataset is identified by
            # its definition, which is what the service registers.
            identity = dataset.id or f"<unsaved {_definition(dataset)}>"
            location = RunDataset(dataset_id=identity, dataset_name=dataset.name, dataset_version=dataset.version)
        data[key] = Data(data_location=DataLocation(dataset=location), create_output_directories=False,
                         mechanism=value.mode, environment_variable_name=value.name,
                         path_on_compute=value.path_on_compute, overwrite=False)
    run_config.data = data


def _definition(dataset) -> str:
    try:
        return json.dumps(json.loads(repr(dataset)).get("definition"), sort_keys=True)
    except (ValueError, TypeError, AttributeError):
        return repr(dataset)


def _argument(value: Any) -> Any:
    """Arguments as the service receives them: datasets by their input name, the rest unchanged."""
    from azureml.data.constants import _DATASET_ARGUMENT_TEMPLATE
    from azureml.data.dataset_consumption_config import DatasetConsumptionConfig

    if isinstance(value, DatasetConsumptionConfig):
        return _DATASET_ARGUMENT_TEMPLATE.format(value.name)
    return value


def check(original: str, migrated: str, workdir: str, names: tuple[str, str] = ("before.py", "after.py"),
          assume=(), actions=()) -> list[str]:
    """The differences between what the original and the migrated program submit ([] if equal), every
    normalization applied: the original is run again under each `rerun` patch only when a job differs.
    `assume`: the named assumptions the migration relied on (see `execute`). `actions`: functions a
    workflow's aml-run step calls (estimig/actions.py); each program is also run as that action runs
    it, and must submit the same there."""
    differences = []
    for action in (None, *actions):
        before = execute(original, names[0], workdir, assume=assume, action=action)
        after = execute(migrated, names[1], workdir, assume=assume, action=action)
        found = compare(before, after)
        if found and len(before) == len(after):
            alternatives = [execute(original, names[0], workdir, patch=patch, assume=assume, action=action)
                            for patch in reruns()]
            found = compare(before, after, *alternatives)
        differences += [f"run by the aml-run action ({action}()): {d}" for d in found] if action else found
    return differences


def execute(code: str, filename: str, workdir: str, patch: Callable[[], ContextManager] | None = None,
            assume=(), action: str | None = None) -> list[dict]:
    """Run `code` with the stand-ins from `workdir` (and the SDK patched by `patch`, a `rerun`
    normalization); return the normalized RunConfigurations. `assume`: named assumptions
    (estimig/assumptions.py) a migration relied on that change what the service does with a
    submission (last-argument-wins and experiment-submit: see `_run_config_of_wrapper`,
    `submitted_configs`)."""
    with assuming(assume):
        return _execute(code, filename, workdir, patch, action)


@contextlib.contextmanager
def assuming(names):
    """Inside this, the oracles model the named assumptions a migration relied on (`assumed()`)."""
    from estimig.assumptions import resolve

    token = _ASSUMED.set(resolve(names))
    try:
        yield
    finally:
        _ASSUMED.reset(token)


def assumed() -> frozenset:
    return _ASSUMED.get()


def _execute(code: str, filename: str, workdir: str, patch, action: str | None = None) -> list[dict]:
    with offline_sdk() as session, _offline_pipelines(), (patch() if patch else contextlib.nullcontext()):
        _run(code, filename, workdir, session, action)
        return [normalize(serialize(config)) for config in submitted_configs(session)]


def submitted_configs(session: OfflineSession) -> list:
    """What the service receives: each submission as submitted or, for code that submits nothing,
    each construction; with the experiment-submit assumption, each construction as
    `Experiment.submit` would submit it."""
    # Snapshot first: serializing an estimator constructs a ScriptRunConfig of its own.
    submissions = list(session.submissions)
    if not submissions and EXPERIMENT_SUBMIT in _ASSUMED.get():
        submissions = [Submission(EXPERIMENT_SUBMIT, config) for config in session.constructed]
    if not submissions:
        return list(session.constructed)
    return [c for s in submissions for c in _expand(as_submitted(s, session))]


def as_submitted(submission: Submission, session: OfflineSession) -> Any:
    """The configuration the service receives for one `Experiment.submit(config)`.

    `Experiment.submit(estimator)` does not submit the estimator as built: it calls the estimator's
    own submit function, `azureml.train._estimator_helper._estimator_submit_method`, which may change
    the run configuration first (with `node_count > 1` and no `source_directory_data_store`, it makes
    the workspace blob store the source-directory datastore), then submits the ScriptRunConfig from
    `_get_script_run_config()`. The stand-in captures the estimator before that step, so run that
    same SDK function here, with the stand-ins still in place, and keep the ScriptRunConfig it
    submits. A ScriptRunConfig is submitted as it is (`azureml.core.script_run_config.submit` changes
    nothing in its run configuration but `credential_passthrough`, which is only set by an argument).
    """
    from azureml.train._estimator_helper import _estimator_submit_method
    from azureml.train.estimator._mml_base_estimator import MMLBaseEstimator

    if not isinstance(submission.config, MMLBaseEstimator):
        return submission.config
    seen = len(session.submissions)
    previous = session.on_submit
    session.on_submit = None
    try:
        _estimator_submit_method(submission.config, session.workspace, submission.experiment)
    finally:
        session.on_submit = previous
    inner = session.submissions[seen:]
    del session.submissions[seen:]
    assert len(inner) == 1, "the estimator's submit function submits exactly one ScriptRunConfig"
    return inner[0].config


def _as_aml_run_does(namespace: dict, function: str, session: OfflineSession) -> None:
    """What the aml-run action does with the module it loaded (estimig/actions.py): call the function
    with the workspace and submit the result with `Experiment.submit(config=..., tags=...)`."""
    from azureml.core import Experiment

    config = namespace[function](session.workspace)
    Experiment(session.workspace, "aml-run").submit(config=config, tags={})


def _run(code: str, filename: str, workdir: str, session: OfflineSession, action: str | None = None) -> None:
    previous = os.getcwd()
    os.chdir(workdir)
    # As `python file.py` would: modules beside the file (helpers the program imports) load from
    # there, fresh for each run, so both programs import them under their own offline session.
    # `action`: loaded as the aml-run action loads it (module "runmodule": no __main__ block), then
    # that function called and its result submitted.
    sys.path.insert(0, workdir)
    loaded = set(sys.modules)
    namespace = {"__name__": "runmodule" if action else "__main__",
                 "__file__": os.path.join(workdir, os.path.basename(filename))}
    # `python file.py` with no options (or those of `command_line`): argparse in the program reads
    # this, not the caller's own.
    argv, sys.argv = sys.argv, [namespace["__file__"], *_COMMAND_LINE.get()]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, filename, "exec"), namespace)
            if action:
                _as_aml_run_does(namespace, action, session)
    except Exception as exc:
        raise ExecutionFailed(f"{filename}: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.argv = argv
        os.chdir(previous)
        sys.path.remove(workdir)
        for name in set(sys.modules) - loaded:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(workdir):
                del sys.modules[name]


def compare(before: list[dict], after: list[dict], *alternatives: list[dict]) -> list[str]:
    """Human-readable differences between two lists of normalized RunConfigurations ([] if equal).
    `alternatives`: the original's jobs under each `rerun` normalization; a migrated job that equals
    its counterpart in one of them is equal too."""
    if len(before) != len(after):
        return [f"the original submits {len(before)} job(s), the migrated code {len(after)}"]
    differences = []
    for i, (a, b) in enumerate(zip(before, after)):
        found = [f"job {i}: {path}: {x!r} != {y!r}" for path, x, y in _diff(a, b)]
        if found and any(len(other) == len(before) and not any(_diff(other[i], b)) for other in alternatives):
            continue
        differences.extend(found)
    return differences


def _diff(a: Any, b: Any, path: str = ""):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _diff(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{path}.{key}" if path else key)
    elif a != b or type(a) is not type(b):
        yield path, a, b
