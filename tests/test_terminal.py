"""Terminal: plain and stable when not a TTY, coloured when it is or when asked."""

from __future__ import annotations

import io

from estimig.result import FileResult, Finding, Result, Severity
from estimig.terminal import make_console, print_diff, print_summary, progress

DIFF = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-est = Estimator(a=[1])\n+src = ScriptRunConfig(a=[1])\n"


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def results():
    return [
        FileResult("b.py", "x\n", Result("y\n", (), 1, 0), written=True),
        FileResult("a.ipynb", "{}", Result("{}", (Finding(2, Severity.WARNING, "core", "left", cell=3),), 0, 1)),
        FileResult("c.py", "z\n", Result("z\n")),
    ]


def test_plain_when_not_a_tty():
    stream = io.StringIO()
    console = make_console(stream, color=None)
    print_diff(console, DIFF)
    print_summary(console, results())
    out = stream.getvalue()
    assert "\x1b[" not in out
    # Exact text: the diff as it was (rich markup like [1] untouched), then one line per file, then the summary.
    assert out == DIFF + (
        "a.ipynb: unchanged, 0 migrated, 1 need attention\n"
        "b.py: written, 1 migrated, 0 need attention\n"
        "Migrated 1 call in 1 file; 1 needs attention\n"
    )


def test_colour_on_a_tty():
    stream = FakeTTY()
    console = make_console(stream, color=None)
    print_diff(console, DIFF)
    out = stream.getvalue()
    assert "\x1b[" in out
    assert "Estimator(a=[1])" in out and "ScriptRunConfig(a=[1])" in out


def test_colour_can_be_forced_off_on_a_tty_and_on_in_a_pipe():
    off = FakeTTY()
    print_diff(make_console(off, color=False), DIFF)
    assert off.getvalue() == DIFF
    on = io.StringIO()
    print_diff(make_console(on, color=True), DIFF)
    assert "\x1b[" in on.getvalue()


def test_summary_table_on_a_tty():
    stream = FakeTTY()
    print_summary(make_console(stream, color=True), results())
    out = stream.getvalue()
    assert "a.ipynb" in out and "b.py" in out and "c.py" not in out
    assert "Migrated 1 call in 1 file; 1 needs attention" in out


def test_progress_disabled_yields_everything_and_prints_nothing():
    stream = io.StringIO()
    items = list(progress(iter(range(5)), total=5, enabled=False))
    assert items == [0, 1, 2, 3, 4] and stream.getvalue() == ""


def test_progress_enabled_yields_everything():
    stream = FakeTTY()
    console = make_console(stream, color=True)
    assert list(progress(range(3), total=3, enabled=True, console=console)) == [0, 1, 2]
    assert "\x1b[" in stream.getvalue()
