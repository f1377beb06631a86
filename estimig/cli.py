"""The command line: a thin layer over `estimig.runner` and the reporters.

Exit codes (also in `estimig rewrite --help` and docs/cli.md):
  0  nothing to change (or --exit-zero-even-if-changed)
  1  files were changed, or would be changed with --diff / --check
  2  errors: a file could not be read or parsed, bad configuration or usage, or with --strict a
     call that needs manual attention
  130, 143  interrupted by SIGINT (Ctrl-C) or SIGTERM
"""

from __future__ import annotations

import errno
import os
import sys

import click

from estimig import __version__
from estimig.options import ENVIRONMENT_MODES

EXIT_CLEAN, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2


class _Group(click.Group):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # Bad input is a one-line message and exit 2, never a traceback or click's usage block.
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            _fail(f"{exc.format_message().rstrip('.')} (see `{_command_name(exc.ctx)} --help`)")
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("estimig: interrupted", err=True)
            sys.exit(130)
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EBADF, errno.EIO):
                _stream_failed(exc)  # stdout or stderr closed or full: the one place no finding can go
            _fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc.strerror or exc))
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else EXIT_CLEAN)

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _RUNTIME_COMMANDS:
            command = _runtime_command(cmd_name)
        return command

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx))
        names.update(name for name in _RUNTIME_COMMANDS if _runtime_command(name) is not None)
        return sorted(names)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="estimig")
def main() -> None:
    """Migrate Azure ML SDK v1 Estimators to ScriptRunConfig, safely and provably."""


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


REWRITE_HELP = """Rewrite Estimator constructions under PATH... as ScriptRunConfig.

Directories are walked recursively (.gitignore and the usual build folders are skipped); `-`
reads stdin and writes stdout. Calls that cannot be migrated safely are left as they were, with a
`# estimig:` comment, and reported.

\b
Exit codes:
  0  nothing to change
  1  files changed (or would change with --diff/--check)
  2  errors: unreadable or unparsable files, bad config or usage;
     with --strict also calls that need manual attention
  130  interrupted by Ctrl-C (143: by SIGTERM); files are old or new, never half written
"""


@main.command("rewrite", help=REWRITE_HELP)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if anything would change.")
@click.option("--only", multiple=True, metavar="CONCERN", help="Enable only these concerns (repeatable, or comma-separated).")
@click.option("--skip", multiple=True, metavar="CONCERN", help="Disable these concerns.")
@click.option("--list-concerns", is_flag=True, help="List the concerns and exit.")
@click.option("--environment", type=click.Choice(ENVIRONMENT_MODES), default=None,
              help="Framework estimators' environments. explicit (default): the SDK's full build, in code; "
                   "cached-image: the private prebuilt image where the estimator used it (the old payload); "
                   "curated: the Azure ML curated environment the migration guide names (a documented "
                   "difference); conda-file: the full build in <name>.conda.yml next to the file.")
@click.option("--assume", multiple=True, metavar="NAME",
              help="Migrate calls that need this named assumption, marked on the line and in the report "
                   "(repeatable, comma-separated, or 'all'; see --list-assumptions).")
@click.option("--list-assumptions", is_flag=True, help="List the named assumptions and exit.")
@click.option("--target", type=click.Choice(["v1", "v2"]), default=None,
              help="v1: ScriptRunConfig (default); v2: an azure-ai-ml command() job (docs/v2.md).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching this gitignore-style pattern.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--exit-zero-even-if-changed", is_flag=True, help="Exit 0 when files were changed.")
@click.option("--strict", is_flag=True, default=None, help="Exit 2 when a call needs manual attention.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write a report to this file.")
@click.option("--format", "report_format", type=click.Choice(["text", "json", "markdown", "sarif", "github"]),
              default=None, help="Format of --report (default text); without --report, print the report to stdout.")
