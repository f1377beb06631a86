"""data_references: every DataReference / datastore form the estimator accepts gives an oracle-equal
ScriptRunConfig (random reference names compared by order of appearance); every form estimig
cannot prove is left alone with a reason."""

from __future__ import annotations

import pytest

from estimig.engine import migrate_source
from strategies.preamble import program
from test_concern_datasets import BASE, _check

FORMS = [
    {"script_params": "{'--data': datastore.path('mnist').as_mount()}"},
    {"script_params": "{'--data': datastore.path('mnist').as_download(path_on_compute='/tmp/m'), '--lr': 0.1}"},
    {"script_params": "{'--data': datastore}"},
    {"script_params": "{'--data': datastore.as_mount()}"},
    {"script_params": "{'--data': ws.get_default_datastore()}"},
    {"script_params": "{'--data': DataReference(datastore=datastore, data_reference_name='d', path_on_datastore='p')}"},
    {"script_params": "{'--a': datastore.path('a'), '--b': datastore.path('b').as_download()}"},
    {"inputs": "[datastore.path('a').as_mount(), datastore]"},
    {"inputs": "[datastore]", "script_params": "{'--data': datastore}"},
    {"source_directory_data_store": "datastore"},
    {"source_directory_data_store": "None"},
    {"source_directory_data_store": "datastore", "script_params": "{'--data': datastore.path('x')}"},
    {"resume_from": "DataPath(datastore=datastore, path_on_datastore='checkpoints')"},
    {"resume_from": "DataPath(datastore=datastore, path_on_datastore='c')",
     "script_params": "{'--data': datastore.path('x').as_mount(), '--lr': 0.5}"},
    {"resume_from": "DataPath(datastore=datastore, path_on_datastore='c')", "inputs": "[datastore.path('x')]",
     "source_directory_data_store": "datastore"},
]

BLOCKED = [
    ({"source_directory_data_store": "ws.get_default_datastore()"}, "bound to a simple name"),
    ({"source_directory_data_store": "something"}, "cannot prove it is a datastore"),
    ({"resume_from": "DataPath(datastore=datastore, path_on_datastore='c')",
      "script_params": "{'--resume-from': 'x'}"}, "'--resume-from'"),
    ({"script_params": "{'--data': something.as_mount()}"}, "cannot prove it is a dataset consumption"),
]


@pytest.mark.parametrize("kwargs", [pytest.param(k, id=repr(k)) for k in FORMS])
def test_form_is_oracle_equal(kwargs, tmp_path):
    _check(program("Estimator", {**BASE, **kwargs}), tmp_path)


@pytest.mark.parametrize("kwargs,reason", [pytest.param(k, r, id=repr(k)) for k, r in BLOCKED])
def test_unprovable_form_is_left_alone(kwargs, reason):
    source = "something = object()\n" + program("Estimator", {**BASE, **kwargs})
    result = migrate_source(source)
    assert result.migrated == 0
    assert any(reason in f.message for f in result.findings), result.findings


def test_inline_reference_is_bound_once_as_in_the_guide(tmp_path):
    result = _check(program("Estimator", {**BASE, "script_params": "{'--data-folder': datastore.path('foo').as_mount()}"}),
                    tmp_path)
    assert "est_data_folder = datastore.path('foo').as_mount()\n" in result.code
    assert "arguments=['--data-folder', str(est_data_folder)]" in result.code
    assert ("est.run_config.data_references = {est_data_folder.data_reference_name: est_data_folder.to_config()}\n"
            in result.code)


def test_resume_from_keeps_model_location(tmp_path):
    result = _check(program("Estimator", {**BASE, "resume_from": "DataPath(datastore=datastore, path_on_datastore='c')",
                                          "script_params": "{'--data': datastore.path('x')}"}), tmp_path)
    assert "resume_from=DataPath(" in result.code
    assert "est.run_config.data_references.update(" in result.code


def test_source_directory_data_store_is_on_run_config(tmp_path):
    result = _check(program("Estimator", {**BASE, "source_directory_data_store": "datastore"}), tmp_path)
    assert "est.run_config.source_directory_data_store = datastore.name\n" in result.code
    assert "from azureml.data.data_reference import DataReference" in result.code


def test_docs_have_the_section():
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "concerns.md").read_text()
    section = docs.split("## data_references", 1)[1].split("\n## ", 1)[0]
    assert "data_references" in section and "resume_from" in section
