"""The registry, the docs, the fixtures and the SDK stay in step: one name per concern everywhere."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from estimig.codemods import ARGUMENT_OWNERS, CONCERN_NAMES, load_concerns

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", CONCERN_NAMES)
def test_concern_module_is_complete(name):
    module = load_concerns()[name]
    assert module.NAME == name
    assert module.SUMMARY and callable(module.plan)
    # The docstring states the mapping: "<name>: <Estimator form> -> <ScriptRunConfig form>".
    assert module.__doc__.startswith(f"{name}: ") and "->" in module.__doc__.splitlines()[0]


@pytest.mark.parametrize("name", CONCERN_NAMES)
def test_concern_has_a_docs_section(name):
    text = (ROOT / "docs" / "concerns.md").read_text()
    match = re.search(rf"^## {name}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/concerns.md has no '## {name}' section"
    assert len(match.group(1).strip()) > 200, f"the '## {name}' section says too little"


@pytest.mark.parametrize("name", CONCERN_NAMES)
def test_concern_has_fixtures_and_a_strategy(name):
    assert list((ROOT / "fixtures" / name).glob("*/before.py")), f"fixtures/{name}/ has no scenario"
    assert (ROOT / "tests" / "strategies" / f"{name}.py").exists() or name == "uses", \
        f"tests/strategies/{name}.py is missing"


def test_every_owner_is_a_concern():
    assert set(ARGUMENT_OWNERS.values()) <= set(CONCERN_NAMES)


@pytest.mark.parametrize("path", ["azureml.train.estimator.Estimator", "azureml.train.dnn.PyTorch",
                                  "azureml.train.dnn.TensorFlow", "azureml.train.dnn.Chainer",
                                  "azureml.train.sklearn.SKLearn"])
def test_every_sdk_argument_has_an_owner(path):
    """A new or forgotten estimator argument would otherwise be 'unknown' and block every call using it."""
    module_name, class_name = path.rsplit(".", 1)
    cls = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    parameters = [p for p in inspect.signature(cls.__init__).parameters.values()
                  if p.name != "self" and p.kind is not p.VAR_KEYWORD and not p.name.startswith("_")]
    missing = [p.name for p in parameters if p.name not in ARGUMENT_OWNERS]
    assert not missing, f"{path} arguments with no owning concern: {missing}"
