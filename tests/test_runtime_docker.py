"""The docker backend, for real: each emulated node a container on a per-run network, the host's
packages mounted, traces equal before and after migration, wrong migrations caught, and nothing
left behind (containers, networks) after a timeout, Ctrl-C or SIGTERM.

Needs a running engine and the local base image; `.ci/setup-runtime.sh` (run by `.ci/run`) starts
dockerd and builds `estimig-base:bookworm`. Without them every test here is skipped, saying why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from estimig.runtime.config import DEFAULT_IMAGE
from runtime_support import JOBS, invoke, needs_torch, skip_unless


def _engine_problem() -> str | None:
    try:
        import docker
    except ImportError:
        return "the docker SDK is not installed: pip install docker (.ci/setup-runtime.sh does)"
    try:
        client = docker.from_env()
        client.ping()
    except Exception:
        return "no Docker engine answers: run .ci/setup-runtime.sh (it starts dockerd)"
    try:
        client.images.get(DEFAULT_IMAGE)
    except Exception:
        return f"image {DEFAULT_IMAGE} is missing: run .ci/setup-runtime.sh (it builds it)"
    return None


PROBLEM = _engine_problem()
pytestmark = [pytest.mark.docker, skip_unless(PROBLEM is not None, PROBLEM or "")]


def _ours(pid: int) -> list[str]:
    """Containers and networks a process (pid) of estimig made and has not removed."""
    import docker

    client = docker.from_env()
    found = []
    for container in client.containers.list(all=True, filters={"label": f"estimig.pid={pid}"}, ignore_removed=True):
        found.append(container.name)
    for network in client.networks.list(filters={"label": f"estimig.pid={pid}"}):
        found.append(network.name)
    return found


PAIRS = ["env_pip", "data_inputs", "tf_ps", pytest.param("mpi_ranks", marks=pytest.mark.mpi, id="mpi_ranks")]


@pytest.mark.slow
@pytest.mark.parametrize("job", PAIRS)
def test_fixture_pair_unchanged_on_docker(job, tmp_path):
    folder = JOBS / job
    report = tmp_path / "report.json"
    result = invoke("verify", folder / "before.py", folder / "after.py", "--backend", "docker",
                    "--timeout", 240, "--report", report, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    assert data["unchanged"] is True
    assert not _ours(os.getpid()), "containers or networks were left behind"


WRONG = [
    pytest.param("data_inputs", "wrong_missing_data_reference.py", "data_references", id="missing_data_reference"),
    pytest.param("mpi_ranks", "wrong_process_count.py", "OMPI_COMM_WORLD_SIZE", marks=pytest.mark.mpi,
                 id="mpi_process_count"),
]


@pytest.mark.slow
@pytest.mark.parametrize("job, wrong, named", WRONG)
def test_wrong_migration_is_caught_on_docker(job, wrong, named):
    folder = JOBS / job
    result = invoke("verify", folder / "before.py", folder / wrong, "--backend", "docker", "--timeout", 240)
    output = result.stdout + result.stderr
    assert named in output, output
    assert result.exit_code in (1, 2), output


@pytest.mark.slow
def test_docker_trace_matches_local_trace(tmp_path):
    """What the job saw and wrote is the same in a container as on the host; only what decides the
    image differs (the local image it ran in, the shared memory it got)."""
    folder = JOBS / "env_pip"
    traces = {}
    for backend in ("local", "docker"):
        out = tmp_path / f"{backend}.json"
        result = invoke("run", folder / "after.py", "--backend", backend, "--trace", out)
        assert result.exit_code == 0, result.stdout + result.stderr
        traces[backend] = json.loads(out.read_text())[0]
    local, docker = traces["local"], traces["docker"]
    assert docker["backend"] == "docker"
    assert docker["spec"]["base_image"] == DEFAULT_IMAGE
    for key in ("processes", "outputs", "working_files", "metrics", "exit_codes"):
        assert docker[key] == local[key], key
    # outputs/env.json is equal, so `six` imported in the container too (the host's site-packages).


@pytest.mark.slow
@needs_torch
def test_torch_ddp_ranks_meet_across_containers(tmp_path):
    """2 nodes x 2 processes, one container per node: the all-reduce only sums to 1+2+3+4 if the
    ranks of node1 reached the master on node0 over the run's network."""
    out = tmp_path / "trace.json"
    result = invoke("run", JOBS / "torch_ddp" / "after.py", "--backend", "docker", "--timeout", 300, "--trace", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    trace = json.loads(out.read_text())[0]
    assert {p["env"]["MASTER_ADDR"] for p in trace["processes"].values()} == {"node0"}
    assert {p["env"]["NODE_RANK"] for p in trace["processes"].values()} == {"0", "1"}
    assert sorted(trace["outputs"]) == ["node0", "node1"]
    sums = {m["value"] for records in trace["metrics"].values() for m in records if m["name"] == "sum"}
    assert sums == {10.0}


SUBMIT = """
from azureml.core import Experiment, ScriptRunConfig, Workspace
ws = Workspace.from_config()
src = ScriptRunConfig(source_directory="src", script="job.py", compute_target="local")
{after}
Experiment(ws, "docker-errors").submit(src)
"""


def _make_job(tmp_path, body: str, after: str = "", config: str | None = None):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "job.py").write_text(textwrap.dedent(body))
    script = tmp_path / "submit.py"
    script.write_text(SUBMIT.format(after=after))
    if config is not None:
        (tmp_path / "estimig.yaml").write_text(textwrap.dedent(config))
    return script


def test_timeout_removes_containers(tmp_path):
    script = _make_job(tmp_path, "import time\ntime.sleep(120)\n")
    result = invoke("run", script, "--backend", "docker", "--timeout", 3)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "--timeout" in result.stderr.strip().splitlines()[-1]
    assert not _ours(os.getpid())


def test_failing_rank_exit_code_and_log_tail(tmp_path):
    script = _make_job(tmp_path, "import sys\nprint('about to fail')\nsys.exit(3)\n")
    result = invoke("run", script, "--backend", "docker")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "about to fail" in result.stderr
    assert "rank0 exited 3" in result.stderr.strip().splitlines()[-1]


def test_unmapped_local_image_is_a_one_line_error(tmp_path):
    script = _make_job(
        tmp_path, "print('never runs')\n",
        after="src.run_config.environment.docker.base_image = 'mcr.microsoft.com/azureml/custom:1'",
        config="""
        docker:
          images: {"mcr.microsoft.com/azureml/custom:*": "estimig-no-such-image:never"}
        """,
    )
    result = invoke("run", script, "--backend", "docker")
    assert result.exit_code == 5, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("estimig: error: ") and "estimig-no-such-image:never" in last
    assert "setup-runtime.sh" in last and "Traceback" not in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_signal_removes_containers_and_network(tmp_path, signum):
    script = _make_job(tmp_path, "import time\nprint('started', flush=True)\ntime.sleep(120)\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "estimig", "run", str(script), "--backend", "docker"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _ours(process.pid):
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
        assert _ours(process.pid), "no container appeared"
        time.sleep(1.5)  # the job's process is running in its container
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, out + err
    assert "cleaned up" in err
    assert not _ours(process.pid), "containers or networks were left behind"
