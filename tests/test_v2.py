"""`--target v2`: every fixtures/v2 pair migrates exactly, is a fixed point and is essence-equal to its
v1 original under the v2 oracle; the oracle itself tells a wrong migration from a right one."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from estimig.comments import PREFIX as COMMENT_PREFIX
from estimig.options import Options
from fixture_support import assert_same_text, code_lines, program


ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "v2"
V2 = Options.create(target="v2")
# A scenario is a script pair (before.py, after.py) or a notebook pair (before.ipynb, after.ipynb).
SCENARIOS = sorted(p for p in FIXTURES.glob("*/before.*") if p.suffix in (".py", ".ipynb"))
PAIRS = [pytest.param(p, id=p.parent.name) for p in SCENARIOS if not p.parent.name.startswith("noop_")]
NOOPS = [pytest.param(p, id=p.parent.name) for p in SCENARIOS if p.parent.name.startswith("noop_")]


def migrate(code: str, suffix: str = ".py", path: str = "before.py", assume=()):
    from estimig.engine import migrate_source

    options = Options.create(target="v2", assume=assume) if assume else V2
    if suffix == ".ipynb":
        from estimig.notebooks import migrate_notebook

        return migrate_notebook(code, lambda text: migrate_source(text, path=path, options=options), path=path).as_result()
    return migrate_source(code, path=path, options=options)


def assumed(folder: Path) -> tuple[str, ...]:
    """The named assumptions a fixture folder's pair is migrated with: its `assume` file, one a line."""
    listed = folder / "assume"
    return tuple(listed.read_text().split()) if listed.exists() else ()


def runnable(text: str, suffix: str) -> str:
    return program(text) if suffix == ".ipynb" else text


def oracle_differences(folder: Path, before: str, after: str, tmp_path: Path, suffix: str = ".py") -> list[str]:
    """Both programs run as `python before.py OPTIONS`, OPTIONS from the folder's `command_line`."""
    from estimig.oracle import command_line
    from estimig.oracle_v2 import check

    workdir = tmp_path / folder.name
    shutil.copytree(folder, workdir)
    given = folder / "command_line"
    with command_line(shlex.split(given.read_text()) if given.exists() else ()):
        return check(runnable(before, suffix), runnable(after, suffix), str(workdir), require_jobs=True,
                     assume=assumed(folder))


def _after(before: Path) -> Path:
    return before.with_name(f"after{before.suffix}")


def test_every_scenario_is_a_pair_or_a_named_noop():
    assert PAIRS and NOOPS and any(p.suffix == ".ipynb" for p in SCENARIOS)
    for before in SCENARIOS:
        assert _after(before).exists() != before.parent.name.startswith("noop_"), before.parent.name


@pytest.mark.parametrize("before", PAIRS)
def test_migrates_to_expected_and_is_a_fixed_point(before):
    assume = assumed(before.parent)
    result = migrate(before.read_text(), before.suffix, str(before), assume)
    expected = _after(before).read_text()
    assert_same_text(expected, result.code, before.parent.name)
    assert result.migrated >= 1 and result.left == 0, result.findings
    assert_same_text(expected, migrate(expected, before.suffix, str(before), assume).code,
                     f"{before.parent.name} (second run)")


ASSUMED_PAIRS = [p for p in PAIRS if assumed(p.values[0].parent)]


@pytest.mark.parametrize("before", ASSUMED_PAIRS)
def test_a_pair_needs_its_assumptions_and_says_so(before):
    """As for v1 (tests/test_assumptions.py): without its assumptions the call is left and the refusal
    names one; with them each migrated call carries the comment and a finding naming what it used."""
    from estimig.assumptions import relied_on

    assume = assumed(before.parent)
    proven = migrate(before.read_text(), before.suffix, str(before))
    assert proven.migrated == 0 and proven.left >= 1
    assert any(f"--assume {name}" in f.message for f in proven.findings for name in assume), \
        [f.message for f in proven.findings]
    result = migrate(before.read_text(), before.suffix, str(before), assume)
    notes = [f for f in result.findings if f.assumptions]
    assert result.assumed == len(notes) == result.migrated == result.code.count("# estimig: assumes ")
    assert all(set(f.assumptions) <= set(assume) for f in notes)
    assert relied_on(_after(before).read_text()) == sorted({n for f in notes for n in f.assumptions})


