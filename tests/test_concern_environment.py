"""environment: each form gives an oracle-equal ScriptRunConfig; every unsafe form is left alone
with a reason; framework estimators get the full build by default (the framework-image-cache
normalization, self-tested here), the old prebuilt image with --environment cached-image, a conda
file with --environment conda-file, the guide's curated environment as a reported difference with
--environment curated; the framework table matches the installed SDK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from estimig.codemods import environment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies.preamble import program

from estimig.engine import migrate_source
from fixture_support import assert_oracle_equal
from estimig.options import Options
from estimig.result import Severity

ROOT = Path(__file__).resolve().parent.parent

# Forms the fixtures do not already cover; each must migrate and pass the oracle.
FORMS = [
    ("Estimator", {"compute_target": "cluster", "use_gpu": "flag"}),
    ("Estimator", {"compute_target": "cluster", "pip_packages": "[]", "conda_packages": "None"}),
    ("Estimator", {"compute_target": "cluster", "pip_packages": "['azureml-defaults', 'pandas', 'pandas']"}),
    ("Estimator", {"compute_target": "cluster", "conda_packages": "['python=3.7', 'numpy']"}),
    ("Estimator", {"compute_target": "cluster", "user_managed": "flag", "use_docker": "flag"}),
    # The estimator never reads use_docker next to environment_definition: dropped.
    ("Estimator", {"compute_target": "cluster", "environment_definition": "environment", "use_docker": "False"}),
    ("Estimator", {"vm_size": "'Standard_NC6'", "use_gpu": "True", "shm_size": "'4g'"}),
    ("PyTorch", {"vm_size": "'Standard_NC6'", "framework_version": "'1.5'", "use_gpu": "True"}),
    ("PyTorch", {"compute_target": "'local'", "framework_version": "'1.3'"}),
    ("PyTorch", {"compute_target": "cluster", "conda_packages": "['pillow']", "user_managed": "False"}),
    ("TensorFlow", {"compute_target": "cluster", "framework_version": "'2.3'", "use_gpu": "True",
                    "pip_packages": "['tensorflow-gpu==2.3.1', 'pandas']"}),
    ("Chainer", {"compute_target": "cluster", "framework_version": "'7.0.0'", "custom_docker_image": "'img:1'"}),
    ("SKLearn", {"compute_target": "cluster", "framework_version": "'0.20.3'"}),
    # Framework estimators ignore the deprecated custom_docker_base_image (found by the property test).
    ("TensorFlow", {"compute_target": "'cpu-cluster'", "pip_packages": "['pandas']", "custom_docker_base_image": "'img:1'"}),
    ("SKLearn", {"compute_target": "cluster", "environment_definition": "environment"}),
    ("PyTorch", {"compute_target": "cluster", "environment_definition": "environment", "use_gpu": "False"}),
]


def _program(kind, kwargs):
    return program(kind, {"source_directory": "'src'", "entry_script": "'train.py'", **kwargs}).replace(
        "\nest = ", "\nflag = True\nest = ")


@pytest.mark.parametrize("kind,kwargs", [pytest.param(k, a, id=f"{k}-{'-'.join(f'{n}={v}' for n, v in a.items())}")
                                         for k, a in FORMS])
def test_form_is_oracle_equal(kind, kwargs, tmp_path):
    source = _program(kind, kwargs)
    result = migrate_source(source)
    assert result.migrated == 1, result.findings
    assert migrate_source(result.code).code == result.code
    assert_oracle_equal(source, result.code, tmp_path)


# (kind, keyword arguments, words the reason must contain)
BLOCKED = [
    ("Estimator", {"compute_target": "cluster", "environment_definition": "environment", "pip_packages": "['x']"},
     "rejects"),
    ("Estimator", {"compute_target": "cluster", "pip_packages": "packages()"}, "not a list literal"),
    ("Estimator", {"compute_target": "cluster", "pip_packages": "['a', *more]"}, "unpacks"),
    ("Estimator", {"compute_target": "cluster", "custom_docker_image": "image_name()"}, "non-empty image"),
    ("Estimator", {"compute_target": "cluster", "custom_docker_image": "'a'", "custom_docker_base_image": "'b'"},
     "both given"),
    ("Estimator", {"compute_target": "cluster", "conda_dependencies_file": "'env.yml'", "pip_packages": "['x']"},
     "rejects"),
    ("Estimator", {"compute_target": "cluster", "user_managed": "True", "pip_packages": "['x']"}, "rejects"),
    # user_managed on a framework estimator's private prebuilt image (the only one with the framework):
    # a full build builds no packages then (the oracle's framework-image-cache rerun skips it since).
    ("TensorFlow", {"compute_target": "cluster", "user_managed": "True"}, "prebuilt image"),
    ("PyTorch", {"compute_target": "cluster", "user_managed": "True", "custom_docker_base_image": "'img:1'"},
     "prebuilt image"),
    ("Estimator", {"compute_target": "cluster", "use_docker": "False", "custom_docker_image": "'img'"}, "rejects"),
    ("PyTorch", {"compute_target": "cluster", "framework_version": "'0.4'"}, "not a version"),
    ("PyTorch", {"compute_target": "cluster", "framework_version": "version()"}, "cannot prove"),
    ("PyTorch", {"compute_target": "cluster", "use_gpu": "flag()"}, "cannot prove"),
    ("PyTorch", {"compute_target": "cluster", "environment_definition": "Environment('x')"}, "variable"),
    ("PyTorch", {"compute_target": "cluster", "pip_requirements_file": "'requirements.txt'"}, "requirements file"),
]


@pytest.mark.parametrize("kind,kwargs,reason", [pytest.param(k, a, r, id=r.replace(" ", "-")) for k, a, r in BLOCKED])
def test_unsafe_form_is_left_alone(kind, kwargs, reason):
    source = _program(kind, kwargs)
    result = migrate_source(source)
    assert result.migrated == 0 and result.code != source
    messages = " ".join(f.message for f in result.findings if f.severity is Severity.WARNING)
    assert reason in messages, messages


CACHED_IMAGE = Options.create(environment="cached-image")
CONDA_FILE = Options.create(environment="conda-file")


def test_default_is_the_full_build_whatever_the_compute_target():
    """A compute target estimig cannot see no longer matters: the full build is the same on every target."""
    source = _program("PyTorch", {"compute_target": "target()", "framework_version": "'1.6'"})
    result = migrate_source(source)
    assert result.migrated == 1, result.findings
    assert "viennaprivate" not in result.code and 'set_python_version("3.6.2")' in result.code
    assert not any("viennaprivate" in f.message for f in result.findings)


def test_cached_image_mode_still_needs_the_kind_of_compute_target():
    result = migrate_source(_program("PyTorch", {"compute_target": "target()"}), options=CACHED_IMAGE)
    assert result.migrated == 0
    assert any("kind of compute target" in f.message for f in result.findings if f.severity is Severity.WARNING)


def test_full_build_is_one_pip_list_with_the_callers_packages_first():
    source = _program("PyTorch", {"compute_target": "cluster", "framework_version": "'1.6'",
                                  "pip_packages": "['pillow', 'torchvision==0.7.0']"})
    code = migrate_source(source).code
    assert "add_pip_package" not in code
    assert ("set_pip_requirements(['pillow', 'torchvision==0.7.0', \"azureml-defaults\", \"torch==1.6.0\", "
            '"horovod==0.19.5", "tensorboard==1.14.0", "future==0.17.1"])') in code


def test_a_package_named_twice_keeps_the_sdks_one_by_one_merge(tmp_path):
    source = _program("PyTorch", {"compute_target": "cluster", "pip_packages": "['pillow', 'pillow==8.0']"})
    result = migrate_source(source)
    assert "add_pip_package" in result.code
    assert_oracle_equal(source, result.code, tmp_path)


# -- the framework-image-cache normalization, self-tested --------------------------------------------
def _cached(kind="PyTorch", version="'1.6'"):
    gpu = {} if kind == "SKLearn" else {"use_gpu": "True"}
    return _program(kind, {"compute_target": "cluster", "framework_version": version, **gpu})


@pytest.mark.parametrize("kind,version", [("PyTorch", "'1.6'"), ("TensorFlow", "'2.1'"), ("Chainer", "'7.0.0'"),
                                          ("SKLearn", "'0.20.3'")])
def test_oracle_accepts_the_full_build_for_an_estimator_that_ran_the_cached_image(kind, version, tmp_path):
    from estimig.oracle import check, compare, execute

    source = _cached(kind, version)
    migrated = migrate_source(source).code
    (tmp_path / "src").mkdir()
    before = execute(source, "before.py", str(tmp_path))
    assert before[0]["environment"]["docker"]["baseImageRegistry"]["address"] == "viennaprivate.azurecr.io"
    assert compare(before, execute(migrated, "after.py", str(tmp_path))), "equal without the normalization"
    assert check(source, migrated, str(tmp_path)) == []


def test_oracle_rejects_a_full_build_of_another_framework_version(tmp_path):
    from estimig.oracle import check

    from estimig.oracle import compare, execute, reruns

    bumped = migrate_source(_cached(version="'1.5'")).code
    assert "torch==1.5.0" in bumped
    (tmp_path / "src").mkdir()
    assert check(_cached(version="'1.6'"), bumped, str(tmp_path))
    [forced] = reruns()
    full_build = execute(_cached(version="'1.6'"), "before.py", str(tmp_path), patch=forced)
    differences = compare(full_build, execute(bumped, "after.py", str(tmp_path)))
    assert any("torch==1.6.0" in d for d in differences), differences  # what the bump changed, and nothing forgives


def test_oracle_rejects_the_full_build_where_the_estimator_built_something_else(tmp_path):
    """The rerun only forgives the image choice: a migration missing the caller's package still differs."""
    from estimig.oracle import check

    source = _program("PyTorch", {"compute_target": "cluster", "framework_version": "'1.6'",
                                  "pip_packages": "['pillow']"})
    migrated = migrate_source(source).code.replace("'pillow', ", "")
    assert "pillow" not in migrated
    (tmp_path / "src").mkdir()
    assert check(source, migrated, str(tmp_path))


