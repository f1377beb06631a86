"""Never lose a user's work (issue 18): edits made during a run, a file's identity, Ctrl-C and
SIGTERM, workers that die, files that would crash the parser or exhaust memory.

Ownership tests create a user with useradd (CI runs as root); interrupts are raised from inside the
run at a chosen file (in-process for -j 1; in forked workers for -j N), so nothing here waits on time.
"""

from __future__ import annotations

import os
import pwd
import select
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimig import runner
from estimig.cli import main

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "fixtures" / "core" / "basic"
BEFORE = (BASIC / "before.py").read_bytes()
AFTER = (BASIC / "after.py").read_bytes()
DEEP = b"from azureml.train.estimator import Estimator\nx = " + b"(" * 2000 + b"1" + b")" * 2000 + b"\n"
TEST_USER = "estimig-owner"


def rewrite(*args: str, input=None):
    return CliRunner().invoke(main, ["rewrite", "--no-color", *args], input=input, catch_exceptions=False)


def stderr_of(result) -> str:
    return result.stderr if hasattr(result, "stderr") else result.output


def jobs(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"job_{i:04}.py" for i in range(count)]
    for path in paths:
        path.write_bytes(BEFORE)
    return paths


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".estimig-*"))


def wrap_process_file(monkeypatch, after_file):
    """Run `after_file(path, result)` after each file is processed (forked workers inherit it)."""
    real = runner.process_file

    def wrapped(path, options, write):
        result = real(path, options, write)
        after_file(path, result)
        return result

    monkeypatch.setattr(runner, "process_file", wrapped)


# --- no lost edits ----------------------------------------------------------------------------------


def edit_during_migration(monkeypatch, edit):
    real = runner.migrate_text

    def migrate_then_edit(code, path, options):
        result = real(code, path, options)
        edit(Path(path))
        return result

    monkeypatch.setattr(runner, "migrate_text", migrate_then_edit)


def test_a_file_edited_during_the_run_keeps_the_edit(tmp_path, monkeypatch):
    job, other = jobs(tmp_path, 2)
    edited = BEFORE + b"# the user's edit, saved while estimig ran\n"
    edit_during_migration(monkeypatch, lambda path: path.write_bytes(edited) if path == job else None)
    result = rewrite("-j", "1", str(tmp_path))
    assert result.exit_code == 2
    assert f"{job}:1: error: EST002 io: changed on disk while estimig ran; not rewritten" in stderr_of(result)
    assert job.read_bytes() == edited
    assert other.read_bytes() == AFTER
    assert leftovers(tmp_path) == []


def test_a_file_deleted_during_the_run_is_never_recreated(tmp_path, monkeypatch):
    job, other = jobs(tmp_path, 2)
    edit_during_migration(monkeypatch, lambda path: path.unlink() if path == job else None)
    result = rewrite("-j", "1", str(tmp_path))
    assert result.exit_code == 2
    assert f"{job}:1: error: EST002 io: deleted while estimig ran; not recreated" in stderr_of(result)
    assert not job.exists() and other.read_bytes() == AFTER
    assert f"{job}: error, 0 migrated" in stderr_of(result)


