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

from estimig.assumptions import CONTAINER, DASHED, READ_ONLY_MOUNT
from estimig.oracle import ExecutionFailed, _run, as_submitted, assumed, assuming, compare, normalize, serialize

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


def _v1_image(d: dict, _) -> str | None:
    docker = d["environment"]["docker"]
    address = (docker.get("baseImageRegistry") or {}).get("address")
    return f"{address}/{docker['baseImage']}" if address and docker["baseImage"] else docker["baseImage"]


def _v1_argv(d: dict, _) -> list[str]:
    """What the v1 service ran: `python <script> <str(argument)>...`, each dataset by its input; in a
    HyperDrive child run, each sampled parameter appended as `name <sampled name>`."""
    tokens = ["python", d["script"]]
    for argument in d.get("arguments") or []:
        text = str(argument)
        if text.startswith("DatasetConsumptionConfig:"):
            text = "${{inputs.%s}}" % text.split(":", 1)[1]
        text = _REFERENCE.sub(lambda m: "${{inputs.%s}}" % m.group(1), text)
        tokens.append(text)
    for flag in (d.get("hyperdrive") or {}).get("space", {}):
        tokens += [flag, _SAMPLED % flag]
    return tokens


def _as_flag(flag: str) -> str:
    """How the service wrote a sampled parameter on the child runs' command lines: as named, or, for a
    name without dashes under dashed-sampled-names, as `--<name>`."""
    return f"--{flag}" if not flag.startswith("-") and DASHED in assumed() else flag


# How a DataReference is written in v1 arguments (the v1 oracle renames random ones <data_reference_i>).
_REFERENCE = re.compile(r"\$AZUREML_DATAREFERENCE_(<data_reference_\d+>|\w+)")
# A DataReference's v1 mode -> the v2 input mode; a v1 mount of a datastore path was writable, which
# no v2 input is, so it reads as itself and differs from any v2 mode, unless the job only reads it
# (read-only-mount: then writable or not makes no difference to it, `_reference_mode`).
_REFERENCE_MODES = {"download": "download", "mount": "<v1 writable mount>"}


def _reference_mode(mode: str | None) -> str:
    if mode == "mount" and READ_ONLY_MOUNT in assumed():
        return "ro_mount"
    return _REFERENCE_MODES.get(mode, f"<v1 {mode}>")


def _v1_references(d: dict) -> dict:
    """The run's DataReferences but the source directory's own datastore (how v1 shipped the
    snapshot for node_count > 1, not data the script reads)."""
    return {name: ref for name, ref in (d.get("dataReferences") or {}).items() if name != d.get("sourceDirectoryDataStore")}


# A v2 command-line token that is one input: `${{inputs.<name>}}`.
_INPUT_TOKEN = re.compile(r"\$\{\{inputs\.(\w+)\}\}")
# A sampled value on the command line, by the name it follows (v1's parameter name).
_SAMPLED = "<sampled %s>"


def _v2_argv(job: dict, _) -> list[str]:
    """`shlex.split(command)`; in a sweep trial, `${{inputs.x}}` of a searched x as the sampled value
    of the name before it (v1 named a sampled parameter by its flag, v2 by its input)."""
    tokens = shlex.split(job["component"]["command"])
    searched = set(job.get("search_space") or {})
    for index, token in enumerate(tokens):
        found = _INPUT_TOKEN.fullmatch(token)
        if found and found.group(1) in searched and index > 0:
            tokens[index] = _SAMPLED % tokens[index - 1]
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
    for name, ref in _v1_references(d).items():
        inputs[name] = {"path": f"azureml://datastores/{ref['dataStoreName']}/paths/{ref.get('pathOnDataStore') or ''}",
                        "mode": _reference_mode(ref.get("mode")),
                        "path_on_compute": ref.get("pathOnCompute")}
        if ref.get("overwrite"):
            inputs[name]["overwrite"] = True
    return inputs


def _v2_inputs(job: dict, _) -> dict:
    searched = set(job.get("search_space") or {})  # a sweep's searched inputs are its `sweep` field
    return {name: {"path": value.get("path"), "mode": value.get("mode"), "path_on_compute": None}
            for name, value in (job.get("inputs") or {}).items() if isinstance(value, dict) and name not in searched}


# HyperDrive's names for the sampling algorithms and parameter expressions' parameters, as v2's.
_ALGORITHMS = {"RANDOM": "random", "GRID": "grid", "BayesianOptimization": "bayesian"}
_EXPRESSION_PARAMETERS = {
    "choice": ("values",), "randint": ("upper",), "uniform": ("min_value", "max_value"),
    "loguniform": ("min_value", "max_value"), "quniform": ("min_value", "max_value", "q"),
    "qloguniform": ("min_value", "max_value", "q"), "normal": ("mu", "sigma"), "lognormal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"), "qlognormal": ("mu", "sigma", "q"),
}
_POLICIES = {"Bandit": "bandit", "MedianStopping": "median_stopping", "TruncationSelection": "truncation_selection"}


