"""Every shell command in README.md's code blocks runs as written against a fresh clone.

Commands run with bash in a copy of this checkout made as a clone would be (tests/checkout_support.py),
with the estimig beside the interpreter running the tests first on PATH. The README's placeholders
are real files there: `path/` and `in.py` an Estimator job to migrate (fixtures/core/basic),
`before.py` and `after.py` a runnable job and its migration (fixtures/jobs/env_pip). A command must
exit with one of its documented codes (0, or 1 for "changed"/"differs") and never with a traceback,
so a renamed flag, a missing file or a crash fails here. What cannot run offline is marked in the
README with its reason (tests/readme_support.py) and reported as skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from checkout_support import ROOT, fresh_clone
from readme_support import README, shell_commands, skip_marks

TEXT = README.read_text(encoding="utf-8")
COMMANDS = shell_commands(TEXT)
MARKS = skip_marks(TEXT)
PLACEHOLDERS = {
    "path": ROOT / "fixtures" / "core" / "basic",
    "in.py": ROOT / "fixtures" / "core" / "basic" / "before.py",
    "before.py": ROOT / "fixtures" / "jobs" / "env_pip" / "before.py",
    "after.py": ROOT / "fixtures" / "jobs" / "env_pip" / "after.py",
    "src": ROOT / "fixtures" / "jobs" / "env_pip" / "src",
}
EXAMPLE = "bash scripts/example.sh"


def params():
    for command in COMMANDS:
        reason = MARKS.get(command.text)
        marks = [pytest.mark.skip(reason=f"README.md:{command.line}: {reason}")] if reason else []
        yield pytest.param(command.text, marks=marks, id=f"line{command.line}:{command.text}")


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    return fresh_clone(tmp_path_factory.mktemp("readme") / "estimig")


def with_placeholders(clone: Path) -> None:
    for name, source in PLACEHOLDERS.items():
        target = clone / name
        if target.is_dir():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)


def reusable_venv() -> str | None:
    """The venv running these tests when scripts/test.sh made it for this very pyproject.toml: then
    example.sh reuses it and installs nothing (a new venv needs the package index)."""
    if sys.prefix == sys.base_prefix:
        return None
    stamp = Path(sys.prefix) / ".estimig-installed"
    cksum = subprocess.run(["cksum"], stdin=(ROOT / "pyproject.toml").open("rb"), capture_output=True, text=True)
    if not stamp.is_file() or f"test {cksum.stdout.strip()}" not in stamp.read_text().splitlines():
        return None
    return sys.prefix


def test_every_skip_mark_names_a_command_of_the_readme():
    written = {command.text for command in COMMANDS}
    assert COMMANDS and set(MARKS) <= written, set(MARKS) - written
    assert all(reason.strip() for reason in MARKS.values())
    # The suite's own command cannot run inside the suite; it is what CI runs.
    assert "bash scripts/test.sh" in MARKS


def run_as_written(clone: Path, command: str, venv: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "ESTIMIG_VENV")}
    # The tools of the interpreter running the tests (a venv's, under scripts/test.sh), and its code:
    # the checkout under test is on PYTHONPATH when there is no venv.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    if venv is not None:
        env["ESTIMIG_VENV"] = venv
    env["NO_COLOR"] = "1"
    with_placeholders(clone)
    return subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


def assert_ran(done: subprocess.CompletedProcess) -> None:
    log = f"$ {done.args[-1]}\n(exit {done.returncode})\n{done.stdout}{done.stderr}"
    assert done.returncode in (0, 1), log
    assert "Traceback" not in log and (done.stdout or done.stderr), log


@pytest.mark.parametrize("command", list(params()))
def test_readme_command_runs_as_written(clone, command):
    venv = None
    if command == EXAMPLE:
        venv = reusable_venv()
        if venv is None:
            pytest.skip("example.sh needs the package index to make a new .venv; "
                        "under scripts/test.sh it reuses the suite's own")
    assert_ran(run_as_written(clone, command, venv))


@pytest.mark.parametrize("drifted", ["estimig rewrite --no-such-flag path/", "estimig rewrite missing/"])
def test_a_command_that_drifted_from_the_tool_fails(clone, drifted):
    with pytest.raises(AssertionError, match=r"\(exit 2\)"):
        assert_ran(run_as_written(clone, drifted))


def test_ci_runs_exactly_the_readme_test_command():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert "exec bash scripts/test.sh" in lines
    assert "bash scripts/test.sh" in {command.text for command in COMMANDS}
