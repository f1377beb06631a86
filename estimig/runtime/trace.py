"""A finished job as comparable data: the resolved spec, each process's argv, cwd and environment,
exit codes, files under outputs/, metrics. Values that are random by nature are normalized here,
and only here; `NORMALIZED` lists them with the reason (docs/runtime.md repeats it)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from estimig.runtime.execution import JobResult

NORMALIZED = {
    "AZUREML_RUN_ID": "a new id for every run",
    "MASTER_PORT": "a free port chosen per run",
    "AZ_BATCHAI_PYTORCH_INIT_METHOD": "contains MASTER_PORT",
    "TF_CONFIG": "ports chosen per run",
    "AZUREML_DATAREFERENCE_<32 hex>": "DataReference names default to a random uuid",
    "<run folder>": "each run has its own temporary folder",
}
_PORT_RE = re.compile(r":\d{2,5}\b")
_RANDOM_REF_RE = re.compile(r"^AZUREML_DATAREFERENCE_[0-9a-f]{32}$")
# Variables the launcher or the shim set for their own use, or that name the machine, not the job.
_NOISE = {"PWD", "OLDPWD", "SHLVL", "_", "HOSTNAME", "PYTHONPATH", "HOME", "PATH", "LANG", "TERM"}
_NOISE_PREFIXES = ("ESTIMIG_", "PMIX_", "OPAL_", "OMPI_MCA_", "HYDRA_", "PRTE_", "PSM", "HFI_", "IPATH_")
_OMPI_KEPT = {
    "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
    "OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_COMM_WORLD_NODE_RANK", "OMPI_UNIVERSE_SIZE",
}


def _keep(name: str) -> bool:
    if name in _NOISE or name.startswith(_NOISE_PREFIXES):
        return False
    if name.startswith("OMPI_") and name not in _OMPI_KEPT:
        return False
    return True


def normalize_env(env: dict[str, str], base: dict[str, str], run_root: str) -> dict[str, str]:
    """The variables the job added or changed, with the random parts replaced by placeholders."""
    out: dict[str, str] = {}
    random_refs = []
    for name, value in env.items():
        if not _keep(name) or base.get(name) == value:
            continue
        value = value.replace(run_root, "<RUN>")
        if name == "AZUREML_RUN_ID":
            value = "<run-id>"
        elif name == "MASTER_PORT":
            value = "<port>"
        elif name in ("AZ_BATCHAI_PYTORCH_INIT_METHOD", "TF_CONFIG"):
            value = _PORT_RE.sub(":<port>", value)
        if _RANDOM_REF_RE.match(name):
            random_refs.append(value)
            continue
        out[name] = value
    for index, value in enumerate(sorted(random_refs)):
        out[f"AZUREML_DATAREFERENCE_<random-{index}>"] = value
    return dict(sorted(out.items()))


def _files(folder: Path) -> dict[str, str]:
    found = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return found


def build_trace(result: JobResult, base_env: dict[str, str] | None = None) -> dict:
    base_env = dict(os.environ) if base_env is None else base_env
    root = str(result.run_root)
    processes, metrics = {}, {}
    for path in sorted(result.trace_dir.glob("proc-*.json")):
        record = json.loads(path.read_text())
        name = record["proc"]
        processes[name] = {
            "argv": [arg.replace(root, "<RUN>") for arg in record["argv"]],
            "cwd": record["cwd"].replace(root, "<RUN>"),
            "env": normalize_env(record["env"], base_env, root),
            "exception": record["exception"],
        }
        if record["tags"]:
            processes[name]["tags"] = record["tags"]
        metrics[name] = record["metrics"]
    outputs, working = {}, {}
    for index, workdir in enumerate(result.node_dirs):
        node = f"node{index}"
        outputs[node] = _files(workdir / "outputs")
        working[node] = {k: v for k, v in _files(workdir).items() if not k.startswith(("outputs/", "logs/"))}
    return {
        "experiment": result.spec.experiment,
        "backend": result.backend,
        "spec": result.spec.to_dict(),
        "exit_codes": dict(sorted(result.exit_codes.items())),
        "processes": dict(sorted(processes.items(), key=lambda item: _natural(item[0]))),
        "working_files": working,
        "outputs": outputs,
        "metrics": dict(sorted(metrics.items(), key=lambda item: _natural(item[0]))),
    }


def _natural(name: str):
    match = re.match(r"([a-z]+)(\d+)$", name)
    return (match.group(1), int(match.group(2))) if match else (name, 0)