@pytest.mark.parametrize("before", PAIRS)
def test_oracle_equal(before, tmp_path):
    differences = oracle_differences(before.parent, before.read_text(), _after(before).read_text(), tmp_path,
                                     before.suffix)
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("before", NOOPS)
def test_noop_is_left_with_its_reason(before):
    """Left as it was, also under the named assumptions of its `assume` file (one that does not apply)."""
    text = before.read_text()
    assume = assumed(before.parent)
    result = migrate(text, before.suffix, str(before), assume)
    assert not [f for f in result.findings if f.assumptions]
    assert result.migrated == 0 and result.left >= 1
    kept = [line for line in result.code.splitlines(True) if not line.lstrip().startswith(COMMENT_PREFIX)]
    assert_same_text(text, "".join(kept), before.parent.name)
    comments = [line for line in result.code.splitlines() if line.lstrip().startswith(COMMENT_PREFIX)]
    assert len(comments) == result.left
    assert migrate(result.code, before.suffix, str(before), assume).code == result.code, \
        "a second run changed the code"


# Deliberately wrong migrations of a right one: each must be told apart by the oracle.
WRONG = [
    pytest.param("estimator_mpi_registered_dataset", "--lr 0.01", "--lr 0.02", "argv", id="changed-argument"),
    pytest.param("estimator_mpi_registered_dataset", "instance_count=2,", "instance_count=1,", "instance_count",
                 id="wrong-instance-count"),
    pytest.param("estimator_mpi_registered_dataset", 'inputs={"mnist": Input(type="uri_folder", path="azureml:mnist:2", '
                 'mode="ro_mount")},', "", "inputs", id="missing-input"),
    pytest.param("estimator_mpi_registered_dataset", "azureml:mnist:2", "azureml:mnist@latest", "inputs",
                 id="other-dataset-version"),
    pytest.param("estimator_mpi_registered_dataset", "process_count_per_instance=2", "process_count_per_instance=1",
                 "distribution", id="processes-per-node"),
    pytest.param("user_managed_image_python", 'cudnn7-ubuntu16.04")', 'cudnn7-ubuntu16.04", conda_file={"name": '
                 '"project_environment", "dependencies": ["python=3.8.13"]})', "conda", id="conda-built-on-a-user-managed-image"),
    pytest.param("tensorflow_ps_backend_string", "worker_count=2, parameter_server_count=1",
                 "worker_count=3, parameter_server_count=1", "distribution", id="deprecated-worker-count-misread"),
    pytest.param("notebook_local_runs", "compute='local'", "compute='cpu-cluster'", "compute",
                 id="local-run-sent-to-a-cluster"),
    pytest.param("tensorflow_parameter_server", ", parameter_server_count=1", "", "distribution",
                 id="parameter-server-left-to-v2-default"),
    pytest.param("pytorch_pip_packages", 'environment_variables={"NCCL_TREE_THRESHOLD": "0"},', "",
                 "environment_variables", id="variable-lost-with-the-v1-environment"),
    pytest.param("pytorch_pip_packages", '"pillow==6.2.1", ', "", "conda", id="missing-package"),
    pytest.param("custom_image_variables_and_download", 'shm_size="8g",', "", "shm_size", id="shm-size-left-out"),
    pytest.param("custom_image_variables_and_download", "'resnet 50'", "resnet 50", "argv", id="unquoted-value"),
    pytest.param("unnamed_dataset_mounts", '--data-folder ${{inputs.mnist_dataset}} --labels ${{inputs.mnist_labels}}',
                 '--data-folder ${{inputs.mnist_labels}} --labels ${{inputs.mnist_dataset}}', "inputs",
                 id="generated-input-names-swapped"),
    pytest.param("custom_image_variables_and_download", 'experiment_name="cats"', 'experiment_name="dogs"',
                 "experiment", id="other-experiment"),
    # The full build stands for the private prebuilt image only as the SDK builds it (the rerun).
    pytest.param("pytorch_prebuilt_image_becomes_its_full_build", "torch==1.6.0", "torch==1.7.0", "conda",
                 id="full-build-with-another-pin"),
    pytest.param("pytorch_prebuilt_image_becomes_its_full_build", "openmpi4.1.0-cuda11.1", "openmpi4.1.0-cuda10.1",
                 "image", id="full-build-on-another-base-image"),
    pytest.param("cluster_and_workspace_read_at_run_time", "compute=cluster.name", 'compute="gpu-cluster"', "compute",
                 id="another-cluster-than-the-v1-object-names"),
    pytest.param("cluster_and_workspace_read_at_run_time", 'experiment_name="nightly"', 'experiment_name="daily"',
                 "experiment", id="client-experiment-renamed"),
    pytest.param("experiment_names_read_at_run_time", "experiment_name=exp.name", 'experiment_name="nightly"',
                 "experiment", id="experiment-name-other-than-the-v1-objects"),
    pytest.param("experiment_names_read_at_run_time", "-smoke\")", "-smoke-2\")", "experiment",
                 id="experiment-f-string-changed"),
    pytest.param("sweep_goal_by_value_and_default_concurrency", "max_concurrent_trials=80", "max_concurrent_trials=8",
                 "sweep", id="sweep-concurrency-not-the-v1-default"),
    pytest.param("sweep_goal_by_value_and_default_concurrency", 'goal="Maximize"', 'goal="Minimize"', "sweep",
                 id="sweep-goal-by-value-flipped"),
    pytest.param("pytorch_nccl_on_two_nodes", "process_count_per_instance=1", "process_count_per_instance=2",
                 "distribution", id="torch-processes-per-node"),
    pytest.param("pytorch_nccl_on_two_nodes", "distribution=PyTorchDistribution(process_count_per_instance=1)",
                 "distribution=None", "distribution", id="torch-distribution-dropped"),
    pytest.param("run_based_compute_becomes_serverless", 'job_tier="Spot"', "job_tier=None", "compute",
                 id="serverless-without-the-low-priority-tier"),
    pytest.param("run_based_compute_becomes_serverless", 'instance_type="Standard_NC6"', 'instance_type="Standard_NC12"',
                 "compute", id="serverless-of-another-size"),
    # Datastore paths: where the data is, and that it is downloaded (a v1 mount was writable).
    pytest.param("datastore_paths_downloaded", "paths/census/labels/", "paths/census/labels", "inputs",
                 id="datastore-path-without-its-slash"),
    pytest.param("datastore_paths_downloaded", '"/paths/census/train", mode="download"',
                 '"/paths/census/train", mode="ro_mount"', "inputs", id="datastore-path-mounted-read-only"),
    pytest.param("datastore_paths_downloaded", "datastores/labelstore/", "datastores/workspaceblobstore/", "inputs",
                 id="datastore-path-on-another-store"),
    # HyperDrive -> sweep: the search, its limits and policy, and what the trials run.
    pytest.param("pytorch_hyperdrive_becomes_a_sweep", "min_value=0.001", "min_value=0.01", "sweep",
                 id="sweep-other-bound"),
    pytest.param("pytorch_hyperdrive_becomes_a_sweep", 'goal="Maximize"', 'goal="Minimize"', "sweep",
                 id="sweep-other-goal"),
    pytest.param("pytorch_hyperdrive_becomes_a_sweep", "evaluation_interval=2, delay_evaluation=0",
                 "evaluation_interval=0, delay_evaluation=0", "sweep", id="sweep-policy-left-to-v2-default"),
    pytest.param("pytorch_hyperdrive_becomes_a_sweep", "--lr ${{inputs.lr}} --batch-size ${{inputs.batch_size}}",
                 "--lr ${{inputs.batch_size}} --batch-size ${{inputs.lr}}", "sweep", id="sweep-inputs-swapped"),
    pytest.param("pytorch_hyperdrive_becomes_a_sweep", "--epochs 10 --lr", "--epochs 10 --lr 0.01 --lr", "argv",
                 id="sweep-keeps-the-sampled-fixed-value"),
    pytest.param("pytorch_hyperdrive_becomes_a_sweep", "timeout=604800", "timeout=3600", "sweep",
                 id="sweep-other-duration"),
    pytest.param("pytorch_hyperdrive_becomes_a_sweep", "max_concurrent_trials=4", "max_concurrent_trials=20", "sweep",
                 id="sweep-other-concurrency"),
]


