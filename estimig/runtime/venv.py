"""`--venv`: run a job with only the Environment's pip packages importable.

An isolated virtualenv (no system site-packages, no pip) whose site-packages links, from the host's
installed distributions, exactly the Environment's pip packages and everything they require. So a
migration that drops a pip package from the Environment fails in its job (ImportError) instead of
passing because the host happens to have it. Nothing is downloaded: a package the host does not
have, or has in a version the requirement excludes, stops the run naming the pip command to run.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import subprocess
import sys
from pathlib import Path

from estimig.runtime.errors import UsageError


# A metapackage Azure ML adds to every Environment, stood in for by the part jobs import, when the
# host does not have it (the shim replaces the service side of it anyway).
STAND_INS = {"azureml-defaults": "azureml-core"}


def _requirement(text: str):
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement:
        raise UsageError(f"pip package {text!r} of the Environment is not a requirement --venv understands") from None


def _applies(requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""}))


def closure(pip_packages: list[str]) -> list[metadata.Distribution]:
    """The host distributions the packages name, and what they require, transitively."""
    from packaging.utils import canonicalize_name

    found: dict[str, metadata.Distribution] = {}
    extras_seen: dict[str, set[str]] = {}
    queue = [(_requirement(text), None) for text in pip_packages]
    while queue:
        requirement, parent = queue.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in found and extras <= extras_seen[name]:
            continue
        if name in STAND_INS and name not in found:
            try:
                metadata.distribution(requirement.name)
            except metadata.PackageNotFoundError:
                queue.append((_requirement(STAND_INS[name]), f"{requirement} (stand-in)"))
                found[name] = None
                extras_seen[name] = extras
                continue
        try:
            dist = found.get(name) or metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            needed = f" (required by {parent})" if parent else ""
            raise UsageError(
                f"--venv: pip package '{requirement}'{needed} is not installed on this machine:"
                f" pip install '{requirement}', or run without --venv"
            ) from None
        if requirement.specifier and not requirement.specifier.contains(dist.version, prereleases=True):
            raise UsageError(
                f"--venv: the Environment asks for '{requirement}' but this machine has {dist.version}:"
                f" pip install '{requirement}', or run without --venv"
            )
        found[name] = dist
        extras_seen[name] = extras_seen.get(name, set()) | extras
        for text in dist.requires or []:
            child = _requirement(text)
            if _applies(child, extras_seen[name]):
                queue.append((child, dist.metadata["Name"]))
    return sorted((d for d in found.values() if d is not None), key=lambda d: d.metadata["Name"].lower())


def _link_tree(source: Path, target: Path, wanted: set[str], root: Path) -> None:
    """Link `source` whole when every file under it is wanted, else a folder of linked parts."""
    everything = set()
    for folder, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(folder, root)
        everything.update(os.path.normpath(os.path.join(rel, f)) for f in files if not f.endswith(".pyc"))
    if everything <= wanted:
        target.symlink_to(source, target_is_directory=True)
        return
    target.mkdir()
    for child in sorted(source.iterdir()):
        name = os.path.relpath(child, root)
        if child.name == "__pycache__":
            continue
        if child.is_dir():
            if any(w.startswith(name + os.sep) for w in wanted):
                _link_tree(child, target / child.name, wanted, root)
        elif name in wanted:
            (target / child.name).symlink_to(child)


def build(pip_packages: list[str], into: Path) -> str:
    """A virtualenv at `into` holding the packages; returns its interpreter."""
    dists = closure(pip_packages)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(into)], check=True,
                   capture_output=True)
    site = into / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    by_root: dict[Path, set[str]] = {}
    for dist in dists:
        root = Path(dist.locate_file("")).resolve()
        wanted = by_root.setdefault(root, set())
        for file in dist.files or []:
            parts = Path(file).parts
            if not parts or parts[0] == ".." or file.suffix == ".pyc":
                continue  # scripts in bin/, caches
            wanted.add(os.path.normpath(str(file)))
    for root, wanted in by_root.items():
        for top in sorted({w.split("/", 1)[0] for w in wanted}):
            source, target = root / top, site / top
            if target.exists() or target.is_symlink() or not (source.exists() or source.is_symlink()):
                continue
            if source.is_dir():
                _link_tree(source, target, wanted, root)
            else:
                target.symlink_to(source)
    return str(into / "bin" / "python")
