"""The docker backend: not finished. It checks what it will need (the docker SDK and a running
engine) so that users get the right one-line error, then says so plainly."""

from __future__ import annotations

from estimig.runtime.errors import ToolMissing, UsageError


class DockerBackend:
    name = "docker"

    def run(self, spec, config, run_root, timeout, layout=None):
        try:
            import docker
        except ImportError:
            raise ToolMissing("the docker SDK is not installed: pip install 'estimig[runtime]'") from None
        try:
            docker.from_env().ping()
        except Exception:
            raise ToolMissing(
                "no Docker engine answers: start dockerd (or run .ci/setup-runtime.sh), or use --backend local"
            ) from None
        raise UsageError("the docker backend is not implemented yet: use --backend local")
