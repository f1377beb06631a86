"""Rewrite each fixture pair's expected output (after.py / after.ipynb) from the engine, for a change
that deliberately alters what the engine writes; print the pairs that changed. Review the diff, then
run tests/test_fixtures.py, whose oracle test proves every regenerated pair.

    PYTHONPATH=$PWD python3 scripts/regenerate_fixtures.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def main(argv: list[str]) -> int:
    from fixture_support import scenarios

    check = "--check" in argv
    changed = []
    for scenario in scenarios():
        if scenario.is_noop:
            continue
        code = scenario.migrate(scenario.before).code
        if code != scenario.after:
            changed.append(scenario.id)
            if not check:
                with open(scenario.after_path, "w", encoding="utf-8", newline="") as handle:
                    handle.write(code)
    for name in changed:
        print(("would change " if check else "rewrote ") + name)
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
