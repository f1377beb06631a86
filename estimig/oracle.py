"""The oracle: run original and migrated code with the real SDK and compare what each submits.

Each side is executed with the service boundary replaced (`estimig.offline`). Every submitted (or,
for code that never submits, every constructed) Estimator or ScriptRunConfig is turned into the
RunConfiguration the service would receive: an Estimator through its own
`_get_script_run_config()`, both through `get_run_config_from_script_run`, as SPEC.md defines.
The serialized dictionaries are compared after the normalizations in `NORMALIZATIONS`, the one
list of differences that do not change what runs.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
from dataclasses import dataclass
from typing import Any, Callable

from estimig.offline import OfflineSession, offline_sdk


@dataclass(frozen=True)
class Normalization:
    name: str
    reason: str
    apply: Callable[[dict], None]


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


def _data_reference_names(d: dict) -> None:
    """Rename data references by order of appearance: the SDK names them with random ids."""
    refs = d.get("dataReferences") or {}
    if not refs:
        return
    text = json.dumps(d.get("arguments"), default=str)
    renames = {}
    for i, name in enumerate(sorted(refs, key=lambda n: (text.find(n) if n in text else len(text), n))):
        if len(name) == 32 and all(c in "0123456789abcdef" for c in name):
            renames[name] = f"<data_reference_{i}>"
    d["dataReferences"] = {renames.get(k, k): _rename(v, renames) for k, v in refs.items()}
    d["arguments"] = _rename(d.get("arguments"), renames)


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
)


def normalize(serialized: dict) -> dict:
    result = copy.deepcopy(serialized)
    for normalization in NORMALIZATIONS:
        normalization.apply(result)
    return result


class ExecutionFailed(Exception):
    """The code under test raised while running against the stand-ins."""


def run_config_of(config: Any):
    """The RunConfiguration the service would receive for a submitted Estimator or ScriptRunConfig."""
    from azureml.core.script_run_config import ScriptRunConfig, get_run_config_from_script_run
    from azureml.train.estimator._mml_base_estimator import MMLBaseEstimator

    if isinstance(config, MMLBaseEstimator):
        config = config._get_script_run_config()
    if not isinstance(config, ScriptRunConfig):
        raise TypeError(f"cannot compare a submitted {type(config).__name__}")
    return get_run_config_from_script_run(config), config.source_directory


def serialize(config: Any) -> dict:
    from azureml.core._serialization_utils import _serialize_to_dict

    run_config, source_directory = run_config_of(config)
    serialized = _serialize_to_dict(run_config)
    serialized["arguments"] = [_argument(a) for a in run_config.arguments or []]
    serialized["sourceDirectory"] = os.path.normpath(source_directory or ".")
    return json.loads(json.dumps(serialized, default=str))


def _argument(value: Any) -> Any:
    """Arguments as the service receives them: datasets by their input name, the rest unchanged."""
    from azureml.data.constants import _DATASET_ARGUMENT_TEMPLATE
    from azureml.data.dataset_consumption_config import DatasetConsumptionConfig

    if isinstance(value, DatasetConsumptionConfig):
        return _DATASET_ARGUMENT_TEMPLATE.format(value.name)
    return value


def execute(code: str, filename: str, workdir: str) -> list[dict]:
    """Run `code` with the stand-ins from `workdir`; return the normalized RunConfigurations."""
    with offline_sdk() as session:
        _run(code, filename, workdir, session)
        # Snapshot first: serializing an estimator constructs a ScriptRunConfig of its own.
        configs = [s.config for s in session.submissions] or list(session.constructed)
        return [normalize(serialize(config)) for config in configs]


def _run(code: str, filename: str, workdir: str, session: OfflineSession) -> None:
    previous = os.getcwd()
    os.chdir(workdir)
    namespace = {"__name__": "__main__", "__file__": os.path.join(workdir, os.path.basename(filename))}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, filename, "exec"), namespace)
    except Exception as exc:
        raise ExecutionFailed(f"{filename}: {type(exc).__name__}: {exc}") from exc
    finally:
        os.chdir(previous)


def compare(before: list[dict], after: list[dict]) -> list[str]:
    """Human-readable differences between two lists of normalized RunConfigurations ([] if equal)."""
    if len(before) != len(after):
        return [f"the original submits {len(before)} job(s), the migrated code {len(after)}"]
    differences = []
    for i, (a, b) in enumerate(zip(before, after)):
        differences.extend(f"job {i}: {path}: {x!r} != {y!r}" for path, x, y in _diff(a, b))
    return differences


def _diff(a: Any, b: Any, path: str = ""):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _diff(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{path}.{key}" if path else key)
    elif a != b or type(a) is not type(b):
        yield path, a, b
