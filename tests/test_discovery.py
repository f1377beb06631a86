"""Which files a run looks at: recursion, .gitignore, default excludes, --exclude, explicit files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimig.cli import main
from estimig.discovery import DEFAULT_EXCLUDES, iter_files

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "fixtures" / "core" / "basic"


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def found(root: Path, **kwargs) -> list[str]:
    return [os.path.relpath(p, root) for p in iter_files([str(root)], **kwargs)]


def test_recursive_python_and_notebooks_only_in_stable_order(tmp_path):
    touch(tmp_path, "b.py", "a.py", "nb.ipynb", "README.md", "setup.cfg", "pkg/z.py", "pkg/sub/y.py", "data.pyc")
    assert found(tmp_path) == ["a.py", "b.py", "nb.ipynb", "pkg/z.py", "pkg/sub/y.py"]


@pytest.mark.parametrize("folder", [".git", ".venv", "venv", "build", "dist", ".ipynb_checkpoints", "__pycache__",
                                    "node_modules", ".tox", "mypkg.egg-info", "site-packages"])
def test_default_excludes(tmp_path, folder):
    touch(tmp_path, "keep.py", f"{folder}/skip.py", f"pkg/{folder}/skip_too.py")
    assert found(tmp_path) == ["keep.py"]


def test_default_excludes_cover_the_issue_list():
    assert {".git", ".venv", "build", ".ipynb_checkpoints"} <= set(DEFAULT_EXCLUDES)


def test_gitignore_is_respected_at_every_level(tmp_path):
    touch(tmp_path, "keep.py", "generated.py", "out/a.py", "pkg/keep.py", "pkg/local_only.py", "pkg/deep/x.py")
    (tmp_path / ".gitignore").write_text("generated.py\nout/\n")
    (tmp_path / "pkg" / ".gitignore").write_text("local_only.py\n/deep/\n")
    assert found(tmp_path) == ["keep.py", "pkg/keep.py"]
    assert len(found(tmp_path, respect_gitignore=False)) == 6


def test_repository_gitignore_applies_to_a_subfolder_walk(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    touch(tmp_path, "src/keep.py", "src/scratch/tmp.py", "src/notes_draft.py")
    (tmp_path / ".gitignore").write_text("scratch/\n*_draft.py\n")
    assert found(tmp_path / "src") == ["keep.py"]


def test_negated_gitignore_pattern(tmp_path):
    touch(tmp_path, "a.py", "b.py")
    (tmp_path / ".gitignore").write_text("*.py\n!b.py\n")
    assert found(tmp_path) == ["b.py"]


def test_exclude_globs(tmp_path):
    touch(tmp_path, "keep.py", "legacy/old.py", "pkg/test_x.py", "pkg/x.py", "pkg/legacy/older.py")
    assert found(tmp_path, excludes=["legacy/", "test_*.py"]) == ["keep.py", "pkg/x.py"]
    assert found(tmp_path, excludes=["/legacy/"]) == ["keep.py", "pkg/test_x.py", "pkg/x.py", "pkg/legacy/older.py"]


def test_exclude_can_be_written_from_the_current_directory(tmp_path, monkeypatch):
    touch(tmp_path, "src/keep.py", "src/legacy/old.py")
    monkeypatch.chdir(tmp_path)
    assert [os.path.normpath(p) for p in iter_files(["src"], excludes=["src/legacy/"])] == ["src/keep.py"]
    assert [os.path.normpath(p) for p in iter_files(["src"], excludes=["legacy/"])] == ["src/keep.py"]


def test_explicit_files_are_always_included_once(tmp_path):
    touch(tmp_path, "build/gen.py", "a.py", "script")
    (tmp_path / ".gitignore").write_text("a.py\n")
    explicit = [str(tmp_path / "build" / "gen.py"), str(tmp_path / "a.py"), str(tmp_path / "script")]
    assert list(iter_files(explicit + explicit[:1], excludes=["*.py"])) == explicit


def test_overlapping_paths_give_each_file_once(tmp_path):
    touch(tmp_path, "pkg/a.py")
    paths = list(iter_files([str(tmp_path), str(tmp_path / "pkg"), str(tmp_path / "pkg" / "a.py")]))
    assert len(paths) == len({os.path.realpath(p) for p in paths}) == 1


def test_cli_walk_skips_excluded_and_ignored_folders(tmp_path):
    for folder in ("jobs", "build", ".venv/lib", "ignored", "legacy"):
        (tmp_path / folder).mkdir(parents=True)
        shutil.copyfile(BASIC / "before.py", tmp_path / folder / "train_job.py")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    result = CliRunner().invoke(main, ["rewrite", "--no-color", "-j", "1", "--exclude", "legacy", str(tmp_path)])
    assert result.exit_code == 1
    after = (BASIC / "after.py").read_text(encoding="utf-8")
    before = (BASIC / "before.py").read_text(encoding="utf-8")
    assert (tmp_path / "jobs" / "train_job.py").read_text(encoding="utf-8") == after
    for folder in ("build", ".venv/lib", "ignored", "legacy"):
        assert (tmp_path / folder / "train_job.py").read_text(encoding="utf-8") == before, folder


def test_an_unreadable_gitignore_pattern_is_skipped_like_git_does(tmp_path):
    touch(tmp_path, "keep.py", "skip.py")
    (tmp_path / ".gitignore").write_text("\\\nskip.py\n")
    assert found(tmp_path) == ["keep.py"]


@pytest.mark.parametrize("pattern", ["!", "\\"])
def test_an_invalid_exclude_pattern_is_a_one_line_error(tmp_path, pattern):
    touch(tmp_path, "a.py")
    with pytest.raises(ValueError, match="invalid exclude pattern"):
        list(iter_files([str(tmp_path)], excludes=["ok/", pattern]))
    result = CliRunner().invoke(main, ["rewrite", "--check", "--exclude", pattern, str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == f"estimig: error: invalid exclude pattern {pattern!r}"