def hyperdrive_settings(config) -> dict:
    """What a HyperDriveConfig tells the HyperDrive service besides the child runs' configuration,
    in v2's terms (the v1 side of the `sweep` field)."""
    generator = config._generator_config
    policy = config._policy_config
    return {
        "algorithm": _ALGORITHMS.get(generator["name"], generator["name"]),
        "algorithm_properties": generator.get("properties") or None,
        "space": {_as_flag(flag): {"type": kind, **dict(zip(_EXPRESSION_PARAMETERS.get(kind, ()), arguments))}
                  for flag, (kind, arguments) in generator["parameter_space"].items()},
        "objective": {"goal": config._primary_metric_config["goal"].lower(),
                      "primary_metric": config._primary_metric_config["name"]},
        "max_total_trials": config._max_total_runs, "max_concurrent_trials": config._max_concurrent_runs,
        "timeout": config._max_duration_minutes * 60,
        "early_termination": None if policy["name"] == "Default" else {
            "type": _POLICIES.get(policy["name"], policy["name"]), **policy.get("properties", {})},
    }


def _v1_sweep(d: dict, _) -> dict | None:
    return d.get("hyperdrive")


def _v2_sweep(job: dict, _) -> dict | None:
    """A sweep job's search, with each searched input named by the flag before it on the command line
    (`_v2_argv`), as v1 named it."""
    if "search_space" not in job:
        return None
    tokens = shlex.split(job["component"]["command"])
    flags = {found.group(1): tokens[index - 1] for index, token in enumerate(tokens) if index > 0
             for found in [_INPUT_TOKEN.fullmatch(token)] if found}
    algorithm = job.get("sampling_algorithm")
    properties = None
    if isinstance(algorithm, dict):
        properties = {k: v for k, v in algorithm.items() if k != "type"} or None
        algorithm = algorithm.get("type")
    limits = job.get("sweep_limits") or {}
    policy = job.get("early_termination")
    return {
        "algorithm": algorithm, "algorithm_properties": properties,
        "space": {flags.get(name, f"<input {name} not on the command line>"): dict(space)
                  for name, space in job["search_space"].items()},
        "objective": dict(job.get("objective") or {}),
        "max_total_trials": limits.get("max_total_trials"), "max_concurrent_trials": limits.get("max_concurrent_trials"),
        "timeout": limits.get("timeout"),
        "early_termination": None if not policy else {k: v for k, v in policy.items()
                                                     if not (k in ("slack_factor", "slack_amount") and not v)},
    }


def _as_command(job: dict) -> dict:
    """A sweep job read as the command job its trials run (their command, environment, resources,
    distribution and variables are the trial's; the compute and the inputs' data are the sweep's, and
    each trial's time limit is the sweep's trial_timeout), with the sweep's own settings beside it."""
    if job.get("type") != "sweep":
        return job
    trial = job["trial"]
    limits = dict(job.get("limits") or {})
    command = {key: trial.get(key) for key in ("environment", "environment_variables", "resources", "distribution")}
    # The sweep's inputs bind the data; the trial's only declare them.
    command.update(inputs=job.get("inputs"), component=trial, compute=job.get("compute"), limits={"timeout": limits.get("trial_timeout")},
                   search_space=job.get("search_space"), sampling_algorithm=job.get("sampling_algorithm"),
                   objective=job.get("objective"), early_termination=job.get("early_termination"),
                   sweep_limits={k: v for k, v in limits.items() if k != "trial_timeout"})
    return command


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
    if str(communicator).lower() in ("gloo", "nccl"):
        # torch.distributed: the v1 run's PyTorch section counts processes on all nodes (none given:
        # one per node); the backend is the script's own choice (init_process_group), not the launcher's.
        total = (d.get("pytorch") or {}).get("processCount") or d["nodeCount"]
        per_node = total // d["nodeCount"] if total % d["nodeCount"] == 0 else f"<{total} over {d['nodeCount']} nodes>"
        return {"type": "pytorch", "process_count_per_instance": per_node}
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
    if found["type"] == "pytorch":
        return {"type": "pytorch", "process_count_per_instance": found.get("process_count_per_instance") or 1}
    return dict(found)


def _v1_compute(d: dict, _):
    if d["target"] != "amlcompute":
        return d["target"]
    aml = d.get("amlcompute") or {}
    return {"serverless": aml.get("vmSize"), "low_priority": (aml.get("vmPriority") or "dedicated") == "lowpriority"}


