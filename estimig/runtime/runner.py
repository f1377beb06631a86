"""Execute a user's submit script with the real SDK; every `exp.submit(...)` runs its job here."""

from __future__ import annotations

import contextlib
import os
import runpy
import shutil
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from estimig.runtime.config import RuntimeConfig, load_config
from estimig.runtime.errors import JobFailed, ShimError, ToolMissing, UsageError


@dataclass
class RunOptions:
    backend: str | None = None  # None: the config's
    timeout: float | None = None
    venv: bool | None = None
    keep: bool = False  # keep run folders (for debugging); otherwise removed
    raise_on_failure: bool = True
    config_file: Path | None = None


@dataclass
class ScriptOutcome:
    script: Path
    traces: list[dict] = field(default_factory=list)
    results: list = field(default_factory=list)
    run_roots: list[Path] = field(default_factory=list)


class LocalSubmittedRun:
    """What `exp.submit(...)` returns under the shim: the finished job, asked about like a Run."""

    def __init__(self, result, trace):
        self.id = result.run_id
        self._result, self._trace = result, trace

    def wait_for_completion(self, show_output=False, **kwargs):
        if show_output:
            for name, log in self._result.logs.items():
                if log.exists():
                    sys.stdout.write(log.read_text(errors="replace"))
        return {"runId": self.id, "status": self.get_status()}

    def get_status(self):
        return "Failed" if self._result.failed() else "Completed"

    def get_metrics(self, *args, **kwargs):
        merged: dict = {}
        for records in self._trace["metrics"].values():
            for record in records:
                merged.setdefault(record["name"], []).append(record["value"])
        return {name: values[0] if len(values) == 1 else values for name, values in merged.items()}

    def get_portal_url(self):
        return ""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


@contextlib.contextmanager
def _as_main(script: Path):
    """Run a script as `python script.py` would: its folder as cwd and sys.path[0], its argv."""
    old_cwd, old_argv, old_path = os.getcwd(), sys.argv[:], sys.path[:]
    os.chdir(script.parent)
    sys.argv = [str(script)]
    sys.path.insert(0, str(script.parent))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.argv, sys.path[:] = old_argv, old_path


def _tag_registered_datasets(stack: contextlib.ExitStack) -> None:
    """Remember the name a dataset was fetched by, so the config's `datasets:` map can find it."""
    from unittest import mock

    from azureml.core import Dataset

    fetch = Dataset.get_by_name

    def get_by_name(workspace, name, version="latest", **kwargs):
        dataset = fetch(workspace, name, version, **kwargs)
        dataset._estimig_registered_name = name
        return dataset

    stack.enter_context(mock.patch.object(Dataset, "get_by_name", staticmethod(get_by_name)))


def _submits_through_v2(script: Path) -> bool:
    """Whether the script imports azure-ai-ml (a `--target v2` migration): then its
    `ml_client.jobs.create_or_update(job)` runs the job too. A cheap text test: azure-ai-ml is only
    imported (it takes a second) when the script names it."""
    return "azure.ai.ml" in script.read_text(encoding="utf-8", errors="replace")


def run_script(script: Path, options: RunOptions, config: RuntimeConfig | None = None) -> ScriptOutcome:
    script = Path(script).resolve()
    if not script.is_file():
        raise UsageError(f"submit script not found: {script}")
    config = config or load_config(script.parent, options.config_file)
    backend_name = options.backend or config.backend
    use_venv = config.venv if options.venv is None else options.venv

    from estimig.offline import SdkMissing, offline_sdk
    from estimig.runtime.backends import get_backend
    from estimig.runtime.execution import new_run_root
    from estimig.runtime.spec import build_spec
    from estimig.runtime.trace import build_trace

    backend = get_backend(backend_name)
    outcome = ScriptOutcome(script)
    base_env = dict(os.environ)

    def on_submit(submission):
        return run_spec(build_spec(submission.experiment, submission.config))

    def on_submit_v2(submission):
        from azureml.core import Workspace

        from estimig.runtime.spec_v2 import build_spec_v2

        run_spec(build_spec_v2(submission.experiment, submission.job, Workspace.from_config()))

    def run_spec(spec):
        layout = config.layout(spec.target)
        if layout.nodes is not None and spec.distribution.node_count > layout.nodes:
            raise UsageError(
                f"job asks for {spec.distribution.node_count} nodes but compute '{layout.name}' maps to"
                f" {layout.nodes}: raise 'nodes' in {config.source}"
            )
        run_root = new_run_root()
        outcome.run_roots.append(run_root)
        kwargs = {"use_venv": use_venv} if backend_name == "local" else {"layout": layout, "use_venv": use_venv}
        # The job starts from this process's environment as it was before the script ran: what the
        # submit script or an SDK set in it since (azure-ai-ml's AZUREML_CURRENT_CLOUD) is not the job's.
        from unittest import mock

        with mock.patch.dict(os.environ, base_env, clear=True):
            result = backend.run(spec, config, run_root, options.timeout, **kwargs)
        trace = build_trace(result, base_env)
        outcome.results.append(result)
        outcome.traces.append(trace)
        if result.failed() and options.raise_on_failure:
            names = ", ".join(f"{n} exited {c}" for n, c in result.failed().items())
            raise JobFailed(f"job '{spec.experiment}' failed ({names}); its log tail is above", detail=result.log_tail())
        return LocalSubmittedRun(result, trace)

    try:
        with offline_sdk(on_submit=on_submit), contextlib.ExitStack() as stack, _as_main(script):
            _tag_registered_datasets(stack)
            if _submits_through_v2(script):
                from estimig.offline_v2 import offline_ml_client

                stack.enter_context(offline_ml_client(on_submit=on_submit_v2))
            try:
                runpy.run_path(str(script), run_name="__main__")
            except SystemExit as exc:
                if exc.code not in (None, 0):
                    raise UsageError(f"{script.name} exited with {exc.code} before finishing") from None
            except ShimError:
                raise
            except Exception as exc:  # the user's submit script itself raised
                frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(script)]
                where = f" (line {frames[-1].lineno})" if frames else ""
                first = (str(exc).strip().splitlines() or [""])[0]
                raise UsageError(f"{script.name}{where} raised {type(exc).__name__}: {first}") from None
    except SdkMissing:
        raise ToolMissing("the azureml SDK v1 is not installed: pip install 'estimig[sdk]'") from None
    finally:
        if not options.keep:
            for root in outcome.run_roots:
                shutil.rmtree(root, ignore_errors=True)
    if not outcome.traces:
        raise UsageError(f"{script.name} submitted no job: it must call Experiment(...).submit(...)")
    return outcome