def test_cached_image_mode_is_equal_without_the_normalization(tmp_path):
    from estimig.oracle import compare, execute

    source = _cached()
    result = migrate_source(source, options=CACHED_IMAGE)
    assert "viennaprivate.azurecr.io" in result.code
    (tmp_path / "src").mkdir()
    assert compare(execute(source, "before.py", str(tmp_path)), execute(result.code, "after.py", str(tmp_path))) == []


# -- --environment conda-file ----------------------------------------------------------------------------
def _rewrite(*args, cwd, stdin=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "estimig", "rewrite", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, check=False)


def test_conda_file_mode_writes_the_full_build_beside_the_file_and_round_trips(tmp_path):
    from estimig.oracle import check

    source = _program("TensorFlow", {"compute_target": "cluster", "framework_version": "'2.0'",
                                     "pip_packages": "['pandas']", "conda_packages": "['keras']"})
    (tmp_path / "src").mkdir()
    (tmp_path / "job.py").write_text(source)
    first = _rewrite("--environment", "conda-file", "job.py", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    migrated = (tmp_path / "job.py").read_text()
    assert 'Environment.from_conda_specification("job-est-env", "job-est-env.conda.yml")' in migrated
    assert "job-est-env.conda.yml" in first.stderr  # named in the report
    spec = (tmp_path / "job-est-env.conda.yml").read_text()
    assert "  - pandas\n" in spec and "- keras\n" in spec and "- python=3.6.2\n" in spec
    assert check(source, migrated, str(tmp_path)) == []
    stamp = (tmp_path / "job-est-env.conda.yml").stat().st_mtime_ns
    second = _rewrite("--environment", "conda-file", "job.py", cwd=tmp_path)
    assert second.returncode == 0 and (tmp_path / "job.py").read_text() == migrated
    assert (tmp_path / "job-est-env.conda.yml").stat().st_mtime_ns == stamp


def test_conda_file_mode_never_overwrites_a_file(tmp_path):
    from estimig.oracle import check

    source = _cached()
    (tmp_path / "src").mkdir()
    (tmp_path / "job.py").write_text(source)
    (tmp_path / "job-est-env.conda.yml").write_text("name: mine\n")
    assert _rewrite("--environment", "conda-file", "job.py", cwd=tmp_path).returncode == 1
    assert (tmp_path / "job-est-env.conda.yml").read_text() == "name: mine\n"
    migrated = (tmp_path / "job.py").read_text()
    assert '"job-est-env-2.conda.yml"' in migrated and (tmp_path / "job-est-env-2.conda.yml").exists()
    assert check(source, migrated, str(tmp_path)) == []


def test_conda_file_mode_reuses_a_file_with_the_same_content(tmp_path):
    source = _cached()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "job.py").write_text(source)
    _rewrite("--environment", "conda-file", "a/job.py", cwd=tmp_path)
    (tmp_path / "job.py").write_text(source)
    (tmp_path / "job-est-env.conda.yml").write_text((tmp_path / "a" / "job-est-env.conda.yml").read_text())
    assert _rewrite("--environment", "conda-file", "job.py", cwd=tmp_path).returncode == 1
    assert '"job-est-env.conda.yml"' in (tmp_path / "job.py").read_text()


