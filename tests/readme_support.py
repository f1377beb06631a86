"""README.md's code blocks, read with markdown-it-py, and the marks that keep a command from being run.

A command that cannot run offline against a fresh clone is marked in the README itself, in an HTML
comment (invisible on the rendered page) anywhere before its block:

    <!-- docs-test skip: COMMAND AS WRITTEN | why it is not run -->
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

README = Path(__file__).resolve().parent.parent / "README.md"
SKIP_MARK = re.compile(r"<!--\s*docs-test skip:\s*(?P<command>.+?)\s*\|\s*(?P<reason>.+?)\s*-->")
SHELLS = {"bash", "sh", "shell", "console"}


@dataclass(frozen=True)
class Command:
    text: str  # as written, without its trailing comment
    line: int  # 1-based, in README.md


def blocks(text: str) -> list[tuple[str, str, int]]:
    """(language, content, line of the first content line) of every fenced block."""
    return [(token.info.strip().split(" ")[0], token.content, token.map[0] + 2)
            for token in MarkdownIt().parse(text) if token.type == "fence"]


def shell_commands(text: str) -> list[Command]:
    found = []
    for language, content, first in blocks(text):
        if language not in SHELLS:
            continue
        for offset, line in enumerate(content.splitlines()):
            command = strip_comment(line).strip()
            if command:
                found.append(Command(command, first + offset))
    return found


def strip_comment(line: str) -> str:
    """The line less a trailing `# comment` (a `#` that starts a word, outside quotes)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def skip_marks(text: str) -> dict[str, str]:
    return {m["command"]: m["reason"] for m in SKIP_MARK.finditer(text)}


def precommit_snippet(text: str) -> tuple[dict, list[str]]:
    """The README's pre-commit repository entry, and every hook id it names, commented out or not."""
    snippet = next(content for language, content, _ in blocks(text) if language == "yaml" and "repos:" in content)
    (repo,) = yaml.safe_load(snippet)["repos"]
    ids = re.findall(r"^\s*(?:#\s*)?- id:\s*(\S+)", snippet, flags=re.M)
    return repo, ids
