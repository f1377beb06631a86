"""The local backend: each rank a process on this machine, each emulated node its own snapshot folder
and process group; MPI jobs under this machine's `mpirun`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from estimig.runtime.config import RuntimeConfig
from estimig.runtime.distribution import plan_launch
from estimig.runtime.errors import ToolMissing
from estimig.runtime.execution import (
    JobResult, azureml_variables, prepare, snapshot, wait_all,
)
from estimig.runtime.spec import JobSpec


class LocalBackend:
    name = "local"

    def run(self, spec: JobSpec, config: RuntimeConfig, run_root: Path, timeout: float | None,
            use_venv: bool = False) -> JobResult:
        if spec.distribution.kind == "mpi" and shutil.which("mpirun") is None:
            raise ToolMissing(
                "mpirun not found on PATH: install OpenMPI (apt-get install openmpi-bin) or run .ci/setup-runtime.sh"
            )
        interpreter = sys.executable
        if use_venv:
            from estimig.runtime import venv

            # Only the Environment's pip packages (and what they require) importable.
            interpreter = venv.build(spec.pip_packages, run_root / "venv")
        prepared = prepare(spec, config, run_root)
        run_id, shim, trace_dir = prepared.run_id, prepared.shim, prepared.trace_dir
        input_env, datasets, arguments = prepared.input_env, prepared.datasets, prepared.arguments
        command = [interpreter, spec.script, *arguments]
        plan = plan_launch(spec, command, lambda node: "127.0.0.1")

        base = dict(os.environ)
        base["PYTHONPATH"] = os.pathsep.join(p for p in (str(shim), base.get("PYTHONPATH")) if p)
        base.update(azureml_variables(spec, run_id))
        base.update(input_env)
        base.update(spec.environment_variables)
        base.update(plan.env)
        import json

        base.update(
            ESTIMIG_TRACE_DIR=str(trace_dir),
            ESTIMIG_SCRIPT_NAME=os.path.basename(spec.script),
            ESTIMIG_INPUT_DATASETS=json.dumps(datasets),
        )

        result = JobResult(spec, run_id, run_root, trace_dir, [], backend=self.name)
        logs = run_root / "logs"
        logs.mkdir()
        processes: dict[str, subprocess.Popen] = {}
        try:
            for node in plan.nodes:
                workdir = run_root / f"node{node.rank}" / "wd"
                snapshot(spec, workdir)
                result.node_dirs.append(workdir)
                for proc in node.processes:
                    env = dict(base, **proc.env)
                    if not node.mpi:
                        env["ESTIMIG_PROC"] = proc.name
                    log = logs / f"{proc.name}.log"
                    result.logs[proc.name] = log
                    with open(log, "wb") as handle:
                        # A new session per process: the group is what a timeout or Ctrl-C kills.
                        processes[proc.name] = subprocess.Popen(
                            proc.argv, cwd=workdir, env=env, stdout=handle, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                        )
            wait_all(processes, timeout, result)
        except BaseException:
            from estimig.runtime.execution import kill_group

            for process in processes.values():
                kill_group(process)
            raise
        return result
