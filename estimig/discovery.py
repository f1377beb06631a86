"""Which files a run looks at: recursion, .gitignore, default excludes, --exclude globs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

DEFAULT_EXCLUDES = (".git", ".hg", ".svn", ".venv", "venv", ".env", "env", ".tox", ".nox", "build", "dist",
                    "__pycache__", ".ipynb_checkpoints", "node_modules", ".mypy_cache", ".pytest_cache",
                    ".ruff_cache", ".eggs", "site-packages")
SUFFIXES = (".py", ".ipynb")


def iter_files(paths: Iterable[str], excludes: Iterable[str] = (), respect_gitignore: bool = True) -> Iterator[str]:
    """Files to migrate, in a stable order. A file named explicitly is always included."""
    paths = list(paths)
    if all(os.path.isfile(p) for p in paths):
        # pre-commit names files one by one: no pattern to match, so pathspec is not even imported.
        yield from dict.fromkeys(paths)
        return
    import pathspec

    excludes = list(excludes)
    try:
        user_excludes = pathspec.PathSpec.from_lines("gitwildmatch", excludes)
    except ValueError:
        bad = next(p for p in excludes if not _valid(pathspec, p))
        raise ValueError(f"invalid exclude pattern {bad!r}") from None
    seen: set[str] = set()
    for given in paths:
        if os.path.isfile(given):
            if given not in seen:
                seen.add(given)
                yield given
            continue
        root = Path(given)
        ignore = _GitIgnores(root) if respect_gitignore else None
        for folder, dirnames, filenames in os.walk(root):
            rel_folder = os.path.relpath(folder, root)
            kept = []
            for d in sorted(dirnames):
                rel = os.path.normpath(os.path.join(rel_folder, d))
                if d in DEFAULT_EXCLUDES or d.endswith(".egg-info") or _excluded(user_excludes, rel, folder, d, "/"):
                    continue
                if ignore is not None and ignore.ignored(os.path.join(folder, d), is_dir=True):
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(SUFFIXES):
                    continue
                path = os.path.join(folder, name)
                rel = os.path.normpath(os.path.join(rel_folder, name))
                if _excluded(user_excludes, rel, folder, name) or (ignore is not None and ignore.ignored(path)):
                    continue
                if path not in seen:
                    seen.add(path)
                    yield path


def _valid(pathspec, line: str) -> bool:
    try:
        pathspec.PathSpec.from_lines("gitwildmatch", [line])
    except ValueError:
        return False
    return True


def _excluded(spec, rel: str, folder: str, name: str, slash: str = "") -> bool:
    """--exclude patterns match the path relative to the directory walked, or as given from the cwd."""
    if spec.match_file(rel + slash):
        return True
    given = os.path.normpath(os.path.join(folder, name))
    if given == rel or os.path.isabs(given) or given.startswith(".."):
        return False
    return spec.match_file(given + slash)


class _GitIgnores:
    """The .gitignore files from the walk root down, each applied relative to its own folder."""

    def __init__(self, root: Path):
        import pathspec

        self._pathspec = pathspec
        self._specs: dict[str, object | None] = {}
        self._folders: dict[str, tuple[str, list]] = {}
        self.root = root.resolve()
        # A .gitignore above the root (the repository's) applies too.
        self._parents = [p for p in self.root.parents if (p / ".gitignore").exists() and (p / ".git").exists()
                         or (p / ".git").exists()]

    def _spec(self, folder: str):
        if folder not in self._specs:
            path = os.path.join(folder, ".gitignore")
            spec = None
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    # git skips a pattern it cannot read; so does this (rather than fail the run).
                    lines = [line for line in handle if _valid(self._pathspec, line)]
                spec = self._pathspec.PathSpec.from_lines("gitwildmatch", lines)
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: str, is_dir: bool = False) -> bool:
        folder, name = os.path.split(path)
        resolved, specs = self._folder(folder)
        if not specs:
            return False
        absolute = os.path.join(resolved, name)
        for spec_folder, spec in specs:
            rel = os.path.relpath(absolute, spec_folder) + ("/" if is_dir else "")
            if spec.match_file(rel):
                return True
        return False

    def _folder(self, folder: str):
        """The folder resolved once, and the .gitignore specs that apply inside it (cached: a
        large tree has thousands of files per folder resolution)."""
        if folder not in self._folders:
            resolved = Path(folder).resolve()
            top = str(self._parents[0]) if self._parents else str(self.root)
            chain = [str(p) for p in reversed([resolved, *resolved.parents]) if len(str(p)) >= len(top)]
            self._folders[folder] = (str(resolved), [(f, spec) for f in chain if (spec := self._spec(f)) is not None])
        return self._folders[folder]
