"""Where a run's report goes and what it shows: checked before any file is touched.

`--format X` without `--report` prints the report on stdout (as ruff's `--output-format`);
`--report FILE` writes it there, `--report-full FILE` also writes it without markdown's size
limit. Report paths are checked up front, so a run never rewrites a repository and then fails
to say what it did. `--severity` filters what is shown, never the exit code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from estimig.result import Finding, Severity


class UsageError(Exception):
    """A combination of options that cannot work; one line for the user."""


@dataclass(frozen=True)
class ReportPlan:
    path: str | None = None
    fmt: str = "text"
    full_path: str | None = None
    to_stdout: bool = False
    root: str | None = None
    severity: Severity = Severity.INFO

    @classmethod
    def create(cls, path: str | None, fmt: str | None, full_path: str | None, *, show_diff: bool, stdin: bool,
               root: str | None = None, severity: str | None = None) -> "ReportPlan":
        to_stdout = fmt is not None and path is None
        if to_stdout and stdin:
            raise UsageError("with `-` the code goes to stdout; give --report FILE for the report")
        if to_stdout and show_diff:
            raise UsageError("--diff and a --format report would both go to stdout; give --report FILE")
        if full_path is not None and path is None and not to_stdout:
            raise UsageError("--report-full needs --report FILE or --format (it is the long copy of that report)")
        for target in (path, full_path):
            if target is not None:
                check_writable(target)
        if path is not None and full_path is not None and os.path.abspath(path) == os.path.abspath(full_path):
            raise UsageError("--report and --report-full name the same file")
        return cls(path, fmt or "text", full_path, to_stdout, root, Severity(severity or "info"))

    def check_not_among(self, files) -> None:
        """Raise UsageError when a report would overwrite one of the files being migrated."""
        for target in (self.path, self.full_path):
            try:
                report = os.stat(target) if target is not None else None
            except OSError:
                continue  # not there yet, so not one of the files
            # The same file, whatever the path or link to it: one stat each, not a realpath.
            if report is not None and any(_same_file(f, report) for f in files):
                raise UsageError(f"the report {target} is one of the files to migrate")

    def shown(self, findings) -> list[Finding]:
        order = list(Severity)
        return [f for f in findings if order.index(f.severity) >= order.index(self.severity)]

    def render(self, results, *, full: bool = False) -> str:
        from estimig.reports import at_least, render

        return render(at_least(results, self.severity), self.fmt, root=self.root,
                      full_report=None if full else self.full_path, limit=0 if full else None)

    def write(self, results, *, print_error: Callable[[str], None]) -> bool:
        """Write the report file and its full copy, those that were asked for; False, after saying
        why, when one cannot be written."""
        targets = [(self.path, False)] if self.path else []
        if self.full_path:
            targets.append((self.full_path, True))
        for target, full in targets:
            try:
                # A file name that is not valid UTF-8 is written with escapes, never an error.
                with open(target, "w", encoding="utf-8", errors="backslashreplace") as handle:
                    handle.write(self.render(results, full=full))
            except OSError as exc:
                print_error(f"estimig: error: cannot write the report {target}: {exc.strerror}")
                return False
        return True


def check_writable(path: str) -> None:
    """Raise UsageError unless `path` can be created or overwritten as a file."""
    if os.path.isdir(path):
        raise UsageError(f"cannot write the report {path}: it is a folder")
    if os.path.exists(path):  # an existing file (or /dev/stdout) is opened as it is
        if not os.access(path, os.W_OK):
            raise UsageError(f"cannot write the report {path}: permission denied")
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write the report {path}: no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write the report {path}: permission denied")


def _same_file(path: str, report: os.stat_result) -> bool:
    try:
        found = os.stat(path)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (report.st_dev, report.st_ino)
