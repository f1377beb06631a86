"""Named assumptions (estimig/assumptions.py): only when asked, visible where made, proven when they hold.

The fixture pairs under fixtures/assumptions/ go through tests/test_fixtures.py (exact output, fixed
point, oracle with the assumption) with the names in their `assume` file; here: the registry and
docs agree, each assumption unlocks a fixture that stays refused without it and names it, a run
without --assume is byte-identical to one with an empty list, every output format carries the
assumed kind, and generated programs whose unseen values satisfy the assumptions are oracle-equal.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimig.assumptions import ASSUMPTIONS, relied_on, resolve
from estimig.cli import main
from estimig.engine import migrate_source
from estimig.options import Options
from fixture_support import assert_oracle_equal, params, scenarios

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "assumptions.md"
ASSUMED_PAIRS = [s for s in scenarios() if s.assume and not s.is_noop]
ASSUMED_NOOPS = [s for s in scenarios() if s.assume and s.is_noop]
EXAMPLES = int(os.environ.get("ESTIMIG_PROPERTY_EXAMPLES", "100")) // 4 or 1


def test_registry_and_docs_agree():
    text = DOCS.read_text()
    sections = re.findall(r"^## (\S+)$", text, flags=re.M)
    assert sections == list(ASSUMPTIONS), "docs/assumptions.md has one section per assumption, in registry order"
    for name, assumption in ASSUMPTIONS.items():
        body = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"**Assumes** {assumption.statement}" in " ".join(body.split()), name
        for concern in assumption.concerns:
            assert concern in body, f"{name}: the docs name the concern {concern}"


def test_statements_are_one_short_sentence():
    for assumption in ASSUMPTIONS.values():
        assert len(f"# estimig: assumes {assumption.statement}") <= 120, assumption.name
        assert not assumption.statement.endswith("."), assumption.name


def test_all_and_unknown_names():
    assert resolve(["all"]) == frozenset(ASSUMPTIONS)
    assert resolve([]) == frozenset()
    with pytest.raises(ValueError, match="unknown assumption 'amlcompute'"):
        resolve(["amlcompute"])


def test_every_assumption_unlocks_a_fixture_and_has_one_it_does_not_apply_to():
    # --target v2's pairs name theirs in the same `assume` file (tests/test_v2.py proves them).
    v2 = {name for listed in (ROOT / "fixtures" / "v2").glob("*/assume") if not listed.parent.name.startswith("noop_")
          for name in listed.read_text().split()}
    unlocked = {name for s in ASSUMED_PAIRS for name in s.assume} | v2
    assert set(ASSUMPTIONS) <= unlocked, f"no fixture unlocked by {sorted(set(ASSUMPTIONS) - unlocked)}"
    assert ASSUMED_NOOPS, "no fixture where an assumption does not apply"


@pytest.mark.parametrize("scenario", params(ASSUMED_PAIRS))
def test_a_pair_needs_its_assumptions_and_says_so(scenario):
    """Without its assumptions the call is left and the refusal names one of them; with them, each
    migrated call carries the comment and a finding naming exactly the assumptions used. (The
    compute target's kind only matters with --environment cached-image: its fixture is checked so.)"""
    options = Options.create(environment="cached-image") if scenario.cached_image_after is not None \
        and "# estimig: assumes" in scenario.cached_image_after and "# estimig: assumes" not in scenario.after \
        else None
    proven = scenario.migrate(scenario.before, options, assume=())
    assert proven.migrated < scenario.migrate(scenario.before, options).migrated, "the assumption unlocks nothing"
    assert any(f"--assume {name}" in f.message for f in proven.findings for name in scenario.assume), \
        [f.message for f in proven.findings]
    assumed = scenario.migrate(scenario.before, options)
    notes = [f for f in assumed.findings if f.assumptions]
    assert assumed.assumed == len(notes) >= 1
    assert all(set(f.assumptions) <= set(scenario.assume) for f in notes)
    assert assumed.code.count("# estimig: assumes ") == assumed.assumed
    assert relied_on(scenario.after if options is None else scenario.cached_image_after) == sorted({n for f in notes for n in f.assumptions},
                                                key=list(ASSUMPTIONS).index)


@pytest.mark.parametrize("scenario", params(ASSUMED_NOOPS))
def test_a_noop_stays_refused_whatever_is_assumed(scenario):
    result = scenario.migrate(scenario.before)
    assert result.migrated == 0 and result.left >= 1
    assert not [f for f in result.findings if f.assumptions]


@pytest.mark.parametrize("scenario", params(scenarios()))
def test_no_assume_is_byte_identical_to_an_empty_list_and_assumes_nothing(scenario):
    default = scenario.migrate(scenario.before, assume=())
    empty = migrate_source(scenario.program(scenario.before), path=str(scenario.before_path),
                           options=Options.create(assume=[]))
    plain = migrate_source(scenario.program(scenario.before), path=str(scenario.before_path))
    assert empty.code == plain.code and empty.findings == plain.findings
    assert default.assumed == 0 and "# estimig: assumes" not in default.code
    assert not [f for f in default.findings if f.assumptions]


# -- the command line and the reports -----------------------------------------------------------------

SETTINGS_JOB = '''\
import json

from azureml.core import Experiment, Workspace
from azureml.train.estimator import Estimator

settings = json.load(open("settings.json"))
ws = Workspace.from_config()
est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",
                script_params={"--lr": settings["lr"]})
Experiment(ws, "x").submit(est)
'''


def _project(tmp_path: Path, config: str = "") -> Path:
    (tmp_path / "job.py").write_text(SETTINGS_JOB)
    if config:
        (tmp_path / "pyproject.toml").write_text(config)
    return tmp_path / "job.py"


def test_cli_assume_migrates_marks_and_counts(tmp_path):
    job = _project(tmp_path)
    result = CliRunner().invoke(main, ["rewrite", str(job), "--assume", "scalar-script-params", "--no-color"])
    assert result.exit_code == 1, result.output
    text = job.read_text()
    assert "# estimig: assumes script_params values not visible here" in text
    assert "ScriptRunConfig(" in text
    assert "Migrated 1 call, 1 of them on assumptions, in 1 file" in result.output
    again = CliRunner().invoke(main, ["rewrite", str(job), "--assume", "all", "--check"])
    assert again.exit_code == 0, again.output


def test_cli_without_assume_names_the_option(tmp_path):
    job = _project(tmp_path)
    result = CliRunner().invoke(main, ["rewrite", str(job), "--check", "--no-color"])
    assert "run with --assume scalar-script-params to migrate it" in result.output
    assert "ScriptRunConfig(" not in job.read_text()


def test_config_assume_list(tmp_path):
    job = _project(tmp_path, '[tool.estimig]\nassume = ["scalar-script-params"]\n')
    result = CliRunner().invoke(main, ["rewrite", str(job)])
    assert result.exit_code == 1, result.output
    assert "# estimig: assumes" in job.read_text()


def test_unknown_assumption_is_one_line_and_exit_2(tmp_path):
    job = _project(tmp_path)
    result = CliRunner().invoke(main, ["rewrite", str(job), "--assume", "everything"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"estimig: error: unknown assumption 'everything' (known: {', '.join(ASSUMPTIONS)}, or all)"]
    assert job.read_text() == SETTINGS_JOB


def test_list_assumptions():
    result = CliRunner().invoke(main, ["rewrite", "--list-assumptions"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == list(ASSUMPTIONS)


@pytest.mark.parametrize("fmt, marker", [
    ("json", '"assumptions": [\n'),
    ("sarif", '"level": "note"'),
    ("github", "::notice "),
    ("markdown", "| of them on named assumptions | 1 |"),
    ("text", "migrated on an assumption (scalar-script-params)"),
])
def test_every_report_format_carries_the_assumed_kind(tmp_path, fmt, marker):
    job = _project(tmp_path)
    report = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(main, ["rewrite", str(job), "--assume", "all", "--report", str(report),
                                       "--format", fmt])
    assert result.exit_code == 1, result.output
    text = report.read_text()
    assert marker in text
    if fmt == "json":
        data = json.loads(text)
        assert data["summary"]["assumed"] == 1
        assert [f["assumptions"] for f in data["files"][0]["findings"] if f["assumptions"]] == \
            [["scalar-script-params"]]


# -- property: unseen values drawn to satisfy the assumptions are oracle-equal -------------------------

_scalars = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).filter(lambda f: f != 0.0),
    st.booleans(),
    st.text(alphabet="abcdefghij-_./0123456789", min_size=1, max_size=8),
)
_keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=6).map(lambda k: f"--{k}")


@st.composite
def _settings_programs(draw):
    """(program, settings): a job whose values come from a settings file estimig cannot see."""
    values = draw(st.dictionaries(_keys, _scalars, min_size=1, max_size=4))
    # A framework estimator leaves out its own pins of the packages named here (torch, scikit-learn, ...).
    kind, module = draw(st.sampled_from([("Estimator", "estimator"), ("PyTorch", "dnn"), ("SKLearn", "sklearn"),
                                         ("TensorFlow", "dnn")]))
    packages = draw(st.lists(st.sampled_from(["pandas", "numpy==1.21.0", "scikit-learn", "mlflow", "torch==1.6.0",
                                              "tensorboard>=2.0", "joblib", "scipy[all]"]),
                             min_size=1, max_size=3))
    whole = draw(st.booleans())
    image = draw(st.sampled_from([None, "myregistry.azurecr.io/train:1"]))
    returned = draw(st.booleans())
    bare = draw(st.booleans())  # a visible bare flag beside the unseen dict: dropped '' as the SDK did
    params = ('{**settings["params"], "--verbose": ""}' if bare else 'settings["params"]') if whole else "{" + ", ".join(
        f'{k!r}: settings["params"][{k!r}]' for k in values) + "}"
    conda = draw(st.lists(st.sampled_from(["numpy", "libgcc", "tensorboard", "scikit-learn"]), max_size=2, unique=True))
    extra = ', custom_docker_image=settings["image"]' if image else ""
    extra += ', conda_packages=settings["conda"]' if conda else ""
    pip = ', pip_packages=settings["packages"]' if draw(st.booleans()) or not conda else ""
    build = (f'    est = {kind}(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",\n'
             f'                    script_params={params}{pip}{extra})\n')
    if returned:
        tail = "    return est\n\n\nest = make(Workspace.from_config())\n"
    else:
        tail = '    Experiment(ws, "generated").submit(est)\n\n\nmake(Workspace.from_config())\n'
    program = ("import json\n\nfrom azureml.core import Experiment, Workspace\n"
               f"from azureml.train.{module} import {kind}\n\n\n"
               "def make(ws):\n    settings = json.load(open('settings.json'))\n" + build + tail)
    return program, {"params": values, "packages": packages, "image": image, "conda": conda}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_settings_programs())
