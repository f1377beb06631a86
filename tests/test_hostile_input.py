"""Hostile trees and bad invocations (issues 17 and 18): every problem is one line with a
documented exit code, never a traceback, and discovery follows git's own ignore rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimig.cli import main
from estimig.discovery import iter_files

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "fixtures" / "core" / "basic"
BEFORE = (BASIC / "before.py").read_bytes()
AFTER = (BASIC / "after.py").read_bytes()


def rewrite(*args: str, input=None):
    return CliRunner().invoke(main, ["rewrite", "--no-color", "-j", "1", *args], input=input, catch_exceptions=False)


def stderr_of(result) -> str:
    return result.stderr if hasattr(result, "stderr") else result.output


def run_cli(*args: str):
    """`python -m estimig rewrite ...` in a real process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "estimig", "rewrite", *args], capture_output=True, env=env,
                          timeout=120)


def shell(command: str, **kwargs):
    """estimig under bash, for redirections Python cannot set up (a closed stdout or stdin)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(["bash", "-c", f"{sys.executable} -m estimig rewrite {command}"], env=env, timeout=120,
                          **kwargs)


def one_line_error(text: str, *needles: str) -> None:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("estimig: error: "), text
    for needle in needles:
        assert needle in lines[0], (needle, text)


# --- hostile trees ----------------------------------------------------------------------------------


def test_dangling_links_and_loops_are_noted_and_the_run_goes_on(tmp_path):
    (tmp_path / "job.py").write_bytes(BEFORE)
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    result = rewrite(str(tmp_path))
    err = stderr_of(result)
    assert result.exit_code == 1, err
    assert f"{tmp_path / 'gone.py'}:1: info: EST008 io: dangling symlink; skipped" in err
    assert f"{tmp_path / 'loop_a.py'}:1: info: EST008 io: symlink loop; skipped" in err
    assert (tmp_path / "job.py").read_bytes() == AFTER
    result = rewrite("--follow-symlinks", str(tmp_path))  # a followed folder link never loops
    assert result.exit_code == 0 and "symlink loop: this folder was already walked" in stderr_of(result)


def test_links_out_of_the_tree_are_not_followed_unless_asked(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "theirs.py").write_bytes(BEFORE)
    (outside / "pkg").mkdir()
    (outside / "pkg" / "deep.py").write_bytes(BEFORE)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside / "theirs.py")
    (tree / "linked_pkg").symlink_to(outside / "pkg", target_is_directory=True)
    result = rewrite(str(tree))
    err = stderr_of(result)
    assert result.exit_code == 0, err
    assert "symlink to a file outside the walked tree; not followed (--follow-symlinks)" in err
    assert "symlink to a folder outside the walked tree; not followed" in err
    assert (outside / "theirs.py").read_bytes() == BEFORE == (outside / "pkg" / "deep.py").read_bytes()
    result = rewrite("--follow-symlinks", str(tree))
    assert result.exit_code == 1
    assert (outside / "theirs.py").read_bytes() == AFTER == (outside / "pkg" / "deep.py").read_bytes()
    assert (tree / "link.py").is_symlink()


def test_a_file_reached_twice_through_a_link_is_processed_once(tmp_path):
    (tmp_path / "job.py").write_bytes(BEFORE)
    (tmp_path / "alias.py").symlink_to(tmp_path / "job.py")
    assert len(list(iter_files([str(tmp_path)]))) == 1


def test_an_unreadable_folder_is_an_error_not_a_silent_skip(tmp_path, monkeypatch):
    (tmp_path / "job.py").write_bytes(BEFORE)
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.scandir

    def scandir(path="."):  # root reads every folder, so the refusal is simulated
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = rewrite(str(tmp_path))
    assert result.exit_code == 2
    assert f"{locked}:1: error: EST002 io: cannot read this directory: Permission denied" in stderr_of(result)
    assert (tmp_path / "job.py").read_bytes() == AFTER


def test_a_file_name_that_is_not_utf8_is_reported_and_migrated(tmp_path):
    folder = os.fsencode(tmp_path)
    name = folder + b"/caf\xe9_job.py"
    with open(name, "wb") as handle:
        handle.write(BEFORE)
    report = tmp_path / "report.json"
    done = run_cli("--report", str(report), "--format", "json", str(tmp_path))
    assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
    assert b"caf\\udce9_job.py" in done.stderr or b"caf\\xe9_job.py" in done.stderr
    assert json.loads(report.read_text(encoding="utf-8"))
    with open(name, "rb") as handle:
        assert handle.read() == AFTER


# --- one-line errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("args, needles", [
    (("--skip", "core"), ("'core' concern cannot be skipped",)),
    (("--diff", "--check"), ("--diff and --check cannot be combined",)),
    (("--exclude", "[z-a]"), ("invalid exclude pattern '[z-a]'",)),
    (("--bogus",), ("No such option '--bogus'", "(see `estimig rewrite --help`)")),
    (("--max-file-size", "lots"), ("invalid size 'lots'",)),
    (("--stdin-filename", "x.py", "."), ("--stdin-filename goes with `-`",)),
])
def test_bad_options_fail_fast_with_one_line(tmp_path, args, needles):
    (tmp_path / "job.py").write_bytes(BEFORE)
    result = rewrite(*args, str(tmp_path) if args[-1] != "." else "")
    assert result.exit_code == 2
    one_line_error(stderr_of(result), *needles)
    assert (tmp_path / "job.py").read_bytes() == BEFORE


@pytest.mark.parametrize("name, content, needles", [
    ("pyproject.toml", 'tool = "x"\n', ("pyproject.toml", "'tool' must be a table")),
    ("pyproject.toml", "[tool.estimig]\nenvironment = \"weird\"\n", ("pyproject.toml", "'environment'", "weird")),
    ("pyproject.toml", "[tool.estimig]\nexclude = [\"[z-a]\"]\n", ("pyproject.toml", "'exclude'", "[z-a]")),
    ("pyproject.toml", "[tool.estimig]\nonly = [\"nope\"]\n", ("pyproject.toml", "'only'", "nope")),
    ("pyproject.toml", "[tool.estimig]\nskip = [\"core\"]\n", ("pyproject.toml", "'skip'", "core")),
    ("pyproject.toml", "[tool.estimig]\nmax_file_size = \"huge\"\n", ("pyproject.toml", "'max_file_size'")),
    (".estimig.yaml", b"only: [core]\n\xff\xfe\n", (".estimig.yaml", "not UTF-8")),
])
def test_config_errors_name_their_file_and_key(tmp_path, name, content, needles):
    (tmp_path / "job.py").write_bytes(BEFORE)
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = rewrite(str(tmp_path))
    assert result.exit_code == 2
    one_line_error(stderr_of(result), str(tmp_path), *needles)


def test_closed_and_full_streams_are_one_line_errors(tmp_path):
    (tmp_path / "job.py").write_bytes(BEFORE)
    full = shell(f"--diff '{tmp_path}' > /dev/full", capture_output=True)
    assert full.returncode == 2
    one_line_error(full.stderr.decode(), "cannot write the output: No space left on device")
    closed = shell(f"--diff '{tmp_path}' >&-", stderr=subprocess.PIPE)
    assert closed.returncode == 2
    one_line_error(closed.stderr.decode(), "stdout is closed")
    stdin = shell("- <&-", capture_output=True)
    assert stdin.returncode == 2
    one_line_error(stdin.stderr.decode(), "stdin is closed")


# --- discovery: git's rules -------------------------------------------------------------------------


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def found(root: Path) -> list[str]:
    return sorted(os.path.relpath(p, root) for p in iter_files([str(root)]))


def test_a_nested_negation_re_includes_a_file(tmp_path):
    touch(tmp_path, "gen_a.py", "pkg/gen_keep.py", "pkg/gen_drop.py")
    (tmp_path / ".gitignore").write_text("gen_*.py\n")
    (tmp_path / "pkg" / ".gitignore").write_text("!gen_keep.py\n")
    assert found(tmp_path) == ["pkg/gen_keep.py"]


def test_info_exclude_and_the_global_ignore_file_are_honoured(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    touch(repo, "keep.py", "local_only.py", "personal_scratch.py")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("local_only.py\n")
    home = tmp_path / "home"
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "ignore").write_text("personal_*.py\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert found(repo) == ["keep.py"]
    # git itself agrees.
    listed = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout.split()
    assert listed == ["keep.py"]


# --- --stdin-filename -------------------------------------------------------------------------------


def test_stdin_filename_applies_the_files_config_excludes_and_format(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.estimig]\nexclude = ["legacy/"]\n')
    (tmp_path / "legacy").mkdir()
    result = rewrite("--stdin-filename", str(tmp_path / "legacy" / "old.py"), "-", input=BEFORE)
    assert result.exit_code == 0 and result.stdout_bytes == BEFORE
    result = rewrite("--stdin-filename", str(tmp_path / "jobs" / "new.py"), "-", input=BEFORE)
    assert result.exit_code == 1 and result.stdout_bytes == AFTER
    (tmp_path / "pyproject.toml").write_text('[tool.estimig]\nmax_file_size = 100\n')
    result = rewrite("--stdin-filename", str(tmp_path / "job.py"), "-", input=BEFORE)
    assert result.exit_code == 2 and f"{tmp_path / 'job.py'}:1: error: EST007 engine: too large" in stderr_of(result)


def test_stdin_filename_reads_a_notebook(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BEFORE.decode())])
    data = nbformat.writes(notebook).encode()
    result = rewrite("--stdin-filename", "nb.ipynb", "-", input=data)
    assert result.exit_code == 1, stderr_of(result)
    assert "ScriptRunConfig(" in nbformat.reads(result.stdout_bytes.decode(), as_version=4).cells[0].source
