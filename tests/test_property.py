"""Property: for generated estimator calls, the migration parses, is oracle-equal to the original,
and a second run changes nothing. Calls estimig leaves alone must carry an estimig comment."""

from __future__ import annotations

import os

import libcst as cst
from hypothesis import HealthCheck, given, settings

from estimig.comments import PREFIX as COMMENT_PREFIX
from estimig.engine import migrate_source
from fixture_support import assert_oracle_equal
from strategies import estimator_calls
from strategies.preamble import program

EXAMPLES = int(os.environ.get("ESTIMIG_PROPERTY_EXAMPLES", "100"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(estimator_calls())
def test_migration_is_equivalent_and_idempotent(tmp_path, call):
    kind, kwargs = call
    source = program(kind, kwargs)
    result = migrate_source(source)
    cst.parse_module(result.code)
    assert migrate_source(result.code).code == result.code, "a second run changed the code"
    if result.migrated == 0:
        assert COMMENT_PREFIX in result.code and result.findings, "an estimator was left without a comment"
        return
    assert "Estimator(" not in result.code
    assert_oracle_equal(source, result.code, tmp_path / "job")
