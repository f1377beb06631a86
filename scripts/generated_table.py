"""The command line both table generators share: write the table, or `--check` that it is current."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable


def render(table: dict) -> str:
    return json.dumps(table, indent=1, sort_keys=False) + "\n"


def main(output: Path, build: Callable[[], dict], description: str, script: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the table differs from the installed SDK's")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        if not output.exists() or output.read_text() != text:
            print(f"{output} is out of date: run python scripts/{script}", file=sys.stderr)
            return 1
        return 0
    output.write_text(text)
    print(f"wrote {output}")
    return 0
