"""The finding codes: registry and docs/rules.md in step, each example yields its code, every
finding of every fixture carries a registered code, and `estimig rules` lists them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixture_support import scenarios

from estimig import rules
from estimig.cli import main
from estimig.comments import MAX_COMMENT, PREFIX
from estimig.engine import migrate_source
from estimig.options import Options
from estimig.result import Severity

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def _sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## (EST\d{3})\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_docs_list_every_code_in_registry_order():
    assert list(_sections()) == list(rules.RULES)


@pytest.mark.parametrize("code", list(rules.RULES))
def test_docs_section_names_the_rule_its_severity_an_example_and_the_fix(code):
    rule, section = rules.RULES[code], _sections()[code]
    assert section.lstrip().startswith(f"`{rule.name}` · {rule.severity.value}\n"), section[:80]
    assert re.search(r"^```(python|text)\n", section, re.M), f"{code}: no example"
    assert "**Fix:**" in section, f"{code}: no fix"


# `--environment curated` is what makes EST203's deliberate difference; every other example runs with the defaults.
EXAMPLE_OPTIONS = {"EST203": Options.create(environment="curated")}


@pytest.mark.parametrize("code", [c for c, s in _sections().items() if "```python\n" in s])
def test_python_example_yields_its_code(code):
    example = re.search(r"^```python\n(.*?)^```", _sections()[code], re.M | re.S).group(1)
    result = migrate_source(example, options=EXAMPLE_OPTIONS.get(code))
    assert code in {f.code for f in result.findings}, [(f.code, f.message) for f in result.findings]
    if code.startswith("EST1"):
        assert f"{PREFIX} {code} " in result.code


def test_codes_are_unique_well_formed_and_grouped_by_outcome():
    assert all(re.fullmatch(r"EST\d{3}", code) for code in rules.RULES)
    assert len({r.name for r in rules.RULES.values()}) == len(rules.RULES)
    for rule in rules.RULES.values():
        # EST0xx: the file; EST1xx: left as it was (a person acts); EST2xx: migrated.
        assert (rule.code[3] == "1") == ("left as an Estimator" in rule.summary or rule.code == "EST120")


@pytest.mark.parametrize("code", list(rules.RULES))
def test_summary_fits_an_inline_comment(code):
    assert len(f"{PREFIX} {code} {rules.RULES[code].summary}") <= MAX_COMMENT


def test_the_assumption_code_is_reserved_for_the_lead():
    # Issue 14 attaches it with one line: Finding(..., code=rules.ASSUMED, assumptions=(...)).
    assert rules.RULES[rules.ASSUMED].name == "migrated-on-assumption"
    assert rules.RULES[rules.ASSUMED].severity is Severity.INFO


def test_every_fixture_finding_has_a_registered_code():
    seen = set()
    for scenario in scenarios():
        for finding in scenario.migrate(scenario.before).findings:
            assert finding.code in rules.RULES, (scenario.id, finding)
            assert finding.severity is rules.RULES[finding.code].severity, (scenario.id, finding)
            seen.add(finding.code)
    assert len(seen) >= 5, seen  # the fixtures exercise several kinds, so this check can fail


def test_rules_command_lists_every_code_and_explains_one():
    runner = CliRunner()
    listing = runner.invoke(main, ["rules"])
    assert listing.exit_code == 0
    assert [line.split()[0] for line in listing.output.splitlines()] == list(rules.RULES)
    one = runner.invoke(main, ["rules", "est103"])
    assert one.exit_code == 0 and "EST103" in one.output and "fix:" in one.output
    bad = runner.invoke(main, ["rules", "EST999"])
    assert bad.exit_code == 2 and "unknown code 'EST999'" in bad.output
