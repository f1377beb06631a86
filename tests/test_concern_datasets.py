"""datasets: every dataset form the estimator accepts gives an oracle-equal ScriptRunConfig; every
form estimig cannot prove is left alone with a reason that says what to do."""

from __future__ import annotations

import pytest

from estimig.engine import migrate_source
from fixture_support import assert_oracle_equal
from strategies.preamble import program

BASE = {"source_directory": "'src'", "entry_script": "'train.py'", "compute_target": "cluster"}

FORMS = [
    {"script_params": "{'--data': dataset.as_mount()}"},
    {"script_params": "{'--data': dataset.as_download(), '--lr': 0.1}"},
    {"script_params": "{'--data': dataset.as_named_input('mnist').as_mount('/tmp/m')}"},
    {"script_params": "{'--data': dataset.as_named_input('mnist')}"},
    {"script_params": "{'--a': dataset.as_named_input('a').as_mount(), '--b': dataset.as_named_input('b')}"},
    {"inputs": "[dataset.as_named_input('mnist')]"},
    {"inputs": "[dataset.as_download(path_on_compute='/tmp/d')]"},
    {"inputs": "[dataset.as_named_input('a'), dataset.as_named_input('a').as_download()]"},
    {"inputs": "[]", "script_params": "{'--lr': 1}"},
    {"inputs": "None"},
    {"inputs": "[dataset.as_named_input('x'), datastore.path('p').as_mount()]",
     "script_params": "{'--data': dataset.as_named_input('y').as_mount()}"},
]

BLOCKED = [
    ({"inputs": "[dataset]"}, "without a consumption mode"),
    ({"inputs": "[something]"}, "cannot prove it is a dataset"),
    ({"inputs": "make_inputs()"}, "not a list literal"),
    ({"inputs": "[*more]"}, "unpacks"),
    ({"script_params": "{'--a': dataset.as_mount()}", "inputs": "[dataset.as_download()]"}, "same input name"),
    ({"script_params": "{'--a': dataset.as_named_input('x').as_mount(), '--b': dataset.as_named_input('x')}"},
     "same input name"),
]


def _check(source, tmp_path):
    result = migrate_source(source)
    assert result.migrated == 1, result.findings
    assert migrate_source(result.code).code == result.code
    assert_oracle_equal(source, result.code, tmp_path)
    return result


@pytest.mark.parametrize("kwargs", [pytest.param(k, id=repr(k)) for k in FORMS])
def test_form_is_oracle_equal(kwargs, tmp_path):
    _check(program("Estimator", {**BASE, **kwargs}), tmp_path)


@pytest.mark.parametrize("kwargs,reason", [pytest.param(k, r, id=repr(k)) for k, r in BLOCKED])
def test_unprovable_form_is_left_alone(kwargs, reason):
    source = "something = more = None\ndef make_inputs():\n    return []\n" + program("Estimator", {**BASE, **kwargs})
    result = migrate_source(source)
    assert result.migrated == 0
    assert any(reason in f.message for f in result.findings), result.findings


def test_dataset_argument_is_passed_as_is():
    result = migrate_source(program("Estimator", {**BASE, "script_params": "{'--data': dataset.as_mount()}"}))
    assert "arguments=['--data', dataset.as_mount()]" in result.code
    assert "run_config.data" not in result.code


def test_unnamed_input_is_bound_once(tmp_path):
    result = _check(program("Estimator", {**BASE, "inputs": "[dataset.as_mount()]"}), tmp_path)
    assert "est_dataset = dataset.as_mount()\n" in result.code
    assert "est.run_config.data = {est_dataset.name: est_dataset}\n" in result.code


def test_named_input_keeps_its_literal(tmp_path):
    result = _check(program("Estimator", {**BASE, "inputs": '[dataset.as_named_input("mnist")]'}), tmp_path)
    assert 'est.run_config.data = {"mnist": dataset.as_named_input("mnist")}\n' in result.code


def test_input_that_is_also_an_argument_is_not_repeated(tmp_path):
    source = program("Estimator", BASE).replace(
        "\nest = Estimator(", "\nmnist = dataset.as_named_input('mnist').as_mount()\nest = Estimator(", 1)
    source = source.replace("compute_target=cluster)", "compute_target=cluster, "
                            "script_params={'--data': mnist}, inputs=[mnist])")
    result = _check(source, tmp_path)
    assert "run_config.data" not in result.code


def test_docs_have_the_section():
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "concerns.md").read_text()
    section = docs.split("## datasets", 1)[1].split("\n## ", 1)[0]
    assert "run_config.data" in section
