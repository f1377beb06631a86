"""The command line's promises: --diff, --check, stdin/stdout, concern selection, jobs, exit codes.

Most checks run in-process with click's CliRunner; a few run the real `python -m estimig` in a
subprocess, where exit codes, stdin/stdout bytes and the absence of tracebacks are what a user sees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimig.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BASIC = FIXTURES / "core" / "basic"
LITERAL = FIXTURES / "arguments" / "literal_dict"
NOOP = FIXTURES / "core" / "noop_no_azureml"


def copy_scenario(scenario: Path, dest: Path) -> Path:
    """The scenario's before.py (as train_job.py) and its source folder, copied under dest."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(scenario / "before.py", dest / "train_job.py")
    if (scenario / "src").is_dir():
        shutil.copytree(scenario / "src", dest / "src")
    return dest / "train_job.py"


def after(scenario: Path) -> str:
    return (scenario / "after.py").read_text(encoding="utf-8")


def before(scenario: Path) -> str:
    return (scenario / "before.py").read_text(encoding="utf-8")


def invoke(*args: str, input: bytes | str | None = None):
    runner = CliRunner()
    return runner.invoke(main, ["rewrite", "--no-color", *args], input=input, catch_exceptions=False)


def stderr_of(result) -> str:
    return result.stderr if hasattr(result, "stderr") else result.output


@pytest.fixture
def project(tmp_path):
    """Two migratable jobs and one file that never mentions azureml."""
    basic = copy_scenario(BASIC, tmp_path / "basic")
    literal = copy_scenario(LITERAL, tmp_path / "literal")
    shutil.copyfile(NOOP / "before.py", tmp_path / "unrelated.py")
    return tmp_path, basic, literal


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- help and listing ------------------------------------------------------------------------------


def test_help_documents_flags_and_exit_codes():
    result = CliRunner().invoke(main, ["rewrite", "--help"])
    assert result.exit_code == 0
    for flag in ("--diff", "--check", "--only", "--skip", "--list-concerns", "--exit-zero-even-if-changed",
                 "-j, --jobs", "--exclude", "--strict", "--config"):
        assert flag in result.output, flag
    assert "Exit codes" in result.output
    for code in ("0  nothing to change", "1  files changed", "2  errors"):
        assert code in result.output


def test_top_level_help_and_version():
    assert "rewrite" in CliRunner().invoke(main, ["--help"]).output
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "estimig" in result.output


def test_list_concerns_needs_no_path():
    result = invoke("--list-concerns")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines() if line.strip()]
    assert names[:3] == ["core", "arguments", "environment"]
    assert all(len(line.split(None, 1)) == 2 for line in result.output.splitlines() if line.strip())


# --- writing, diff, check ---------------------------------------------------------------------------


def test_rewrite_writes_and_exits_1_then_0(project):
    root, basic, literal = project
    unrelated = (root / "unrelated.py").read_bytes()
    result = invoke("-j", "1", str(root))
    assert result.exit_code == 1, result.output
    assert basic.read_text(encoding="utf-8") == after(BASIC)
    assert literal.read_text(encoding="utf-8") == after(LITERAL)
    assert (root / "unrelated.py").read_bytes() == unrelated
    assert "Migrated 2 calls" in stderr_of(result)
    # A second run finds nothing to do.
    again = invoke("-j", "1", str(root))
    assert again.exit_code == 0, again.output


def test_diff_prints_unified_diff_and_writes_nothing(project):
    root, basic, _ = project
    before_bytes = snapshot(root)
    result = invoke("--diff", str(root))
    assert result.exit_code == 1
    assert snapshot(root) == before_bytes
    out = result.stdout
    assert f"--- a/{basic}" in out and f"+++ b/{basic}" in out
    assert "-from azureml.train.estimator import Estimator" in out
    assert "+est = ScriptRunConfig(source_directory=\"./src\"," in out
    assert "@@" in out