@pytest.mark.parametrize("name, old, new, field", WRONG)
def test_oracle_tells_a_wrong_migration(name, old, new, field, tmp_path):
    folder = FIXTURES / name
    before = next(folder.glob("before.*"))
    after = _after(before).read_text()
    assert old in after, "the mutation must change the migrated file"
    differences = oracle_differences(folder, before.read_text(), after.replace(old, new, 1), tmp_path, before.suffix)
    assert any(f": {field}" in d for d in differences), differences


def test_a_v1_submission_left_in_the_migrated_program_fails(tmp_path):
    from estimig.oracle import ExecutionFailed

    folder = FIXTURES / "estimator_mpi_registered_dataset"
    before = (folder / "before.py").read_text()
    with pytest.raises(ExecutionFailed, match="through SDK v1"):
        oracle_differences(folder, before, before, tmp_path)


def test_the_v1_widget_left_on_a_v2_job_fails(tmp_path):
    from estimig.oracle import ExecutionFailed

    folder = FIXTURES / "notebook_run_shown_by_widget"
    after = (folder / "after.ipynb").read_text()
    kept = after.replace('"print(run.studio_url)"', '"from azureml.widgets import RunDetails\\n", "RunDetails(run).show()"')
    assert kept != after
    with pytest.raises(ExecutionFailed, match="RunDetails takes a v1 Run"):
        oracle_differences(folder, (folder / "before.ipynb").read_text(), kept, tmp_path, ".ipynb")


