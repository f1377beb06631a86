"""The concerns: one module per concern, each with a pure `plan(call, options) -> CallPlan`.

A concern module defines `NAME` (equal to its module name), `SUMMARY` (one line, shown by
`--list-concerns`) and `plan`. The registry below imports the modules in a fixed order so the
output does not depend on the file system.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# The order concerns are planned in; the assembler's output does not depend on it except for the
# order of inserted statements.
CONCERN_NAMES = ("core", "arguments", "environment", "datasets", "data_references", "distributed", "uses")

# Which concern answers for each estimator argument. A call whose argument belongs to a disabled
# concern is left untouched and reported, so `--only` can never produce a half-migrated call.
ARGUMENT_OWNERS = {
    **dict.fromkeys(("source_directory", "entry_script", "compute_target", "vm_size", "vm_priority",
                     "max_run_duration_seconds"), "core"),
    "script_params": "arguments",
    **dict.fromkeys(("pip_packages", "conda_packages", "pip_requirements_file", "pip_requirements_file_path",
                     "conda_dependencies_file", "conda_dependencies_file_path", "custom_docker_image",
                     "custom_docker_base_image", "image_registry_details", "use_gpu", "user_managed",
                     "environment_definition", "environment_variables", "use_docker", "shm_size",
                     "framework_version"), "environment"),
    "inputs": "datasets",
    **dict.fromkeys(("source_directory_data_store", "resume_from"), "data_references"),
    **dict.fromkeys(("node_count", "process_count_per_node", "distributed_backend", "distributed_training",
                     "worker_count", "parameter_server_count"), "distributed"),
}

# Concerns every call needs whatever its arguments: an Estimator always builds an environment and
# a Docker setting, so the environment concern must take part even in `Estimator(src, entry_script=...)`.
ALWAYS_REQUIRED = ("core", "environment")


def load_concerns(target: str = "v1") -> dict[str, ModuleType]:
    """The concern modules that exist for a target, by name, in planning order."""
    package = registry(target).__name__
    found = {}
    for name in CONCERN_NAMES:
        try:
            found[name] = importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
    return found


# What the assembler writes for a migrated call of this target, and in which parameter order (None:
# ScriptRunConfig's own, estimig.plan.SCRIPT_RUN_CONFIG_ORDER; not imported here, to keep LibCST lazy).
CALLEE = "ScriptRunConfig"
ORDER = None


def extra_plans(call, options) -> tuple:
    """Plans beside the concerns' own: the v1 concerns cover every argument, so none."""
    return ()


def finish(original, code: str) -> str:
    """The migrated module's code after the target's whole-file pass: none for v1."""
    return code


def registry(target: str = "v1") -> ModuleType:
    """The module that describes a target's concerns: this one for v1, `estimig.codemods.v2` for v2.
    Both name their concerns alike, so `--only` / `--skip` mean the same for either target."""
    import sys

    return importlib.import_module("estimig.codemods.v2") if target == "v2" else sys.modules[__name__]
