"""The docker backend: each emulated node a container, all of a job's containers on one per-run
bridge network, every process of a node `docker exec`ed into its container.

- image: the Environment's base image mapped to a local image by the config (`docker: {images: ...}`;
  default `estimig-base:bookworm`, built by `.ci/setup-runtime.sh`). Nothing is ever pulled.
- packages: the host's site-packages, mounted read-only and put on PYTHONPATH (the image's Python
  must have the host's minor version; checked before any job process starts).
- paths: the run folder is mounted at the same path it has on the host, and every mounted input's
  folder too, so argv, working directories and variables read exactly as on the local backend.
- network: node N is reachable as `nodeN` on the run's network; MASTER_ADDR, AZ_BATCH_MASTER_NODE
  and TF_CONFIG name those hosts.
- GPUs: passed with a device request when `nvidia-smi` exists on the host.
- cleanup: containers and the network are removed in `finally`, on Ctrl-C and on SIGTERM; every
  object carries the label `estimig.run=<id>`, and leftovers of runs whose process is gone are
  removed when the next docker run starts.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import site
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

from estimig.runtime.config import RuntimeConfig
from estimig.runtime.distribution import plan_launch
from estimig.runtime.errors import JobTimeout, ToolMissing, UsageError
from estimig.runtime.execution import JobResult, azureml_variables, prepare, snapshot
from estimig.runtime.spec import JobSpec

LABEL_RUN = "estimig.run"
LABEL_PID = "estimig.pid"
LABEL_HOST = "estimig.host"  # a pid means something on its own machine only
SITE_MOUNT = "/opt/estimig/site-packages"
INTERPRETER = "python3"
# A container needs these for OpenMPI: no ssh (every rank runs in node 0's container), and no
# cross-process memory attach (ptrace is not allowed in containers). OMPI_MCA_* are launcher
# noise in traces, so they change nothing in a comparison.
MPI_IN_CONTAINER = {
    "OMPI_MCA_plm_rsh_agent": "false",
    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
}


def _sdk():
    try:
        import docker
    except ImportError:
        raise ToolMissing("the docker SDK is not installed: pip install 'estimig[runtime]'") from None
    return docker


def connect():
    """A client for the engine DOCKER_HOST (or the default socket) names, or a one-line ToolMissing."""
    docker = _sdk()
    try:
        client = docker.from_env()
        client.ping()
    except Exception:
        raise ToolMissing(
            "no Docker engine answers: start dockerd (or run .ci/setup-runtime.sh), or use --backend local"
        ) from None
    return client


def host_site_packages() -> list[str]:
    """The folders the host interpreter imports packages from, mounted into every container."""
    folders = list(site.getsitepackages())
    user = site.getusersitepackages()
    if site.ENABLE_USER_SITE and user:
        folders.append(user)
    return [f for f in dict.fromkeys(folders) if os.path.isdir(f)]


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _abandoned(labels: dict) -> bool:
    return labels.get(LABEL_HOST) == socket.gethostname() and not _alive(labels.get(LABEL_PID, ""))


def remove_leftovers(client, only_run: str | None = None) -> int:
    """Remove containers and networks of estimig runs: one run's, or those of this machine whose
    estimig process is gone (killed with SIGKILL, say)."""
    removed = 0
    selector = f"{LABEL_RUN}={only_run}" if only_run else LABEL_RUN
    # ignore_removed: another run may remove its containers between the listing and their inspection
    for container in client.containers.list(all=True, filters={"label": selector}, ignore_removed=True):
        if only_run or _abandoned(container.labels):
            try:
                container.remove(force=True)
                removed += 1
            except Exception:
                pass
    for network in client.networks.list(filters={"label": selector}):
        if only_run or _abandoned(network.attrs.get("Labels") or {}):
            try:
                network.remove()
                removed += 1
            except Exception:
                pass
    return removed


class _Signals:
    """SIGTERM becomes KeyboardInterrupt while containers exist, so `finally` removes them."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            def on_term(signum, frame):
                raise KeyboardInterrupt

            self.previous = signal.signal(signal.SIGTERM, on_term)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False


