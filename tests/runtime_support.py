"""Shared helpers for the runtime shim's tests: the CLI in-process, and skips that say why."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from estimig.runtime.commands import run_command, verify_command

JOBS = Path(__file__).resolve().parent.parent / "fixtures" / "jobs"


@click.group()
def cli():
    """The two runtime commands, as the main CLI registers them."""


cli.add_command(run_command)
cli.add_command(verify_command)


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# CI installs every tool these tests need (.ci/setup-runtime.sh): there a missing tool is a failure,
# never a silent skip. Elsewhere (a laptop without Docker) the test skips with what to run.
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_unless(missing: bool, reason: str):
    return pytest.mark.skipif(missing and not IN_CI, reason=reason)


def needs_module(name: str, why: str):
    return skip_unless(importlib.util.find_spec(name) is None, f"{name} not installed: {why}")


needs_torch = needs_module("torch", "pip install torch==2.13.0 (.ci/setup-runtime.sh does)")
needs_mpi = skip_unless(
    shutil.which("mpirun") is None or importlib.util.find_spec("mpi4py") is None,
    "mpirun or mpi4py missing: run .ci/setup-runtime.sh",
)
