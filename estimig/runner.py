"""Run the engine over files: read, migrate, write atomically, one FileResult per file.

Files that never mention azureml and an estimator class are not parsed at all (estimig.prefilter). Work is spread over a process pool when
there is more than one file with something to do; every per-file failure becomes a finding on
that file and the run goes on.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from estimig import rules
from estimig.options import Options
from estimig.prefilter import may_hold_estimator
from estimig.result import FileResult, Finding, Result, Severity
from estimig.textio import UnreadableFile, decode, encode, write_atomic


def process_file(path: str, options: Options, write: bool) -> FileResult:
    try:
        return _process_file(path, options, write)
    except Exception as exc:  # a bug in estimig: reported on this file, which is left as it was
        message = f"internal error ({type(exc).__name__}: {exc}); the file was left as it was. Please report this"
        return FileResult(path, error=Finding(1, Severity.ERROR, "engine", message, code=rules.INTERNAL))


def _process_file(path: str, options: Options, write: bool) -> FileResult:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileResult(path, error=Finding(1, Severity.ERROR, "io", f"cannot read: {exc.strerror}",
                                                  code=rules.IO))
    if not may_hold_estimator(data):
        return FileResult(path, original=None)
    notebook = path.endswith(".ipynb")
    try:
        source = decode(data, python=not notebook)
    except UnreadableFile as exc:
        return FileResult(path, error=Finding(1, Severity.ERROR, "io", str(exc), code=rules.IO))
    if notebook:
        result, cell_diffs = migrate_notebook_text(source.text, path, options)
    else:
        from estimig.engine import migrate_source

        result, cell_diffs = migrate_source(source.text, path=path, options=options), []
    file_result = FileResult(path, original=source.text, result=result, cell_diffs=cell_diffs)
    if write and file_result.changed:
        try:
            # The files the migrated code reads come first: a migrated file never names a missing one.
            write_beside(path, result.files)
            write_atomic(path, encode(source, result.code))
            file_result.written = True
        except (OSError, UnicodeEncodeError) as exc:
            file_result.error = Finding(1, Severity.ERROR, "io", f"cannot write: {exc}", code=rules.IO)
    return file_result


def write_beside(path: str, files) -> None:
    """Create each (name, text) next to `path`; a file already there with the same text is kept as it
    is, and one with other text is never overwritten (the engine chose a free name; this is the guard)."""
    folder = os.path.dirname(os.path.abspath(path))
    for name, text in files:
        target = os.path.join(folder, name)
        try:
            with open(target, "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            with open(target, encoding="utf-8") as handle:
                if handle.read() != text:
                    raise OSError(f"{target} already exists with other content; estimig never overwrites it") from None


def migrate_notebook_text(text: str, path: str, options: Options) -> tuple[Result, list[str]]:
    from estimig.engine import migrate_source
    from estimig.notebooks import migrate_notebook

    from estimig.reports import relpath

    # The cell diffs are headed by the path as a reviewer reads it (no `./`).
    outcome = migrate_notebook(text, lambda code: migrate_source(code, path=path, options=options),
                               path=relpath(path, None))
    return outcome.as_result(), list(outcome.cell_diffs)


def iter_results(paths: Iterable[str], options: Options, *, write: bool,
                 jobs: int | None = None) -> Iterator[FileResult]:
    """Migrate every file, yielding each result as it is ready, in the order of `paths`."""
    yield from _results(list(paths), options, write, jobs or os.cpu_count() or 1)


def run(paths: Iterable[str], options: Options, *, write: bool, jobs: int | None = None) -> list[FileResult]:
    """Migrate every file; results come back in the order of `paths`."""
    return list(iter_results(paths, options, write=write, jobs=jobs))


def _results(paths: list[str], options: Options, write: bool, jobs: int) -> Iterator[FileResult]:
    # The pre-filter is cheap; only files that mention azureml are worth a worker process.
    candidates = [p for p in paths if _worth_parsing(p)]
    wanted = set(candidates)
    if jobs <= 1 or len(candidates) < 4:
        for path in paths:
            yield process_file(path, options, write) if path in wanted else FileResult(path)
        return
    # Imported here: multiprocessing costs a pre-commit call on one file ~30 ms for nothing.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    portable = options.portable()
    with ProcessPoolExecutor(max_workers=min(jobs, len(candidates))) as pool:
        # map() yields in submission order, lazily, so progress is reported as files finish.
        mapped = pool.map(_pool_worker, [(p, portable, write) for p in candidates],
                          chunksize=max(1, min(16, len(candidates) // (jobs * 4))))
        broken = None
        for path in paths:
            if path not in wanted:
                yield FileResult(path)
            elif broken is not None:
                yield FileResult(path, error=broken)
            else:
                try:
                    yield next(mapped)
                except BrokenProcessPool:
                    # A worker died (killed, out of memory): its files and the rest are reported,
                    # untouched or already written whole (writes are atomic), and the run ends cleanly.
                    broken = Finding(1, Severity.ERROR, "engine",
                                     "a worker process died; this file may not have been processed. Run again with -j 1",
                                     code=rules.INTERNAL)
                    yield FileResult(path, error=broken)


def _pool_worker(args: tuple[str, Options, bool]) -> FileResult:
    path, options, write = args
    return process_file(path, options, write)


def _worth_parsing(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return may_hold_estimator(handle.read())
    except OSError:
        return True  # let process_file report it