def test_check_writes_nothing_and_exits_1(project):
    root, *_ = project
    before_bytes = snapshot(root)
    result = invoke("--check", str(root))
    assert result.exit_code == 1
    assert snapshot(root) == before_bytes
    assert result.stdout == ""  # --check reports, it does not print diffs
    assert "would change" in stderr_of(result)


def test_check_exits_0_when_nothing_would_change(tmp_path):
    (tmp_path / "job.py").write_text(after(BASIC), encoding="utf-8")
    shutil.copyfile(NOOP / "before.py", tmp_path / "other.py")
    assert invoke("--check", str(tmp_path)).exit_code == 0
    assert invoke("--diff", str(tmp_path)).stdout == ""


def test_exit_zero_even_if_changed(project):
    root, basic, _ = project
    result = invoke("--exit-zero-even-if-changed", str(root))
    assert result.exit_code == 0
    assert basic.read_text(encoding="utf-8") == after(BASIC)


def test_an_explicit_file_is_rewritten(project):
    root, basic, literal = project
    literal_before = literal.read_bytes()
    assert invoke(str(basic)).exit_code == 1
    assert basic.read_text(encoding="utf-8") == after(BASIC)
    assert literal.read_bytes() == literal_before


# --- concern selection ------------------------------------------------------------------------------


def test_only_with_every_needed_concern_migrates(project):
    root, basic, _ = project
    result = invoke("--only", "core,environment", str(basic))
    assert result.exit_code == 1
    assert basic.read_text(encoding="utf-8") == after(BASIC)


def test_skipping_a_needed_concern_leaves_the_call_whole(project):
    root, _, literal = project
    result = invoke("--skip", "arguments", "--diff", str(literal))
    assert literal.read_text(encoding="utf-8") == before(LITERAL)
    # The call is not half-migrated: no ScriptRunConfig, a comment and a warning that names the reason.
    assert "ScriptRunConfig" not in result.stdout
    assert "arguments" in stderr_of(result) and "warning" in stderr_of(result)
    assert result.exit_code in (0, 1)


def test_only_and_skip_accept_repeats(project):
    root, basic, _ = project
    result = invoke("--only", "core", "--only", "environment", "--skip", "arguments", str(basic))
    assert result.exit_code == 1
    assert basic.read_text(encoding="utf-8") == after(BASIC)


def test_strict_exits_2_when_a_call_needs_attention(project):
    root, _, literal = project
    assert invoke("--check", "--strict", "--skip", "arguments", str(literal)).exit_code == 2


@pytest.mark.parametrize("flag", ["--only", "--skip"])
def test_unknown_concern_is_a_one_line_error(project, flag):
    root, *_ = project
    result = invoke(flag, "nope", str(root))
    assert result.exit_code == 2
    lines = stderr_of(result).strip().splitlines()
    assert lines == [lines[0]] and "unknown concern 'nope'" in lines[0]


# --- jobs ------------------------------------------------------------------------------------------


def test_jobs_use_a_process_pool_with_the_same_result(tmp_path):
    # Four files or more with something to do go through the process pool.
    paths = [copy_scenario(BASIC if i % 2 else LITERAL, tmp_path / f"job{i}") for i in range(4)]
    shutil.copyfile(NOOP / "before.py", tmp_path / "job2" / "noop.py")
    result = invoke("--jobs", "2", str(tmp_path))
    assert result.exit_code == 1, result.output
    for i, path in enumerate(paths):
        assert path.read_text(encoding="utf-8") == after(BASIC if i % 2 else LITERAL)
    assert "Migrated 4 calls" in stderr_of(result)


# --- stdin / stdout --------------------------------------------------------------------------------


def test_stdin_to_stdout():
    result = invoke("-", input=before(BASIC).encode())
    assert result.exit_code == 1
    assert result.stdout == after(BASIC)


def test_stdin_unchanged_exits_0_and_echoes():
    result = invoke("-", input=after(BASIC).encode())
    assert result.exit_code == 0
    assert result.stdout == after(BASIC)


