"""Fixture discovery and the checks every fixture pair goes through."""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Folders under fixtures/ that hold something other than before/after pairs.
NOT_PAIRS = {"jobs", "notebooks", "projects"}


@dataclass(frozen=True)
class Scenario:
    concern: str
    name: str
    folder: Path

    @property
    def id(self) -> str:
        return f"{self.concern}/{self.name}"

    @property
    def before(self) -> str:
        return (self.folder / "before.py").read_text()

    @property
    def after(self) -> str | None:
        path = self.folder / "after.py"
        return path.read_text() if path.exists() else None

    @property
    def is_noop(self) -> bool:
        return self.name.startswith("noop_")


def scenarios() -> list[Scenario]:
    found = []
    for before in sorted(FIXTURES.glob("*/*/before.py")):
        folder = before.parent
        if folder.parent.name in NOT_PAIRS:
            continue
        found.append(Scenario(folder.parent.name, folder.name, folder))
    return found


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


def assert_oracle_equal(source: str, migrated: str, workdir: Path) -> None:
    """Run both programs against the real SDK with the offline stand-ins and compare what they submit."""
    from estimig.oracle import compare, execute

    (workdir / "src").mkdir(parents=True, exist_ok=True)
    if not (workdir / "src" / "train.py").exists():
        (workdir / "src" / "train.py").write_text("print('train')\n")
    before = execute(source, "before.py", str(workdir))
    after = execute(migrated, "after.py", str(workdir))
    differences = compare(before, after)
    assert not differences, f"{source}\n---\n{migrated}\n" + "\n".join(differences)
