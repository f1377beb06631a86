#!/usr/bin/env bash
# The test command (README, .ci/run): sets up everything the tests need on a fresh machine, then
# runs the whole suite. Python packages go into the checkout's .venv (created on first use, reused
# after), never into the interpreter on the PATH. Safe to run again: every step checks before it acts.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
source scripts/venv.sh
venv_create "$repo"
# First the system side: Docker engine, OpenMPI (its headers are needed to build mpi4py), the local
# base image for the runtime shim, and into the venv mpi4py, docker and torch==2.13.0 (CPU; pinned
# first, so that nothing installed after it can pull in a CUDA build).
PYTHON="$VIRTUAL_ENV/bin/python" bash .ci/setup-runtime.sh
venv_install "$repo" test
echo "test.sh: running the test suite"
python -m pytest -p no:cacheprovider "$@"
