"""Which files a run looks at: recursion, .gitignore, default excludes, --exclude globs, symlinks.

Ignore rules are git's (pathspec's GitIgnoreSpec): the `.gitignore` files from the repository root
down, the deepest with a matching pattern deciding (so a nested `!pattern` re-includes a file),
then the repository's `.git/info/exclude`, then the user's global ignore file (`core.excludesFile`,
by default `~/.config/git/ignore`). A walk never leaves the folder it was given through a symlink
unless asked (`follow_symlinks`), and never loops. What cannot be walked is reported, not silently
skipped: a dangling symlink or a symlink loop is a note, an unreadable directory an error; both go
to the caller's `skipped` list as FileResults.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from estimig import rules
from estimig.result import FileResult, Finding, Result, Severity

DEFAULT_EXCLUDES = (".git", ".hg", ".svn", ".venv", "venv", ".env", "env", ".tox", ".nox", "build", "dist",
                    "__pycache__", ".ipynb_checkpoints", "node_modules", ".mypy_cache", ".pytest_cache",
                    ".ruff_cache", ".eggs", "site-packages")
SUFFIXES = (".py", ".ipynb")


def iter_files(paths: Iterable[str], excludes: Iterable[str] = (), respect_gitignore: bool = True,
               follow_symlinks: bool = False, skipped: list[FileResult] | None = None) -> Iterator[str]:
    """Files to migrate, in a stable order. A file named explicitly is always included."""
    paths = list(paths)
    if all(os.path.isfile(p) for p in paths):
        # pre-commit names files one by one: no pattern to match, so pathspec is not even imported.
        yield from dict.fromkeys(paths)
        return
    user_excludes = exclude_spec(excludes)
    skipped = skipped if skipped is not None else []
    seen: set[str] = set()
    for given in paths:
        if os.path.isfile(given):
            real = os.path.realpath(given)
            if real not in seen:
                seen.add(real)
                yield given
            continue
        walk = _Walk(Path(given), user_excludes, respect_gitignore, follow_symlinks, skipped)
        for path, real in walk.files():
            if real not in seen:
                seen.add(real)
                yield path


def exclude_spec(excludes: Iterable[str]):
    """The --exclude / `exclude` patterns as one spec; ValueError naming the first invalid one."""
    import pathspec

    excludes = list(excludes)
    for pattern in excludes:
        if not _valid(pattern):
            raise ValueError(f"invalid exclude pattern {pattern!r}")
    return pathspec.PathSpec.from_lines("gitwildmatch", excludes)


def is_excluded(path: str, excludes: Iterable[str] = (), respect_gitignore: bool = True,
                root: str | None = None) -> bool:
    """Whether a walk of `root` (default: the current folder) would leave `path` out (for
    --stdin-filename); for a path outside it, a walk from the top of its repository."""
    spec = exclude_spec(excludes)
    absolute = os.path.abspath(path)
    folder = Path(absolute).parent
    ignores = _GitIgnores(folder) if respect_gitignore else None
    rel = os.path.relpath(absolute, root or os.getcwd())
    if rel.startswith(".."):
        rel = os.path.relpath(absolute, ignores.top if ignores else folder)
    parts = rel.split(os.sep)
    folders = [os.path.join(*parts[:i]) for i in range(1, len(parts))]
    if any(part in DEFAULT_EXCLUDES or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    if spec.match_file(rel) or any(spec.match_file(f + "/") for f in folders):
        return True
    return ignores is not None and (ignores.ignored(absolute) or any(
        ignores.ignored(str(parent), is_dir=True) for parent in (folder, *folder.parents)
        if len(str(parent)) > len(ignores.top)))


def _valid(line: str) -> bool:
    import pathspec

    try:
        pathspec.PathSpec.from_lines("gitwildmatch", [line])
    except (ValueError, re.error):
        return False
    return True


class _Walk:
    """One directory walk: os.walk plus excludes, ignore files, symlink rules and reporting."""

    def __init__(self, root: Path, user_excludes, respect_gitignore: bool, follow_symlinks: bool,
                 skipped: list[FileResult]):
        self.root, self.user_excludes, self.follow = root, user_excludes, follow_symlinks
        self.real_root = os.path.realpath(root)
        self.ignore = _GitIgnores(root) if respect_gitignore else None
        self.skipped = skipped
        self.walked: set[str] = set()  # real paths of folders entered, so a followed link never loops

    def files(self) -> Iterator[tuple[str, str]]:
        """(path, real path) of each file to take; a plain file's real path is its real folder's plus
        its name, so only links cost a realpath."""
        def unreadable(error: OSError) -> None:
            self.skipped.append(FileResult(error.filename, error=Finding(
                1, Severity.ERROR, "io", f"cannot read this directory: {error.strerror}; its files were not looked at",
                code=rules.IO)))

        for folder, dirnames, filenames in os.walk(self.root, onerror=unreadable, followlinks=self.follow):
            real = os.path.realpath(folder)
            if real in self.walked:
                self._note(folder, "symlink loop: this folder was already walked; skipped")
                dirnames[:] = []
                continue
            self.walked.add(real)
            rel_folder = os.path.relpath(folder, self.root)
            dirnames[:] = [d for d in sorted(dirnames) if self._enter(folder, rel_folder, d)]
            for name in sorted(filenames):
                path = os.path.join(folder, name)
                if name.endswith(SUFFIXES):
                    taken = self._take(path, os.path.normpath(os.path.join(rel_folder, name)))
                    if taken:
                        yield path, os.path.realpath(path) if taken == "link" else os.path.join(real, name)

    def _enter(self, folder: str, rel_folder: str, name: str) -> bool:
        rel = os.path.normpath(os.path.join(rel_folder, name))
        path = os.path.join(folder, name)
        if name in DEFAULT_EXCLUDES or name.endswith(".egg-info") or _excluded(self.user_excludes, rel, folder, name, "/"):
            return False
        if self.ignore is not None and self.ignore.ignored(path, is_dir=True):
            return False
        if os.path.islink(path):
            if not self.follow:
                # Inside the root its target is walked anyway; outside, it is not ours to rewrite.
                if not self._inside(path):
                    self._note(path, "symlink to a folder outside the walked tree; not followed (--follow-symlinks)")
                return False
        return True

    def _take(self, path: str, rel: str) -> bool | str:
        """Whether to take a file: True, "link" for a link to one, False."""
        folder, name = os.path.split(path)
        if _excluded(self.user_excludes, rel, folder, name) or (self.ignore is not None and self.ignore.ignored(path)):
            return False
        if not os.path.islink(path):
            return True
        try:
            os.stat(path)
        except OSError as exc:
            self._note(path, "symlink loop; skipped" if exc.errno == errno.ELOOP else "dangling symlink; skipped")
            return False
        if not self.follow and not self._inside(path):
            self._note(path, "symlink to a file outside the walked tree; not followed (--follow-symlinks)")
            return False
        return "link"

    def _inside(self, path: str) -> bool:
        target = os.path.realpath(path)
        return target == self.real_root or target.startswith(self.real_root.rstrip(os.sep) + os.sep)

    def _note(self, path: str, message: str) -> None:
        self.skipped.append(FileResult(path, result=Result("", (Finding(1, Severity.INFO, "io", message, code=rules.PATH_SKIPPED),))))


def _excluded(spec, rel: str, folder: str, name: str, slash: str = "") -> bool:
    """--exclude patterns match the path relative to the directory walked, or as given from the cwd."""
    if not spec.patterns:
        return False  # no --exclude: nothing to match (the common case, once per file)
    if spec.match_file(rel + slash):
        return True
    given = os.path.normpath(os.path.join(folder, name))
    if given == rel or os.path.isabs(given) or given.startswith(".."):
        return False
    return spec.match_file(given + slash)


class _GitIgnores:
    """git's ignore rules for paths under `root`: per-folder .gitignore files from the repository
    root down (deepest match wins), .git/info/exclude, then the global excludes file."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self._specs: dict[str, object | None] = {}
        self._folders: dict[str, tuple[str, list]] = {}
        repository = next((p for p in (self.root, *self.root.parents) if (p / ".git").exists()), None)
        self.top = str(repository or self.root)
        # Patterns of lower priority than any .gitignore, relative to the repository's top.
        self._base = []
        if repository is not None:
            for path in (repository / ".git" / "info" / "exclude", _global_excludes_file()):
                if path is not None and (spec := _read_spec(str(path))) is not None:
                    self._base.append(spec)

    def _spec(self, folder: str):
        if folder not in self._specs:
            self._specs[folder] = _read_spec(os.path.join(folder, ".gitignore"))
        return self._specs[folder]

    def ignored(self, path: str, is_dir: bool = False) -> bool:
        folder, name = os.path.split(path)
        resolved, specs = self._folder(folder)
        if not specs and not self._base:
            return False  # no ignore file applies here: most trees, most folders
        absolute = os.path.join(resolved, name)
        suffix = "/" if is_dir else ""
        for spec_folder, spec in reversed(specs):
            decided = spec.check_file(os.path.relpath(absolute, spec_folder) + suffix).include
            if decided is not None:
                return decided
        rel = os.path.relpath(absolute, self.top) + suffix
        for spec in self._base:
            decided = spec.check_file(rel).include
            if decided is not None:
                return decided
        return False

    def _folder(self, folder: str):
        """The folder resolved once, and the .gitignore specs that apply inside it, outermost first
        (cached: a large tree has thousands of files per folder resolution)."""
        if folder not in self._folders:
            resolved = Path(folder).resolve()
            chain = [str(p) for p in reversed([resolved, *resolved.parents]) if len(str(p)) >= len(self.top)]
            self._folders[folder] = (str(resolved), [(f, spec) for f in chain if (spec := self._spec(f)) is not None])
        return self._folders[folder]


def _read_spec(path: str):
    import pathspec

    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            # git skips a pattern it cannot read; so does this (rather than fail the run).
            lines = [line for line in handle if _valid(line)]
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _global_excludes_file() -> Path | None:
    """git's core.excludesFile, or its default ($XDG_CONFIG_HOME/git/ignore)."""
    import shutil
    import subprocess

    if shutil.which("git"):
        try:
            done = subprocess.run(["git", "config", "--global", "--path", "--get", "core.excludesFile"],
                                  capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            return Path(os.path.expanduser(done.stdout.strip()))
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config_home) / "git" / "ignore"
