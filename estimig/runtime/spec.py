"""A submitted Estimator or ScriptRunConfig, as the job Azure ML would run: a JobSpec.

The SDK itself turns the submitted object into a RunConfiguration (the same path `submit` takes);
this module reads that RunConfiguration and nothing else, so an Estimator and its migrated
ScriptRunConfig give equal specs exactly when they would run the same job.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from estimig.runtime.errors import UsageError

# `$AZUREML_DATAREFERENCE_<name>`: how both Estimators and str(DataReference) put a reference in arguments.
DATAREF_RE = re.compile(r"\$AZUREML_DATAREFERENCE_([A-Za-z0-9_]+)")
DATASET_ARG_PREFIX = "DatasetConsumptionConfig:"
_DATASTORE_PATH_RE = re.compile(r"datastores/([^/\"]+)/paths/([^\"\s]*)")


@dataclass(frozen=True)
class InputBinding:
    """One dataset or DataReference the job consumes; `key` is stable across random names."""

    kind: str  # "dataset" | "datareference"
    name: str  # the input name in the run configuration (may be random)
    datastore: str
    path: str
    mode: str  # "mount" | "download" | "direct" | "upload"
    path_on_compute: str | None = None
    registered_name: str | None = None  # Dataset.get_by_name(...) name, for the config's datasets map

    @property
    def key(self) -> str:
        return f"{self.datastore}/{self.path}".rstrip("/") or self.datastore


@dataclass
class Distribution:
    kind: str = "none"  # none | mpi | pytorch | tensorflow
    node_count: int = 1
    process_count_per_node: int = 1
    backend: str | None = None  # gloo | nccl for pytorch
    worker_count: int = 0  # tensorflow
    parameter_server_count: int = 0

    @property
    def process_count(self) -> int:
        if self.kind == "tensorflow":
            return self.worker_count + self.parameter_server_count
        return self.node_count * self.process_count_per_node


@dataclass
class JobSpec:
    experiment: str
    target: str
    source_directory: str
    script: str
    # Strings only: each input appears as `{input:<key>}` until a backend resolves it to a path.
    arguments: list[str]
    inputs: dict[str, InputBinding]
    environment_variables: dict[str, str]
    distribution: Distribution
    pip_packages: list[str] = field(default_factory=list)
    conda_packages: list[str] = field(default_factory=list)
    base_image: str | None = None
    docker_enabled: bool = False
    shm_size: str | None = None
    user_managed: bool = False
    max_run_duration_seconds: int | None = None
    # Which SDK submitted it, so which launcher runs it: "v1" (Experiment.submit) or "v2"
    # (ml_client.jobs.create_or_update, estimig.runtime.spec_v2), whose platform variables differ.
    platform: str = "v1"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # DataReference names are random (uuid) unless the user chose one; the key identifies them.
        data["inputs"] = {
            key: asdict(b) | ({"name": None} if b.kind == "datareference" else {})
            for key, b in sorted(self.inputs.items())
        }
        data["source_directory"] = os.path.basename(os.path.normpath(self.source_directory))
        return data


def _prebuilt_framework_build(env) -> dict | None:
    """The framework estimators' private prebuilt image (`viennaprivate.azurecr.io/pytorch:1.6-gpu`,
    user-managed) is a cached copy of the SDK's full build of that scenario, and cannot be pulled:
    a job in it runs here in that full build (its base image and packages), as the SDK builds it on
    every other target. None for any other environment."""
    from estimig.codemods.environment import frameworks

    table = frameworks()
    registry = env.docker.base_image_registry
    if getattr(registry, "address", None) != table["private_registry"] or not env.python.user_managed_dependencies:
        return None
    name, _, tag = (env.docker.base_image or "").partition(":")
    version, _, processor = tag.rpartition("-")
    for kind, framework in table["frameworks"].items():
        if kind.lower() == name:
            scenario = framework["versions"].get(version, {}).get(processor)
            if scenario is not None:
                return {"pip_packages": list(scenario["pip_packages"]), "conda_packages": list(scenario["conda_packages"]),
                        "base_image": scenario["base_image"]}
    return None


def run_config_of(config):
    """The RunConfiguration the service would receive for a submitted Estimator or ScriptRunConfig."""
    from azureml.core.script_run_config import ScriptRunConfig, get_run_config_from_script_run

    if isinstance(config, ScriptRunConfig):
        src = config
    elif hasattr(config, "_get_script_run_config"):
        src = config._get_script_run_config()
    else:
        raise UsageError(
            f"cannot run a submitted {type(config).__name__}: only Estimators and ScriptRunConfigs run locally"
        )
    return src, get_run_config_from_script_run(src)


def _dataset_location(dataset) -> tuple[str, str]:
    from estimig.offline import DEFAULT_DATASTORE

    definition = str(getattr(dataset, "_definition", "") or "")
    match = _DATASTORE_PATH_RE.search(definition)
    if match is None:
        raise UsageError("a dataset not built from a datastore path cannot be mapped to a local folder")
    return match.group(1) or DEFAULT_DATASTORE, match.group(2).strip("/")


def _dataset_binding(consumption, name: str | None = None) -> InputBinding:
    store, path = _dataset_location(consumption.dataset)
    return InputBinding(
        kind="dataset",
        name=name or consumption.name,
        datastore=store,
        path=path,
        mode=str(consumption.mode or "direct").lower(),
        path_on_compute=consumption.path_on_compute,
        registered_name=getattr(consumption.dataset, "_estimig_registered_name", None),
    )


def _dataref_binding(name: str, ref) -> InputBinding:
    return InputBinding(
        kind="datareference",
        name=name,
        datastore=ref.data_store_name,
        path=(ref.path_on_data_store or "").strip("/"),
        mode=str(ref.mode or "mount").lower(),
        path_on_compute=ref.path_on_compute,
    )


def _distribution(rc) -> Distribution:
    communicator = str(rc.communicator or "None")
    nodes = int(rc.node_count or 1)
    if communicator.lower() in ("mpi", "intelmpi", "openmpi"):
        mpi = rc.mpi
        return Distribution("mpi", nodes, int(mpi.process_count_per_node or 1))
    if communicator.lower() in ("gloo", "nccl"):
        total = rc.pytorch.process_count or nodes
        if total % nodes:
            raise UsageError(f"PyTorch process_count {total} is not a multiple of node_count {nodes}")
        return Distribution("pytorch", nodes, total // nodes, backend=communicator.lower())
    if communicator.lower() == "parameterserver":
        tf = rc.tensorflow
        # One node per task, whatever node_count says (the two SDK paths disagree on it).
        workers, servers = int(tf.worker_count or 1), int(tf.parameter_server_count or 0)
        return Distribution(
            "tensorflow", workers + servers, 1, worker_count=int(tf.worker_count or 1),
            parameter_server_count=int(tf.parameter_server_count or 0),
        )
    return Distribution("none", nodes, 1)


def build_spec(experiment: str, config) -> JobSpec:
    from azureml.data.dataset_consumption_config import DatasetConsumptionConfig
    from azureml.data.data_reference import DataReference

    src, rc = run_config_of(config)
    inputs: dict[str, InputBinding] = {}

    def add(binding: InputBinding) -> str:
        inputs[binding.key] = binding
        return "{input:" + binding.key + "}"

    refs = {name: _dataref_binding(name, ref) for name, ref in (rc.data_references or {}).items()}
    datasets = {name: _dataset_binding(c, name) for name, c in (rc.data or {}).items()}

    def resolve_text(text: str) -> str:
        if text.startswith(DATASET_ARG_PREFIX):
            name = text[len(DATASET_ARG_PREFIX):]
            if name not in datasets:
                raise UsageError(f"argument {text!r} names no dataset input of the run")
            return add(datasets[name])

        def sub(match):
            name = match.group(1)
            if name not in refs:
                raise UsageError(
                    f"argument names $AZUREML_DATAREFERENCE_{name} but the run configuration has no such data"
                    " reference: add it to run_config.data_references"
                )
            return add(refs[name])

        return DATAREF_RE.sub(sub, text)

    arguments: list[str] = []
    for value in rc.arguments or []:
        if isinstance(value, DatasetConsumptionConfig):
            arguments.append(add(_dataset_binding(value)))
        elif isinstance(value, DataReference):
            binding = _dataref_binding(value.data_reference_name, value.to_config())
            arguments.append(add(binding))
        elif isinstance(value, str):
            arguments.append(resolve_text(value))
        else:
            # Azure ML passes every argument to the command line as text.
            arguments.append(str(value))
    # Inputs that are not arguments are still mounted or downloaded, and reachable by env var.
    for binding in [*refs.values(), *datasets.values()]:
        inputs.setdefault(binding.key, binding)

    env = rc.environment
    conda = env.python.conda_dependencies
    variables = dict(env.environment_variables or {})
    variables.update(rc.environment_variables or {})
    docker_cfg = getattr(rc, "docker", None)
    docker_enabled = bool(docker_cfg.use_docker) if docker_cfg is not None and docker_cfg.use_docker is not None else bool(env.docker.enabled)
    image = _prebuilt_framework_build(env)
    return JobSpec(
        experiment=experiment,
        target=str(rc.target or "local"),
        source_directory=os.path.abspath(src.source_directory or "."),
        script=rc.script,
        arguments=arguments,
        inputs=inputs,
        environment_variables={str(k): str(v) for k, v in variables.items()},
        distribution=_distribution(rc),
        pip_packages=image["pip_packages"] if image else list(conda.pip_packages) if conda is not None else [],
        conda_packages=image["conda_packages"] if image else list(conda.conda_packages) if conda is not None else [],
        base_image=image["base_image"] if image else env.docker.base_image,
        docker_enabled=docker_enabled,
        shm_size=getattr(docker_cfg, "shm_size", None),
        user_managed=False if image else bool(env.python.user_managed_dependencies),
        max_run_duration_seconds=rc.max_run_duration_seconds,
    )