def test_stdin_diff_and_check():
    diff = invoke("--diff", "-", input=before(BASIC).encode())
    assert diff.exit_code == 1 and diff.stdout.startswith("--- -\n+++ -\n")
    check = invoke("--check", "-", input=before(BASIC).encode())
    assert check.exit_code == 1 and check.stdout == ""
    zero = invoke("--exit-zero-even-if-changed", "-", input=before(BASIC).encode())
    assert zero.exit_code == 0 and zero.stdout == after(BASIC)


def test_stdin_keeps_bytes_encoding_and_newlines():
    cookie = "# -*- coding: latin-1 -*-\r\n# Modèle entraîné sur le cluster\r\n"
    data = (cookie + before(BASIC).replace("\n", "\r\n")).encode("latin-1")
    result = CliRunner().invoke(main, ["rewrite", "-"], input=data)
    assert result.exit_code == 1, result.output
    assert result.stdout_bytes == (cookie + after(BASIC).replace("\n", "\r\n")).encode("latin-1")


def test_stdin_cannot_be_mixed_with_paths(project):
    root, *_ = project
    result = invoke("-", str(root))
    assert result.exit_code == 2
    assert "stdin" in stderr_of(result)


# --- bad input: a one-line error and exit 2 ----------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    ((), "no PATH given"),
    (("does/not/exist.py",), "no such file or directory"),
    (("--report", "/nonexistent-folder/report.json", "{root}"), "cannot write the report"),
])
def test_bad_usage_is_one_line_and_exit_2(project, args, message):
    root, *_ = project
    result = invoke(*(a.format(root=root) for a in args))
    assert result.exit_code == 2
    err = stderr_of(result)
    assert message in err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("estimig: error:")] == \
        [next(line for line in err.splitlines() if message in line)]


@pytest.mark.parametrize("args", [("--jobs", "0", "."), ("--bogus", "."), ("--environment", "weird", ".")])
def test_click_usage_errors_exit_2(args):
    result = CliRunner().invoke(main, ["rewrite", *args])
    assert result.exit_code == 2
    # One line, as every other error: not click's usage block.
    assert result.output.startswith("estimig: error: ") and result.output.count("\n") == 1, result.output
    assert result.output.rstrip().endswith("(see `estimig rewrite --help`)")


def test_parse_error_is_reported_with_its_line_and_exit_2(tmp_path):
    source = "from azureml.train.estimator import Estimator\n\nprint 'Python 2'\n"
    path = tmp_path / "legacy.py"
    path.write_text(source)
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:3" in stderr_of(result) and "error: EST001 parse:" in stderr_of(result)
    assert path.read_text() == source


def test_report_is_written(project):
    root, *_ = project
    report = root / "report.json"
    result = invoke("--check", "--report", str(report), "--format", "json", str(root))
    assert result.exit_code == 1
    json.loads(report.read_text(encoding="utf-8"))


# --- end to end, in a real process ------------------------------------------------------------------


def run_cli(*args: str, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "estimig", "rewrite", *args], input=input, capture_output=True,
                          cwd=cwd, env=env, timeout=120)


def test_subprocess_exit_codes(project):
    root, basic, _ = project
    check = run_cli("--check", str(root))
    assert check.returncode == 1 and check.stdout == b""
    write = run_cli(str(root))
    assert write.returncode == 1
    assert basic.read_text(encoding="utf-8") == after(BASIC)
    again = run_cli("--check", str(root))
    assert again.returncode == 0, again.stderr


def test_subprocess_stdin_stdout_bytes():
    data = before(BASIC).replace("\n", "\r\n").encode()
    done = run_cli("-", input=data)
    assert done.returncode == 1, done.stderr
    assert done.stdout == after(BASIC).replace("\n", "\r\n").encode()


