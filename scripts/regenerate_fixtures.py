"""Rewrite each fixture pair's expected outputs from the engine, for a change that deliberately alters
what the engine writes; print what changed. Review the diff, then run tests/test_fixtures.py, whose
oracle tests prove every regenerated pair.

- after.py / after.ipynb: the default options;
- after.cached-image.py / .ipynb: `--environment cached-image`, only where it differs from the
  default (estimig's output before the framework's full build became the default).

    PYTHONPATH=$PWD python3 scripts/regenerate_fixtures.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def main(argv: list[str]) -> int:
    from estimig.options import Options
    from fixture_support import scenarios

    check = "--check" in argv
    cached_image = Options.create(environment="cached-image")
    changed = []
    for scenario in scenarios():
        if scenario.is_noop:
            continue
        default = scenario.migrate(scenario.before).code
        cached = scenario.migrate(scenario.before, cached_image).code
        wanted = {scenario.after_path: default, scenario.cached_image_path: cached if cached != default else None}
        for path, text in wanted.items():
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if old == text:
                continue
            changed.append(str(path.relative_to(REPO)))
            if check:
                continue
            if text is None:
                path.unlink()
            else:
                with open(path, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
    for name in changed:
        print(("would change " if check else "rewrote ") + name)
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