def _v2_compute(job: dict, _):
    if job.get("compute"):
        return _strip(job["compute"])
    return {"serverless": (job.get("resources") or {}).get("instance_type"),
            "low_priority": ((job.get("queue_settings") or {}).get("job_tier") or "").lower() == "spot"}


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
          _v1_argv, _v2_argv),
    Field("inputs", "each dataset input by name: the data asset (registered name and version; 'latest' when "
          "the v1 code asked for the latest), and how it is delivered (v1 mount = v2 ro_mount, download = "
          "download); each DataReference as azureml://datastores/<store>/paths/<path>, downloaded (a v1 mount "
          "of it was writable, which no v2 input is, so it equals a v2 ro_mount only for a job that only reads it, "
          "read-only-mount; v1's overwrite has no v2 form)", _v1_inputs, _v2_inputs),
    Field("container", "whether the job runs in a Docker container: v2 jobs always do (for a job that runs the "
          "same either way, runs-in-a-container, v1's setting makes no difference to it)",
          lambda d, e: bool(d["docker"]["useDocker"]) or CONTAINER in assumed(), lambda j, e: True),
    Field("image", "the base image of the environment, with the registry v1 pulled it from (the service "
          "pulled <address>/<image> for a base_image_registry with an address)", _v1_image,
          lambda j, e: _v2_environment(j).get("image")),
    Field("registry_credentials", "whether the image was pulled with credentials of the run's own (v1's "
          "base_image_registry username, password or identity): a v2 job has no place for them",
          lambda d, e: any((d["environment"]["docker"].get("baseImageRegistry") or {}).get(key)
                           for key in ("username", "password", "registryIdentity")),
          lambda j, e: False),
    Field("dockerfile", "a Dockerfile to build instead of an image",
          lambda d, e: d["environment"]["docker"]["baseDockerfile"], lambda j, e: _v2_environment(j).get("build")),
    Field("conda", "the conda specification built on the image (None: the image's own python is used)",
          _v1_conda, lambda j, e: _v2_environment(j).get("conda_file")),
    Field("compute", "the compute the job runs on, by name (v2 writes azureml:<name>); run-based compute (a "
          "cluster the service made for the run, v1's target 'amlcompute') as v2's serverless compute: the VM size "
          "(v2's instance_type) and whether it was low priority (v2's spot job tier)", _v1_compute, _v2_compute),
    Field("instance_count", "how many nodes run the job (v2 leaves it unset for one)", lambda d, e: d["nodeCount"],
          lambda j, e: (j.get("resources") or {}).get("instance_count") or 1),
    Field("distribution", "the launcher and its counts: MPI processes per node, TensorFlow workers and "
          "parameter servers (v2's parameter_server_count defaults to 0, v1's to 1), torch.distributed processes "
          "per node (v1's PyTorch process_count counts all nodes, none meaning one per node; Gloo or Nccl is the "
          "script's own init_process_group choice, which no launcher variable carries)", _v1_distribution,
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
    Field("data_references", "DataReferences that are not a mount or download of a datastore path (an upload): "
          "v2 has no form for them (the rest are inputs); the v1 source directory's own datastore (set for "
          "node_count > 1) is how v1 shipped the snapshot, not data the script reads",
          lambda d, e: sorted(k for k, ref in _v1_references(d).items() if ref.get("mode") not in _REFERENCE_MODES),
          lambda j, e: []),
    Field("sweep", "a HyperDrive run's search (None for a plain job), in v2's terms: the sampling algorithm; "
          "each sampled parameter's distribution by the flag it follows on the command line (HyperDrive "
          "appended `name value` to the child runs' arguments, v2 substitutes ${{inputs.x}}); the primary "
          "metric and goal; max total and concurrent trials (v1 runs max_total_runs at once when "
          "max_concurrent_runs is not given); the whole run's timeout in seconds (v1's "
          "max_duration_minutes, 10080 by default); the early termination policy with every count (v1's "
          "NoTerminationPolicy is none); the trials' own command line, environment and time limit are the "
          "fields above", _v1_sweep, _v2_sweep),
)


