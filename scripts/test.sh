#!/usr/bin/env bash
# The test command (README, .ci/run): installs everything the tests need on a fresh machine, then
# runs the whole suite. Safe to run again: every install step checks before it acts.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# First the system side: Docker engine, OpenMPI (its headers are needed to build mpi4py), mpi4py,
# torch==2.13.0 (CPU) and the local base image for the runtime shim.
bash .ci/setup-runtime.sh
log="$(mktemp)"
echo "test.sh: installing estimig with its test extras (azureml SDK, pytest, hypothesis, pre-commit)"
python3 -m pip install -q -e ".[test]" >"$log" 2>&1 || { cat "$log"; exit 2; }
echo "test.sh: running the test suite"
python3 -m pytest -p no:cacheprovider "$@"
