"""Datasets and DataReferences -> folders on this machine, staged as Azure ML would: a mount is a
link to the mapped folder, a download is a copy. Paths depend only on the datastore and the path
on it, never on the input's (often random) name, so two versions of a job see the same paths."""

from __future__ import annotations

import shutil
from pathlib import Path

from estimig.offline import DEFAULT_DATASTORE
from estimig.runtime.config import RuntimeConfig
from estimig.runtime.spec import InputBinding, JobSpec


def source_folder(binding: InputBinding, config: RuntimeConfig) -> Path:
    if binding.kind == "dataset":
        return config.dataset_path(binding.registered_name, binding.datastore, binding.path, DEFAULT_DATASTORE)
    root = config.datastore_root(binding.datastore, DEFAULT_DATASTORE)
    local = root / binding.path
    if not local.exists():
        from estimig.runtime.errors import MappingMissing

        raise MappingMissing(
            f"data reference '{binding.datastore}/{binding.path}' has no local folder: create {local}"
            f" or map datastore '{binding.datastore}' in estimig.yaml"
        )
    return local


def stage_inputs(spec: JobSpec, config: RuntimeConfig, run_root: Path) -> dict[str, Path]:
    """Host paths for every input, by key: links for mounts, copies for downloads."""
    staged: dict[str, Path] = {}
    for key, binding in sorted(spec.inputs.items()):
        folder = source_folder(binding, config).resolve()
        if binding.mode == "download":
            target = run_root / "dl" / (binding.path_on_compute or key)
            target.parent.mkdir(parents=True, exist_ok=True)
            if folder.is_dir():
                shutil.copytree(folder, target, dirs_exist_ok=True)
            else:
                shutil.copy2(folder, target)
        else:  # mount, direct: the job reads the mapped folder itself
            target = run_root / "mnt" / key
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(folder, target_is_directory=folder.is_dir())
        staged[key] = target
    return staged


def resolve_arguments(arguments: list[str], paths: dict[str, str]) -> list[str]:
    resolved = []
    for value in arguments:
        for key, path in paths.items():
            value = value.replace("{input:" + key + "}", path)
        resolved.append(value)
    return resolved


def input_variables(spec: JobSpec, paths: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """AZUREML_DATAREFERENCE_<name> for every input of a v1 job (v2 puts inputs on the command line
    only), and the named datasets for run.input_datasets."""
    env, datasets = {}, {}
    for key, binding in spec.inputs.items():
        if spec.platform == "v1":
            env[f"AZUREML_DATAREFERENCE_{binding.name}"] = paths[key]
        if binding.kind == "dataset":
            datasets[binding.name] = paths[key]
    return env, datasets