class DockerBackend:
    name = "docker"

    def run(self, spec: JobSpec, config: RuntimeConfig, run_root: Path, timeout: float | None,
            layout=None, use_venv: bool = False) -> JobResult:
        if use_venv:
            raise UsageError("--venv applies to the local backend only: the docker backend mounts the host's packages")
        docker = _sdk()
        client = connect()
        remove_leftovers(client)
        image = config.image_for(spec.base_image)
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            raise ToolMissing(
                f"docker image '{image}' (for base image {spec.base_image!r}) is not on this engine and no"
                " registry is pulled from: run .ci/setup-runtime.sh, or map the base image to a local image"
                f" under 'docker: images:' in {config.source}"
            ) from None
        shm_size = spec.shm_size or _default_shm()
        # The trace records what takes effect here: the local image the base image maps to (the
        # oracle compares the Azure names), and the shared memory the container got.
        spec = dataclasses.replace(spec, base_image=image, shm_size=shm_size)
        run_root = Path(run_root).resolve()
        prepared = prepare(spec, config, run_root)
        run_id, shim, trace_dir, staged = prepared.run_id, prepared.shim, prepared.trace_dir, prepared.staged
        input_env, datasets, arguments = prepared.input_env, prepared.datasets, prepared.arguments
        tag = f"estimig-{uuid.uuid4().hex[:12]}"
        plan = plan_launch(spec, [INTERPRETER, spec.script, *arguments], lambda node: f"node{node}")

        # The same path inside as outside: traces read as on the local backend.
        volumes = {str(run_root): {"bind": str(run_root), "mode": "rw"}}
        for path in staged.values():
            target = Path(path)
            if target.is_symlink():  # a mount: the mapped folder itself, read-only
                real = str(target.resolve())
                volumes.setdefault(real, {"bind": real, "mode": "ro"})
        packages = host_site_packages()
        site_paths = []
        for index, folder in enumerate(packages):
            inside = SITE_MOUNT if index == 0 else f"{SITE_MOUNT}-{index}"
            volumes[folder] = {"bind": inside, "mode": "ro"}
            site_paths.append(inside)

        # A UTF-8 locale, as Azure ML's images set it (else Python coerces one and says so in LC_CTYPE).
        env = {"LANG": "C.UTF-8"}
        env.update(azureml_variables(spec, run_id))
        env.update(input_env)
        env.update(spec.environment_variables)
        env.update(plan.env)
        env.update(
            PYTHONPATH=os.pathsep.join([str(shim), *site_paths]),
            ESTIMIG_TRACE_DIR=str(trace_dir),
            ESTIMIG_SCRIPT_NAME=os.path.basename(spec.script),
            ESTIMIG_INPUT_DATASETS=json.dumps(datasets),
        )
        if spec.distribution.kind == "mpi":
            env.update(MPI_IN_CONTAINER)
        user = None
        if hasattr(os, "getuid") and os.getuid() != 0:
            # Files the job writes stay removable by whoever ran estimig.
            user = f"{os.getuid()}:{os.getgid()}"
            env["HOME"] = "/tmp"

        result = JobResult(spec, run_id, run_root, trace_dir, [], backend=self.name)
        logs = run_root / "logs"
        logs.mkdir()
        labels = {LABEL_RUN: tag, LABEL_PID: str(os.getpid()), LABEL_HOST: socket.gethostname()}
        api = client.api
        execs: dict[str, tuple[str, str]] = {}  # process name -> (container id, exec id)
        with _Signals():
            try:
                network = client.networks.create(tag, driver="bridge", labels=labels)
                containers = []
                for node in plan.nodes:
                    workdir = run_root / f"node{node.rank}" / "wd"
                    snapshot(spec, workdir)
                    result.node_dirs.append(workdir)
                    host_config = api.create_host_config(
                        binds=volumes, shm_size=shm_size,
                        device_requests=_gpu_requests(docker), network_mode=network.name,
                    )
                    created = api.create_container(
                        image, ["sleep", "infinity"], name=f"{tag}-node{node.rank}", hostname=f"node{node.rank}",
                        labels=labels, environment=env, working_dir=str(workdir), user=user,
                        host_config=host_config,
                        networking_config=api.create_networking_config(
                            {network.name: api.create_endpoint_config(aliases=[f"node{node.rank}"])}
                        ),
                    )
                    containers.append(created["Id"])
                    try:
                        api.start(created["Id"])
                    except docker.errors.APIError as exc:
                        raise _start_error(exc, image) from None
                _check_python(api, containers[0], image)
                if spec.distribution.kind == "mpi":
                    _check_mpirun(api, containers[0], image)
                for node, container in zip(plan.nodes, containers):
                    workdir = run_root / f"node{node.rank}" / "wd"
                    for proc in node.processes:
                        proc_env = dict(proc.env)
                        if not node.mpi:
                            proc_env["ESTIMIG_PROC"] = proc.name
                        log = logs / f"{proc.name}.log"
                        log.touch()
                        result.logs[proc.name] = log
                        command = ["sh", "-c", 'exec "$@" >"$0" 2>&1', str(log), *proc.argv]
                        created = api.exec_create(container, command, environment=proc_env,
                                                  workdir=str(workdir), user=user or "")
                        api.exec_start(created["Id"], detach=True)
                        execs[proc.name] = (container, created["Id"])
                _wait(api, execs, timeout, result)
            finally:
                remove_leftovers(client, only_run=tag)
        return result