def test_essence_fields_have_reasons_and_docs():
    from estimig.oracle_v2 import ESSENCE

    text = (ROOT / "docs" / "v2.md").read_text()
    for field in ESSENCE:
        assert len(field.reason) > 30, field.name
        assert f"`{field.name}`" in text, f"docs/v2.md does not describe the essence field {field.name}"


def test_v1_shm_default_is_the_sdks():
    from azureml.core.environment import _DEFAULT_SHM_SIZE

    from estimig.codemods.v2.environment import V1_SHM_SIZE

    assert V1_SHM_SIZE == _DEFAULT_SHM_SIZE


def test_both_targets_name_their_concerns_alike_and_document_them():
    from estimig.codemods import CONCERN_NAMES, load_concerns
    from estimig.codemods.v2 import NOT_YET

    v2 = load_concerns("v2")
    text = (ROOT / "docs" / "v2.md").read_text()
    assert set(v2) | set(NOT_YET) | {"uses"} == set(CONCERN_NAMES), "every v1 concern has a v2 module or a reason"
    for name, module in v2.items():
        assert module.NAME == name and module.SUMMARY and callable(module.plan)
        assert module.__doc__.startswith(f"{name}: ") and "->" in module.__doc__.splitlines()[0]
        assert re.search(rf"^## {name}\n", text, re.M), f"docs/v2.md has no '## {name}' section"


def test_unknown_target_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown target 'v3'"):
        Options.create(target="v3")
    with pytest.raises(ValueError, match="is a v1 mode"):
        Options.create(target="v2", environment="curated")


def test_target_from_the_config_file(tmp_path):
    from click.testing import CliRunner

    from estimig.cli import main

    shutil.copytree(FIXTURES / "estimator_mpi_registered_dataset", tmp_path / "p")
    (tmp_path / "p" / "pyproject.toml").write_text('[tool.estimig]\ntarget = "v2"\n')
    result = CliRunner().invoke(main, ["rewrite", "--diff", str(tmp_path / "p" / "before.py")])
    assert "+est = command(" in result.output, result.output
    result = CliRunner().invoke(main, ["rewrite", "--diff", "--target", "v1", str(tmp_path / "p" / "before.py")])
    assert "ScriptRunConfig(" in result.output and "command(" not in result.output


def _v1_pairs():
    from fixture_support import scenarios

    return [pytest.param(s, id=s.id) for s in scenarios() if not s.is_noop]


