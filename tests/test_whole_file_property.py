"""Whole-file property: after a rewrite, a file either constructs no estimator or carries an
estimig comment at every estimator that is left (and at every estimator class used other than by
calling it). Generated files mix estimators with their later uses (HyperDrive, pipeline steps,
run_config reads and writes, helpers) and stray class references; the rewrite must parse, be a
fixed point, and submit what the original submitted (the oracle)."""

from __future__ import annotations

import os

import libcst as cst
from hypothesis import HealthCheck, given, settings
from strategies.preamble import PREAMBLE
from strategies.uses import IMPORTS, blocks

from estimig.assemble import enclosing_statement
from estimig.comments import PREFIX as COMMENT_PREFIX
from estimig.engine import migrate_source
from estimig.facts import collect
from fixture_support import assert_oracle_equal

EXAMPLES = int(os.environ.get("ESTIMIG_PROPERTY_EXAMPLES", "15"))


def program(pieces: list[str]) -> str:
    return PREAMBLE.format(estimator_import=IMPORTS) + "\n\n" + "\n\n".join(pieces)


def unmarked(code: str) -> list[int]:
    """Lines of estimator constructions and stray class references with no estimig comment."""
    facts = collect(cst.parse_module(code))
    missing = []
    for call in facts.calls:
        statement = call.statement or enclosing_statement(facts, call.node)
        if not _has_comment(statement):
            missing.append(call.line)
    for line, _ in facts.stray:
        from estimig.assemble import statement_at_line

        if not _has_comment(statement_at_line(facts, line)):
            missing.append(line)
    return missing


def _has_comment(statement) -> bool:
    return any(line.comment is not None and line.comment.value.startswith(COMMENT_PREFIX)
               for line in getattr(statement, "leading_lines", ()))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks())
def test_every_left_estimator_is_marked(tmp_path, pieces):
    source = program(pieces)
    result = migrate_source(source)
    cst.parse_module(result.code)
    assert migrate_source(result.code).code == result.code, "a second run changed the code"
    assert not unmarked(result.code), f"estimators left without a comment:\n{result.code}"
    assert result.left == 0 or result.findings
    if result.migrated == 0:
        return
    assert_oracle_equal(source, result.code, tmp_path / "job")


def test_unmarked_sees_a_bare_estimator():
    """The property's own check finds an estimator without a comment."""
    code = program(['est = Estimator(source_directory="./src", entry_script="train.py", compute_target=cluster)\n'])
    assert unmarked(code)
