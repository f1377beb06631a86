"""Normalization and comparison, without running jobs."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from estimig.runtime.compare import compare_traces
from estimig.runtime.trace import normalize_env
from runtime_support import JOBS, invoke, needs_torch


def test_random_values_are_normalized_and_the_rest_kept():
    env = {
        "AZUREML_RUN_ID": "exp_1_abc", "MASTER_PORT": "41234", "SEED": "7", "PATH": "/x",
        "AZUREML_DATAREFERENCE_0123456789abcdef0123456789abcdef": "/tmp/run9/mnt/store/p",
        "TF_CONFIG": '{"cluster": {"ps": ["127.0.0.1:5555"]}}', "PMIX_RANK": "0", "OMPI_COMM_WORLD_RANK": "1",
    }
    out = normalize_env(env, {"PATH": "/x"}, "/tmp/run9")
    assert out == {
        "AZUREML_DATAREFERENCE_<random-0>": "<RUN>/mnt/store/p",
        "AZUREML_RUN_ID": "<run-id>",
        "MASTER_PORT": "<port>",
        "OMPI_COMM_WORLD_RANK": "1",
        "SEED": "7",
        "TF_CONFIG": '{"cluster": {"ps": ["127.0.0.1:<port>"]}}',
    }


def _trace(**changes):
    trace = {"backend": "local", "spec": {"arguments": ["--a", "1"], "base_image": "x",
                                          "max_run_duration_seconds": None},
             "processes": {"rank0": {"argv": ["t.py", "--a", "1"]}}, "metrics": {"rank0": [{"v": 1.0}]}}
    trace.update(changes)
    return trace


def test_image_fields_do_not_count_on_the_local_backend():
    new = _trace(spec={"arguments": ["--a", "1"], "base_image": "y", "max_run_duration_seconds": 2592000})
    assert compare_traces([_trace()], [new]).unchanged


def test_metric_difference_is_named_by_index():
    new = _trace(metrics={"rank0": [{"v": 1.5}]})
    (difference,) = compare_traces([_trace()], [new]).differences
    assert difference.describe() == "job 0: metrics.rank0[0].v: 1.0 -> 1.5"


def test_extra_process_is_named():
    new = _trace(processes={"rank0": {"argv": ["t.py", "--a", "1"]}, "rank1": {"argv": ["t.py"]}})
    (difference,) = compare_traces([_trace()], [new]).differences
    assert difference.describe().startswith("job 0: processes.rank1: only in NEW")


def _gpu_count() -> int:
    if shutil.which("nvidia-smi") is None:
        return 0
    done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    return len(done.stdout.splitlines()) if done.returncode == 0 else 0


@pytest.mark.gpu
@needs_torch
@pytest.mark.skipif(_gpu_count() == 0, reason="no CUDA GPU on this machine (nvidia-smi -L lists none)")
def test_torch_ddp_with_nccl_on_gpu():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("nvidia-smi sees a GPU but this torch build has no CUDA (the CPU wheel)")
    # The fixture's script picks NCCL when CUDA is there; all-reduce results must still match.
    folder = JOBS / "torch_ddp"
    result = invoke("verify", folder / "before.py", folder / "after.py", "--timeout", 300)
    assert result.exit_code == 0, result.stdout + result.stderr