# --- identity ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_user():
    """A user that is not root, created for the test (CI runs as root)."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("needs root and useradd to create a file owner (CI runs as root)")
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--user-group", TEST_USER], check=True, capture_output=True)
    return pwd.getpwnam(TEST_USER)


def test_owner_group_and_mode_are_kept(tmp_path, other_user):
    (job,) = jobs(tmp_path, 1)
    os.chown(job, other_user.pw_uid, other_user.pw_gid)
    os.chmod(job, 0o640)
    assert rewrite("-j", "1", str(job)).exit_code == 1
    status = os.stat(job)
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (other_user.pw_uid, other_user.pw_gid, 0o640)
    assert job.read_bytes() == AFTER
    assert leftovers(tmp_path) == []


def test_a_hard_linked_file_is_rewritten_in_place(tmp_path):
    (job,) = jobs(tmp_path, 1)
    twin = tmp_path / "twin.txt"
    os.link(job, twin)
    inode = os.stat(job).st_ino
    assert rewrite("-j", "1", str(job)).exit_code == 1
    assert os.stat(job).st_ino == inode and os.stat(job).st_nlink == 2
    assert twin.read_bytes() == AFTER == job.read_bytes()
    assert leftovers(tmp_path) == []


def test_a_read_only_file_is_not_rewritten_even_by_root(tmp_path):
    job, other = jobs(tmp_path, 2)
    os.chmod(job, 0o444)
    result = rewrite("-j", "1", str(tmp_path))
    assert result.exit_code == 2
    assert f"{job}:1: error: EST002 io: read-only (mode 0444); not rewritten" in stderr_of(result)
    assert job.read_bytes() == BEFORE and stat.S_IMODE(os.stat(job).st_mode) == 0o444
    assert other.read_bytes() == AFTER


# --- Ctrl-C and SIGTERM -----------------------------------------------------------------------------


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_between_files(tmp_path, monkeypatch, signum, code):
    paths = jobs(tmp_path, 8)
    wrap_process_file(monkeypatch, lambda path, result: signal.raise_signal(signum) if path.endswith("0002.py") else None)
    result = rewrite("-j", "1", str(tmp_path))
    assert result.exit_code == code
    assert "interrupted: 3 files written, 5 not processed" in stderr_of(result)
    assert [p.read_bytes() == AFTER for p in paths] == [True] * 3 + [False] * 5
    assert all(p.read_bytes() == BEFORE for p in paths[3:])
    assert "Migrated" not in stderr_of(result)


DRIVER = r"""
import os, signal, sys
from estimig import runner
real = runner.process_file
trigger, action = sys.argv[1], sys.argv[2]
def process_file(path, options, write):
    if action == "hang" and os.getpid() != PARENT:
        os.write(1, f"{os.getpid()}\n".encode())  # one write: two workers' lines never interleave
        signal.pause()  # in a worker: until the worker is told to die
    result = real(path, options, write)
    if path.endswith(trigger) and action == "ctrl-c":
        os.killpg(0, signal.SIGINT)  # what a terminal does: the whole process group
    return result
