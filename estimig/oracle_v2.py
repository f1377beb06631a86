"""The v2 oracle: does a `--target v2` migration submit the job its v1 original did?

The original runs with SDK v1 and the offline stand-ins, as for the v1 oracle (`estimig.oracle`):
each submission becomes the RunConfiguration the service would receive, normalized by that
oracle's `NORMALIZATIONS`. The migrated program runs with azure-ai-ml and its own stand-ins
(`estimig.offline_v2`; the v1 ones stay in place for v1 lines it keeps, such as the workspace) and
each `ml_client.jobs.create_or_update(job)` is recorded as `job._to_dict()`. Both are reduced to
one job essence, `ESSENCE`: every field with the v1 and the v2 reading of it and the reason the
two mean the same; nothing outside it is compared, and each field's docstring-like reason says
why that is safe. Registered datasets are looked up offline as registered (name and version), so
an input is compared by the data asset it names.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any, Callable

from estimig.oracle import ExecutionFailed, _run, as_submitted, compare, normalize, serialize

__all__ = ["ESSENCE", "ExecutionFailed", "check", "compare_jobs", "execute_v1", "execute_v2"]

# What the v1 SDK puts in every new Environment (azureml.core.Environment.__init__): a placeholder
# no estimator or user set, and no v2 environment can carry.
_PLACEHOLDER_VARIABLES = {"EXAMPLE_ENV_VAR": "EXAMPLE_VALUE"}
# v1 mechanism -> v2 input mode: a v1 mount was read-only, as v2's ro_mount.
_MODES = {"mount": "ro_mount", "download": "download"}


@dataclass(frozen=True)
class Field:
    name: str
    reason: str
    v1: Callable[[dict, str], Any]  # (normalized RunConfiguration, experiment name) -> value
    v2: Callable[[dict, str], Any]  # (job._to_dict(), experiment name) -> value


def _v1_argv(d: dict, _) -> list[str]:
    """What the v1 service ran: `python <script> <str(argument)>...`, each dataset by its input."""
    tokens = ["python", d["script"]]
    for argument in d.get("arguments") or []:
        text = str(argument)
        if text.startswith("DatasetConsumptionConfig:"):
            text = "${{inputs.%s}}" % text.split(":", 1)[1]
        tokens.append(text)
    return tokens


def _v1_inputs(d: dict, _) -> dict:
    inputs = {}
    for name, data in (d.get("data") or {}).items():
        dataset = data["dataLocation"]["dataset"] or {}
        version = dataset.get("version")
        path = (f"azureml:{dataset['name']}@latest" if version == "latest" else f"azureml:{dataset['name']}:{version}") \
            if dataset.get("name") else f"<unregistered dataset {dataset.get('id')}>"
        inputs[name] = {"path": path, "mode": _MODES.get(data["mechanism"], data["mechanism"]),
                        "path_on_compute": data.get("pathOnCompute")}
    return inputs


def _v2_inputs(job: dict, _) -> dict:
    return {name: {"path": value.get("path"), "mode": value.get("mode"), "path_on_compute": None}
            for name, value in (job.get("inputs") or {}).items() if isinstance(value, dict)}


def _v1_conda(d: dict, _):
    python = d["environment"]["python"]
    if python.get("condaDependenciesFile") or python.get("baseCondaEnvironment"):
        return {"<v1 conda file or base environment>": python.get("condaDependenciesFile") or python["baseCondaEnvironment"]}
    return None if python["userManagedDependencies"] else python["condaDependencies"]


def _v2_environment(job: dict) -> dict:
    env = job.get("environment")
    return env if isinstance(env, dict) else {"<named environment>": env}


def _v1_distribution(d: dict, _) -> dict | None:
    communicator = d.get("communicator")
    if communicator in (None, "None"):
        return None
    if communicator in ("Mpi", "IntelMpi"):
        return {"type": "mpi", "process_count_per_instance": d["mpi"]["processCountPerNode"]}
    if communicator == "ParameterServer":
        return {"type": "tensorflow", "worker_count": d["tensorflow"]["workerCount"],
                "parameter_server_count": d["tensorflow"]["parameterServerCount"]}
    return {"type": f"<v1 {communicator}>", "pytorch": d.get("pytorch")}


def _v2_distribution(job: dict, _) -> dict | None:
    found = job.get("distribution")
    if not found:
        return None
    if found["type"] == "mpi":
        return {"type": "mpi", "process_count_per_instance": found.get("process_count_per_instance") or 1}
    if found["type"] == "tensorflow":
        return {"type": "tensorflow", "worker_count": found.get("worker_count"),
                "parameter_server_count": found.get("parameter_server_count") or 0}
    return dict(found)


def _v1_variables(d: dict, _) -> dict:
    own = {k: v for k, v in (d["environment"].get("environmentVariables") or {}).items()
           if _PLACEHOLDER_VARIABLES.get(k) != v}
    return {**own, **(d.get("environmentVariables") or {})}


def _v1_timeout(d: dict, _):
    from azureml.core.script_run_config import ScriptRunConfig

    value = d.get("maxRunDurationSeconds")
    return None if value == ScriptRunConfig.MAX_DURATION_SECONDS_DEFAULT else value


def _strip(value: str | None) -> str | None:
    return value[len("azureml:"):] if isinstance(value, str) and value.startswith("azureml:") else value


ESSENCE: tuple[Field, ...] = (
    Field("experiment", "the experiment the job is filed under: Experiment(ws, name) and experiment_name=",
          lambda d, e: e, lambda j, e: e),
    Field("code", "the folder snapshotted as the job's code: source_directory and code= (azure-ai-ml makes it "
          "absolute; both are read relative to the program's folder, `_relative_code`)",
          lambda d, e: os.path.normpath(d["sourceDirectory"]),
          lambda j, e: os.path.normpath(_strip(j["component"]["code"]) or ".")),
    Field("argv", "the command line the script sees: v1 runs `python script str(arg)...` with each dataset "
          "replaced by its path; v2 runs the command string through the shell with ${{inputs.x}} replaced by "
          "the path; both are compared as argv with the dataset placeholders unreplaced",
          _v1_argv, lambda j, e: shlex.split(j["component"]["command"])),
    Field("inputs", "each dataset input by name: the data asset (registered name and version; 'latest' when "
          "the v1 code asked for the latest), and how it is delivered (v1 mount = v2 ro_mount, download = "
          "download)", _v1_inputs, _v2_inputs),
    Field("container", "whether the job runs in a Docker container: v2 jobs always do",
          lambda d, e: bool(d["docker"]["useDocker"]), lambda j, e: True),
    Field("image", "the base image of the environment", lambda d, e: d["environment"]["docker"]["baseImage"],
          lambda j, e: _v2_environment(j).get("image")),
    Field("dockerfile", "a Dockerfile to build instead of an image",
          lambda d, e: d["environment"]["docker"]["baseDockerfile"], lambda j, e: _v2_environment(j).get("build")),
    Field("conda", "the conda specification built on the image (None: the image's own python is used)",
          _v1_conda, lambda j, e: _v2_environment(j).get("conda_file")),
    Field("compute", "the compute the job runs on, by name (v2 writes azureml:<name>)",
          lambda d, e: d["target"], lambda j, e: _strip(j.get("compute"))),
    Field("instance_count", "how many nodes run the job (v2 leaves it unset for one)", lambda d, e: d["nodeCount"],
          lambda j, e: (j.get("resources") or {}).get("instance_count") or 1),
    Field("distribution", "the launcher and its counts: MPI processes per node, TensorFlow workers and "
          "parameter servers (v2's parameter_server_count defaults to 0, v1's to 1)", _v1_distribution,
          _v2_distribution),
    Field("environment_variables", "the variables the script sees: v1's on the environment (but the SDK's "
          "EXAMPLE_ENV_VAR placeholder) then the run's; v2's on the job", _v1_variables,
          lambda j, e: dict(j.get("environment_variables") or {})),
    Field("timeout", "the job's time limit; v1's default (MAX_DURATION_SECONDS_DEFAULT, which the v1 oracle "
          "puts where an estimator set none) counts as none set, as a v2 job without timeout", _v1_timeout,
          lambda j, e: (j.get("limits") or {}).get("timeout")),
    Field("shm_size", "the container's shared memory (v1's default already filled in by the v1 oracle; v2 "
          "documents no default, so a migrated job must state it)", lambda d, e: d["docker"]["shmSize"],
          lambda j, e: (j.get("resources") or {}).get("shm_size")),
    Field("data_references", "DataReferences and datastore paths: v2 has none of them; the v1 source directory's "
          "own datastore (set for node_count > 1) is how v1 shipped the snapshot, not data the script reads",
          lambda d, e: sorted(k for k in (d.get("dataReferences") or {}) if k != d.get("sourceDirectoryDataStore")),
          lambda j, e: []),
)


def check(original: str, migrated: str, workdir: str, require_jobs: bool = False) -> list[str]:
    """The differences between what a v1 program and its v2 migration submit ([] when equal); like
    the v1 oracle's check, a job that differs is also compared with the original run again under
    each `rerun` normalization (the framework's full build, when the original ran a private
    prebuilt image). With `require_jobs`, ExecutionFailed when the original submits nothing."""
    from estimig.oracle import reruns

    before = execute_v1(original, "before.py", workdir)
    if require_jobs and not before:
        raise ExecutionFailed("before.py: submits nothing, so the oracle would prove nothing")
    after = execute_v2(migrated, "after.py", workdir)
    differences = compare_jobs(before, after)
    if differences:
        alternatives = [execute_v1(original, "before.py", workdir, patch=patch) for patch in reruns()]
        differences = compare_jobs(before, after, *alternatives)
    return differences


def compare_jobs(before: list[dict], after: list[dict], *alternatives: list[dict]) -> list[str]:
    """The differences between v1 and v2 essences ([] when equal); a v2 job that equals its v1
    counterpart in one of `alternatives` (the original under a `rerun` normalization) is equal too. A
    v1 input the SDK named itself (`<dataset_input_i>` after the v1 oracle's normalization: no script
    could know the name) is paired with the v2 input at the same place on the command line, and takes
    its name."""
    return compare(_paired(before, after), after, *(_paired(other, after) for other in alternatives))


def _paired(before: list[dict], after: list[dict]) -> list[dict]:
    paired = []
    for v1, v2 in zip(before, after):
        v1 = dict(v1, argv=list(v1["argv"]), inputs=dict(v1["inputs"]))
        for index, token in enumerate(v1["argv"]):
            generated = re.fullmatch(r"\$\{\{inputs\.(<dataset_input_\d+>)\}\}", token)
            theirs = re.fullmatch(r"\$\{\{inputs\.(\w+)\}\}", v2["argv"][index]) if index < len(v2["argv"]) else None
            if generated and theirs and generated.group(1) in v1["inputs"] and theirs.group(1) not in v1["inputs"]:
                v1["inputs"][theirs.group(1)] = v1["inputs"].pop(generated.group(1))
                v1["argv"] = [t.replace(generated.group(1), theirs.group(1)) for t in v1["argv"]]
        paired.append(v1)
    return paired + before[len(after):]


def essence_v1(serialized: dict, experiment: str) -> dict:
    return {f.name: f.v1(serialized, experiment) for f in ESSENCE}


def essence_v2(job: dict, experiment: str | None) -> dict:
    return {f.name: f.v2(job, experiment) for f in ESSENCE}


@contextlib.contextmanager
def _registered_datasets():
    """Registered datasets keep their name and version offline (see offline_v2.registered_dataset)."""
    from unittest import mock

    from azureml.core import Dataset, Workspace

    from estimig.offline_v2 import registered_dataset

    def get_by_name(workspace, name, version="latest", **kwargs):
        return registered_dataset(workspace, name, version)

    class _Datasets(dict):
        def __init__(self, workspace):
            super().__init__()
            self.workspace = workspace

        def __missing__(self, name):
            return registered_dataset(self.workspace, name)

    with mock.patch.object(Dataset, "get_by_name", staticmethod(get_by_name)), \
            mock.patch.object(Workspace, "datasets", property(_Datasets)):
        yield


def execute_v1(code: str, filename: str, workdir: str, patch: Callable[[], Any] | None = None) -> list[dict]:
    """Run a v1 program offline (under `patch`, a rerun normalization, if given); the essence of
    each job it submits."""
    from estimig.offline import offline_sdk

    with offline_sdk() as session, _registered_datasets(), (patch() if patch is not None else contextlib.nullcontext()):
        _run(code, filename, workdir, session)
        submissions = list(session.submissions)
        found = [essence_v1(normalize(serialize(as_submitted(s, session))), s.experiment) for s in submissions]
    return _relative_code(found, workdir)


def execute_v2(code: str, filename: str, workdir: str) -> list[dict]:
    """Run a migrated program offline; the essence of each v2 job it submits. A v1 submission left in
    it fails the run: the migration must submit through v2."""
    from estimig.offline import offline_sdk
    from estimig.offline_v2 import offline_ml_client

    with offline_sdk() as session, _registered_datasets(), offline_ml_client() as v2:
        _run(code, filename, workdir, session)
        if session.submissions:
            raise ExecutionFailed(f"{filename}: still submits {len(session.submissions)} job(s) through SDK v1")
        found = [essence_v2(s.job, s.experiment) for s in v2.submissions]
    return _relative_code(found, workdir)


def _relative_code(essences: list[dict], workdir: str) -> list[dict]:
    """Each job's code folder relative to the program's folder, where both programs run from."""
    for essence in essences:
        essence["code"] = os.path.relpath(os.path.join(workdir, essence["code"]), workdir)
    return essences
