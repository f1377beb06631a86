"""Report output: --format without --report prints to stdout, report paths are checked before any
file is written, colour follows NO_COLOR / FORCE_COLOR, -q / -v / --severity, paths without `./`,
and the markdown report fits a pull-request comment whatever the size of the run."""

from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner
from test_cli import BASIC, LITERAL, copy_scenario, snapshot

from estimig.cli import main
from estimig.reports import render
from estimig.reports.markdown import GITHUB_LIMIT
from estimig.result import FileResult, Finding, Result, Severity
from estimig.terminal import wants_color

LEFT = "from azureml.train.estimator import Estimator\n\nest = Estimator(**settings)\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    copy_scenario(BASIC, tmp_path / "basic")
    copy_scenario(LITERAL, tmp_path / "literal")
    (tmp_path / "left.py").write_text(LEFT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args, env=None):
    return CliRunner().invoke(main, ["rewrite", *args], env=env, catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["sarif", "json", "github", "text", "markdown"])
def test_format_without_report_prints_the_report_to_stdout(repo, fmt):
    result = invoke("--check", "--format", fmt, ".")
    assert result.exit_code == 1
    assert "EST101" in result.stdout
    if fmt in ("sarif", "json"):
        json.loads(result.stdout)  # stdout is the report and nothing else


def test_format_without_report_still_rewrites_like_ruff(repo):
    result = invoke("--format", "sarif", ".")
    assert result.exit_code == 1 and json.loads(result.stdout)["runs"][0]["results"]
    assert "ScriptRunConfig(" in (repo / "basic" / "train_job.py").read_text()


@pytest.mark.parametrize("args, message", [
    (("--report", "{missing}/r.md"), "cannot write the report"),
    (("--report", "{root}/sub/r.md", "--report-full", "{root}/sub/r.md"), "cannot write the report"),
    (("--report-full", "{root}/full.md"), "--report-full needs --report FILE or --format"),
    (("--diff", "--format", "json"), "would both go to stdout"),
    (("--report", "{root}/left.py"), "is one of the files to migrate"),
    (("--report", "{root}/basic/../left.py"), "is one of the files to migrate"),
    (("--report", "{root}/link-to-left.py"), "is one of the files to migrate"),
])
def test_bad_report_options_fail_before_any_file_is_written(repo, args, message):
    # Another name for a file to migrate (a link to it): a report written there would overwrite it.
    (repo / "link-to-left.py").symlink_to(repo / "left.py")
    before = snapshot(repo)
    result = invoke(*(a.format(root=repo, missing=repo / "missing") for a in args), ".")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [next(line for line in result.stderr.splitlines() if message in line)]
    assert snapshot(repo) == before


def test_stdin_with_format_and_no_report_is_refused():
    result = CliRunner().invoke(main, ["rewrite", "--format", "json", "-"], input=LEFT)
    assert result.exit_code == 2 and "give --report FILE" in result.stderr


def test_stdin_writes_the_report_it_is_given(tmp_path):
    report = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["rewrite", "--report", str(report), "--format", "json", "-"],
                                                 input=LEFT)
    assert result.stdout.startswith("from azureml")
    assert json.loads(report.read_text())["files"][0]["findings"][0]["code"] == "EST101"


def test_check_quiet_names_each_file_that_would_change_and_paths_carry_no_dot_slash(repo):
    result = invoke("--check", "-q", ".")
    assert result.exit_code == 1
    assert "basic/train_job.py: would change" in result.stderr.splitlines()
    assert "literal/train_job.py: would change" in result.stderr.splitlines()
    assert "left.py:3:7: warning: EST101 core:" in result.stderr
    assert "./" not in result.stderr and "Migrated" not in result.stderr


def test_verbose_lists_every_file(repo):
    (repo / "plain.py").write_text("import os\n")
    result = invoke("--check", "-v", ".")
    assert "plain.py: unchanged" in result.stderr


def test_severity_filters_the_terminal_and_the_report_but_not_the_exit_code(repo):
    result = invoke("--check", "--severity", "error", "--report", "r.txt", ".")
    assert result.exit_code == 1
    assert "EST101" not in result.stderr and "EST101" not in (repo / "r.txt").read_text()
    assert "EST101" in invoke("--check", "--severity", "warning", ".").stderr


def test_diff_headers_carry_no_dot_slash(repo):
    result = invoke("--diff", ".")
    assert "--- a/basic/train_job.py" in result.stdout and "a/./" not in result.stdout


@pytest.mark.parametrize("tty, flag, env, expected", [
    (True, None, {}, True),
    (False, None, {}, False),
    (True, None, {"NO_COLOR": "1"}, False),
    (False, None, {"FORCE_COLOR": "1"}, True),
    (True, None, {"NO_COLOR": ""}, True),  # an empty NO_COLOR does not count (no-color.org)
    (False, True, {"NO_COLOR": "1"}, True),  # the flag wins
    (True, False, {"FORCE_COLOR": "1"}, False),
])
def test_colour_follows_flag_then_no_color_force_color_then_tty(tty, flag, env, expected):
    assert wants_color(tty, flag, env) is expected