@pytest.mark.parametrize("scenario", _v1_pairs())
def test_what_v1_migrates_v2_migrates_equal_or_leaves_with_a_reason(scenario, tmp_path):
    """The issue's held-out check, over every v1 fixture pair: each call the v1 target migrates is
    migrated by --target v2 and essence-equal to the original, or left with its `# estimig:` reason."""
    from estimig.oracle import command_line
    from estimig.oracle_v2 import check

    result = migrate(scenario.before, scenario.suffix, str(scenario.before_path))
    left = [f for f in result.findings if "left as it was" in f.message]
    assert len(left) == result.left
    comments = [line for line in code_lines(result.code, scenario.is_notebook) if line.lstrip().startswith(COMMENT_PREFIX)]
    assert len(comments) >= result.left, "every call left behind carries its reason"
    if result.migrated and not result.left:
        workdir = tmp_path / scenario.name
        shutil.copytree(scenario.folder, workdir)
        with command_line(scenario.command_line):
            differences = check(scenario.program(scenario.before), scenario.program(result.code), str(workdir))
        assert not differences, "\n".join(differences)
    # A refusal that names an assumption: under it, the call is migrated and essence-equal, or left.
    hinted = tuple(sorted({m.group(1) for f in left for m in re.finditer(r"--assume ([\w-]+)", f.message)}))
    if hinted:
        assumed_result = migrate(scenario.before, scenario.suffix, str(scenario.before_path), hinted)
        assert assumed_result.code.count("# estimig: assumes ") == assumed_result.assumed
        if assumed_result.migrated and not assumed_result.left:
            workdir = tmp_path / f"{scenario.name}-assumed"
            shutil.copytree(scenario.folder, workdir)
            with command_line(scenario.command_line):
                differences = check(scenario.program(scenario.before), scenario.program(assumed_result.code),
                                    str(workdir), assume=hinted)
            assert not differences, "\n".join(differences)


LEFTOVERS = '''\
import json
from azureml.core import Experiment, Workspace
from azureml.core.compute import ComputeTarget
from azureml.train.estimator import Estimator

ws = Workspace.from_config()
cluster = ComputeTarget(workspace=ws, name="cpu-cluster")
{extra}
est = Estimator(source_directory="src", entry_script="train.py", compute_target=cluster)
Experiment(ws, "e").submit(est)
'''


@pytest.mark.parametrize("extra, kept", [
    pytest.param("", [], id="all-v1-lines-go"),
    pytest.param("print(cluster.name)", ["cluster = ComputeTarget(", "ws = Workspace"], id="a-lookup-still-read-stays"),
    pytest.param("# the shared cluster\nother = ComputeTarget(workspace=ws, name=\"gpu-cluster\")", ["other = "],
                 id="a-commented-statement-stays"),
    pytest.param("made = ComputeTarget.create(ws, \"new\", provisioning)", ["made = ComputeTarget.create(",
                 "from azureml.core.compute import ComputeTarget", "ws = Workspace"], id="what-does-something-stays"),
])
def test_leftovers(extra, kept):
    result = migrate(LEFTOVERS.format(extra=extra))
    assert result.migrated == 1
    assert "import json" in result.code, "an import that is not azureml's is not estimig's to remove"
    for text in kept:
        assert text in result.code
    if not kept:
        assert "from azureml" not in result.code and "Workspace" not in result.code, result.code
    assert migrate(result.code).code == result.code


@pytest.mark.parametrize("comment", ["  # tuned by hand", ""])
def test_leftovers_keep_a_statement_with_a_comment_inside(comment):
    source = ('from azureml.core import Experiment, Workspace\nfrom azureml.train.estimator import Estimator\n\n'
              'ws = Workspace.from_config()\n'
              f'params = {{\n    "--lr": 0.1,{comment}\n}}\n'
              'est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",\n'
              '                script_params=params)\nExperiment(ws, "e").submit(est)\n')
    result = migrate(source)
    assert result.migrated == 1
    assert ("params = {" in result.code) == bool(comment), result.code


def _essence(argv, inputs):
    from estimig.oracle_v2 import ESSENCE

    return {**{field.name: None for field in ESSENCE}, "argv": argv, "inputs": inputs}


