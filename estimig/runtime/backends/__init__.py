"""Where a job's processes run: `local` (processes on this machine) or `docker` (containers)."""

from __future__ import annotations


def get_backend(name: str):
    if name == "local":
        from estimig.runtime.backends.local import LocalBackend

        return LocalBackend()
    if name == "docker":
        from estimig.runtime.backends.docker import DockerBackend

        return DockerBackend()
    from estimig.runtime.errors import UsageError

    raise UsageError(f"unknown backend '{name}': use local or docker")