def test_force_color_colours_a_pipe(repo):
    result = invoke("--diff", ".", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in result.stdout
    assert "\x1b[" not in invoke("--diff", ".", env={"NO_COLOR": "1", "FORCE_COLOR": ""}).stdout


def test_notebook_findings_say_cell_and_line():
    finding = Finding(3, Severity.WARNING, "core", "x", cell=2, code="EST101")
    assert finding.location("nb.ipynb") == "nb.ipynb, cell 2, line 3"


# --- markdown for pull requests ----------------------------------------------------------------------


def _big_run(files: int = 150) -> list[FileResult]:
    """A run like a real repository's: many changed files with long diffs, and left calls."""
    results = []
    for i in range(files):
        before = "".join(f"est_{j} = Estimator(source_directory='src{j}', entry_script='train_{j}.py')\n"
                         for j in range(40))
        after = before.replace("Estimator(", "ScriptRunConfig(").replace("entry_script=", "script=")
        findings = tuple(Finding(j + 1, Severity.WARNING, "environment", f"pip_packages=p{j}: cannot prove what the list holds " + "." * 60,
                                 code="EST103") for j in range(i % 4))
        results.append(FileResult(f"/repo/pkg{i}/job.py", before, Result(after, findings, 40, len(findings))))
    return results


def test_markdown_of_a_150_file_run_fits_a_comment_and_says_what_it_left_out():
    report = render(_big_run(), "markdown", root="/repo", full_report="estimig-full.md")
    assert len(report) <= GITHUB_LIMIT
    assert report.index("| Files checked | 150 |") < report.index("### Findings by code") < report.index("<details>")
    count = sum(i % 4 for i in range(150))
    assert f"| `EST103` | {count} |" in report  # grouped by code, counted
    note = re.search(r"leaves out the diffs of (\d+) files", report)
    assert note and int(note.group(1)) > 0 and "`estimig-full.md`" in report
    # Diffs go before findings: every file's findings are still there.
    assert report.count("pip\\_packages=p0") == sum(1 for i in range(150) if i % 4)


def test_markdown_drops_whole_sections_last_and_counts_them():
    results = _big_run(150)
    results = [FileResult(r.path, r.original, Result(r.result.code, tuple(
        Finding(j + 1, Severity.WARNING, "core", "m" * 300, code="EST101") for j in range(20)), 40, 20))
        for r in results]
    report = render(results, "markdown", root="/repo")
    assert len(report) <= GITHUB_LIMIT
    found = re.search(r"(\d+) findings in (\d+) more files", report)
    assert found and int(found.group(1)) == 20 * int(found.group(2))
    assert "--report-full FILE" in report


def test_markdown_drops_info_notes_before_whole_sections():
    results = [FileResult(r.path, r.original, Result(r.result.code, r.result.findings + tuple(
        Finding(j + 1, Severity.INFO, "environment", "n" * 300, code="EST203") for j in range(3)), 40, 0))
        for r in _big_run(150)]
    report = render(results, "markdown", root="/repo")
    assert len(report) <= GITHUB_LIMIT
    notes = re.search(r"leaves out the diffs of \d+ files, (\d+) info notes\.", report)
    assert notes and int(notes.group(1)) > 0, report[:2000]
    assert "more file" not in report  # every file's warnings are still there
    assert report.count("pip\\_packages=p0") == sum(1 for i in range(150) if i % 4)


def test_small_markdown_is_whole_and_the_full_report_has_no_limit():
    small = render(_big_run(2), "markdown", root="/repo")
    assert "leaves out" not in small and small.count("```diff") == 2
    full = render(_big_run(), "markdown", root="/repo", limit=0)
    assert len(full) > GITHUB_LIMIT and "leaves out" not in full


def test_report_full_writes_the_long_copy(repo):
    result = invoke("--check", "--report", "short.md", "--format", "markdown", "--report-full", "full.md", ".")
    assert result.exit_code == 1
    assert (repo / "full.md").read_text().startswith("## estimig")
    assert os.path.getsize(repo / "short.md") > 0
    # With the short report on stdout too.
    (repo / "full.md").unlink()
    printed = invoke("--check", "--format", "markdown", "--report-full", "full.md", ".")
    assert printed.stdout.startswith("## estimig") and (repo / "full.md").read_text().startswith("## estimig")


def test_check_passes_on_a_repo_whose_leftover_calls_carry_ignore(tmp_path, monkeypatch):
    # What `pre-commit run estimig-check --all-files` runs on each file: the hook's entry is --check.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "left.py").write_text(LEFT)
    assert invoke("--check", "--strict", ".").exit_code == 2
    (tmp_path / "left.py").write_text(LEFT.replace("(**settings)", "(**settings)  # estimig: ignore[EST101]"))
    result = invoke("--check", "--strict", ".")
    assert result.exit_code == 0 and "EST101" not in result.stderr