@click.option("--report-full", "report_full", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the report without markdown's size limit to this file (the short one names it).")
@click.option("--comments", "comment_mode", type=click.Choice(["inline", "none"]), default=None,
              help="inline (default): a short `# estimig:` comment above each call left as it was; "
                   "none: report only.")
@click.option("--severity", type=click.Choice(["info", "warning", "error"]), default=None,
              help="Show only findings of this severity or worse (terminal and report; exit codes unchanged).")
@click.option("--report-root", type=click.Path(file_okay=False), default=None,
              help="Paths in the report are relative to this folder (default: the current folder).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Config file (default: [tool.estimig] in pyproject.toml or .estimig.yaml, found upwards).")
@click.option("--color/--no-color", default=None, help="Force or disable colour (default: when a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Only print findings, errors and the files that change.")
@click.option("-v", "--verbose", is_flag=True, help="Also list every file checked, changed or not.")
@click.option("--max-file-size", "max_file_size", metavar="SIZE", default=None,
              help="Skip, with an error, files with more Python than this (default 1MB; `500KB`, `2MB`).")
@click.option("--follow-symlinks", is_flag=True, default=None,
              help="Follow symlinks that lead out of the walked folder (default: note and skip them).")
@click.option("--stdin-filename", metavar="PATH", default=None,
              help="With `-`: the path stdin stands for (its config, excludes, notebook format, name in findings).")
def rewrite(paths, show_diff, check, only, skip, list_concerns, environment, target, assume, list_assumptions,
            exclude, jobs, exit_zero_even_if_changed, strict, report_path, report_format, report_full, comment_mode,
            severity, report_root, config_path, color, quiet, verbose, max_file_size, follow_symlinks, stdin_filename):
    from estimig.config import ConfigError, load_config
    from estimig.options import DEFAULT_MAX_FILE_SIZE, Options, parse_size

    if list_concerns:
        _list_concerns(target or "v1")
        return
    if list_assumptions:
        _list_assumptions()
        return
    if not paths:
        _fail("no PATH given (try `estimig rewrite .`, or `-` for stdin)")
    if show_diff and check:
        _fail("--diff and --check cannot be combined (--diff already exits 1 when something would change)")
    if stdin_filename is not None and paths != ("-",):
        _fail("--stdin-filename goes with `-` (stdin) alone")
    try:
        start = paths[0] if paths[0] != "-" else stdin_filename or "."
        config = load_config(config_path, start=start)
        options = Options.create(only=_split(only) or tuple(config.get("only", ())),
                                 skip=_split(skip) or tuple(config.get("skip", ())),
                                 environment=environment or config.get("environment", "explicit"),
                                 comments=comment_mode or config.get("comments", "inline"),
                                 assume=_split(assume) or tuple(config.get("assume", ())),
                                 target=target or config.get("target", "v1"),
                                 max_file_size=parse_size(max_file_size) if max_file_size is not None
                                 else config.get("max_file_size", DEFAULT_MAX_FILE_SIZE))
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
    from estimig.output import ReportPlan, UsageError

    try:
        report = ReportPlan.create(report_path, report_format, report_full, show_diff=show_diff,
                                   stdin="-" in paths, root=report_root, severity=severity)
    except UsageError as exc:
        _fail(str(exc))
    strict = strict if strict is not None else config.get("strict", False)
    jobs = jobs or config.get("jobs")
    write = not (show_diff or check)
    excludes = (*config.get("exclude", ()), *exclude)
    if sys.stdout is None and (show_diff or "-" in paths):
        _fail("stdout is closed: nowhere to write the output")
    _tolerate_unprintable_names()

    if "-" in paths:
        if len(paths) > 1:
            _fail("`-` (stdin) cannot be combined with other paths")
        sys.exit(_rewrite_stdin(options, name=stdin_filename, excludes=excludes, config=config, write=write,
                                show_diff=show_diff, strict=strict, exit_zero=exit_zero_even_if_changed,
                                report=report))

    from estimig.discovery import iter_files

    missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    if missing:
        _fail(f"{missing[0]}: no such file or directory")
    dangling = [p for p in paths if not os.path.exists(p)]
    if dangling:
        _fail(f"{dangling[0]}: a symlink to nothing (it points to {os.readlink(dangling[0])})")
    skipped = []
    try:
        files = list(iter_files(paths, excludes=excludes, respect_gitignore=config.get("respect_gitignore", True),
                                follow_symlinks=bool(follow_symlinks or config.get("follow_symlinks", False)),
                                skipped=skipped))
        report.check_not_among(files)
    except (ValueError, OSError, UsageError) as exc:
        _fail(str(exc))
    sys.exit(_rewrite_files(files, options, write=write, show_diff=show_diff, jobs=jobs, strict=strict,
                            exit_zero=exit_zero_even_if_changed, report=report, color=color, quiet=quiet,
                            verbose=verbose, skipped=skipped))


def _tolerate_unprintable_names() -> None:
    """A file name that is not valid UTF-8 is printed with escapes, never a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _rewrite_stdin(options, *, name: str | None, excludes, config, write: bool, show_diff: bool, strict: bool,
                   exit_zero: bool, report) -> int:
    from estimig import runner
    from estimig.discovery import is_excluded
    from estimig.notebooks import is_notebook_path
    from estimig.reports import finding_line
    from estimig.result import FileResult, Severity
    from estimig.textio import UnreadableFile, decode, encode

    if sys.stdin is None:
        _fail("stdin is closed: nothing to read for `-`")
    # Bytes in, bytes out: the PEP 263 cookie / BOM decide the encoding, and newlines pass through.
    data = sys.stdin.buffer.read()
    label = name or "-"
    # Excludes are written relative to the project, where the config file is.
    project = os.path.dirname(config.path) if config.path else None
    if name is not None and is_excluded(name, excludes, config.get("respect_gitignore", True), root=project):
        if write:
            sys.stdout.buffer.write(data)  # excluded: passed through untouched, as a walk would skip it
            sys.stdout.buffer.flush()
        return EXIT_CLEAN
    notebook = name is not None and is_notebook_path(name)
    try:
        source = decode(data, python=not notebook)
    except UnreadableFile as exc:
        _fail(f"{label}: {exc}")
    text = source.text
    if notebook:
        result, cell_diffs = runner.migrate_notebook_text(text, label, options)
    else:
        result, cell_diffs = runner.migrate_text(text, label, options), []
    for finding in report.shown(result.findings):
        click.echo(finding_line(label, finding), err=True)
    changed = result.code != text
    if not report.write([FileResult(label, text, result)], print_error=_echo_error):
        return EXIT_ERROR
    if write:
        try:
            output = encode(source, result.code)
        except UnicodeEncodeError as exc:
            click.echo(f"{label}:1: error: io: cannot encode the result as {source.encoding}: {exc}", err=True)
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return EXIT_ERROR
        sys.stdout.flush()
        sys.stdout.buffer.write(output)
        sys.stdout.buffer.flush()
    elif show_diff and changed:
        import difflib

        sys.stdout.write("".join(cell_diffs) or
                         "".join(difflib.unified_diff(text.splitlines(True), result.code.splitlines(True), label, label)))
    if any(f.severity is Severity.ERROR for f in result.findings) or (strict and result.needs_attention):
        return EXIT_ERROR
    return EXIT_CHANGED if changed and not exit_zero else EXIT_CLEAN


def _rewrite_files(files, options, *, write, show_diff, jobs, strict, exit_zero, report, color, quiet,
                   verbose, skipped=()) -> int:
    from estimig import runner, terminal
    from estimig.interrupts import catch_signals
    from estimig.reports import finding_line, relpath
    from estimig.result import Severity

    err = terminal.make_console(sys.stderr, color=color)
    out = terminal.make_console(sys.stdout, color=color)
    # A bar only for a person watching a long run: not when piped, and not under pre-commit.
    show_progress = err.is_terminal and not quiet and len(files) > 20 and not os.environ.get("PRE_COMMIT")
    with catch_signals() as stop:
        done = list(terminal.progress(runner.iter_results(files, options, write=write, jobs=jobs, stop=stop),
                                      total=len(files), enabled=show_progress, console=err))
    results = [*skipped, *done]
    for result in results:
        for finding in report.shown(result.findings):
            err.print(finding_line(relpath(result.path, None), finding), markup=False, highlight=False,
                      soft_wrap=True)
        if show_diff and result.changed:
            terminal.print_diff(out, _diff_text(result))
    if stop.requested:
        written = sum(1 for r in done if r.written)
        err.print(f"interrupted: {written} file{'s' if written != 1 else ''} written, "
                  f"{len(files) - len(done)} not processed", markup=False, highlight=False)
        return stop.exit_code
    if quiet:
        terminal.print_changed(err, results)
    else:
        terminal.print_summary(err, results, every_file=verbose)
    if report.to_stdout:
        out.file.write(report.render(results))
        out.file.flush()
    if not report.write(results, print_error=lambda m: err.print(m, markup=False, highlight=False)):
        return EXIT_ERROR
    errors = any(f.severity is Severity.ERROR for r in results for f in r.findings)
    attention = any(r.result is not None and r.result.needs_attention for r in results)
    if errors or (strict and attention):
        return EXIT_ERROR
    if any(r.changed for r in results) and not exit_zero:
        return EXIT_CHANGED
    return EXIT_CLEAN


def _diff_text(result) -> str:
    import difflib

    if result.cell_diffs:
        return "".join(result.cell_diffs)
    from estimig.reports import relpath

    path = relpath(result.path, None)
    return "".join(difflib.unified_diff(result.original.splitlines(True), result.result.code.splitlines(True),
                                        f"a/{path}", f"b/{path}"))


def _echo_error(message: str) -> None:
    click.echo(message, err=True)


def _list_concerns(target: str) -> None:
    from estimig.codemods import load_concerns

    for name, module in load_concerns(target).items():
        click.echo(f"{name:<16} {module.SUMMARY}")


def _list_assumptions() -> None:
    from estimig.assumptions import ASSUMPTIONS

    for assumption in ASSUMPTIONS.values():
        click.echo(f"{assumption.name:<22} assumes {assumption.statement} ({', '.join(assumption.concerns)})")


@main.command("rules")
@click.argument("codes", nargs=-1)
def rules_command(codes):
    """List the finding codes (EST...) with what each means and its fix; docs/rules.md has examples."""
    from estimig.rules import RULES

    unknown = [code for code in codes if code.upper() not in RULES]
    if unknown:
        _fail(f"unknown code '{unknown[0]}' (see `estimig rules`)")
    for rule in RULES.values():
        if codes and rule.code not in {code.upper() for code in codes}:
            continue
        click.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<28} {rule.summary}")
        if codes:
            click.echo(f"       fix: {rule.fix}")


def _command_name(ctx) -> str:
    names = []
    while ctx is not None and ctx.parent is not None:
        names.insert(0, ctx.info_name)
        ctx = ctx.parent
    return " ".join(["estimig", *names])


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"estimig: error: {message}", err=True)
    sys.exit(code)


def _stream_failed(exc: OSError) -> None:
    # Point stdout at /dev/null so that the interpreter's last flush cannot fail a second time.
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass
    try:
        _fail(f"cannot write the output: {exc.strerror or exc}")
    except OSError:  # stderr is gone too: the exit code is all that is left
        sys.exit(EXIT_ERROR)


# The runtime shim's commands (`estimig run`, `estimig verify`): their module (subprocess, tarfile,
# tempfile) is imported only when one of them is asked for or listed, so that `estimig rewrite`
# (the pre-commit path) never pays for it.
_RUNTIME_COMMANDS = {"run": "run_command", "verify": "verify_command"}


def _runtime_command(name: str):
    try:
        from estimig.runtime import commands
    except ImportError:
        return None
    return getattr(commands, _RUNTIME_COMMANDS[name], None)