def test_conda_file_mode_in_stdin_mode_writes_the_statements(tmp_path):
    """stdin has no folder to write a file to: the full build is written as statements, and a finding says so."""
    result = _rewrite("--environment", "conda-file", "-", cwd=tmp_path, stdin=_cached())
    assert "from_conda_specification" not in result.stdout and "set_python_version" in result.stdout
    assert "no folder to write the conda file to" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_conda_file_mode_for_a_notebook_writes_beside_it(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(_cached())]
    (tmp_path / "train.ipynb").write_text(nbformat.writes(notebook))
    result = _rewrite("--environment", "conda-file", "train.ipynb", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert (tmp_path / "train-est-env.conda.yml").exists()
    assert "from_conda_specification" in (tmp_path / "train.ipynb").read_text()


def test_conda_file_mode_leaves_a_callers_own_conda_file_and_plain_estimators_alone():
    own = _program("SKLearn", {"compute_target": "cluster", "conda_dependencies_file": "'env.yml'"})
    plain = _program("Estimator", {"compute_target": "cluster", "pip_packages": "['pandas']"})
    for source in (own, plain):
        result = migrate_source(source, path="/nonexistent/job.py", options=CONDA_FILE)
        assert result.files == () and result.code == migrate_source(source).code


def test_notebook_entry_script_is_left_alone():
    source = program("Estimator", {"source_directory": "'src'", "entry_script": "'train.ipynb'",
                                   "compute_target": "cluster"})
    result = migrate_source(source)
    assert result.migrated == 0
    assert any("notebook" in f.message for f in result.findings)


def test_statements_need_a_statement_of_their_own():
    source = program("Estimator", {}).replace(
        "est = Estimator()", "runs = [Experiment(ws, 'x').submit(Estimator('src', entry_script='train.py', "
        "compute_target=cluster, pip_packages=['pandas']))]")
    result = migrate_source(source)
    assert result.migrated == 0
    assert any("statement of its own" in f.message for f in result.findings)


CURATED = Options.create(environment="curated")


def test_curated_environment_for_a_framework_estimator():
    source = _program("PyTorch", {"compute_target": "cluster", "framework_version": "'1.6'", "use_gpu": "True"})
    result = migrate_source(source, options=CURATED)
    assert result.migrated == 1
    assert 'est_env = Environment.get(workspace=ws, name="AzureML-PyTorch-1.6-GPU")' in result.code
    assert "environment=est_env" in result.code
    assert "NCCL_TREE_THRESHOLD" not in result.code
    assert any("deliberate difference" in f.message for f in result.findings)
    assert migrate_source(result.code, options=CURATED).code == result.code


@pytest.mark.parametrize("kind,version,name", [("TensorFlow", None, "AzureML-TensorFlow-1.13-CPU"),
                                               ("Chainer", "'5.1.0'", "AzureML-Chainer-5.1.0-CPU"),
                                               ("SKLearn", None, "AzureML-Scikit-learn-0.20.3")])
def test_curated_names(kind, version, name):
    kwargs = {"compute_target": "cluster", **({"framework_version": version} if version else {})}
    result = migrate_source(_program(kind, kwargs), options=CURATED)
    assert f'name="{name}"' in result.code


def test_curated_without_a_workspace_variable_falls_back_to_explicit():
    source = ("from azureml.train.dnn import PyTorch\n\n\n"
              "def job(target):\n"
              "    est = PyTorch('src', entry_script='train.py', compute_target='local', framework_version='1.6')\n"
              "    target.submit(est)\n")
    result = migrate_source(source, options=CURATED)
    assert result.migrated == 1
    assert "Environment.get" not in result.code and "set_python_version" in result.code
    assert any("no Workspace variable" in f.message and f.severity is Severity.WARNING for f in result.findings)


def test_curated_with_extra_packages_stays_explicit():
    source = _program("PyTorch", {"compute_target": "cluster", "pip_packages": "['pillow']"})
    result = migrate_source(source, options=CURATED)
    assert "Environment.get" not in result.code and "pillow" in result.code
    assert any("curated environment" in f.message for f in result.findings)


def test_plain_estimator_in_curated_mode_is_explicit():
    source = _program("Estimator", {"compute_target": "cluster", "pip_packages": "['pandas']"})
    assert migrate_source(source, options=CURATED).code == migrate_source(source).code


def test_framework_table_matches_the_installed_sdk():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_framework_table.py"), "--check"],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_framework_table_loads_from_package_data():
    table = environment.frameworks()
    assert set(table["frameworks"]) == {"PyTorch", "TensorFlow", "Chainer", "SKLearn"}
    assert table["frameworks"]["PyTorch"]["versions"]["1.6"]["gpu"]["pip_packages"][0] == "azureml-defaults"


@pytest.mark.parametrize("requirement,name", [("torch==1.6.0", "torch"), ("azureml-dataprep[pandas]", "azureml-dataprep"),
                                              ("numpy>=1.19", "numpy"), ("https://x/y/pkg-1.0-py3-none-any.whl", "pkg"),
                                              ("scipy", "scipy")])
def test_package_name_matches_the_sdk(requirement, name):
    from azureml.core.conda_dependencies import CondaDependencies

    assert environment.package_name(requirement) == name == CondaDependencies._get_package_name(requirement)


FRAMEWORK_EXAMPLES = int(os.environ.get("ESTIMIG_PROPERTY_EXAMPLES", "60")) // 3


@st.composite
def _framework_calls(draw):
    from strategies import core
    from strategies import environment as environment_strategy

    kind = draw(st.sampled_from(("PyTorch", "TensorFlow", "Chainer", "SKLearn")))
    kwargs = draw(core.kwargs(kind))
    kwargs.update(draw(environment_strategy.kwargs(kind)))
    return kind, kwargs


@settings(max_examples=FRAMEWORK_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_framework_calls())
def test_framework_estimators_property(tmp_path, call):
    """The lead's property test draws plain Estimators; this one draws the framework kinds with the
    core and environment arguments."""
    kind, kwargs = call
    source = program(kind, kwargs)
    result = migrate_source(source)
    assert migrate_source(result.code).code == result.code
    if result.migrated == 0:
        assert result.findings
        return
    assert_oracle_equal(source, result.code, tmp_path / "job")
