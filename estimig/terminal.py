"""Terminal output with rich: progress bar, coloured diffs, summary table.

Every rich import is here. When the stream is not a terminal (piped, redirected, pre-commit, CI
logs) output is plain and stable: no colour codes, no progress bar, no box drawing, a fixed width,
so it can be grepped and compared. Plain output never imports rich, which keeps a pre-commit call
on a file without azureml close to the cost of starting Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")

# Wide enough that a plain summary line is never wrapped in a log.
_PLAIN_WIDTH = 200


class PlainConsole:
    """The part of rich's Console the CLI uses, for plain output: text straight to the stream."""

    color_system = None

    def __init__(self, stream, is_terminal: bool = False):
        self.file = stream
        self.is_terminal = is_terminal

    def print(self, text="", **_ignored) -> None:
        self.file.write(f"{text}\n")


def wants_color(is_tty: bool, color: bool | None, environ=None) -> bool:
    """--color/--no-color first, then NO_COLOR / FORCE_COLOR (no-color.org, force-color.org), then the TTY."""
    import os

    environ = os.environ if environ is None else environ
    if color is not None:
        return color
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return is_tty


def make_console(stream, *, color: bool | None = None) -> "Console | PlainConsole":
    """A console on `stream`; colour follows the TTY and the environment unless `color` forces it."""
    is_tty = bool(getattr(stream, "isatty", lambda: False)())
    styled = wants_color(is_tty, color)
    if not styled:
        return PlainConsole(stream, is_terminal=is_tty)
    from rich.console import Console

    return Console(
        file=stream,
        force_terminal=styled,
        no_color=not styled,
        color_system="auto" if styled else None,
        highlight=False,
        emoji=False,
        soft_wrap=True,
        width=None if is_tty else _PLAIN_WIDTH,
    )


def _plain(console) -> bool:
    return console.color_system is None


def progress(items: Iterable[T], *, total: int | None, enabled: bool, console=None) -> Iterator[T]:
    """Yield items, with a progress bar on the console only when enabled (the CLI decides: a TTY, a long run)."""
    if not enabled:
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("estimig", total=total)
        for item in items:
            yield item
            bar.advance(task)


def print_diff(console, diff_text: str) -> None:
    if not diff_text:
        return
    if _plain(console):
        # Straight to the file: rich would otherwise interpret [brackets] in user code as markup.
        console.file.write(diff_text if diff_text.endswith("\n") else diff_text + "\n")
        return
    from rich.text import Text

    for line in diff_text.splitlines():
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        console.print(Text(line, style=style))


def _state(result) -> str:
    return ("error" if result.error else "written" if result.written else "would change" if result.changed
            else "unchanged")


def print_changed(console, results) -> None:
    """For -q: one `path: written` / `path: would change` line per file that changes, nothing else."""
    from estimig.reports import relpath

    for r in sorted(results, key=lambda r: r.path):
        if r.changed:
            console.print(f"{relpath(r.path, None)}: {_state(r)}", markup=False, highlight=False)


def print_summary(console, results, *, every_file: bool = False) -> None:
    """One row per file that changed or has findings (every file with -v), then the summary line."""
    from estimig.reports import relpath, summarize

    summary = summarize(results)
    rows = []
    for r in sorted(results, key=lambda r: r.path):
        if not r.changed and not r.findings and not every_file:
            continue
        need = sum(1 for f in r.findings if f.severity.value != "info")
        rows.append((relpath(r.path, None), _state(r), str(r.result.migrated if r.result else 0), str(need)))
    if _plain(console):
        out = console.file
        for path, state, migrated, need in rows:
            out.write(f"{path}: {state}, {migrated} migrated, {need} need attention\n")
        out.write(summary.headline + "\n")
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if rows:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        table.add_column("file", overflow="fold")
        table.add_column("state")
        table.add_column("migrated", justify="right")
        table.add_column("attention", justify="right")
        for path, state, migrated, need in rows:
            table.add_row(Text(path), state, migrated, Text(need, style="yellow" if need != "0" else ""))
        console.print(table)
    console.print(Text(summary.headline, style="bold yellow" if summary.needs_attention else "bold green"))
