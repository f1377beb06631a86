"""estimig.values: what a value in an estimator call provably is."""

from __future__ import annotations

import libcst as cst
import pytest

from estimig.facts import collect
from estimig.values import Kind, classify

PREAMBLE = """\
from azureml.core import Dataset, Datastore, Workspace
from azureml.data.data_reference import DataReference
from azureml.data.datapath import DataPath
from azureml.data.dataset_consumption_config import DatasetConsumptionConfig
from azureml.train.estimator import Estimator
ws = Workspace.from_config()
store = ws.get_default_datastore()
ds = Dataset.get_by_name(ws, "mnist")
ref = store.path("x").as_mount()
"""

CASES = [
    ("0.5", Kind.LITERAL),
    ('f"{x}"', Kind.SCALAR),
    ("store", Kind.DATASTORE),
    ('Datastore.get(ws, "blob")', Kind.DATASTORE),
    ('ws.datastores["blob"]', Kind.DATASTORE),
    ("store.path('a')", Kind.DATA_REFERENCE),
    ("store.path('a').as_download(path_on_compute='/tmp')", Kind.DATA_REFERENCE),
    ("store.as_mount()", Kind.DATA_REFERENCE),
    ("ref", Kind.DATA_REFERENCE),
    ("DataReference(datastore=store, data_reference_name='n')", Kind.DATA_REFERENCE),
    ("DataPath(datastore=store, path_on_datastore='p')", Kind.DATA_PATH),
    ("ds", Kind.DATASET_OBJECT),
    ('Dataset.File.from_files(path=(store, "a/**"))', Kind.DATASET_OBJECT),
    ('Dataset.Tabular.from_delimited_files(path=[(store, "a.csv")]).take(10)', Kind.DATASET_OBJECT),
    ("ds.as_mount()", Kind.DATASET),
    ("ds.as_download()", Kind.DATASET),
    ("ds.as_named_input('m')", Kind.DATASET),
    ("ds.as_named_input('m').as_mount('/tmp/m')", Kind.DATASET),
    ("DatasetConsumptionConfig('m', ds, mode='download')", Kind.DATASET),
    # Shared method names are only trusted on a proven receiver.
    ("unknown.as_mount()", Kind.UNKNOWN),
    ("unknown.as_named_input('m')", Kind.DATASET),  # only datasets have as_named_input
    ("unknown.path('a')", Kind.UNKNOWN),
    ("ds.as_named_input('m').as_named_input('n')", Kind.UNKNOWN),
    ("ref.as_named_input('m')", Kind.UNKNOWN),
]


@pytest.mark.parametrize("code,kind", [pytest.param(c, k, id=c) for c, k in CASES])
def test_classify(code, kind):
    module = cst.parse_module(PREAMBLE + f"est = Estimator('src', script_params={{'--v': {code}}})\n")
    call = collect(module).calls[0]
    value = call.kwargs["script_params"].value.elements[0].value
    assert classify(call, value).kind is kind
