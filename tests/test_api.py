"""`migrate_source`'s contract, as README.md ("From Python") and docs/cli.md state it."""

from __future__ import annotations

from pathlib import Path

import pytest

from estimig import Result, migrate_source
from estimig.options import Options
from estimig.result import Severity

BASIC = Path(__file__).resolve().parent.parent / "fixtures" / "core" / "basic"


@pytest.mark.parametrize("code", [
    pytest.param("from azureml.train.estimator import Estimator\nest = Estimator(\n", id="does-not-parse"),
    pytest.param("import azureml\nx = 1 +* 2\n", id="syntax-error-after-azureml"),
    pytest.param("import azureml\n\x00\n", id="nul-byte"),
    pytest.param("import azureml\n" + "if x:\n" * 60 + "    pass\n", id="if-without-a-body"),
])
def test_text_that_cannot_be_read_comes_back_unchanged_with_an_error(code):
    result = migrate_source(code)
    assert isinstance(result, Result) and result.code == code and result.migrated == 0
    assert [f.severity for f in result.findings] == [Severity.ERROR]
    assert result.findings[0].concern == "parse" and result.findings[0].line >= 1


def test_text_without_azureml_is_returned_unparsed_with_no_findings():
    broken = "def (:\n    Estimator(\n"
    assert migrate_source(broken) == Result(broken)


@pytest.mark.parametrize("error, message", [
    (KeyError("a bug"), "internal error (KeyError"),
    (RecursionError(), "too deeply nested to analyse"),
])
def test_an_analysis_that_fails_is_an_engine_error_and_the_code_is_unchanged(monkeypatch, error, message):
    import estimig.engine as engine

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(engine, "_migrate_module", failing)
    code = (BASIC / "before.py").read_text(encoding="utf-8")
    result = migrate_source(code)
    assert result.code == code and [f.concern for f in result.findings] == ["engine"]
    assert message in result.findings[0].message and result.findings[0].severity is Severity.ERROR


def test_a_migration_returns_the_new_code_and_counts(tmp_path):
    before = (BASIC / "before.py").read_text(encoding="utf-8")
    result = migrate_source(before, path=str(BASIC / "before.py"))
    assert result.code == (BASIC / "after.py").read_text(encoding="utf-8")
    assert (result.migrated, result.left) == (1, 0)
    assert [f.line for f in result.findings] == sorted(f.line for f in result.findings)


def test_only_wrong_argument_types_and_unknown_concerns_raise():
    with pytest.raises(TypeError):
        migrate_source(None)
    with pytest.raises(ValueError, match="unknown concern 'nope'"):
        Options.create(skip=("nope",))
