"""`--venv` (local backend): only the Environment's pip packages are importable, so a migration that
drops one is caught; nothing is downloaded."""

from __future__ import annotations

import json

import pytest

from estimig.runtime import venv
from estimig.runtime.errors import UsageError
from runtime_support import invoke


def test_venv_holds_only_the_requested_packages(tmp_path):
    import subprocess

    python = venv.build(["six"], tmp_path / "venv")
    assert subprocess.run([python, "-c", "import six"]).returncode == 0
    # Installed on the host, but not asked for.
    assert subprocess.run([python, "-c", "import yaml"], capture_output=True).returncode != 0


def test_missing_or_mismatched_package_names_the_fix():
    with pytest.raises(UsageError, match="pip install 'no-such-package-estimig'"):
        venv.closure(["no-such-package-estimig"])
    with pytest.raises(UsageError, match="this machine has"):
        venv.closure(["six==0.0.1"])


SUBMIT = """
from azureml.core import Environment, Experiment, ScriptRunConfig, Workspace
from azureml.core.conda_dependencies import CondaDependencies

ws = Workspace.from_config()
env = Environment("venv-env")
env.python.conda_dependencies = CondaDependencies.create(pip_packages={packages!r})
src = ScriptRunConfig(source_directory="src", script="job.py", compute_target="local", environment=env)
Experiment(ws, "venv").submit(src)
"""

JOB = """
import json, os
try:
    import click  # on the host, but not required by azureml-defaults
    found = "importable"
except ImportError:
    found = "missing"
os.makedirs("outputs", exist_ok=True)
with open("outputs/click.json", "w") as handle:
    json.dump({"click": found}, handle)
"""


@pytest.mark.slow
def test_dropped_pip_package_is_caught_with_venv(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "job.py").write_text(JOB)
    before, wrong = tmp_path / "before.py", tmp_path / "wrong_dropped_pip_package.py"
    before.write_text(SUBMIT.format(packages=["azureml-defaults", "click"]))
    wrong.write_text(SUBMIT.format(packages=["azureml-defaults"]))
    # Without --venv the host's click hides the mistake from the job; with it, the job sees it.
    report = tmp_path / "report.json"
    result = invoke("verify", before, wrong, "--venv", "--timeout", 240, "--report", report, "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    where = [d["where"] for pair in json.loads(report.read_text())["pairs"] for d in pair["differences"]]
    assert "spec.pip_packages" in where
    assert "outputs.node0.click.json" in where, where