def test_generated_unseen_values_that_hold_the_assumptions_are_oracle_equal(tmp_path_factory, case):
    program, values = case
    workdir = tmp_path_factory.mktemp("job")
    (workdir / "settings.json").write_text(json.dumps(values))
    proven = migrate_source(program)
    assert proven.migrated == 0, "the unseen values must not be taken as proven"
    result = migrate_source(program, options=Options.create(assume=["all"]))
    assert result.migrated == 1 and result.assumed == 1, [f.message for f in result.findings]
    assert migrate_source(result.code, options=Options.create(assume=["all"])).code == result.code
    assert_oracle_equal(program, result.code, workdir, assume=("all",))


# -- SDK objects from a module the run cannot see ------------------------------------------------------

# The project's shared module, on sys.path only at run time (the MLOps-repo shape: `sys.path.append`),
# so estimig cannot read it; the oracle runs it, built to satisfy the assumptions.
UNSEEN_MODULE = '''\
from azureml.core import Dataset, Experiment, Workspace
from azureml.core.compute import ComputeTarget

ws = Workspace.from_config()
gpu_cluster = ComputeTarget(workspace=ws, name="gpu-cluster")
train_ds = Dataset.get_by_name(ws, name="train-images")
LEARNING_RATE = 0.003
SCRIPT_PARAMETERS = {"--epochs": 8, "--optimizer": "adam"}
PIP_PACKAGES = ["pillow", "pandas==1.3.5"]
IMAGE = "contoso.azurecr.io/vision/train:3"


def submit(estimator, name="from-helper"):
    return Experiment(ws, name).submit(estimator)
'''