def _default_shm() -> str:
    """What Azure ML gives a job whose configuration leaves shm_size unset (an Estimator's)."""
    try:
        from azureml.core.environment import _DEFAULT_SHM_SIZE
    except ImportError:
        return "2g"
    return _DEFAULT_SHM_SIZE


def _gpu_requests(docker):
    if shutil.which("nvidia-smi") is None:
        return None
    return [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]


def _start_error(exc, image: str):
    text = str(exc)
    if "gpu" in text.lower() or "nvidia" in text.lower():
        return ToolMissing(
            "this machine has GPUs but Docker cannot pass them to containers: install the NVIDIA Container"
            " Toolkit (nvidia-ctk runtime configure --runtime=docker), or use --backend local"
        )
    first = (text.strip().splitlines() or [""])[0]
    return UsageError(f"docker could not start a container from '{image}': {first}")


def _check_python(api, container: str, image: str) -> None:
    """The host's packages are mounted, so the image's Python must be the host's minor version."""
    want = "%d.%d" % sys.version_info[:2]
    created = api.exec_create(container, [INTERPRETER, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    output = api.exec_start(created["Id"]).decode(errors="replace").strip()
    code = api.exec_inspect(created["Id"]).get("ExitCode")
    if code != 0:
        raise UsageError(f"docker image '{image}' has no working {INTERPRETER}: map the base image to an image with Python {want}")
    if output != want:
        raise UsageError(
            f"docker image '{image}' has Python {output} but the host's packages are for Python {want}:"
            f" map the base image to an image with Python {want} (docker: images: in estimig.yaml)"
        )


def _check_mpirun(api, container: str, image: str) -> None:
    created = api.exec_create(container, ["sh", "-c", "command -v mpirun"])
    api.exec_start(created["Id"])
    if api.exec_inspect(created["Id"]).get("ExitCode") != 0:
        raise ToolMissing(
            f"docker image '{image}' has no mpirun for this MPI job: rebuild it with .ci/setup-runtime.sh"
            " (it installs openmpi-bin), or use --backend local"
        )


def _wait(api, execs: dict[str, tuple[str, str]], timeout: float | None, result: JobResult) -> None:
    """Poll every process; stop the rest when one fails (as Azure ML does), or all on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = dict(execs)
    while pending:
        for name, (container, exec_id) in list(pending.items()):
            info = api.exec_inspect(exec_id)
            if not info.get("Running") and info.get("ExitCode") is not None:
                result.exit_codes[name] = int(info["ExitCode"])
                del pending[name]
        if pending and any(code != 0 for code in result.exit_codes.values()):
            time.sleep(2)
            for name, (container, exec_id) in pending.items():
                _stop(api, container, exec_id)
                result.exit_codes[name] = -signal.SIGTERM
            return
        if pending and deadline is not None and time.monotonic() > deadline:
            raise JobTimeout(
                f"job '{result.spec.experiment}' ran past --timeout {timeout:g}s and was stopped;"
                " raise --timeout or look at the log",
                detail=result.log_tail(),
            )
        if pending:
            time.sleep(0.1)


def _stop(api, container: str, exec_id: str) -> None:
    """Stop one exec'd process (and what it started) inside its container."""
    pid = api.exec_inspect(exec_id).get("Pid")
    if not pid:
        return
    try:
        # The exec'd process's pid is the host's; signal it from the host when we may, else the container goes.
        os.kill(int(pid), signal.SIGTERM)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            api.kill(container)
        except Exception:
            pass