@pytest.mark.parametrize("v2_path, equal", [("azureml:mnist@latest", True), ("azureml:mnist:2", False)])
def test_a_generated_input_on_no_command_line_pairs_only_with_the_same_data(v2_path, equal):
    """A fixed dataset argument that HyperDrive also samples is dropped from the command line, and its
    input stays mounted under the name the v1 SDK made up: it pairs with the v2 input that delivers the
    same data (and no other)."""
    from estimig.oracle_v2 import compare_jobs

    mount = {"path": "azureml:mnist@latest", "mode": "ro_mount", "path_on_compute": None}
    before = [_essence(["python", "train.py"], {"<dataset_input_0>": mount})]
    after = [_essence(["python", "train.py"], {"mnist": dict(mount, path=v2_path)})]
    assert (compare_jobs(before, after) == []) is equal


@pytest.mark.parametrize("branch,expected", [
    # Bound to a cluster on one path only: its name is read where the estimator read the object, so
    # the path where it is unbound still raises NameError (a literal name would run a job instead).
    ("if name in ws.compute_targets:\n    cluster = ws.compute_targets[name]\n", "compute=cluster.name"),
    ("if name in ws.compute_targets:\n    cluster = ws.compute_targets[name]\nelse:\n    cluster = 'local'\n", None),
])
def test_compute_bound_on_some_paths_is_read_where_the_estimator_read_it(branch, expected):
    from estimig.engine import migrate_source

    source = ("from azureml.core import Experiment, Workspace\nfrom azureml.train.estimator import Estimator\n"
              "ws = Workspace.from_config()\nname = 'gpu'\n" + branch +
              "est = Estimator(source_directory='src', entry_script='train.py', compute_target=cluster)\n"
              "Experiment(ws, 'x').submit(est)\n")
    result = migrate_source(source, options=V2)
    if expected is None:
        assert result.migrated == 0 and "compute_target=cluster" in result.code
    else:
        assert result.migrated == 1 and expected in result.code and '"gpu"' not in result.code.split("command(")[1]


@pytest.mark.parametrize("options", ["--cluster c", "--cluster c --quick", "--cluster c --epochs 3 --tag ''",
                                     "--cluster c --limit 0 --tag 'a b'", "--cluster c --quick --epochs 2 --limit 5"])
def test_a_dict_changed_on_some_paths_is_essence_equal_on_every_path(options, tmp_path):
    """The v2 command line reads the dict when the job is built: equal on each path the options choose."""
    from estimig.oracle import command_line
    from estimig.oracle_v2 import check

    folder = FIXTURES / "dict_changed_on_some_paths_by_options"
    workdir = tmp_path / folder.name
    shutil.copytree(folder, workdir)
    with command_line(shlex.split(options)):
        assert not check((folder / "before.py").read_text(), (folder / "after.py").read_text(), str(workdir),
                         require_jobs=True)


def test_a_mounted_datastore_path_equals_a_read_only_input_only_under_its_assumption(tmp_path):
    """read-only-mount is what makes the pair equal: without it the oracle tells v1's writable mount
    from v2's ro_mount; with it, another path still differs."""
    from estimig.oracle_v2 import check

    folder = FIXTURES / "notebook_uploaded_path_mounted_for_reading"
    before, after = (runnable((folder / name).read_text(), ".ipynb") for name in ("before.ipynb", "after.ipynb"))
    shutil.copytree(folder, tmp_path / folder.name)
    workdir = str(tmp_path / folder.name)
    assert any(d.startswith("inputs") or "inputs" in d for d in check(before, after, workdir))
    assert not check(before, after, workdir, assume=("read-only-mount",))
    moved = after.replace('/paths/mnist"', '/paths/mnist-v2"', 1)
    assert moved != after and check(before, moved, workdir, assume=("read-only-mount",))


