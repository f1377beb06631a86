"""The project around a file: what `from helpers import name` binds, when helpers.py is nearby.

Notebooks and submit scripts keep their cluster names, datasets, pip lists and script_params in a
helper module next to them. Python finds `from helpers import x` in the importing file's own
directory first (sys.path[0] for a script, the working directory for a notebook), so that is where
estimig looks, then up the parent directories to the repository root (the first one with `.git`),
for `helpers.py` or `helpers/__init__.py`; a relative import (`from .helpers import x`) is looked
up from the file's package. A module found is parsed once per process and its module-level flow
gives what each name holds at its end (what an import sees). Nothing is written, and a module that
cannot be read or parsed simply proves nothing.
"""

from __future__ import annotations

import os

import libcst as cst

_CACHE: dict[str, tuple[tuple[int, int], object]] = {}
_MAX_BYTES = 2_000_000  # a generated or data module is not where a cluster name lives


def module_file(importer: str | None, module: str, level: int) -> str | None:
    """The .py file `from <'.' * level><module> import ...` in `importer` would load, or None."""
    if not importer or importer.startswith("<"):
        return None
    folder = os.path.dirname(os.path.abspath(importer))
    parts = module.split(".") if module else []
    if level:
        for _ in range(level - 1):
            folder = os.path.dirname(folder)
        return _find(folder, parts)
    while True:
        found = _find(folder, parts)
        if found is not None or os.path.isdir(os.path.join(folder, ".git")):
            return found
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _find(folder: str, parts: list[str]) -> str | None:
    if not parts:
        candidate = os.path.join(folder, "__init__.py")
        return candidate if os.path.isfile(candidate) else None
    base = os.path.join(folder, *parts)
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def facts_for(path: str):
    """The ModuleFacts of a helper module (no estimator calls collected), or None."""
    from estimig.facts import ModuleFacts

    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (status.st_mtime_ns, status.st_size)
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    facts = None
    if status.st_size <= _MAX_BYTES:
        try:
            with open(path, "rb") as handle:
                facts = ModuleFacts(module=cst.parse_module(handle.read()), path=path)
        except (OSError, cst.ParserSyntaxError, RecursionError, UnicodeDecodeError, ValueError):
            facts = None
    _CACHE[path] = (key, facts)
    return facts


_MAX_SCRIPTS = 500  # a source directory with more .py files than this is not read


def scripts_mentioning(importer: str | None, source_directory: str, words: tuple[str, ...]) -> set[str] | None:
    """Which of `words` the .py files under `source_directory` (relative to the importing file's
    folder, where its users run it from) mention anywhere, or None when the folder is not there or
    cannot be read: the job's scripts, as the run snapshots them."""
    if not importer or importer.startswith("<") or os.path.isabs(source_directory):
        return None
    folder = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(importer)), source_directory))
    if not os.path.isdir(folder):
        return None
    found: set[str] = set()
    seen = 0
    for root, _, files in os.walk(folder):
        for name in files:
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > _MAX_SCRIPTS:
                return None
            try:
                with open(os.path.join(root, name), "rb") as handle:
                    text = handle.read(_MAX_BYTES).decode("utf-8", "replace")
            except OSError:
                return None
            found |= {word for word in words if word in text}
    return found
