"""Every way the shim can fail, as one-line errors with a documented exit code (docs/runtime.md)."""

from __future__ import annotations

# Exit codes of `estimig run` and `estimig verify`.
OK = 0
DIFFERENT = 1  # verify: the two versions ran differently
USAGE = 2  # bad input: missing file, bad config, no local mapping, unsupported setting
JOB_FAILED = 3  # a job's process exited non-zero
JOB_TIMEOUT = 4  # a job ran past --timeout
TOOL_MISSING = 5  # the azureml SDK, mpirun or a Docker engine is not available
INTERRUPTED = 130  # Ctrl-C


class ShimError(Exception):
    """A failure the user can fix; rendered as one line on stderr, never a traceback."""

    exit_code = USAGE

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.message = message
        # Extra lines shown under the message (a failed job's log tail).
        self.detail = detail


class UsageError(ShimError):
    exit_code = USAGE


class MappingMissing(ShimError):
    """A dataset, datastore or compute target the config does not map to this machine."""

    exit_code = USAGE


class JobFailed(ShimError):
    exit_code = JOB_FAILED


class JobTimeout(ShimError):
    exit_code = JOB_TIMEOUT


class ToolMissing(ShimError):
    exit_code = TOOL_MISSING


class Interrupted(ShimError):
    exit_code = INTERRUPTED