def test_subprocess_bad_input_never_shows_a_traceback(tmp_path):
    (tmp_path / "legacy.py").write_text("from azureml.train.estimator import Estimator\nprint 'hello'\n")
    (tmp_path / "binary.py").write_bytes(b"from azureml.train.estimator import Estimator\n\xff\xfe\x00garbage\n")
    (tmp_path / "bad_cookie.py").write_bytes(b"# -*- coding: klingon -*-\nfrom azureml.train.estimator import Estimator\n")
    shutil.copyfile(FIXTURES / "notebooks" / "not-json.ipynb", tmp_path / "broken.ipynb")
    done = run_cli(str(tmp_path))
    err = done.stderr.decode()
    assert done.returncode == 2
    assert "Traceback" not in err
    for name in ("legacy.py:2", "binary.py:1", "bad_cookie.py:1"):
        assert name in err
    for args in (("nowhere",), (), ("--only", "x", "."), ("--jobs", "-3", ".")):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 2 and b"Traceback" not in done.stderr, args


# --- the LibCST codemod command ---------------------------------------------------------------------


def test_libcst_command_in_process():
    import libcst as cst
    from libcst.codemod import CodemodContext, SkipFile

    from estimig.libcst_command import EstimigCommand

    context = CodemodContext(filename="train_job.py")
    module = EstimigCommand(context).transform_module(cst.parse_module(before(BASIC)))
    assert module.code == after(BASIC)
    # Options pass through: without `arguments`, the call is left whole with a warning.
    context = CodemodContext(filename="job.py")
    command = EstimigCommand(context, skip=["arguments"])
    assert "ScriptRunConfig(" not in command.transform_module(cst.parse_module(before(LITERAL))).code
    assert any("arguments" in warning for warning in context.warnings)
    with pytest.raises(SkipFile):
        EstimigCommand(CodemodContext()).transform_module(cst.parse_module("x = 1\n"))


def test_libcst_tool_runs_the_command(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    first = copy_scenario(BASIC, tmp_path / "a")
    latin = tmp_path / "a" / "latin.py"
    latin.write_bytes(("# -*- coding: latin-1 -*-\n# été\n" + before(BASIC)).encode("latin-1"))
    done = subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", "-x", "estimig.libcst_command.EstimigCommand",
                           "--no-format", str(tmp_path / "a")], capture_output=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert first.read_text(encoding="utf-8") == after(BASIC)
    assert latin.read_bytes() == ("# -*- coding: latin-1 -*-\n# été\n" + after(BASIC)).encode("latin-1")
    # Found through `modules` in .libcst.codemod.yaml, as LibCST looks commands up, with options.
    second = copy_scenario(LITERAL, tmp_path / "b")
    (tmp_path / ".libcst.codemod.yaml").write_text("modules: ['libcst.codemod.commands', 'estimig']\n")
    done = subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", "libcst_command.EstimigCommand",
                           "--no-format", "--only", "core,arguments,environment", str(second)],
                          capture_output=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert second.read_text(encoding="utf-8") == after(LITERAL)


def test_notebooks_are_diffed_by_cell_and_rewritten(tmp_path):
    notebook = tmp_path / "train-pytorch.ipynb"
    shutil.copyfile(FIXTURES / "notebooks" / "train-pytorch.ipynb", notebook)
    original = notebook.read_bytes()
    diff = invoke("--diff", str(tmp_path))
    assert diff.exit_code == 1
    assert notebook.read_bytes() == original
    assert f"--- {notebook}:cell " in diff.stdout and "+estimator = ScriptRunConfig(" in diff.stdout
    assert '"cells"' not in diff.stdout  # cell diffs, never JSON
    assert invoke(str(notebook)).exit_code == 1
    assert json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    assert invoke("--check", str(notebook)).exit_code == 0


def test_the_python_api():
    from estimig import Result, migrate_source

    result = migrate_source(before(BASIC), path="train_job.py")
    assert isinstance(result, Result)
    assert result.code == after(BASIC) and result.migrated == 1 and result.left == 0
    broken = migrate_source("from azureml.train.estimator import Estimator\nprint 'x'\n")
    assert broken.code.endswith("print 'x'\n") and broken.findings[0].line == 2
