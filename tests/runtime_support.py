"""Shared helpers for the runtime shim's tests: the CLI in-process, and skips that say why."""

from __future__ import annotations

import importlib.util
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


def needs_module(name: str, why: str):
    return pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"{name} not installed: {why}")


needs_torch = needs_module("torch", "pip install torch==2.13.0 (.ci/setup-runtime.sh does)")
needs_mpi = pytest.mark.skipif(
    shutil.which("mpirun") is None or importlib.util.find_spec("mpi4py") is None,
    reason="mpirun or mpi4py missing: run .ci/setup-runtime.sh",
)
