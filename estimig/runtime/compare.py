"""Compare two versions' job traces; every difference named by where it is in the trace."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# Spec fields that decide how Azure ML builds the image, not what the job does once it runs; the
# oracle compares them exactly. Here they are compared only on a backend where they take effect.
IMAGE_FIELDS = ("base_image", "conda_packages", "docker_enabled", "shm_size", "user_managed")
BACKEND_FIELDS = {"local": IMAGE_FIELDS, "docker": ("conda_packages", "docker_enabled", "user_managed")}


SRC_DEFAULT_MAX_RUN = 2592000


@dataclass
class Difference:
    job: int
    where: str  # e.g. processes.rank0.argv
    old: object
    new: object

    def describe(self) -> str:
        if self.old is _MISSING:
            return f"job {self.job}: {self.where}: only in NEW: {_short(self.new)}"
        if self.new is _MISSING:
            return f"job {self.job}: {self.where}: only in OLD: {_short(self.old)}"
        return f"job {self.job}: {self.where}: {_short(self.old)} -> {_short(self.new)}"

    def as_dict(self) -> dict:
        return {
            "job": self.job,
            "where": self.where,
            "old": None if self.old is _MISSING else self.old,
            "new": None if self.new is _MISSING else self.new,
            "only_in": "new" if self.old is _MISSING else "old" if self.new is _MISSING else None,
        }


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


def _short(value, limit: int = 160) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Comparison:
    old: str
    new: str
    differences: list[Difference] = field(default_factory=list)
    jobs: int = 0
    cross_target: bool = False  # a v1 job against a v2 one: CROSS_TARGET applied

    @property
    def unchanged(self) -> bool:
        return not self.differences


# A v1 job compared with its v2 migration: the variables only v1's platform sets, with why leaving
# them out of the comparison is safe. The v2 migration refuses any argument that names one
# ($AZ_BATCHAI_*, codemods/v2/arguments.py); a script that reads one itself fails or acts
# differently, which its exit codes, outputs and metrics (compared as always) show.
CROSS_TARGET = {
    "AZUREML_DATAREFERENCE_<name>": "v1 also gave each input's path in a variable; v2 gives it on the command line",
    "AZ_BATCH_MASTER_NODE, AZ_BATCHAI_*": "v1's Batch AI launcher variables; v2's launcher sets the standard ones "
                                          "(OMPI_*, RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)",
    "EXAMPLE_ENV_VAR=EXAMPLE_VALUE": "the placeholder the v1 SDK puts in every Environment; no v2 environment "
                                     "has it (the v2 oracle leaves it out too)",
    "distribution.backend": "v1 named torch.distributed's backend (Gloo, Nccl) on the run; v2's PyTorchDistribution "
                            "has none: the script picks it in init_process_group, and both launchers set the same "
                            "variables for either",
}
_V1_PLATFORM = ("AZUREML_DATAREFERENCE_", "AZ_BATCH_MASTER_NODE", "AZ_BATCHAI_")
_PLACEHOLDER = ("EXAMPLE_ENV_VAR", "EXAMPLE_VALUE")


def _v1_platform_removed(trace: dict) -> dict:
    def kept(variables: dict) -> dict:
        return {k: v for k, v in variables.items() if not k.startswith(_V1_PLATFORM) and (k, v) != _PLACEHOLDER}

    trace["spec"]["environment_variables"] = kept(trace["spec"].get("environment_variables") or {})
    for process in trace.get("processes", {}).values():
        process["env"] = kept(process["env"])
    return trace


def _prepare(trace: dict, cross_target: bool = False) -> dict:
    trace = json.loads(json.dumps(trace))
    if cross_target:
        trace["spec"].pop("platform", None)
        (trace["spec"].get("distribution") or {}).pop("backend", None)
        trace = _v1_platform_removed(trace)
    for name in BACKEND_FIELDS.get(trace.get("backend"), ()):
        trace["spec"].pop(name, None)
    # An Estimator leaves it None; a ScriptRunConfig fills in the service's own default (SPEC.md).
    if trace["spec"].get("max_run_duration_seconds") is None:
        trace["spec"]["max_run_duration_seconds"] = SRC_DEFAULT_MAX_RUN

    return trace


def _walk(job: int, where: str, old, new, out: list[Difference]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            path = f"{where}.{key}" if where else str(key)
            _walk(job, path, old.get(key, _MISSING), new.get(key, _MISSING), out)
        return
    # Lists of records (metrics) by index, the first few only; lists of words (argv) whole: a
    # dropped argument reads better in context than as a shifted index.
    if isinstance(old, list) and isinstance(new, list) and old != new and any(isinstance(x, dict) for x in old + new):
        found = [i for i in range(max(len(old), len(new)))
                 if i >= len(old) or i >= len(new) or old[i] != new[i]]
        for i in found[:3]:
            _walk(job, f"{where}[{i}]", old[i] if i < len(old) else _MISSING, new[i] if i < len(new) else _MISSING, out)
        if len(old) != len(new):
            out.append(Difference(job, f"{where} (count)", len(old), len(new)))
        return
    if old != new:
        out.append(Difference(job, where, old, new))


def compare_traces(old_traces: list[dict], new_traces: list[dict], old_name="OLD", new_name="NEW") -> Comparison:
    comparison = Comparison(old_name, new_name, jobs=max(len(old_traces), len(new_traces)))
    if len(old_traces) != len(new_traces):
        comparison.differences.append(Difference(0, "submitted jobs", len(old_traces), len(new_traces)))
    for index, (old, new) in enumerate(zip(old_traces, new_traces)):
        cross = old["spec"].get("platform", "v1") != new["spec"].get("platform", "v1")
        comparison.cross_target = comparison.cross_target or cross
        _walk(index, "", _prepare(old, cross), _prepare(new, cross), comparison.differences)
    return comparison