_HEAD = ('import os\nimport sys\n\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), "shared"))\n'
         "from azureml.core import Experiment\n{imports}\n"
         "from aml_objects import ws, gpu_cluster, train_ds, LEARNING_RATE, SCRIPT_PARAMETERS, PIP_PACKAGES, IMAGE, "
         "submit\n\n")
UNSEEN_CASES = {
    "dataset-mounted": ("from azureml.train.estimator import Estimator",
                        'est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",\n'
                        '                script_params={"--data": train_ds.as_mount()})\n'
                        'Experiment(ws, "unseen").submit(est)\n'),
    "lr-from-module": ("from azureml.train.estimator import Estimator",
                       'est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",\n'
                       '                script_params={"--lr": LEARNING_RATE, "--seed": 1})\n'
                       'Experiment(ws, "unseen").submit(est)\n'),
    "whole-dict-from-module": ("from azureml.train.estimator import Estimator",
                               'est = Estimator(source_directory="src", entry_script="train.py",\n'
                               '                compute_target="cpu-cluster", script_params=SCRIPT_PARAMETERS)\n'
                               'Experiment(ws, "unseen").submit(est)\n'),
    "packages-from-module": ("from azureml.train.estimator import Estimator",
                             'est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",\n'
                             '                pip_packages=PIP_PACKAGES)\n'
                             'Experiment(ws, "unseen").submit(est)\n'),
    "image-from-module": ("from azureml.train.estimator import Estimator",
                          'est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",\n'
                          '                custom_docker_image=IMAGE, user_managed=True)\n'
                          'Experiment(ws, "unseen").submit(est)\n'),
    "handed-to-module": ("from azureml.train.estimator import Estimator",
                         'est = Estimator(source_directory="src", entry_script="train.py", compute_target="cpu-cluster",\n'
                         '                script_params={"--seed": 3})\n'
                         "submit(est)\n"),
    "cluster-from-module": ("from azureml.train.dnn import PyTorch",
                            'est = PyTorch(source_directory="src", entry_script="train.py", compute_target=gpu_cluster,\n'
                            '              framework_version="1.6", use_gpu=True, script_params={"--lr": LEARNING_RATE})\n'
                            'Experiment(ws, "unseen").submit(est)\n'),
}


@pytest.mark.parametrize("case", sorted(UNSEEN_CASES))
def test_sdk_objects_from_a_module_it_cannot_see(case, tmp_path):
    imports, body = UNSEEN_CASES[case]
    program = _HEAD.format(imports=imports) + body
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "aml_objects.py").write_text(UNSEEN_MODULE)
    path = str(tmp_path / "submit.py")
    result = migrate_source(program, path=path, options=Options.create(assume=["all"]))
    assert result.migrated == 1, [f.message for f in result.findings]
    proven = migrate_source(program, path=path)
    assert proven.migrated == 0 or result.assumed == 0, "an assumed migration must not also be proven"
    assert_oracle_equal(program, result.code, tmp_path, assume=("all",))
