"""Results as data: what a migration changed and what it found. The CLI and reporters render these."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    # info: a deliberate, documented difference or a note; warning: left as it was, needs a person;
    # error: the file could not be processed at all.
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    line: int
    severity: Severity
    concern: str
    message: str
    column: int = 0
    # For notebooks: the 1-based index of the code cell, with `line` counted inside the cell.
    cell: int | None = None
    # The kind of finding: an `EST` code of the registry in estimig/rules.py.
    code: str = ""
    # For a call migrated on assumptions (estimig/assumptions.py): their names.
    assumptions: tuple[str, ...] = ()

    def location(self, path: str) -> str:
        if self.cell is not None:
            return f"{path}, {self.position()}"
        return f"{path}:{self.line}"

    def position(self) -> str:
        """Where in its file, in words: `line L`, or `cell N, line L` (the line counted in the cell)."""
        return f"line {self.line}" if self.cell is None else f"cell {self.cell}, line {self.line}"


@dataclass(frozen=True)
class Result:
    """The outcome of migrating one source text."""

    code: str
    findings: tuple[Finding, ...] = ()
    migrated: int = 0  # estimator calls turned into ScriptRunConfig
    left: int = 0  # estimator calls left as they were (each has a finding)
    assumed: int = 0  # of the migrated calls, those migrated on assumptions the user named
    suppressed: int = 0  # estimator calls left alone by a `# estimig: ignore` comment (no finding)
    # Files the migrated code reads, to be written next to it: (name, text) (--environment conda-file).
    files: tuple[tuple[str, str], ...] = ()

    @property
    def needs_attention(self) -> int:
        return sum(1 for f in self.findings if f.severity is not Severity.INFO)


@dataclass
class FileResult:
    """The outcome for one file on disk: the engine's Result plus what happened to the file."""

    path: str
    original: str | None = None
    result: Result | None = None
    error: Finding | None = None
    written: bool = False
    # Notebooks render their diffs cell by cell; filled by the notebook reader.
    cell_diffs: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.result is not None and self.original is not None and self.result.code != self.original

    @property
    def findings(self) -> tuple[Finding, ...]:
        found = self.result.findings if self.result else ()
        return found + ((self.error,) if self.error else ())
