"""The `uses` concern: what is migrated is proven by fixtures/uses/ (exact output and the oracle);
here, every use that must leave the estimator alone says why, in the comment and the report, and
the oracle's HyperDrive and pipeline branches reproduce the SDK."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from estimig.comments import PREFIX as COMMENT_PREFIX
from estimig.engine import migrate_source

PREAMBLE = """\
from azureml.core import Experiment, Workspace
from azureml.core.compute import ComputeTarget
from azureml.pipeline.steps import EstimatorStep
from azureml.train.estimator import Estimator
from azureml.train.hyperdrive import HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, choice

ws = Workspace.from_config()
cluster = ComputeTarget(workspace=ws, name="cpu-cluster")
"""
ESTIMATOR = 'est = Estimator(source_directory="./src", entry_script="train.py", compute_target=cluster{extra})\n'
HYPERDRIVE = ('hd = HyperDriveConfig(estimator=est, hyperparameter_sampling={sampling}, primary_metric_name="loss", '
              'primary_metric_goal=PrimaryMetricGoal.MINIMIZE, max_total_runs=2)\n')
LR = 'RandomParameterSampling({"--lr": choice(0.1, 0.2)})'

BLOCKED = [
    pytest.param(', script_params={"--sizes": [1, 2], "--lr": 0.01}', HYPERDRIVE.format(sampling=LR),
                 "is not a string, so the original fails", id="hyperdrive_pairs_a_number_as_a_name"),
    pytest.param(', script_params={"--epochs": 3}', HYPERDRIVE.format(sampling="make_sampling()"),
                 "cannot prove which hyperparameters are sampled", id="hyperdrive_sampling_unknown"),
    pytest.param("", "launch(est)\n", "est is passed to launch(est), which estimig cannot follow",
                 id="passed_to_a_function"),
    pytest.param("", "configs = [est]\n", "est is used as a value ('est')", id="stored_in_a_list"),
    pytest.param("", "rc = est.run_config\n", "est.run_config is used as a whole", id="run_config_as_a_whole"),
    pytest.param("", "n = len(est.run_config.arguments)\n", "est.run_config.arguments is read",
                 id="run_config_arguments_read"),
    pytest.param("", "print(est.script_params)\n", "est.script_params has no ScriptRunConfig equivalent",
                 id="estimator_only_attribute"),
    pytest.param("", "est.conda_dependencies = None\n", "est.conda_dependencies is assigned",
                 id="conda_dependencies_assigned"),
    pytest.param(', script_params={"--epochs": 3}',
                 'step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[], compute_target=cluster)\n',
                 "EstimatorStep refuses an estimator with script_params", id="estimator_step_with_script_params"),
    pytest.param("", 'step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[], '
                 'compute_target=cluster)\nExperiment(ws, "x").submit(est)\n',
                 "est is used by EstimatorStep(...) and also by", id="estimator_step_and_submit"),
    pytest.param("", 'est.run_config.save("config")\n', "est.run_config.save(...) is called",
                 id="run_config_method_called"),
    pytest.param("", 'est.run_config.arguments = ["--lr", 1]\n' + HYPERDRIVE.format(sampling=LR),
                 "est.run_config.arguments is set and the estimator goes to HyperDrive",
                 id="hyperdrive_and_arguments_written"),
]


@pytest.mark.parametrize("extra, later, reason", BLOCKED)
def test_use_that_cannot_be_proven_leaves_the_estimator_with_the_reason(extra, later, reason):
    source = PREAMBLE + ESTIMATOR.format(extra=extra) + later
    result = migrate_source(source)
    assert result.migrated == 0 and result.left == 1
    comment = next(line for line in result.code.splitlines() if line.startswith(COMMENT_PREFIX))
    # The comment is one short line with the finding's code; the reason in full is in the report.
    (left,) = [f for f in result.findings if f.code.startswith("EST1")]
    assert comment.startswith(f"{COMMENT_PREFIX} {left.code} ") and len(comment) <= 120, comment
    assert result.code.splitlines().index(comment) + 1 == result.code.splitlines().index(
        ESTIMATOR.format(extra=extra).rstrip("\n"))
    assert any(reason in f.message for f in result.findings)
    assert migrate_source(result.code).code == result.code


@pytest.mark.parametrize("code", [
    pytest.param("class MyEstimator(Estimator):\n    pass\n", id="subclass"),
    pytest.param("est = make(Estimator, source_directory='./src')\n", id="class_passed_as_value"),
    pytest.param("kinds = {'plain': Estimator}\n", id="class_in_a_dict"),
])
def test_estimator_class_used_other_than_by_calling_it_gets_a_comment(code):
    result = migrate_source(PREAMBLE + code)
    lines = result.code.splitlines()
    first = code.splitlines()[0]
    assert lines[lines.index(first) - 1].startswith(COMMENT_PREFIX)
    assert result.findings and all(f.concern == "uses" for f in result.findings)
    assert migrate_source(result.code).code == result.code


def test_exp_submit_config_keyword_is_a_submit():
    source = PREAMBLE + ESTIMATOR.format(extra="") + 'Experiment(ws, "x").submit(config=est)\n'
    result = migrate_source(source)
    assert result.migrated == 1
    assert 'submit(config=est)' in result.code


def test_docs_have_the_uses_section_and_the_manual():
    root = Path(__file__).resolve().parent.parent
    section = (root / "docs" / "concerns.md").read_text().split("## uses", 1)[1]
    assert "HyperDriveConfig" in section and "EstimatorStep" in section
    assert "## " in (root / "docs" / "manual.md").read_text()


# -- the oracle's branches ------------------------------------------------------------------------
def _hyperdrive(tmp_path, keyword: str) -> list[dict]:
    from estimig.oracle import execute

    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    if keyword == "estimator":
        build = ESTIMATOR.format(extra=', script_params={"--lr": 0.01, "--epochs": 3}')
    else:
        build = ('from azureml.core import ScriptRunConfig\n'
                 'est = ScriptRunConfig(source_directory="./src", script="train.py", compute_target=cluster, '
                 'arguments=["--lr", 0.01, "--epochs", 3])\n')
    code = (PREAMBLE + build + HYPERDRIVE.format(sampling=LR).replace("estimator=est", f"{keyword}=est")
            + 'Experiment(ws, "x").submit(hd)\n')
    return execute(code, "hd.py", str(tmp_path))


def test_oracle_reproduces_hyperdrive_dropping_sampled_arguments_only_for_estimators(tmp_path):
    [with_estimator] = _hyperdrive(tmp_path, "estimator")
    [with_run_config] = _hyperdrive(tmp_path, "run_config")
    assert with_estimator["arguments"] == ["--epochs", 3]
    assert with_run_config["arguments"] == ["--lr", 0.01, "--epochs", 3]


def test_oracle_reads_each_pipeline_step(tmp_path):
    from estimig.oracle import execute

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    code = PREAMBLE + textwrap.dedent("""\
        from azureml.pipeline.core import Pipeline, PipelineParameter
        est = Estimator(source_directory="./src", entry_script="train.py", compute_target=cluster)
        step = EstimatorStep(name="train", estimator=est, compute_target=cluster, allow_reuse=False,
                             estimator_entry_script_arguments=["--lr", PipelineParameter(name="lr", default_value=0.1)])
        Experiment(ws, "x").submit(Pipeline(workspace=ws, steps=[step]))
        """)
    [job] = execute(code, "p.py", str(tmp_path))
    assert job["script"] == "train.py" and job["target"] == "cpu-cluster"
    assert job["arguments"] == ["--lr", "<PipelineParameter lr=0.1>"]
    assert job["step"]["allowReuse"] is False and job["step"]["name"] == "train"


@pytest.mark.parametrize("code, reason", [
    pytest.param('ests = {"a": Estimator(source_directory="./src", compute_target=cluster)}\n',
                 "not assigned to a simple name", id="in_a_dict"),
    pytest.param('def build():\n    return Estimator(source_directory="./src", compute_target=cluster)\n',
                 "the estimator is returned", id="returned"),
    pytest.param('runs = [Experiment(ws, "x").submit(Estimator(source_directory="./src", compute_target=cluster))]\n',
                 None, id="submitted_directly"),
])
def test_unassigned_estimator_is_migrated_only_where_its_value_goes(code, reason):
    result = migrate_source(PREAMBLE + code)
    if reason is None:
        assert result.migrated == 1 and "ScriptRunConfig(" in result.code
    else:
        assert result.migrated == 0 and "# estimig: EST" in result.code
        assert any(reason in f.message for f in result.findings)


# An estimator returned from a function of this file: migrated only when every call of the function
# submits what it returns (or drops it), at least one submitting.
BUILDER = ('def build(seed):\n    est = Estimator(source_directory="./src", entry_script="train.py", '
           'compute_target=cluster, script_params={"--seed": seed})\n    return est\n\n\n')
RETURNED = [
    pytest.param('Experiment(ws, "a").submit(build(1))\n', True, "", id="submitted_directly"),
    pytest.param('job = build(1)\nExperiment(ws, "a").submit(config=job)\nbuild(2)\n', True, "", id="named_then_submitted"),
    pytest.param("build(1)\n", False, "est is returned by build(), whose callers estimig cannot see",
                 id="only_dropped"),
    pytest.param("", False, "est is returned by build(), whose callers estimig cannot see", id="never_called"),
    pytest.param('hd = HyperDriveConfig(estimator=build(1), hyperparameter_sampling=' + LR + ', primary_metric_name="l", '
                 'primary_metric_goal=PrimaryMetricGoal.MINIMIZE, max_total_runs=2)\n', False,
                 "this file does more with what it returns than submit it", id="handed_to_hyperdrive"),
    pytest.param('job = build(1)\nprint(job.run_config.target)\nExperiment(ws, "a").submit(job)\n', False,
                 "this file does more with what it returns than submit it", id="result_read"),
    pytest.param('builders = [build]\n', False, "this file does more with what it returns than submit it",
                 id="function_passed_on"),
]


@pytest.mark.parametrize("later,migrated,reason", RETURNED)
def test_an_estimator_returned_to_this_files_callers(later, migrated, reason):
    result = migrate_source(PREAMBLE + BUILDER + later, path="submit.py")
    assert result.migrated == int(migrated), [f.message for f in result.findings]
    if not migrated:
        assert any(reason in f.message for f in result.findings), [f.message for f in result.findings]
