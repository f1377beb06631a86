"""Write estimig/data/star_imports.json: the names `from M import *` binds, for the SDK's modules.

estimig resolves names without running code (estimig/analysis.py), so a star import of an Azure ML
module (`from azureml.train.estimator import *`, `from azureml.core import *`) binds nothing it can
see unless it knows the module's public names. This script imports each module below from the
installed SDK and records them:

- `names`: what `from M import *` binds (the module's `__all__`, else its names that do not start
  with an underscore), each mapped to the qualified name estimig gives it: `M.name`, exactly what an
  explicit `from M import name` would give (estimig's tables use the public import path, e.g.
  `azureml.train.dnn.PyTorch`);
- `may_bind`: for a package without `__all__`, its public submodules: `from M import *` binds one
  of them only when something has imported it before, which no table can know; estimig binds none
  of them, but explains a name that resolves to nothing by them.

Submodule attributes of a package without `__all__` are left out of `names` for the same reason
(they depend on what was imported before), which also keeps the output independent of the order
this script imports modules in. Modules that are not installed are skipped.

Run it again when the SDK changes:  python scripts/generate_public_names.py
Check that the table is current:     python scripts/generate_public_names.py --check
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
import generated_table  # noqa: E402  (scripts/ is not a package)
import types
import warnings
from importlib import metadata
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "estimig" / "data" / "star_imports.json"

MODULES = (
    "azureml.core",
    "azureml.core.compute",
    "azureml.core.conda_dependencies",
    "azureml.core.dataset",
    "azureml.core.datastore",
    "azureml.core.environment",
    "azureml.core.experiment",
    "azureml.core.runconfig",
    "azureml.core.script_run_config",
    "azureml.core.workspace",
    "azureml.data",
    "azureml.data.data_reference",
    "azureml.data.dataset_consumption_config",
    "azureml.pipeline.core",
    "azureml.pipeline.steps",
    "azureml.train",
    "azureml.train.dnn",
    "azureml.train.estimator",
    "azureml.train.hyperdrive",
    "azureml.train.sklearn",
    "azureml.widgets",
)
# The distributions those modules come from, recorded with their versions.
DISTRIBUTIONS = ("azureml-core", "azureml-dataset-runtime", "azureml-pipeline-core", "azureml-pipeline-steps",
                 "azureml-train-core", "azureml-widgets")


def public_names(module: types.ModuleType) -> tuple[dict[str, str], list[str]]:
    """(names `from module import *` binds -> qualified name, submodules it may also bind)."""
    prefix = module.__name__
    declared = getattr(module, "__all__", None)
    submodules: list[str] = []
    if declared is not None:
        names = list(declared)
    else:
        names = []
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            if isinstance(value, types.ModuleType) and value.__name__ == f"{prefix}.{name}":
                continue  # bound only if imported before: depends on the session, see may_bind
            names.append(name)
        if hasattr(module, "__path__"):
            submodules = sorted(info.name for info in pkgutil.iter_modules(module.__path__)
                                if not info.name.startswith("_") and info.name not in names)
    return {name: f"{prefix}.{name}" for name in sorted(set(names))}, submodules


def build() -> dict:
    modules = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK's deprecation notices
        for name in MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            names, submodules = public_names(module)
            entry: dict = {"names": names}
            if submodules:
                entry["may_bind"] = submodules
            modules[name] = entry
    sdk = {}
    for distribution in DISTRIBUTIONS:
        try:
            sdk[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return {
        "generated_by": "scripts/generate_public_names.py",
        "sdk": sdk,
        "modules": dict(sorted(modules.items())),
    }


def render(table: dict) -> str:
    return generated_table.render(table)


def main(argv: list[str] | None = None) -> int:
    return generated_table.main(OUTPUT, build, __doc__.splitlines()[0], "generate_public_names.py", argv)


if __name__ == "__main__":
    sys.exit(main())