def test_a_run_without_docker_equals_a_container_job_only_under_its_assumption(tmp_path):
    """runs-in-a-container is what makes the pair equal: without it the oracle tells v1's run without
    Docker from a v2 job, which always runs in a container; with it, another image still differs."""
    from estimig.oracle_v2 import check

    folder = FIXTURES / "notebook_run_without_docker_on_a_cluster"
    before, after = (runnable((folder / name).read_text(), ".ipynb") for name in ("before.ipynb", "after.ipynb"))
    shutil.copytree(folder, tmp_path / folder.name)
    workdir = str(tmp_path / folder.name)
    assert any("container: False != True" in d for d in check(before, after, workdir))
    assert not check(before, after, workdir, assume=("runs-in-a-container",))
    other = after.replace("openmpi4.1.0-ubuntu22.04", "openmpi4.1.0-ubuntu20.04", 1)
    assert other != after and check(before, other, workdir, assume=("runs-in-a-container",))


@pytest.mark.parametrize("scenario", [p for p in _v1_pairs() if p.values[0].assume])
def test_v1_pairs_migrated_on_assumptions_are_essence_equal_on_them(scenario, tmp_path):
    """The v1 target's assumption fixtures under --target v2 with the same assumptions: each call is
    migrated, says so on its line and is essence-equal under them, or is left with its reason."""
    from estimig.oracle import command_line
    from estimig.oracle_v2 import check

    result = migrate(scenario.before, scenario.suffix, str(scenario.before_path), scenario.assume)
    assert result.code.count("# estimig: assumes ") == result.assumed
    assert all(set(f.assumptions) <= set(scenario.assume) for f in result.findings if f.assumptions)
    if result.migrated and not result.left:
        workdir = tmp_path / scenario.name
        shutil.copytree(scenario.folder, workdir)
        with command_line(scenario.command_line):
            differences = check(scenario.program(scenario.before), scenario.program(result.code), str(workdir),
                                assume=scenario.assume)
        assert not differences, "\n".join(differences)


MIXED = '''\
from azureml.core import Experiment, Workspace
from azureml.train.estimator import Estimator

ws = Workspace.from_config()
exp = Experiment(ws, "mixed")
local = Estimator(source_directory="src", entry_script="train.py", compute_target="local", use_docker=False)
exp.submit(local)
remote = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",
                   script_params={"--epochs": 3})
exp.submit(remote)
'''


def test_a_file_with_calls_left_as_v1_is_compared_job_by_job_in_order(tmp_path):
    """A migration that leaves one call (use_docker=False has no v2 form) still submits it through v1:
    the strict check refuses to run it; `mixed` compares every job, v1 or v2, in submission order."""
    from estimig.oracle import ExecutionFailed
    from estimig.oracle_v2 import check

    result = migrate(MIXED)
    assert result.migrated == 1 and result.left == 1
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    with pytest.raises(ExecutionFailed, match="through SDK v1"):
        check(MIXED, result.code, str(tmp_path))
    assert not check(MIXED, result.code, str(tmp_path), mixed=True)
    assert check(MIXED, result.code.replace("--epochs 3", "--epochs 4"), str(tmp_path), mixed=True)
    swapped = result.code.replace("exp.submit(local)\n", "").replace(
        'experiment_name="mixed")\n', 'experiment_name="mixed")\nexp.submit(local)\n')
    assert swapped != result.code and check(MIXED, swapped, str(tmp_path), mixed=True), "the order counts"


def test_the_registry_is_part_of_the_image_and_credentials_are_told(tmp_path):
    """The oracle reads v1's base_image_registry: the image without its registry's address differs,
    and so does a job that drops a registry's credentials (the private-registry noop, were it
    migrated by dropping them)."""
    from estimig.oracle_v2 import check

    folder = FIXTURES / "image_from_a_public_registry"
    shutil.copytree(folder, tmp_path / folder.name)
    workdir = str(tmp_path / folder.name)
    before, after = ((folder / name).read_text() for name in ("before.py", "after.py"))
    assert not check(before, after, workdir)
    bare = after.replace('image="mcr.microsoft.com/', 'image="', 1)
    assert bare != after and any(d.startswith("job 0: image") for d in check(before, bare, workdir))

    private = (FIXTURES / "noop_private_registry_with_a_password" / "before.py").read_text()
    from estimig.engine import migrate_source

    assert migrate_source(private, options=Options.create(target="v2")).migrated == 0
    assert any("registry_credentials: True != False" in d for d in check(private, after.replace(
        "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04", "myregistry.azurecr.io/training/miniconda3:latest"),
        workdir))
