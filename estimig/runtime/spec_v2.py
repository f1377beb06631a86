"""A submitted SDK v2 command job (`ml_client.jobs.create_or_update(job)`), as the job Azure ML would
run: the same JobSpec a v1 submission gives, read from `job._to_dict()`.

So that `estimig verify old.py new.py` can compare a v1 original with its `--target v2` migration,
every field is put in the v1 spec's terms: the command line split into script and arguments, each
`${{inputs.x}}` the input it names; a registered data asset (`azureml:name:version`) looked up the
way the v1 program looked up its dataset (through the same offline stand-in, so it stages the same
local folder), a datastore path (`azureml://datastores/<store>/paths/<path>`) as the DataReference
it was; `ro_mount` as a mount; the environment's conda file as its conda and pip packages.
What differs in how v2 launches a job is the launcher's (`estimig.runtime.distribution`), marked by
`platform="v2"`.
"""

from __future__ import annotations

import os
import re
import shlex

from estimig.runtime.errors import UsageError
from estimig.runtime.spec import Distribution, InputBinding, JobSpec, _dataset_binding

_INPUT = re.compile(r"\$\{\{inputs\.(\w+)\}\}")
_ASSET = re.compile(r"azureml:(?P<name>[^:@/]+)(?::(?P<version>[^:@/]+)|@(?P<label>latest))?$")
_DATASTORE_PATH = re.compile(r"azureml://datastores/(?P<store>[^/]+)/paths/(?P<path>.*)$")
_MODES = {"ro_mount": "mount", "rw_mount": "mount", "download": "download", "direct": "direct"}


def build_spec_v2(experiment: str | None, job: dict, workspace) -> JobSpec:
    if job.get("type") != "command":
        raise UsageError(f"cannot run a submitted v2 {job.get('type')} job locally: only command jobs run here")
    component = job["component"]
    tokens = shlex.split(component["command"])
    if len(tokens) < 2 or tokens[0] != "python":
        raise UsageError(f"cannot run the v2 command {component['command']!r} locally: it must be `python <script> ...`")
    inputs: dict[str, InputBinding] = {}
    by_name = {name: _binding(name, value, workspace) for name, value in (job.get("inputs") or {}).items()}

    def resolve(token: str) -> str:
        def sub(match):
            name = match.group(1)
            if name not in by_name:
                raise UsageError(f"the command names ${{{{inputs.{name}}}}}, which the job has no input for")
            binding = by_name[name]
            inputs[binding.key] = binding
            return "{input:" + binding.key + "}"

        return _INPUT.sub(sub, token)

    arguments = [resolve(token) for token in tokens[2:]]
    for binding in by_name.values():  # inputs the command does not name are still staged
        inputs.setdefault(binding.key, binding)
    environment = job.get("environment") if isinstance(job.get("environment"), dict) else {}
    conda = environment.get("conda_file")
    conda_packages = [d for d in (conda or {}).get("dependencies", []) if isinstance(d, str)]
    pip_packages = [p for d in (conda or {}).get("dependencies", []) if isinstance(d, dict) for p in d.get("pip", [])]
    resources = job.get("resources") or {}
    compute = str(job.get("compute") or "local")
    return JobSpec(
        experiment=experiment or job.get("experiment_name") or "Default",
        target=compute[len("azureml:"):] if compute.startswith("azureml:") else compute,
        source_directory=os.path.abspath(component.get("code") or "."),
        script=tokens[1],
        arguments=arguments,
        inputs=inputs,
        environment_variables={str(k): str(v) for k, v in (job.get("environment_variables") or {}).items()},
        distribution=_distribution(job, int(resources.get("instance_count") or 1)),
        pip_packages=pip_packages,
        conda_packages=conda_packages,
        base_image=environment.get("image"),
        docker_enabled=True,  # a v2 job always runs in a container
        shm_size=resources.get("shm_size"),
        user_managed=conda is None,
        max_run_duration_seconds=(job.get("limits") or {}).get("timeout"),
        platform="v2",
    )


def _binding(name: str, value, workspace) -> InputBinding:
    if not isinstance(value, dict) or value.get("type") not in ("uri_folder", "uri_file"):
        raise UsageError(f"cannot run the v2 input {name} locally: only data assets (uri_folder, uri_file) are staged")
    store = _DATASTORE_PATH.match(str(value.get("path") or ""))
    if store is not None:  # a datastore path (a v1 DataReference's), staged from the datastore's folder
        return InputBinding(kind="datareference", name=name, datastore=store["store"], path=store["path"].strip("/"),
                            mode=_MODES.get(str(value.get("mode") or "ro_mount"), str(value.get("mode"))))
    found = _ASSET.match(str(value.get("path") or ""))
    if found is None:
        raise UsageError(f"cannot run the v2 input {name} locally: its path {value.get('path')!r} is not a "
                         "registered data asset (azureml:<name>:<version>) or a datastore path")
    from azureml.core import Dataset

    # Looked up as the v1 program looked its dataset up, so both stage the same local folder.
    dataset = Dataset.get_by_name(workspace, found["name"], found["version"] or "latest")
    mode = _MODES.get(str(value.get("mode") or "ro_mount"), str(value.get("mode")))
    consumption = dataset.as_named_input(name)
    consumption = consumption.as_download() if mode == "download" else consumption.as_mount()
    return _dataset_binding(consumption, name)


def _distribution(job: dict, nodes: int) -> Distribution:
    found = job.get("distribution") or {}
    kind = found.get("type")
    if not kind:
        return Distribution("none", nodes, 1)
    if kind == "mpi":
        return Distribution("mpi", nodes, int(found.get("process_count_per_instance") or 1))
    if kind == "pytorch":
        return Distribution("pytorch", nodes, int(found.get("process_count_per_instance") or 1))
    if kind == "tensorflow":
        workers, servers = int(found.get("worker_count") or 1), int(found.get("parameter_server_count") or 0)
        return Distribution("tensorflow", workers + servers, 1, worker_count=workers, parameter_server_count=servers)
    raise UsageError(f"cannot run a v2 {kind} distribution locally")
