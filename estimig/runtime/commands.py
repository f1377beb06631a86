"""`estimig run` and `estimig verify`: click commands the main CLI registers."""

from __future__ import annotations

import functools
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import click

from estimig.runtime import errors
from estimig.runtime.errors import JobFailed, ShimError, UsageError


def _one_line_errors(func):
    """Bad situations end in one line naming the fix and a documented exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ShimError as exc:
            if exc.detail:
                click.echo(exc.detail, err=True)
            click.echo(f"estimig: error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("estimig: interrupted; job processes, containers and run folders were cleaned up", err=True)
            sys.exit(errors.INTERRUPTED)

    return wrapper


def _options(func):
    func = click.option("--backend", type=click.Choice(["local", "docker"]), default=None,
                        help="Where jobs run (default: the config's, else local).")(func)
    func = click.option("--timeout", type=float, default=None, metavar="SECONDS",
                        help="Stop a job that runs longer (exit 4).")(func)
    func = click.option("--venv/--no-venv", default=None,
                        help="local: run in a virtualenv built from the Environment's pip packages.")(func)
    func = click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
                        help="estimig.yaml or pyproject.toml to read (default: found next to the script).")(func)
    return func


@click.command("run")
@click.argument("script", type=click.Path(path_type=Path))
@_options
@click.option("--keep", is_flag=True, help="Keep each job's run folder and print where it is.")
@click.option("--trace", "trace_file", type=click.Path(path_type=Path), default=None,
              help="Write the jobs' traces to this JSON file.")
@_one_line_errors
def run_command(script, backend, timeout, venv, config_file, keep, trace_file):
    """Run a submit script's Azure ML jobs on this machine."""
    from estimig.runtime.runner import RunOptions, run_script

    options = RunOptions(backend=backend, timeout=timeout, venv=venv, keep=keep, config_file=config_file)
    outcome = run_script(script, options)
    for index, (trace, result) in enumerate(zip(outcome.traces, outcome.results)):
        names = sorted({m["name"] for records in trace["metrics"].values() for m in records})
        click.echo(
            f"job {index} '{trace['experiment']}': completed on {trace['backend']},"
            f" {len(trace['processes'])} process(es), metrics: {', '.join(names) or 'none'}"
        )
        if keep:
            click.echo(f"  run folder: {result.run_root}")
    if trace_file is not None:
        import json

        trace_file.write_text(json.dumps(outcome.traces, indent=2, default=str) + "\n")


def _export_revision(path: Path, revision: str, into: Path) -> Path:
    """The file or folder `path` as it was at `revision`, with its surroundings, under `into`."""
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    try:
        top = Path(subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], check=True,
                                  capture_output=True, text=True).stdout.strip())
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise UsageError(f"--against needs {path} to be inside a git repository") from None
    relative = folder.relative_to(top)
    archive = into / "rev.tar"
    done = subprocess.run(["git", "-C", str(top), "archive", "--format=tar", "-o", str(archive), revision,
                           "--", str(relative) if str(relative) != "." else "."], capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git archive failed"])[-1]
        raise UsageError(f"cannot read {relative} at {revision}: {message}")
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree" / path.relative_to(top)


def _submit_scripts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if ".submit(" in p.read_text(errors="replace"))


def _say_assumptions(path: Path, label: str) -> None:
    """A pair migrated on named assumptions is only as equal as they are true: say which."""
    from estimig.assumptions import ASSUMPTIONS, relied_on

    try:
        names = relied_on(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return
    if names:
        click.echo(f"{label} relies on assumptions: "
                   + "; ".join(f"{n} ({ASSUMPTIONS[n].statement})" for n in names), err=True)


@click.command("verify")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path), required=False)
@click.option("--against", "revision", default=None, metavar="REV",
              help="Compare OLD (a file or folder) with its version at this git revision.")
@_options
@click.option("--report", "report_file", type=click.Path(path_type=Path), default=None,
              help="Also write the comparison to this file.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_one_line_errors
def verify_command(old, new, revision, backend, timeout, venv, config_file, report_file, fmt):
    """Run two versions of a submit script's jobs and compare what they did.

    Prints "unchanged", or each difference; exits 1 on a difference, 3 when a job of either
    version exits non-zero."""
    from estimig.runtime.compare import compare_traces
    from estimig.runtime.report import render
    from estimig.runtime.runner import RunOptions, run_script

    if (new is None) == (revision is None):
        raise UsageError("give two files (estimig verify OLD NEW) or one path and --against REV")
    options = RunOptions(backend=backend, timeout=timeout, venv=venv, config_file=config_file,
                         raise_on_failure=False)
    comparisons = []
    with tempfile.TemporaryDirectory(prefix="estimig-verify-") as tmp:
        if revision is not None:
            if not old.exists():
                raise UsageError(f"path not found: {old}")
            exported = _export_revision(old, revision, Path(tmp))
            if old.is_dir():
                pairs = [(exported / p.relative_to(old), p) for p in _submit_scripts(old)]
            else:
                pairs = [(exported, old)]
            for before, after in pairs:
                if not before.exists():
                    raise UsageError(f"{after} does not exist at {revision}: nothing to compare it with")
            labels = [(f"{after}@{revision}", str(after)) for before, after in pairs]
        else:
            pairs = [(old, new)]
            labels = [(str(old), str(new))]
        if not pairs:
            raise UsageError(f"no submit script (a .py file calling .submit(...)) under {old}")
        failures = []
        for (before, after), (old_label, new_label) in zip(pairs, labels):
            _say_assumptions(after, new_label)
            old_run = run_script(before, options)
            new_run = run_script(after, options)
            comparison = compare_traces(old_run.traces, new_run.traces, old_label, new_label)
            for label, results in ((old_label, old_run.results), (new_label, new_run.results)):
                for result in results:
                    if result.failed():
                        click.echo(result.log_tail(), err=True)
                        exits = ", ".join(f"{name} exited {code}" for name, code in result.failed().items())
                        failures.append(f"{label}: job '{result.spec.experiment}' failed ({exits})")
            comparisons.append(comparison)
    text = render(comparisons, fmt)
    click.echo(text, nl=False)
    if report_file is not None:
        report_file.write_text(text if fmt == "text" else render(comparisons, fmt))
    if failures:
        # Two runs that fail the same way prove nothing about the migration: never "unchanged".
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise JobFailed(f"{failures[0]}{more}; its log tail is above, and a pair that did not run is not verified")
    if not all(c.unchanged for c in comparisons):
        sys.exit(errors.DIFFERENT)
