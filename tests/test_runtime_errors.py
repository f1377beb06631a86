"""Bad situations end in one line that names the fix, and a documented exit code; never a traceback."""

from __future__ import annotations

import textwrap


from estimig.runtime import errors
from runtime_support import invoke

SUBMIT = """
from azureml.core import Experiment, ScriptRunConfig, Workspace
ws = Workspace.from_config()
{extra}
src = ScriptRunConfig(source_directory="src", script="job.py", compute_target={target!r}, arguments={args})
{after}
Experiment(ws, "errors").submit(src)
"""


def make_job(tmp_path, body="print('hello')", target="local", args="[]", extra="", after="", config=None):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "job.py").write_text(textwrap.dedent(body))
    script = tmp_path / "submit.py"
    script.write_text(SUBMIT.format(target=target, args=args, extra=extra, after=after))
    if config is not None:
        (tmp_path / "estimig.yaml").write_text(textwrap.dedent(config))
    return script


def assert_one_line(result, code, *words):
    assert result.exit_code == code, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("estimig: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in last, last


def test_job_runs_and_reports(tmp_path):
    script = make_job(tmp_path, body="import sys; print('argv', sys.argv[1:])", args="['--n', 3]")
    result = invoke("run", script)
    assert result.exit_code == 0, result.stderr
    assert "job 0 'errors': completed on local, 1 process(es)" in result.stdout


def test_failed_job_shows_log_tail(tmp_path):
    script = make_job(tmp_path, body="print('about to fail')\nraise SystemExit(7)\n")
    result = invoke("run", script)
    assert_one_line(result, errors.JOB_FAILED, "rank0 exited 7")
    assert "about to fail" in result.stderr


def test_hanging_job_stops_at_timeout(tmp_path):
    script = make_job(tmp_path, body="import time\nwhile True: time.sleep(1)\n")
    result = invoke("run", script, "--timeout", 3)
    assert_one_line(result, errors.JOB_TIMEOUT, "--timeout")


def test_dataset_without_local_folder(tmp_path):
    script = make_job(tmp_path, args="[Dataset.get_by_name(ws, 'nowhere').as_mount()]",
                      extra="from azureml.core import Dataset")
    result = invoke("run", script)
    assert_one_line(result, errors.USAGE, "dataset 'nowhere'", "estimig.yaml")


def test_compute_target_without_layout(tmp_path):
    extra = "from azureml.core.compute import ComputeTarget\ncluster = ComputeTarget(workspace=ws, name='gpu-big')"
    script = make_job(tmp_path, extra=extra, config="compute:\n  cpu-cluster: {nodes: 2}\n")
    script.write_text(script.read_text().replace("compute_target='local'", "compute_target=cluster"))
    result = invoke("run", script)
    assert_one_line(result, errors.USAGE, "compute target 'gpu-big'", "cpu-cluster")


def test_missing_submit_script(tmp_path):
    assert_one_line(invoke("run", tmp_path / "nope.py"), errors.USAGE, "not found")


def test_script_that_submits_nothing(tmp_path):
    script = tmp_path / "submit.py"
    script.write_text("x = 1\n")
    assert_one_line(invoke("run", script), errors.USAGE, "submitted no job")


def test_submit_script_that_raises(tmp_path):
    script = tmp_path / "submit.py"
    script.write_text("x = 1\nraise ValueError('bad things')\n")
    assert_one_line(invoke("run", script), errors.USAGE, "line 2", "ValueError: bad things")


def test_no_mpirun_on_path(tmp_path, monkeypatch):
    extra = "from azureml.core.runconfig import MpiConfiguration"
    after = "src.run_config  # noqa"
    script = make_job(tmp_path, extra=extra, after=after)
    script.write_text(script.read_text().replace(
        "arguments=[])", "arguments=[], distributed_job_config=MpiConfiguration(process_count_per_node=2))"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert_one_line(invoke("run", script), errors.TOOL_MISSING, "mpirun", "openmpi")


def test_bad_config(tmp_path):
    script = make_job(tmp_path, config="backend: kubernetes\n")
    assert_one_line(invoke("run", script), errors.USAGE, "backend must be")


def test_verify_needs_two_files_or_against(tmp_path):
    assert_one_line(invoke("verify", tmp_path / "a.py"), errors.USAGE, "--against")


def test_verify_against_git_revision(tmp_path):
    import subprocess

    script = make_job(tmp_path, body="import sys; print(sys.argv)", args="['--k', 1]")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    unchanged = invoke("verify", script, "--against", "HEAD")
    assert unchanged.exit_code == 0, unchanged.stdout + unchanged.stderr
    assert "unchanged" in unchanged.stdout
    script.write_text(script.read_text().replace("['--k', 1]", "['--k', 2]"))
    changed = invoke("verify", script, "--against", "HEAD")
    assert changed.exit_code == errors.DIFFERENT
    assert "processes.rank0.argv" in changed.stdout
