#!/usr/bin/env bash
# Installs what the runtime shim's tests need: a Docker engine, OpenMPI, mpi4py, torch and the
# docker SDK, then builds the local base image. Idempotent: every step checks before it acts, so
# `.ci/run` can call it on every run and a warm machine pays almost nothing.
# Runs as root on Debian bookworm with CI=true and no stdin. Python packages go to $PYTHON's
# environment: scripts/test.sh passes the checkout's .venv, so the machine's interpreter is untouched.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

IMAGE="${ESTIMIG_BASE_IMAGE:-estimig-base:bookworm}"
PYTHON="${PYTHON:-python3}"
log() { echo "setup-runtime: $*" >&2; }

# --- Debian packages ------------------------------------------------------------------------
need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v mpirun >/dev/null 2>&1 || need_apt+=(openmpi-bin)
[ -e /usr/include/x86_64-linux-gnu/openmpi/mpi.h ] || [ -e /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h ] \
    || need_apt+=(libopenmpi-dev)
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
if [ "${#need_apt[@]}" -gt 0 ]; then
    log "apt-get install ${need_apt[*]}"
    apt-get update -qq </dev/null
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" </dev/null >/dev/null
fi

# --- Python packages --------------------------------------------------------------------------
# torch==2.13.0 exactly: pip takes the CPU wheel from the machine's disk instead of a CUDA build.
# One interpreter start reads the installed versions (importing torch alone takes seconds).
read -r -a need_pip < <("$PYTHON" - <<'PY'
from importlib import metadata

def version(name):
    try:
        return metadata.version(name).split("+")[0]
    except metadata.PackageNotFoundError:
        return None

wanted = {"mpi4py": None, "docker": None, "torch": "2.13.0"}
print(" ".join(f"{name}=={pin}" if pin else name for name, pin in wanted.items()
               if version(name) is None or (pin and version(name) != pin)))
PY
)
if [ "${#need_pip[@]}" -gt 0 ]; then
    log "pip install ${need_pip[*]}"
    "$PYTHON" -m pip install -q "${need_pip[@]}" </dev/null
fi

# --- Docker engine ----------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
    log "starting dockerd"
    mkdir -p /var/log
    # Detached so that it outlives this script (the tests run after it) and never holds CI's stdout.
    nohup dockerd >/var/log/estimig-dockerd.log 2>&1 </dev/null &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        log "dockerd did not answer within 60 s; last lines of /var/log/estimig-dockerd.log:"
        tail -n 20 /var/log/estimig-dockerd.log >&2 || true
        log "docker tests will be skipped"
        exit 0
    fi
fi

# --- Local base image -------------------------------------------------------------------------
# No registry is reachable, so the image every job container starts from is built from Debian's
# own packages, once. Python packages are not installed in it: the docker backend mounts the host's
# site-packages (same Python minor version, 3.11), so the image only needs the shared libraries
# they load: libstdc++/libgomp for torch, OpenMPI's runtime for mpi4py and `mpirun` for MPI jobs.
# The label says which recipe built it, so an image from an older recipe is rebuilt.
RECIPE="minbase+python3,libgomp1,openmpi-bin,libopenmpi3"
built_with="$(docker image inspect -f '{{ index .Config.Labels "estimig.recipe" }}' "$IMAGE" 2>/dev/null || true)"
if [ "$built_with" != "$RECIPE" ]; then
    old_id="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
    root="$(mktemp -d /tmp/estimig-rootfs.XXXXXX)"
    trap 'rm -rf "$root"' EXIT
    log "debootstrap bookworm ($RECIPE) into $root (a few minutes)"
    debootstrap --variant=minbase --include=python3,libgomp1,openmpi-bin,libopenmpi3 bookworm "$root" >/dev/null
    # Saves ~100 MB per image; apt lists and caches are of no use without a reachable mirror.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    log "docker import -> $IMAGE"
    tar -C "$root" -c . | docker import --change "LABEL estimig.recipe=$RECIPE" - "$IMAGE" >/dev/null
    # The image from the older recipe, now untagged, only takes space.
    [ -z "$old_id" ] || docker image rm "$old_id" >/dev/null 2>&1 || true
fi
log "ready: $(mpirun --version 2>/dev/null | head -1); image $IMAGE"
