"""The pre-commit hooks, run by the real pre-commit against a throwaway repository.

Twice over: the README's snippet verbatim (its `rev`, a commit of this repository, and each of its
hook ids, through `pre-commit try-repo --ref`), and this checkout's own files, copied into a
temporary git repository (pre-commit can only install a hook from a committed repository). Both
run the hooks in a second repository that holds a job to migrate. pre-commit pip-installs estimig
into its own virtualenv, which needs PyPI (libcst is not among the machine's local wheels).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from checkout_support import ROOT, fresh_clone, git
from readme_support import README, precommit_snippet

pytestmark = pytest.mark.slow

BASIC = ROOT / "fixtures" / "core" / "basic"
# Not needed to install the package; leaving them out keeps the copy small.
NOT_COPIED = ("fixtures/", "tests/", "bench/", "docs/")


def checkout_copy(dest: Path) -> Path:
    copy = fresh_clone(dest, leave_out=NOT_COPIED)
    assert (copy / ".pre-commit-hooks.yaml").is_file()
    return copy


def pre_commit(cwd: Path, repo: Path, home: Path, *hook: str, ref: str | None = None) -> subprocess.CompletedProcess:
    # try-repo installs the hook repository into a fresh store each time (tens of seconds), so each
    # test runs it twice only.
    # PYTHONPATH too: the hooks must run the estimig pre-commit installed, not a checkout on the path.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GIT_", "PRE_COMMIT")) and key != "PYTHONPATH"}
    env.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", PIP_DISABLE_PIP_VERSION_CHECK="1")
    pinned = ("--ref", ref) if ref else ()
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(repo), *hook, *pinned, "--all-files",
                           "--color", "never"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def project_with_a_job(dest: Path, job: dict[str, str]) -> Path:
    """A committed repository holding `job` (path -> text) as train_job.py and its src/, and a
    README.md that mentions azureml but is not Python."""
    for name, text in job.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text, encoding="utf-8")
    (dest / "README.md").write_text("Mentions azureml but is not Python.\n")
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "a job to migrate")
    return dest


def basic_job(read) -> dict[str, str]:
    """fixtures/core/basic as the project's files, each read by `read(path in this repository)`."""
    files = {"train_job.py": read("fixtures/core/basic/before.py")}
    for source in sorted((BASIC / "src").rglob("*")):
        if source.is_file():
            name = source.relative_to(BASIC).as_posix()
            files[name] = read(f"fixtures/core/basic/{name}")
    return files


@pytest.fixture(scope="module")
def pre_commit_installed():
    # Both come with the test set-up (scripts/test.sh installs the [test] extra): never skipped.
    import pre_commit  # noqa: F401

    assert shutil.which("git"), "git is needed to build the temporary repositories"


def test_hooks_check_then_rewrite(tmp_path, pre_commit_installed):
    hooks = checkout_copy(tmp_path / "estimig")
    project = project_with_a_job(tmp_path / "project", basic_job(lambda name: (ROOT / name).read_text(encoding="utf-8")))
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


def test_the_readme_snippet_works_verbatim(tmp_path, pre_commit_installed):
    repo, ids = precommit_snippet(README.read_text(encoding="utf-8"))
    rev = repo["rev"]
    if git(ROOT, "rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone may not hold the commit the README pins; clone in full to run this")
    exists = subprocess.run(["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert exists.returncode == 0, f"the README's pre-commit snippet pins rev {rev}, which this repository does not have"
    at_rev = lambda name: git(ROOT, "show", f"{rev}:{name}")  # noqa: E731
    # The pinned commit defines today's hooks, and the snippet names each of them (one commented out).
    assert at_rev(".pre-commit-hooks.yaml") == (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"), \
        "the hooks changed since the commit the README pins: move its rev to a commit that has them"
    defined = [hook["id"] for hook in yaml.safe_load(at_rev(".pre-commit-hooks.yaml"))]
    assert sorted(ids) == sorted(defined) and [hook["id"] for hook in repo["hooks"]] == ids[:1]

    project = project_with_a_job(tmp_path / "project", basic_job(at_rev))
    home = tmp_path / "pre-commit-home"
    before, after = at_rev("fixtures/core/basic/before.py"), at_rev("fixtures/core/basic/after.py")
    for hook in sorted(ids, key=lambda hook: hook != "estimig-check"):  # the check first: it writes nothing
        done = pre_commit(project, ROOT, home, hook, ref=rev)
        log = done.stdout + done.stderr
        assert done.returncode == 1 and "Traceback" not in log, log
        if hook == "estimig-check":
            assert "train_job.py: would change" in log
            assert (project / "train_job.py").read_text(encoding="utf-8") == before
        else:
            assert "files were modified by this hook" in log and "train_job.py: written" in log
            assert (project / "train_job.py").read_text(encoding="utf-8") == after, log


IGNORED_LEFTOVER = '''from azureml.core import Experiment, Workspace
from azureml.train.estimator import Estimator

ws = Workspace.from_config()
settings = {"source_directory": "src", "entry_script": "train.py", "compute_target": "cpu-cluster"}
legacy = Estimator(**settings)  # estimig: ignore[EST101]
Experiment(ws, "legacy").submit(legacy)
'''


@pytest.mark.slow
def test_check_passes_on_a_repo_whose_leftover_call_is_ignored(tmp_path, pre_commit_installed):
    """The hook a team keeps in pre-commit: the one call they will not migrate carries
    `# estimig: ignore[...]`, so `estimig-check` passes without touching it."""
    hooks = checkout_copy(tmp_path / "estimig")
    project = project_with_a_job(tmp_path / "project", {"legacy_job.py": IGNORED_LEFTOVER})
    check = pre_commit(project, hooks, tmp_path / "pre-commit-home", "estimig-check")
    log = check.stdout + check.stderr
    assert check.returncode == 0, log
    assert "Passed" in log and "Traceback" not in log
    assert (project / "legacy_job.py").read_text(encoding="utf-8") == IGNORED_LEFTOVER
    # Without the suppression the same check fails: the hook would add the EST101 comment.
    (project / "legacy_job.py").write_text(IGNORED_LEFTOVER.replace("  # estimig: ignore[EST101]", ""))
    failing = pre_commit(project, hooks, tmp_path / "pre-commit-home", "estimig-check")
    assert failing.returncode == 1, failing.stdout + failing.stderr
