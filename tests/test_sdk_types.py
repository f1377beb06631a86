"""Every row of estimig/sdk_types.py against the real SDK: the example builds an object of the
row's kind, and estimig classifies the same expression as that kind."""

from __future__ import annotations

import importlib

import libcst as cst
import pytest

from estimig import sdk_types
from estimig.facts import collect
from estimig.values import Kind, classify

IMPORTS = """\
from azureml.core import Dataset, Datastore, Workspace
from azureml.core.compute import AmlCompute, ComputeTarget, RemoteCompute
from azureml.data.datapath import DataPath
from azureml.data.data_reference import DataReference
from azureml.data.dataset_consumption_config import DatasetConsumptionConfig
from azureml.train.estimator import Estimator
ws = Workspace.from_config()
"""


def _class(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("row", sdk_types.ROWS, ids=[r.example for r in sdk_types.ROWS])
def test_the_sdk_returns_what_the_row_says(row):
    from estimig.offline import offline_sdk

    with offline_sdk():
        scope: dict = {}
        exec(IMPORTS, scope)
        value = eval(row.example, scope)
    classes = tuple(_class(c) for c in sdk_types.KIND_CLASSES[row.result])
    assert isinstance(value, classes), f"{row.example} is a {type(value).__name__}, not {row.result}"


@pytest.mark.parametrize("row", sdk_types.ROWS, ids=[r.example for r in sdk_types.ROWS])
def test_estimig_classifies_the_example_as_the_row_says(row):
    code = IMPORTS + f"value = {row.example}\nest = Estimator(source_directory='.', script_params={{'--x': value}})\n"
    facts = collect(cst.parse_module(code))
    (call,) = facts.calls
    value = call.kwargs["script_params"].value.elements[0].value
    assert classify(call, value).kind is Kind[row.result]


def test_every_kind_has_its_classes():
    assert {row.result for row in sdk_types.ROWS} <= set(sdk_types.KIND_CLASSES)
