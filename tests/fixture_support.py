"""Fixture discovery and the checks every fixture pair goes through.

A scenario folder holds a script pair (before.py, after.py) or a notebook pair (before.ipynb,
after.ipynb); a noop_* folder holds only its before file. A notebook is migrated as one program,
its cells in order, and run by the oracle as that program (`program`).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Folders under fixtures/ that hold something other than before/after pairs.
NOT_PAIRS = {"jobs", "notebooks", "projects", "v2"}  # v2: --target v2 pairs, tests/test_v2.py
SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Scenario:
    concern: str
    name: str
    folder: Path
    suffix: str = ".py"

    @property
    def id(self) -> str:
        return f"{self.concern}/{self.name}"

    @property
    def is_notebook(self) -> bool:
        return self.suffix == ".ipynb"

    @property
    def before_path(self) -> Path:
        return self.folder / f"before{self.suffix}"

    @property
    def after_path(self) -> Path:
        return self.folder / f"after{self.suffix}"

    @property
    def before(self) -> str:
        return _read(self.before_path)

    @property
    def after(self) -> str | None:
        return _read(self.after_path) if self.after_path.exists() else None

    @property
    def cached_image_path(self) -> Path:
        """The expected output with --environment cached-image, where it differs from after: the
        output estimig wrote before the framework's full build became the default."""
        return self.folder / f"after.cached-image{self.suffix}"

    @property
    def cached_image_after(self) -> str | None:
        return _read(self.cached_image_path) if self.cached_image_path.exists() else None

    @property
    def is_noop(self) -> bool:
        return self.name.startswith("noop_")

    @property
    def assume(self) -> tuple[str, ...]:
        """The named assumptions the scenario is migrated with: its `assume` file, one name a line."""
        listed = self.folder / "assume"
        return tuple(listed.read_text().split()) if listed.exists() else ()

    @property
    def command_line(self) -> tuple[str, ...]:
        """The options the oracle runs both programs with (`python before.py OPTIONS`): its
        `command_line` file, split as a shell would."""
        given = self.folder / "command_line"
        return tuple(shlex.split(given.read_text())) if given.exists() else ()

    def migrate(self, text: str, options=None, assume: tuple[str, ...] | None = None):
        """The engine's Result for `text` (a notebook: migrated as one program, its text as the code),
        as if it were the scenario's before file (helper modules beside it are followed), with the
        scenario's assumptions unless others are given."""
        chosen = self.assume if assume is None else assume
        if chosen:
            from estimig.assumptions import resolve
            from estimig.options import Options

            options = dataclasses.replace(options or Options.create(), assume=resolve(chosen))
        return migrate_text(text, self.suffix, str(self.folder / f"before{self.suffix}"), options)

    def program(self, text: str) -> str:
        """What the oracle runs for `text`: the script itself, or the notebook's cells as one program."""
        return program(text) if self.is_notebook else text


def _read(path: Path) -> str:
    # Notebooks are read as the bytes say (a CRLF notebook stays CRLF): the engine must keep them.
    with open(path, encoding="utf-8", newline="" if path.suffix == ".ipynb" else None) as fh:
        return fh.read()


def scenarios() -> list[Scenario]:
    found = []
    for suffix in SUFFIXES:
        for before in FIXTURES.glob(f"*/*/before{suffix}"):
            folder = before.parent
            if folder.parent.name in NOT_PAIRS:
                continue
            found.append(Scenario(folder.parent.name, folder.name, folder, suffix))
    return sorted(found, key=lambda s: (s.concern, s.name, s.suffix))


def migrate_text(text: str, suffix: str, path: str, options=None):
    from estimig.engine import migrate_source

    if suffix == ".ipynb":
        from estimig.notebooks import migrate_notebook

        return migrate_notebook(text, lambda code: migrate_source(code, path=path, options=options),
                                path=path).as_result()
    return migrate_source(text, path=path, options=options)


def program(text: str) -> str:
    """The notebook as a script the oracle can run: IPython lines become `pass`, shell cells dropped."""
    import nbformat

    from estimig.notebooks import _mask

    nb = nbformat.reads(text, as_version=4)
    cells = [_mask(c.source, lambda: "pass") for c in nb.cells if c.cell_type == "code"]
    return "".join(m.code + "\n" for m in cells if not m.skip_reason)


def code_sources(text: str) -> list[str]:
    """Every code cell's source of a notebook (nbformat 3 or 4), in order."""
    data = json.loads(text)
    cells = data["cells"] if "cells" in data else [c for ws in data["worksheets"] for c in ws["cells"]]
    key = "source" if "cells" in data else "input"
    sources = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = cell.get(key, "")
            sources.append(source if isinstance(source, str) else "".join(source))
    return sources


def code_lines(text: str, is_notebook: bool) -> list[str]:
    """The lines of code: a script's lines, or every code cell's lines, cell after cell."""
    if not is_notebook:
        return text.splitlines(True)
    return [line for source in code_sources(text) for line in source.splitlines(True)]


def without_lines(text: str, is_notebook: bool, drop) -> str:
    """`text` less every code line for which `drop(line)` holds; a notebook is compared as its JSON,
    each code cell's source without those lines (the rest of the notebook as it was)."""
    if not is_notebook:
        return "".join(line for line in text.splitlines(True) if not drop(line))
    data = json.loads(text)
    cells = data["cells"] if "cells" in data else [c for ws in data["worksheets"] for c in ws["cells"]]
    key = "source" if "cells" in data else "input"
    for cell in cells:
        if cell["cell_type"] == "code":
            source = cell.get(key, "")
            text_of = source if isinstance(source, str) else "".join(source)
            kept = [line for line in text_of.splitlines(True) if not drop(line)]
            cell[key] = "".join(kept) if isinstance(source, str) else kept
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def params(selected):
    return [pytest.param(s, id=s.id) for s in selected]


def assert_same_text(expected: str, actual: str, label: str = "") -> None:
    if expected != actual:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            "expected", "actual"))
        pytest.fail(f"{label} output differs:\n{diff}", pytrace=False)


def copy_scenario(scenario: Scenario, tmp_path: Path) -> Path:
    target = tmp_path / scenario.name
    shutil.copytree(scenario.folder, target)
    return target


def assert_oracle_equal(source: str, migrated: str, workdir: Path, assume=()) -> None:
    """Run both programs against the real SDK with the offline stand-ins and compare what they submit
    (`assume`: the named assumptions the migration relied on, for those the oracle models)."""
    from estimig.oracle import check

    (workdir / "src").mkdir(parents=True, exist_ok=True)
    if not (workdir / "src" / "train.py").exists():
        (workdir / "src" / "train.py").write_text("print('train')\n")
    differences = check(source, migrated, str(workdir), assume=assume)
    assert not differences, f"{source}\n---\n{migrated}\n" + "\n".join(differences)