def check(original: str, migrated: str, workdir: str, require_jobs: bool = False, assume=(),
          mixed: bool = False) -> list[str]:
    """The differences between what a v1 program and its v2 migration submit ([] when equal); like
    the v1 oracle's check, a job that differs is also compared with the original run again under
    each `rerun` normalization (the framework's full build, when the original ran a private
    prebuilt image). With `require_jobs`, ExecutionFailed when the original submits nothing.
    `assume`: the named assumptions the migration relied on (read-only-mount: `_reference_mode`).
    `mixed`: the migrated program may still submit the calls left as they were through v1 (`execute_v2`)."""
    from estimig.oracle import reruns

    with assuming(assume):
        before = execute_v1(original, "before.py", workdir)
        if require_jobs and not before:
            raise ExecutionFailed("before.py: submits nothing, so the oracle would prove nothing")
        after = execute_v2(migrated, "after.py", workdir, mixed)
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
    its name; one on no command line, with the one v2 input on none that delivers the same data."""
    return compare(_paired(before, after), after, *(_paired(other, after) for other in alternatives))


def _paired(before: list[dict], after: list[dict]) -> list[dict]:
    paired = []
    for v1, v2 in zip(before, after):
        v1 = dict(v1, argv=list(v1["argv"]), inputs=dict(v1["inputs"]))
        for index, token in enumerate(v1["argv"]):
            generated = re.fullmatch(r"\$\{\{inputs\.(<dataset_input_\d+>|<data_reference_\d+>)\}\}", token)
            theirs = _INPUT_TOKEN.fullmatch(v2["argv"][index]) if index < len(v2["argv"]) else None
            if generated and theirs and generated.group(1) in v1["inputs"] and theirs.group(1) not in v1["inputs"]:
                v1["inputs"][theirs.group(1)] = v1["inputs"].pop(generated.group(1))
                v1["argv"] = [t.replace(generated.group(1), theirs.group(1)) for t in v1["argv"]]
        _pair_unlisted(v1, v2)
        paired.append(v1)
    return paired + before[len(after):]


def _pair_unlisted(v1: dict, v2: dict) -> None:
    """A generated v1 input on no command line (its argument was dropped: a sampled key, say) was
    mounted under a name no script could know: it pairs with the one v2 input on no command line that
    names the same data, delivered the same way."""
    def unlisted(essence, name):
        return not any(f"${{{{inputs.{name}}}}}" in token for token in essence["argv"])

    for name in [n for n in v1["inputs"] if re.fullmatch(r"<dataset_input_\d+>|<data_reference_\d+>", n)]:
        if not unlisted(v1, name):
            continue
        matches = [other for other, value in v2["inputs"].items() if other not in v1["inputs"]
                   and unlisted(v2, other) and value == v1["inputs"][name]]
        if len(matches) == 1:
            v1["inputs"][matches[0]] = v1["inputs"].pop(name)


def essence_v1(serialized: dict, experiment: str) -> dict:
    return {f.name: f.v1(serialized, experiment) for f in ESSENCE}


def essence_v2(job: dict, experiment: str | None) -> dict:
    job = _as_command(job)
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
        found = [essence_v1(_with_hyperdrive(as_submitted(s, session)), s.experiment) for s in submissions]
    return _relative_code(found, workdir)


def _with_hyperdrive(config) -> dict:
    """The normalized RunConfiguration a submission's runs get, and for a HyperDriveConfig its search."""
    from azureml.train.hyperdrive import HyperDriveConfig

    serialized = normalize(serialize(config))
    if isinstance(config, HyperDriveConfig):
        serialized["hyperdrive"] = hyperdrive_settings(config)
    return serialized


def execute_v2(code: str, filename: str, workdir: str, mixed: bool = False) -> list[dict]:
    """Run a migrated program offline; the essence of each v2 job it submits. A v1 submission left in
    it fails the run (the migration must submit through v2), unless `mixed`: a file some of whose calls
    were left as they were (with their reason) then gives every job in the order it was submitted, a
    v1 one by its v1 essence."""
    from estimig.offline import offline_sdk
    from estimig.offline_v2 import offline_ml_client

    v2_before: list[int] = []  # for each v1 submission, how many v2 ones came before it

    def counted(submission):
        v2_before.append(len(v2.submissions))

    with offline_sdk(on_submit=counted) as session, _registered_datasets(), offline_ml_client() as v2:
        _run(code, filename, workdir, session)
        if session.submissions and not mixed:
            raise ExecutionFailed(f"{filename}: still submits {len(session.submissions)} job(s) through SDK v1")
        v1_jobs = [(position, essence_v1(_with_hyperdrive(as_submitted(s, session)), s.experiment))
                   for position, s in zip(v2_before, session.submissions)]
        found = [essence_v2(s.job, s.experiment) for s in v2.submissions]
    for offset, (position, job) in enumerate(v1_jobs):
        found.insert(position + offset, job)
    return _relative_code(found, workdir)


def _relative_code(essences: list[dict], workdir: str) -> list[dict]:
    """Each job's code folder relative to the program's folder, where both programs run from."""
    for essence in essences:
        essence["code"] = os.path.relpath(os.path.join(workdir, essence["code"]), workdir)
    return essences
