#!/usr/bin/env python3
"""How many estimator calls of the v1 fixture pairs `--target v2` migrates (docs/v2.md quotes it).

    PYTHONPATH=$PWD python3 scripts/v2_fixture_reach.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]


def main() -> int:
    from fixture_support import scenarios

    from estimig.options import Options

    v2 = Options.create(target="v2")
    files = calls = migrated = 0
    for scenario in scenarios():
        if scenario.is_noop or scenario.concern == "v2":
            continue
        result = scenario.migrate(scenario.before, v2)
        files, calls, migrated = files + 1, calls + result.migrated + result.left, migrated + result.migrated
    print(f"{files} v1 fixture pairs, {calls} estimator calls: --target v2 migrates {migrated}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
