"""The shim's configuration: where datasets, datastores and compute targets live on this machine.

Read from `estimig.yaml` (top-level keys below) or `pyproject.toml` `[tool.estimig.runtime]`, found
next to the submit script or in a parent folder. Everything has a default, so most jobs need none:

    datastores: {workspaceblobstore: ./data}      # default: ./data/<name>, else ./data for the default store
    datasets: {mnist: ./data/mnist}               # default: the dataset's path on its datastore
    compute:                                      # default: any target, any node count, no GPUs
      gpu-cluster: {nodes: 2, processes_per_node: 2, gpus: 0}
    backend: local                                # local | docker
    venv: false                                   # local: build a virtualenv from the Environment's pip packages
    docker: {images: {"mcr.microsoft.com/azureml/*": estimig-base:bookworm}}  # base image -> local image
                                                  # default: every base image -> estimig-base:bookworm
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimig.runtime.errors import MappingMissing, UsageError

DEFAULT_IMAGE = "estimig-base:bookworm"


@dataclass
class ComputeLayout:
    name: str
    nodes: int | None = None  # None: as many as the job asks for
    processes_per_node: int | None = None  # None: as the job's distribution says
    gpus: int = 0


@dataclass
class RuntimeConfig:
    base: Path  # relative paths in the config are relative to this folder
    datastores: dict[str, str] = field(default_factory=dict)
    datasets: dict[str, str] = field(default_factory=dict)
    compute: dict[str, ComputeLayout] = field(default_factory=dict)
    backend: str = "local"
    venv: bool = False
    images: dict[str, str] = field(default_factory=dict)
    source: str = "defaults"  # the file it was read from, for messages

    def _path(self, value: str) -> Path:
        path = Path(os.path.expanduser(value))
        return path if path.is_absolute() else (self.base / path)

    def datastore_root(self, name: str, default_store: str) -> Path:
        if name in self.datastores:
            return self._path(self.datastores[name])
        candidate = self.base / "data" / name
        if candidate.is_dir():
            return candidate
        if name == default_store and (self.base / "data").is_dir():
            return self.base / "data"
        raise MappingMissing(
            f"datastore '{name}' has no local folder: add 'datastores: {{{name}: PATH}}' to estimig.yaml"
            f" or create {candidate}"
        )

    def dataset_path(self, registered_name: str | None, datastore: str, path: str, default_store: str) -> Path:
        if registered_name and registered_name in self.datasets:
            return self._path(self.datasets[registered_name])
        try:
            root = self.datastore_root(datastore, default_store)
        except MappingMissing:
            root = None
        local = (root / path) if root is not None else None
        if local is None or not local.exists():
            name = registered_name or path
            raise MappingMissing(
                f"dataset '{name}' has no local folder: add 'datasets: {{{name}: PATH}}' to estimig.yaml"
                + (f" or create {local}" if local is not None else "")
            )
        return local

    def layout(self, target: str | None) -> ComputeLayout:
        name = target or "local"
        if name in self.compute:
            return self.compute[name]
        # An explicit compute map is a promise that it lists every target the jobs use.
        if self.compute and name != "local":
            known = ", ".join(sorted(self.compute))
            raise MappingMissing(
                f"compute target '{name}' has no local layout (known: {known}): add"
                f" 'compute: {{{name}: {{nodes: N}}}}' to {self.source}"
            )
        return ComputeLayout(name)

    def image_for(self, base_image: str | None) -> str:
        for pattern, local in self.images.items():
            if base_image and fnmatch.fnmatchcase(base_image, _sdk_image(pattern)):
                return local
        return self.images.get("*", DEFAULT_IMAGE)


def _sdk_image(pattern: str) -> str:
    """`DEFAULT_CPU_IMAGE` / `DEFAULT_GPU_IMAGE` as keys of `images:` mean the SDK's constants."""
    if pattern in ("DEFAULT_CPU_IMAGE", "DEFAULT_GPU_IMAGE"):
        try:
            from azureml.core import runconfig
        except ImportError:
            return pattern
        return getattr(runconfig, pattern)
    return pattern


