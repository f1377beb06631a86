"""The pre-commit hooks, run by the real pre-commit against a throwaway repository.

This checkout's files are copied into a temporary git repository (pre-commit can only install a
hook from a committed repository) and `pre-commit try-repo` runs its hooks in a second repository
that holds a job to migrate. pre-commit pip-installs estimig into its own virtualenv, which needs
PyPI (libcst, click, rich, pyyaml, pathspec, nbformat).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "fixtures" / "core" / "basic"
# Not needed to install the package; leaving them out keeps the copy small.
NOT_COPIED = ("fixtures/", "tests/", "bench/", "docs/")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=estimig tests", "-c", "user.email=tests@example.invalid",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def checkout_copy(dest: Path) -> Path:
    """This checkout's files (tracked, and new ones not ignored) committed in a fresh repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in listed:
        if not name or name.startswith(NOT_COPIED) or not (ROOT / name).is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert (dest / ".pre-commit-hooks.yaml").is_file()
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "estimig under test")
    return dest


def pre_commit(cwd: Path, repo: Path, home: Path, *hook: str) -> subprocess.CompletedProcess:
    # try-repo installs the hook repository into a fresh store each time (tens of seconds), so the
    # test runs it twice only: estimig-check alone, then every hook of the repository.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(repo), *hook, "--all-files",
                           "--color", "never"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def pre_commit_installed():
    # Both come with the test set-up (scripts/test.sh installs the [test] extra): never skipped.
    import pre_commit  # noqa: F401

    assert shutil.which("git"), "git is needed to build the temporary repositories"


def test_hooks_check_then_rewrite(tmp_path, pre_commit_installed):
    hooks = checkout_copy(tmp_path / "estimig")
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    shutil.copyfile(BASIC / "before.py", project / "train_job.py")
    shutil.copytree(BASIC / "src", project / "src", dirs_exist_ok=True)
    (project / "README.md").write_text("Mentions azureml but is not Python.\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "a job to migrate")
    home = tmp_path / "pre-commit-home"
    before = (BASIC / "before.py").read_text(encoding="utf-8")
    after = (BASIC / "after.py").read_text(encoding="utf-8")

    check = pre_commit(project, hooks, home, "estimig-check")
    log = check.stdout + check.stderr
    assert check.returncode == 1, log
    assert "estimig --check" in log and "Failed" in log and "train_job.py: would change" in log
    assert (project / "train_job.py").read_text(encoding="utf-8") == before

    # Every hook, in id order: `estimig` rewrites (and fails, as hooks that modify files do), then
    # `estimig-check` passes on the rewritten file.
    both = pre_commit(project, hooks, home)
    log = both.stdout + both.stderr
    assert both.returncode == 1, log
    assert "- hook id: estimig\n" in log
    assert "files were modified by this hook" in log
    assert (project / "train_job.py").read_text(encoding="utf-8") == after, log
    rewrite_part, check_part = log.split("estimig --check (fail if an Estimator would be migrated)")
    assert "Failed" in rewrite_part and "train_job.py: written" in rewrite_part
    assert check_part.lstrip(".").startswith("Passed"), log
    assert "Traceback" not in log
