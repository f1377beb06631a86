"""environment: each form gives an oracle-equal ScriptRunConfig; every unsafe form is left alone
with a reason; --environment curated gives the guide's curated environment as a reported difference;
the framework table matches the installed SDK."""

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
    ("TensorFlow", {"compute_target": "cluster", "user_managed": "True"}),
    ("Chainer", {"compute_target": "cluster", "framework_version": "'7.0.0'", "custom_docker_image": "'img:1'"}),
    ("SKLearn", {"compute_target": "cluster", "framework_version": "'0.20.3'"}),
    # Framework estimators ignore the deprecated custom_docker_base_image (found by the property test).
    ("TensorFlow", {"compute_target": "'cpu-cluster'", "pip_packages": "['pandas']", "custom_docker_base_image": "'img:1'"}),
    ("PyTorch", {"compute_target": "cluster", "user_managed": "True", "custom_docker_base_image": "'img:1'"}),
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
    ("Estimator", {"compute_target": "cluster", "use_docker": "False", "custom_docker_image": "'img'"}, "rejects"),
    ("PyTorch", {"compute_target": "cluster", "framework_version": "'0.4'"}, "not a version"),
    ("PyTorch", {"compute_target": "cluster", "framework_version": "version()"}, "cannot prove"),
    ("PyTorch", {"compute_target": "cluster", "use_gpu": "flag()"}, "cannot prove"),
    ("PyTorch", {"compute_target": "target()"}, "kind of compute target"),
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
