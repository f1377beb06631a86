"""The aml-run GitHub Action as a known caller (estimig/actions.py): which workflows count, and the
oracle running a file the way the action does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from estimig.actions import aml_run_functions
from estimig.engine import migrate_source

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "uses" / "returned_to_the_aml_run_action"

CHECKOUT = "      - uses: actions/checkout@v4\n"
RUN_CONFIG = """from azureml.core import ComputeTarget
from azureml.train.estimator import Estimator


def main(workspace):
    target = ComputeTarget(workspace=workspace, name="cpu")
    est = Estimator(source_directory="src", entry_script="train.py", compute_target=target,
                    script_params={"--alpha": 0.1}, pip_packages=["scikit-learn"])
    return est
"""


def _repository(tmp_path: Path, step: str, checkout: str = CHECKOUT, parameters: object = None,
                parameters_name: str = "run.json", script: str = "code/train/run_config.py",
                code: str = RUN_CONFIG) -> Path:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "train.yml").write_text("on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
                                         f"{checkout}{step}")
    if parameters is not None:
        folder = tmp_path / ".cloud" / ".azure"
        folder.mkdir(parents=True)
        text = parameters if isinstance(parameters, str) else json.dumps(parameters)
        (folder / parameters_name).write_text(text)
    path = tmp_path / script
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code)
    return path


STEP = "      - uses: Azure/aml-run@v1\n        with:\n          azure_credentials: ${{ secrets.CREDS }}\n"


@pytest.mark.parametrize("ref", ["v1", "v1.2.0", "master"])
def test_the_default_script_and_function_with_no_parameters_file(tmp_path, ref):
    path = _repository(tmp_path, STEP.replace("@v1", f"@{ref}"))
    assert aml_run_functions(str(path)) == {"main": ".github/workflows/train.yml"}


@pytest.mark.parametrize("parameters", [
    {"runconfig_python_file": "jobs/define", "runconfig_python_function_name": "build"},
    [{"experiment_name": "a"}, {"runconfig_python_file": "jobs/define.py", "runconfig_python_function_name": "build"}],
], ids=["object_without_py_suffix", "list_of_parameter_sets"])
def test_the_parameters_file_names_the_script_and_function(tmp_path, parameters):
    step = STEP + "          parameters_file: nightly.json\n"
    path = _repository(tmp_path, step, parameters=parameters, parameters_name="nightly.json", script="jobs/define.py")
    assert aml_run_functions(str(path)) == {"build": ".github/workflows/train.yml"}


@pytest.mark.parametrize("step,checkout,parameters", [
    (STEP.replace("@v1", "@v0.2"), CHECKOUT, None),  # another contract before v1
    (STEP.replace("@v1", "@4b2d9a1"), CHECKOUT, None),  # a commit: which contract it ran is not known
    (STEP, "", None),  # nothing checked out: the file is not there
    (STEP, CHECKOUT + "        with:\n          path: elsewhere\n", None),  # checked out somewhere else
    (STEP + "          parameters_file: ${{ matrix.params }}\n", CHECKOUT, None),  # chosen at run time
    (STEP, CHECKOUT, "{not json"),  # the action fails before it loads anything
    (STEP, CHECKOUT, {"runconfig_python_file": "code/train/other.py"}),  # another file
    (STEP, CHECKOUT, {"runconfig_python_function_name": 3}),  # not a name the action can look up
    ("      - uses: Azure/aml-workspace@v1\n", CHECKOUT, None),  # no aml-run step
    (STEP, CHECKOUT, "[" * 100_000),  # nested past any recursion limit
    (STEP + "        bad: [unclosed\n", CHECKOUT, None),  # a workflow that is not YAML
], ids=["older_ref", "pinned_commit", "no_checkout", "checkout_path", "expression", "bad_json", "other_file", "bad_function", "other_action",
        "deep_json", "bad_yaml"])
def test_nothing_counts_unless_it_is_certain(tmp_path, step, checkout, parameters):
    path = _repository(tmp_path, step, checkout=checkout, parameters=parameters)
    assert aml_run_functions(str(path)) == {}


@pytest.mark.parametrize("first,parameters", [
    ("code/train/run_config.yml", None), ("code/train/pipeline.yml", None),
    ("jobs/run.yml", {"runconfig_yaml_file": "jobs/run.yml"}),
], ids=["default_run_config_yaml", "default_pipeline_yaml", "named_run_config_yaml"])
def test_a_yaml_definition_the_action_tries_first_means_the_script_is_never_loaded(tmp_path, first, parameters):
    path = _repository(tmp_path, STEP, parameters=parameters)
    assert aml_run_functions(str(path)) == {"main": ".github/workflows/train.yml"} or parameters
    (tmp_path / first).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / first).write_text("script: train.py\n")
    assert aml_run_functions(str(path)) == {}
    left = migrate_source(RUN_CONFIG, path=str(path))
    assert left.migrated == 0
    assert any(f"the Azure/aml-run step of .github/workflows/train.yml never calls main(): it finds {first} first"
               in f.message for f in left.findings)


def test_a_returned_estimator_migrates_only_with_the_workflow(tmp_path):
    path = _repository(tmp_path, STEP)
    migrated = migrate_source(RUN_CONFIG, path=str(path))
    assert migrated.migrated == 1 and "ScriptRunConfig(" in migrated.code
    assert any("Azure/aml-run action (.github/workflows/train.yml) submits what main() returns" in f.message
               for f in migrated.findings)
    (tmp_path / ".github" / "workflows" / "train.yml").unlink()
    left = migrate_source(RUN_CONFIG, path=str(path))
    assert left.migrated == 0
    assert any("est is returned by main(), whose callers estimig cannot see" in f.message for f in left.findings)


@pytest.mark.parametrize("caller", ["config = main(Workspace.from_config())\nprint(config.run_config.target)\n",
                                    "configs = [main]\n"], ids=["result_used", "function_passed_on"])
def test_another_caller_in_the_file_blocks_it(tmp_path, caller):
    code = RUN_CONFIG.replace("from azureml.core import ComputeTarget", "from azureml.core import ComputeTarget, Workspace")
    code += f"\n\n{caller}"
    path = _repository(tmp_path, STEP, code=code)
    assert migrate_source(code, path=str(path)).migrated == 0


def test_the_oracle_runs_the_file_as_the_action_does_and_catches_a_wrong_migration(tmp_path):
    from estimig.oracle import check

    workdir = tmp_path / "repo"
    shutil.copytree(FIXTURE, workdir)
    before = (workdir / "before.py").read_text()
    after = (workdir / "after.py").read_text()
    assert check(before, after, str(workdir), actions=("build_run",)) == []
    wrong = after.replace('"--learning-rate", 0.05', '"--learning-rate", 0.5')
    assert wrong != after
    # Run as a script the file builds nothing, so only the action's run tells the two apart.
    assert check(before, wrong, str(workdir)) == []
    differences = check(before, wrong, str(workdir), actions=("build_run",))
    assert differences and all(d.startswith("run by the aml-run action (build_run())") for d in differences)


def test_v2_leaves_it_saying_the_action_submits_with_sdk_v1(tmp_path):
    from estimig.options import Options

    path = _repository(tmp_path, STEP)
    result = migrate_source(RUN_CONFIG, path=str(path), options=Options.create(target="v2"))
    assert result.migrated == 0
    assert any("submits what main() returns to SDK v1's Experiment.submit, which takes no v2 job" in f.message
               for f in result.findings)


def test_rewrite_over_the_repository_migrates_the_run_configuration_and_reports_the_caller(tmp_path):
    from click.testing import CliRunner

    from estimig.cli import main

    path = _repository(tmp_path, STEP)
    (tmp_path / "notes.py").write_text("print('no azureml here')\n")
    result = CliRunner().invoke(main, ["rewrite", "--no-color", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 1, result.output  # files changed
    assert "ScriptRunConfig(" in path.read_text()
    assert "Azure/aml-run action (.github/workflows/train.yml) submits what main() returns" in result.output
    again = CliRunner().invoke(main, ["rewrite", "--check", "--no-color", str(tmp_path)], catch_exceptions=False)
    assert again.exit_code == 0, again.output  # a second run changes nothing