PARENT = os.getpid()
runner.process_file = process_file
from estimig.cli import main
main(["rewrite", "--no-color", *sys.argv[3:]])
"""


def driver(tmp_path: Path, *args: str, **popen) -> subprocess.Popen:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, str(script), *args], env=env, start_new_session=True, **popen)


def test_ctrl_c_during_a_parallel_run_leaves_every_file_old_or_new(tmp_path):
    paths = jobs(tmp_path / "tree", 200)
    process = driver(tmp_path, "job_0002.py", "ctrl-c", "-j", "2", str(tmp_path / "tree"),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, err.decode()
    states = [p.read_bytes() for p in paths]
    assert all(s in (BEFORE, AFTER) for s in states)
    written = sum(s == AFTER for s in states)
    assert f"interrupted: {written} files written, {200 - written} not processed" in err.decode()
    assert 0 < written < 200
    assert leftovers(tmp_path) == [] and b"Traceback" not in err


def wait_for_exit(pid: int, seconds: float) -> bool:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfd_open to watch processes exit")
def test_workers_die_with_a_killed_parent(tmp_path):
    jobs(tmp_path / "tree", 8)
    process = driver(tmp_path, "-", "hang", "-j", "2", str(tmp_path / "tree"), stdout=subprocess.PIPE)
    try:
        workers = [int(process.stdout.readline()) for _ in range(2)]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        assert all(wait_for_exit(pid, 60) for pid in workers)
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
    assert leftovers(tmp_path) == []


# --- one bad file never stops a run -----------------------------------------------------------------


@pytest.mark.parametrize("args", [("-j", "1"), ("-j", "2")], ids=["serial", "parallel"])
def test_a_file_that_would_crash_the_parser_costs_only_itself(tmp_path, args):
    paths = jobs(tmp_path, 6)
    deep = tmp_path / "job_0003_deep.py"
    deep.write_bytes(DEEP)
    result = rewrite(*args, str(tmp_path))
    assert result.exit_code == 2
    assert f"{deep}:2: error: EST007 engine: too deeply nested to analyse" in stderr_of(result)
    assert deep.read_bytes() == DEEP
    assert all(p.read_bytes() == AFTER for p in paths)


def test_deep_expression_chains_are_reported_not_recursed_into(tmp_path):
    chain = b"from azureml.train.estimator import Estimator\nx = " + b" + ".join([b"a"] * 20000) + b"\n"
    path = tmp_path / "chain.py"
    path.write_bytes(chain)
    result = rewrite("-j", "1", str(path))
    assert result.exit_code == 2 and "too deeply nested to analyse" in stderr_of(result)
    assert path.read_bytes() == chain


def test_deep_nesting_in_stdin_and_pre_commit_mode(tmp_path, monkeypatch):
    result = rewrite("-", input=DEEP)
    assert result.exit_code == 2 and result.stdout_bytes == DEEP
    assert "-:2: error: EST007 engine: too deeply nested to analyse" in stderr_of(result)
    monkeypatch.setenv("PRE_COMMIT", "1")
    (job,) = jobs(tmp_path, 1)
    deep = tmp_path / "deep.py"
    deep.write_bytes(DEEP)
    result = rewrite(str(deep), str(job))  # pre-commit names the staged files
    assert result.exit_code == 2 and "too deeply nested" in stderr_of(result)
    assert job.read_bytes() == AFTER


def test_a_deep_notebook_cell_is_skipped_and_the_others_migrated(tmp_path):
    import nbformat

    cells = [nbformat.v4.new_code_cell(BEFORE.decode()), nbformat.v4.new_code_cell(DEEP.decode().split("\n", 1)[1])]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"language": "python", "name": "python3", "display_name": "Python 3"}})
    path = tmp_path / "nb.ipynb"
    path.write_text(nbformat.writes(notebook))
    result = rewrite("-j", "1", str(path))
    assert result.exit_code == 1, stderr_of(result)
    assert f"{path}, cell 2, line 1: warning: EST009 notebook: cell too deeply nested to analyse" in stderr_of(result)
    new = nbformat.reads(path.read_text(), as_version=4)
    assert "ScriptRunConfig(" in new.cells[0].source and new.cells[1].source == cells[1].source


def test_a_worker_that_dies_is_replaced_and_only_its_file_is_lost(tmp_path, monkeypatch):
    paths = jobs(tmp_path, 8)
    real = runner.process_file

    def crash_on_one(path, options, write):
        if path.endswith("0005.py"):
            os.kill(os.getpid(), signal.SIGKILL)  # as a segfault in the native parser would
        return real(path, options, write)

    monkeypatch.setattr(runner, "process_file", crash_on_one)
    result = rewrite("-j", "2", str(tmp_path))
    assert result.exit_code == 2
    assert f"{paths[5]}:1: error: EST003 engine: {runner.WORKER_DIED}" in stderr_of(result)
    assert [p.read_bytes() == AFTER for p in paths] == [True] * 5 + [False] + [True] * 2
    assert leftovers(tmp_path) == []


# --- bounded memory ---------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_reported_and_skipped(tmp_path):
    job, big = jobs(tmp_path, 2)
    big.write_bytes(BEFORE + b"#" * 3000 + b"\n")
    unrelated = tmp_path / "data_table.py"
    unrelated.write_bytes(b"ROWS = [\n" + b"    (1, 2, 3),\n" * 400 + b"]\n")  # large, never mentions azureml
    result = rewrite("-j", "1", "--max-file-size", "2KB", str(tmp_path))
    assert result.exit_code == 2
    assert f"{big}:1: error: EST007 engine: too large to analyse" in stderr_of(result)
    assert str(unrelated) not in stderr_of(result)
    assert big.read_bytes() == BEFORE + b"#" * 3000 + b"\n" and job.read_bytes() == AFTER
    (tmp_path / ".estimig.yaml").write_text("max_file_size: 1KB\n")
    job.write_bytes(BEFORE + b"#" * 1000 + b"\n")
    result = rewrite("-j", "1", "--check", str(job))
    assert result.exit_code == 2 and "too large to analyse" in stderr_of(result)


def test_the_default_size_limit_is_a_few_megabytes_at_most():
    from estimig.options import DEFAULT_MAX_FILE_SIZE, Options

    assert Options().max_file_size == DEFAULT_MAX_FILE_SIZE <= 5_000_000


@pytest.mark.parametrize("code", [
    "x = " + "(" * 1500 + "1" + ")" * 1500,
    "x = " + "[" * 1500 + "]" * 1500,
    "x = " + " + ".join(["a"] * 2000),
    "x = a" + ".b" * 2000,
    "x = f" + "()" * 2000,
    "x = " + "not " * 2000 + "a",
    "x = " + " ".join(['"s"'] * 2000),
], ids=["parens", "lists", "plus", "attributes", "calls", "not", "strings"])
def test_every_deep_construct_is_measured_before_parsing(code):
    from estimig.nesting import too_deep

    assert too_deep("import os\n" + code + "\n") == 2


def test_real_code_is_far_from_the_nesting_limit():
    from estimig.nesting import too_deep

    sources = [*ROOT.glob("estimig/**/*.py"), *ROOT.glob("codemods/*.py"), *ROOT.glob("fixtures/**/*.py")]
    assert len(sources) > 100
    assert [p for p in sources if too_deep(p.read_text(encoding="utf-8", errors="replace"))] == []
