"""Every fixture pair: exact output, fixed point, and oracle equality with the real SDK.

A pair is a script (before.py, after.py) or a notebook (before.ipynb, after.ipynb); a notebook goes
through the same checks as a script, migrated as one program (its cells in order) and run by the
oracle as that program.
"""

from __future__ import annotations

import pytest

from estimig.assemble import COMMENT_PREFIX
from estimig.result import Severity
from fixture_support import assert_same_text, code_lines, copy_scenario, params, scenarios, without_lines

PAIRS = [s for s in scenarios() if not s.is_noop]
NOOPS = [s for s in scenarios() if s.is_noop]


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(COMMENT_PREFIX)


def test_every_scenario_is_a_pair_or_a_named_noop():
    for scenario in scenarios():
        assert (scenario.after is None) == scenario.is_noop, (
            f"{scenario.id}: a scenario without its after file must be named noop_*, and a noop_* has none")


def test_a_folder_holds_one_kind_of_pair():
    ids = [s.id for s in scenarios()]
    assert len(ids) == len(set(ids)), "a scenario folder holds a script pair or a notebook pair, not both"
    assert any(s.is_notebook for s in PAIRS), "no notebook pair: the notebook checks would prove nothing"


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_migrates_to_expected(scenario):
    result = scenario.migrate(scenario.before)
    assert_same_text(scenario.after, result.code, scenario.id)
    assert result.migrated >= 1, result.findings
    assert not [f for f in result.findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_migration_is_a_fixed_point(scenario):
    again = scenario.migrate(scenario.after)
    assert_same_text(scenario.after, again.code, f"{scenario.id} (second run)")


@pytest.mark.parametrize("scenario", params(NOOPS))
def test_noop_leaves_the_code_as_it_was(scenario):
    """A noop changes no code: the only lines it may add are `# estimig:` comments, one above
    each estimator it leaves, and each left estimator is reported."""
    result = scenario.migrate(scenario.before)
    assert result.migrated == 0
    added = [line for line in code_lines(result.code, scenario.is_notebook) if _is_comment(line)]
    had = [line for line in code_lines(scenario.before, scenario.is_notebook) if _is_comment(line)]
    assert not had, f"{scenario.id}: a noop's before file should not already carry estimig comments"
    assert_same_text(without_lines(scenario.before, scenario.is_notebook, _is_comment),
                     without_lines(result.code, scenario.is_notebook, _is_comment), scenario.id)
    assert len(added) == result.left, "every estimator left behind carries exactly one estimig comment"
    assert len([f for f in result.findings if "left as it was" in f.message]) == result.left
    assert scenario.migrate(result.code).code == result.code, "a second run changed the code"


@pytest.mark.parametrize("scenario", params(PAIRS))
def test_oracle_equal(scenario, tmp_path):
    from estimig.oracle import check, execute

    workdir = copy_scenario(scenario, tmp_path)
    assert execute(scenario.program(scenario.before), "before.py", str(workdir)), (
        "the fixture submits or builds nothing: the oracle would prove nothing")
    differences = check(scenario.program(scenario.before), scenario.program(scenario.after), str(workdir))
    assert not differences, "\n".join(differences)
