"""What every backend does the same way: the run folder, the shim, the snapshot, Azure ML's variables,
and the process bookkeeping (deadline, kill on timeout or Ctrl-C, log tails)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from estimig.offline import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE
from estimig.runtime import context
from estimig.runtime.errors import JobTimeout
from estimig.runtime.spec import JobSpec

SNAPSHOT_IGNORE = shutil.ignore_patterns("__pycache__", ".git", "*.pyc", "outputs", "logs")


@dataclass
class JobResult:
    spec: JobSpec
    run_id: str
    run_root: Path
    trace_dir: Path
    node_dirs: list[Path]
    exit_codes: dict[str, int] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    backend: str = "local"

    def failed(self) -> dict[str, int]:
        return {name: code for name, code in self.exit_codes.items() if code != 0}

    def log_tail(self, lines: int = 15) -> str:
        parts = []
        for name in self.failed() or self.exit_codes:
            path = self.logs.get(name)
            if path is not None and path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {name} (exit {self.exit_codes[name]}), last {len(text)} lines:")
                parts.extend("    " + line for line in text)
        return "\n".join(parts)


def new_run_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="estimig-run-"))


def write_shim(run_root: Path) -> Path:
    shim = run_root / "shim"
    shim.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(context.__file__, shim / "sitecustomize.py")
    return shim


def snapshot(spec: JobSpec, target: Path) -> None:
    """The working directory Azure ML gives each node: a copy of source_directory."""
    shutil.copytree(spec.source_directory, target, ignore=SNAPSHOT_IGNORE, symlinks=True)


def azureml_variables(spec: JobSpec, run_id: str) -> dict[str, str]:
    return {
        "AZUREML_RUN_ID": run_id,
        "AZUREML_ARM_SUBSCRIPTION": SUBSCRIPTION,
        "AZUREML_ARM_RESOURCEGROUP": RESOURCE_GROUP,
        "AZUREML_ARM_WORKSPACE_NAME": WORKSPACE,
        "AZUREML_ARM_PROJECT_NAME": spec.experiment,
        "AZUREML_EXPERIMENT_NAME": spec.experiment,
        "AZUREML_COMPUTE_TARGET": spec.target,
        "PYTHONUNBUFFERED": "1",
    }


def new_run_id(spec: JobSpec) -> str:
    return f"{spec.experiment}_{int(time.time())}_{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Prepared:
    """What every backend sets up the same way before it starts processes."""

    run_id: str
    shim: Path
    trace_dir: Path
    staged: dict  # input name -> local path
    input_env: dict
    datasets: dict
    arguments: list


def prepare(spec: JobSpec, config, run_root: Path) -> Prepared:
    """Run id, the in-job shim, the trace folder, and the job's inputs staged and resolved."""
    from estimig.runtime import data

    run_id = new_run_id(spec)
    shim = write_shim(run_root)
    trace_dir = run_root / "trace"
    trace_dir.mkdir()
    staged = {key: str(path) for key, path in data.stage_inputs(spec, config, run_root).items()}
    input_env, datasets = data.input_variables(spec, staged)
    return Prepared(run_id, shim, trace_dir, staged, input_env, datasets, data.resolve_arguments(spec.arguments, staged))


def kill_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def wait_all(processes: dict[str, subprocess.Popen], timeout: float | None, result: JobResult) -> None:
    """Wait for every process; on timeout or Ctrl-C kill them all (their whole process groups)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        pending = dict(processes)
        while pending:
            for name, process in list(pending.items()):
                code = process.poll()
                if code is not None:
                    result.exit_codes[name] = code
                    del pending[name]
            # A rank that failed leaves the others waiting on it forever: stop them, as Azure ML does.
            if any(code != 0 for code in result.exit_codes.values()) and pending:
                time.sleep(2)
                for name, process in pending.items():
                    kill_group(process)
                    result.exit_codes[name] = process.returncode
                break
            if deadline is not None and time.monotonic() > deadline and pending:
                for process in processes.values():
                    kill_group(process)
                raise JobTimeout(
                    f"job '{result.spec.experiment}' ran past --timeout {timeout:g}s and was stopped;"
                    " raise --timeout or look at the log",
                    detail=result.log_tail(),
                )
            time.sleep(0.05)
    except BaseException:
        for process in processes.values():
            kill_group(process)
        raise
