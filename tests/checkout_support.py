"""What a fresh clone of this checkout holds, made without the network: its tracked files and the
new ones git does not ignore (so uncommitted work is tested too), committed in a new repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=estimig tests", "-c", "user.email=tests@example.invalid",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def fresh_clone(dest: Path, leave_out: tuple[str, ...] = ()) -> Path:
    """This checkout's files, less the paths starting with one of `leave_out`, in a new repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in listed:
        if not name or (leave_out and name.startswith(leave_out)) or not (ROOT / name).is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "estimig under test")
    return dest