def _find(start: Path) -> tuple[Path, dict[str, Any], str] | None:
    for folder in [start, *start.parents]:
        yaml_file = folder / "estimig.yaml"
        if yaml_file.is_file():
            import yaml

            try:
                data = yaml.safe_load(yaml_file.read_text()) or {}
            except yaml.YAMLError as exc:
                raise UsageError(f"{yaml_file}: not valid YAML ({str(exc).splitlines()[0]})") from None
            # A project-wide estimig.yaml may keep the shim's keys under `runtime:`.
            if isinstance(data, dict) and isinstance(data.get("runtime"), dict):
                data = data["runtime"]
            return folder, data, str(yaml_file)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            import tomllib

            try:
                tool = tomllib.loads(pyproject.read_text()).get("tool", {}).get("estimig", {})
            except tomllib.TOMLDecodeError as exc:
                raise UsageError(f"{pyproject}: not valid TOML ({exc})") from None
            if "runtime" in tool:
                return folder, tool["runtime"], f"{pyproject} [tool.estimig.runtime]"
    return None


def load_config(start: Path, explicit: Path | None = None) -> RuntimeConfig:
    """The config for a submit script in folder `start` (or the file given with --config)."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"config file not found: {explicit}")
        found = _find_file(explicit)
    else:
        found = _find(start.resolve())
    if found is None:
        return RuntimeConfig(base=start.resolve())
    base, data, source = found
    if not isinstance(data, dict):
        raise UsageError(f"{source}: expected a mapping at the top level")
    known = {"datastores", "datasets", "compute", "backend", "venv", "images", "docker"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{source}: unknown key '{unknown[0]}' (known: {', '.join(sorted(known))})")
    compute = {}
    for name, layout in (data.get("compute") or {}).items():
        layout = layout or {}
        bad = sorted(set(layout) - {"nodes", "processes_per_node", "gpus"})
        if bad:
            raise UsageError(f"{source}: compute '{name}': unknown key '{bad[0]}'")
        compute[name] = ComputeLayout(name, layout.get("nodes"), layout.get("processes_per_node"), int(layout.get("gpus", 0)))
    # The docker backend's settings may sit under `docker:` (`docker: {images: {...}}`); a top-level
    # `images:` means the same.
    docker_section = data.get("docker") or {}
    if not isinstance(docker_section, dict):
        raise UsageError(f"{source}: 'docker' must be a mapping (docker: {{images: {{BASE_IMAGE: LOCAL_IMAGE}}}})")
    bad = sorted(set(docker_section) - {"images"})
    if bad:
        raise UsageError(f"{source}: docker: unknown key '{bad[0]}' (known: images)")
    images = {str(k): str(v) for k, v in (data.get("images") or {}).items()}
    images.update({str(k): str(v) for k, v in (docker_section.get("images") or {}).items()})
    backend = data.get("backend", "local")
    if backend not in ("local", "docker"):
        raise UsageError(f"{source}: backend must be 'local' or 'docker', not '{backend}'")
    return RuntimeConfig(
        base=base,
        datastores={str(k): str(v) for k, v in (data.get("datastores") or {}).items()},
        datasets={str(k): str(v) for k, v in (data.get("datasets") or {}).items()},
        compute=compute,
        backend=backend,
        venv=bool(data.get("venv", False)),
        images=images,
        source=source,
    )


def _find_file(path: Path):
    folder = path.resolve().parent
    if path.name == "pyproject.toml":
        found = _find(folder)
        if found is None or found[0] != folder:
            raise UsageError(f"{path}: no [tool.estimig.runtime] table")
        return found
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if isinstance(data, dict) and isinstance(data.get("runtime"), dict):
        data = data["runtime"]
    return folder, data, str(path)
