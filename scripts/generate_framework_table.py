"""Write estimig/data/frameworks.json from the installed azureml-train-core's own data.

The framework estimators (PyTorch, TensorFlow, Chainer, SKLearn) build their environment from
scenario files shipped inside azureml-train-core (`azureml/train/estimator/scenarios/
<framework>-<version>-<cpu|gpu>.yml`) and from class attributes (FRAMEWORK_NAME, DEFAULT_VERSION,
the private registry, the regions without cached images). This script reads them with the SDK's
own loader and records what the environment concern needs, so estimig can migrate framework
estimators without the SDK installed.

Run it again when the SDK changes:  python scripts/generate_framework_table.py
Check that the table is current:     python scripts/generate_framework_table.py --check
"""

from __future__ import annotations

import sys

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
import generated_table  # noqa: E402  (scripts/ is not a package)
from importlib import metadata
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "estimig" / "data" / "frameworks.json"


def build() -> dict:
    from azureml.core.conda_dependencies import CondaDependencies
    from azureml.core.runconfig import DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE
    from azureml.exceptions import TrainingException
    from azureml.train.dnn import Chainer, PyTorch, TensorFlow
    from azureml.train.estimator import _framework_base_estimator as base
    from azureml.train.sklearn import SKLearn

    default = CondaDependencies()
    table = {
        "sdk": {"azureml-train-core": metadata.version("azureml-train-core"),
                "azureml-core": metadata.version("azureml-core")},
        "private_registry": base._FrameworkBaseEstimator._ACR_ADDRESS,
        "non_cached_regions": list(base._NON_CACHED_REGIONS),
        # CondaDependencies() as the SDK builds it: what an estimator starts from.
        "default_conda": {
            "python": default.get_python_version(),
            "conda_packages": [p for p in default.conda_packages if not _is_python(p)],
            "pip_packages": list(default.pip_packages),
            "channels": list(default.conda_channels),
        },
        # The constants' values when the table was made: a scenario image equal to one of them is
        # written as the constant.
        "default_images": {"DEFAULT_CPU_IMAGE": DEFAULT_CPU_IMAGE, "DEFAULT_GPU_IMAGE": DEFAULT_GPU_IMAGE},
        "frameworks": {},
    }
    for cls in (PyTorch, TensorFlow, Chainer, SKLearn):
        versions = {}
        for version in cls.get_supported_versions():
            processors = {}
            for processor in ("cpu", "gpu"):
                estimator = object.__new__(cls)
                estimator._framework_name = cls.FRAMEWORK_NAME
                estimator._framework_version = version
                estimator._framework_processor = processor
                try:
                    image, dependencies = estimator._load_from_scenario_file()
                except TrainingException:  # the SDK ships no scenario for this processor (SKLearn: cpu only)
                    continue
                processors[processor] = {
                    "base_image": image,
                    "python": dependencies.get_python_version(),
                    "conda_packages": [p for p in dependencies.conda_packages if not _is_python(p)],
                    "pip_packages": list(dependencies.pip_packages),
                    "channels": list(dependencies.conda_channels),
                }
            versions[version] = processors
        table["frameworks"][cls.FRAMEWORK_NAME] = {"default_version": cls.DEFAULT_VERSION, "versions": versions}
    return table


def _is_python(package: str) -> bool:
    from azureml.core.conda_dependencies import CondaDependencies

    return CondaDependencies._get_package_name(package) == "python"


def render(table: dict) -> str:
    return generated_table.render(table)


def main(argv: list[str] | None = None) -> int:
    return generated_table.main(OUTPUT, build, __doc__.splitlines()[0], "generate_framework_table.py", argv)


if __name__ == "__main__":
    sys.exit(main())
