"""Star imports of SDK modules (`from azureml.train.estimator import *`) bind the module's public names;
a star import estimig cannot see into never leaves an estimator in silence.

The names come from estimig/data/star_imports.json, generated from the installed SDK by
scripts/generate_public_names.py; the first tests check the table is current and shipped.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import tomllib
from pathlib import Path

import libcst as cst
import pytest

from estimig.analysis import Analysis, star_imports
from estimig.comments import PREFIX as COMMENT_PREFIX
from estimig.engine import migrate_source
from estimig.facts import ESTIMATOR_CLASSES, collect

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "generate_public_names.py"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_public_names", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the table -----------------------------------------------------------------------------------
def test_table_matches_the_installed_sdk():
    generator = _generator()
    assert generator.OUTPUT.read_text() == generator.render(generator.build()), (
        "estimig/data/star_imports.json is out of date: run python scripts/generate_public_names.py")


def test_table_is_sorted_and_records_the_sdk_it_came_from():
    generator = _generator()
    table = generator.build()
    assert table["sdk"]["azureml-core"] and table["sdk"]["azureml-train-core"]
    assert list(table["modules"]) == sorted(table["modules"])
    for module, entry in table["modules"].items():
        assert list(entry["names"]) == sorted(entry["names"]), module
        # Each name is what an explicit `from M import name` would give: the public import path.
        assert all(qualified == f"{module}.{name}" for name, qualified in entry["names"].items()), module
        assert entry.get("may_bind", []) == sorted(entry.get("may_bind", [])), module


def test_every_estimator_class_is_reachable_by_a_star_import():
    star_names = {qualified for entry in star_imports().values() for qualified in entry["names"].values()}
    public = {name for name in ESTIMATOR_CLASSES if "._" not in name}
    assert public <= star_names


def test_table_is_package_data():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "estimig.data" in project["tool"]["setuptools"]["packages"]
    patterns = project["tool"]["setuptools"]["package-data"]["estimig.data"]
    assert any(fnmatch.fnmatch("star_imports.json", pattern) for pattern in patterns)


# -- resolution ----------------------------------------------------------------------------------
def _qualified(code: str, name: str) -> set[str]:
    module = cst.parse_module(code)
    analysis = Analysis(module)
    calls = [n for n in analysis.calls_and_classes
             if isinstance(n, cst.Call) and module.code_for_node(n.func) == name]
    assert calls, name
    return analysis.qualified_names(calls[-1].func)


@pytest.mark.parametrize("code, name, expected", [
    ("from azureml.train.estimator import *\nEstimator('src')\n", "Estimator", "azureml.train.estimator.Estimator"),
    ("from azureml.train.dnn import *\nPyTorch('src')\n", "PyTorch", "azureml.train.dnn.PyTorch"),
    ("from azureml.train.sklearn import *\nSKLearn('src')\n", "SKLearn", "azureml.train.sklearn.SKLearn"),
    ("from azureml.train.hyperdrive import *\nHyperDriveConfig(run_config=x)\n", "HyperDriveConfig",
     "azureml.train.hyperdrive.HyperDriveConfig"),
    ("from azureml.core import *\nWorkspace.from_config()\n", "Workspace.from_config",
     "azureml.core.Workspace.from_config"),
    ("from azureml.core import *\nScriptRunConfig('src')\n", "ScriptRunConfig", "azureml.core.ScriptRunConfig"),
    ("from azureml.core.runconfig import *\nMpiConfiguration()\n", "MpiConfiguration",
     "azureml.core.runconfig.MpiConfiguration"),
    ("from azureml.train.dnn import *\ndef f():\n    return PyTorch('src')\n", "PyTorch", "azureml.train.dnn.PyTorch"),
])
def test_star_imported_names_resolve(code, name, expected):
    assert _qualified(code, name) == {expected}


def test_a_star_import_binds_as_the_explicit_import_would():
    """`from M import *` + `name.x()` means what `from M import name` + `name.x()` means, for every
    name of every module in the table, also when a later binding may shadow it."""
    for module, entry in star_imports().items():
        for name in entry["names"]:
            for tail in ("", "class {name}: pass\n"):
                use = tail.format(name=name) + f"{name}.x()\n"
                explicit = _qualified(f"from {module} import {name}\n{use}", f"{name}.x")
                assert _qualified(f"from {module} import *\n{use}", f"{name}.x") == explicit, (module, name)


def test_a_name_read_before_the_star_import_is_not_bound_by_it():
    code = "Estimator('src')\nfrom azureml.train.estimator import *\nEstimator('src')\n"
    module = cst.parse_module(code)
    analysis = Analysis(module)
    first, second = [n for n in analysis.calls_and_classes if isinstance(n, cst.Call)]
    assert analysis.qualified_names(first.func) == set()
    assert analysis.qualified_names(second.func) == {"azureml.train.estimator.Estimator"}


def test_star_imported_estimator_is_migrated():
    code = ("from azureml.core import *\n"
            "from azureml.train.estimator import *\n"
            "ws = Workspace.from_config()\n"
            "est = Estimator(source_directory='./src', entry_script='train.py', compute_target='cpu')\n"
            "Experiment(ws, 'x').submit(est)\n")
    result = migrate_source(code)
    assert result.migrated == 1 and result.left == 0, result.findings
    assert "ScriptRunConfig(" in result.code and "Estimator(" not in result.code


# -- never silence -------------------------------------------------------------------------------
HEAD = "from azureml.core import Experiment, Workspace\n"
CALL = "est = {cls}(source_directory='./src', entry_script='train.py', compute_target='cpu')\n"


@pytest.mark.parametrize("imports, cls, module", [
    ("from helpers import *\n", "Estimator", "helpers"),
    ("from .helpers import *\n", "PyTorch", ".helpers"),
    ("from ..pkg.helpers import *\n", "SKLearn", "..pkg.helpers"),
    ("from azureml.contrib.training import *\n", "TensorFlow", "azureml.contrib.training"),
    ("from azureml import *\n", "Chainer", "azureml"),
    # A package without __all__ binds any submodule imported before: not in the table, explained.
    ("from azureml.train import *\n", "estimator.Estimator", "azureml.train"),
    ("from azureml.train import *\n", "dnn.PyTorch", "azureml.train"),
    # A star import after the estimator's own import may rebind it.
    ("from azureml.train.estimator import Estimator\nfrom helpers import *\n", "Estimator", "helpers"),
    ("from azureml.train.dnn import PyTorch as PT\nfrom helpers import *\n", "PT", "helpers"),
    ("import azureml.train.estimator\nfrom helpers import *\n", "azureml.train.estimator.Estimator", "helpers"),
])
def test_unseen_star_import_leaves_the_call_with_a_finding(imports, cls, module):
    code = HEAD + imports + CALL.format(cls=cls)
    result = migrate_source(code)
    assert result.migrated == 0 and result.left == 1, (code, result.findings)
    [finding] = [f for f in result.findings if "left as it was" in f.message]
    assert f"`from {module} import *`" in finding.message
    assert "cannot see into" in finding.message
    comments = [line for line in result.code.splitlines() if line.lstrip().startswith(COMMENT_PREFIX)]
    assert len(comments) == 1 and f"`from {module} import *`" in comments[0] and len(comments[0]) <= 120
    assert migrate_source(result.code).code == result.code


@pytest.mark.parametrize("body", [
    "def build():\n    {call}    return est\n",
    "if True:\n    {call}",
])
def test_unseen_star_import_is_seen_from_nested_code(body):
    code = HEAD + "from helpers import *\n" + body.format(call=CALL.format(cls="Estimator"))
    result = migrate_source(code)
    assert result.left == 1 and any("`from helpers import *`" in f.message for f in result.findings)


@pytest.mark.parametrize("use", ["cls = Estimator\n", "class Mine(Estimator):\n    pass\n"])
def test_unseen_star_import_explains_a_class_used_otherwise(use):
    code = HEAD + "from helpers import *\n" + use
    facts = collect(cst.parse_module(code))
    assert facts.stray and "`from helpers import *`" in facts.stray[0][1]
    result = migrate_source(code)
    assert any("`from helpers import *`" in f.message for f in result.findings)
    assert COMMENT_PREFIX in result.code


@pytest.mark.parametrize("imports", [
    # Star imports the table sees into, before or after the estimator's import: nothing is hidden.
    "from azureml.train.estimator import Estimator\nfrom azureml.core import *\n",
    "from helpers import *\nfrom azureml.train.estimator import Estimator\n",
    "from azureml.train.estimator import *\nfrom azureml.train.dnn import *\n",
])
def test_star_imports_that_cannot_rebind_the_class_leave_it_migratable(imports):
    code = HEAD + imports + CALL.format(cls="Estimator") + "Experiment(Workspace.from_config(), 'x').submit(est)\n"
    result = migrate_source(code)
    assert result.migrated == 1, result.findings


def test_names_that_are_not_estimator_classes_stay_quiet():
    code = HEAD + "from helpers import *\nmodel = train(data)\nEstimatorish('x')\n"
    result = migrate_source(code)
    assert result.code == code and not result.findings
