"""Every fixture pair: exact output, fixed point, and oracle equality with the real SDK."""

from __future__ import annotations

import pytest

from estimig.assemble import COMMENT_PREFIX
from estimig.engine import migrate_source
from estimig.result import Severity
from fixture_support import assert_same_text, copy_scenario, params, scenarios

PAIRS = [s for s in scenarios() if not s.is_noop]
NOOPS = [s for s in scenarios() if s.is_noop]


def test_every_scenario_is_a_pair_or_a_named_noop():
    for scenario in scenarios():
        assert (scenario.after is None) == scenario.is_noop, (
            f"{scenario.id}: a scenario without after.py must be named noop_*, and a noop_* has no after.py")


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_migrates_to_expected(scenario):
    result = migrate_source(scenario.before, path=scenario.id)
    assert_same_text(scenario.after, result.code, scenario.id)
    assert result.migrated >= 1, result.findings
    assert not [f for f in result.findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_migration_is_a_fixed_point(scenario):
    again = migrate_source(scenario.after, path=scenario.id)
    assert_same_text(scenario.after, again.code, f"{scenario.id} (second run)")


@pytest.mark.parametrize("scenario", params(NOOPS))
def test_noop_leaves_the_code_as_it_was(scenario):
    """A noop changes no code: the only lines it may add are `# estimig:` comments, one above
    each estimator it leaves, and each left estimator is reported."""
    result = migrate_source(scenario.before, path=scenario.id)
    assert result.migrated == 0
    added = [line for line in result.code.splitlines(True) if line.lstrip().startswith(COMMENT_PREFIX)]
    without_comments = "".join(line for line in result.code.splitlines(True) if line not in added)
    assert_same_text(scenario.before, without_comments, scenario.id)
    assert len(added) == result.left, "every estimator left behind carries exactly one estimig comment"
    assert len([f for f in result.findings if "left as it was" in f.message]) == result.left
    assert migrate_source(result.code, path=scenario.id).code == result.code, "a second run changed the code"


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_oracle_equal(scenario, tmp_path):
    from estimig.oracle import compare, execute

    workdir = copy_scenario(scenario, tmp_path)
    before = execute(scenario.before, "before.py", str(workdir))
    after = execute(scenario.after, "after.py", str(workdir))
    assert before, "the fixture submits or builds nothing: the oracle would prove nothing"
    differences = compare(before, after)
    assert not differences, "\n".join(differences)
