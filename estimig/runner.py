"""Run the engine over files: read, migrate, write atomically, one FileResult per file.

Files that never mention azureml and an estimator class are not parsed at all (estimig.prefilter).
Work is spread over a process pool when there is more than one file with something to do; every
per-file failure becomes a finding on that file and the run goes on. A file above the size limit
is reported, never parsed (memory grows with the tree, hundreds of times the file size). When a
worker process dies (killed, out of memory, a crash in the native parser), the files not yet done
are run one at a time in a fresh worker, replaced whenever it dies, so the file that killed it is
the only one reported. A stop request (Ctrl-C, SIGTERM: estimig.interrupts) ends the run between
files: results come back for the files that were done, and none for the rest.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import replace
from typing import Iterable, Iterator

from estimig import interrupts, rules
from estimig.options import Options
from estimig.prefilter import CLASS_NAMES, NEEDLE, may_hold_estimator
from estimig.result import FileResult, Finding, Result, Severity
from estimig.textio import UnreadableFile, WriteRefused, decode, encode, write_atomic

WORKER_DIED = "the analysis crashed on this file (its worker process died); left as it was"


def process_file(path: str, options: Options, write: bool) -> FileResult:
    try:
        return _process_file(path, options, write)
    except Exception as exc:  # a bug in estimig: reported on this file, which is left as it was
        message = f"internal error ({type(exc).__name__}: {exc}); the file was left as it was. Please report this"
        return FileResult(path, error=Finding(1, Severity.ERROR, "engine", message, code=rules.INTERNAL))


def _process_file(path: str, options: Options, write: bool) -> FileResult:
    try:
        size = os.stat(path).st_size
        if size > options.max_file_size:
            if not _file_may_hold_estimator(path):
                return FileResult(path)
            return FileResult(path, error=_size_finding(size, options))
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
        result, cell_diffs = migrate_text(source.text, path, options), []
    file_result = FileResult(path, original=source.text, result=result, cell_diffs=cell_diffs)
    if write and file_result.changed:
        try:
            # The files the migrated code reads come first: a migrated file never names a missing one.
            write_beside(path, result.files)
            write_atomic(path, encode(source, result.code), expected=data)
            file_result.written = True
        except WriteRefused as exc:
            _not_written(file_result, str(exc))
        except (OSError, UnicodeEncodeError) as exc:
            _not_written(file_result, f"cannot write: {exc}")
    return file_result


def _not_written(file_result: FileResult, message: str) -> None:
    """The file is as it was: nothing in the result may say it was migrated."""
    result = file_result.result
    file_result.result = replace(result, code=file_result.original, migrated=0, left=result.left + result.migrated)
    file_result.cell_diffs = []
    file_result.error = Finding(1, Severity.ERROR, "io", message, code=rules.IO)


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


def migrate_text(code: str, path: str, options: Options) -> Result:
    """The engine on one Python text, within the size limit (a notebook's code cells count together)."""
    from estimig.engine import migrate_source

    if len(code) > options.max_file_size:
        return Result(code, (_size_finding(len(code), options),))
    return migrate_source(code, path=path, options=options)


def migrate_notebook_text(text: str, path: str, options: Options) -> tuple[Result, list[str]]:
    from estimig.notebooks import migrate_notebook

    from estimig.reports import relpath

    # The cell diffs are headed by the path as a reviewer reads it (no `./`).
    outcome = migrate_notebook(text, lambda code: migrate_text(code, path, options), path=relpath(path, None))
    return outcome.as_result(), list(outcome.cell_diffs)


def _size_finding(size: int, options: Options) -> Finding:
    return Finding(1, Severity.ERROR, "engine",
                   f"too large to analyse ({size:,} bytes; the limit is {options.max_file_size:,}, "
                   "see --max-file-size); left as it was", code=rules.TOO_LARGE_OR_DEEP)


def _file_may_hold_estimator(path: str, chunk: int = 1 << 20) -> bool:
    """may_hold_estimator for a file too large to read whole: chunk by chunk, words spanning two."""
    needles = [NEEDLE.encode(), *(name.encode() for name in CLASS_NAMES)]
    found, overlap, tail = set(), max(map(len, needles)), b""
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            window = tail + block
            found.update(n for n in needles if n in window)
            tail = window[-overlap:]
    return needles[0] in found and len(found) > 1


def iter_results(paths: Iterable[str], options: Options, *, write: bool, jobs: int | None = None,
                 stop: interrupts.StopRequest | None = None) -> Iterator[FileResult]:
    """Migrate every file, yielding each result as it is ready, in the order of `paths`; after a
    stop request, only the files that were done."""
    yield from _results(list(paths), options, write, jobs or os.cpu_count() or 1, stop or interrupts.StopRequest())


def run(paths: Iterable[str], options: Options, *, write: bool, jobs: int | None = None) -> list[FileResult]:
    """Migrate every file; results come back in the order of `paths`."""
    return list(iter_results(paths, options, write=write, jobs=jobs))


def _results(paths: list[str], options: Options, write: bool, jobs: int,
             stop: interrupts.StopRequest) -> Iterator[FileResult]:
    # The pre-filter is cheap; only files that mention azureml are worth a worker process.
    candidates = [p for p in paths if _worth_parsing(p, options.max_file_size)]
    wanted = set(candidates)
    if jobs <= 1 or len(candidates) < 4:
        for path in paths:
            if stop.requested:
                return
            yield process_file(path, options, write) if path in wanted else FileResult(path)
        return
    done = _parallel(candidates, options.portable(), write, jobs, stop)
    for path in paths:
        if path not in wanted:
            if stop.requested:
                return
            yield FileResult(path)
            continue
        result = next(done, None)
        if result is None:
            return
        yield result


def _parallel(paths: list[str], options: Options, write: bool, jobs: int,
              stop: interrupts.StopRequest) -> Iterator[FileResult]:
    # Imported here: multiprocessing costs a pre-commit call on one file ~30 ms for nothing.
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    stop.event = multiprocessing.get_context().Event()
    size = max(1, min(16, len(paths) // (jobs * 4)))
    batches = deque(paths[i:i + size] for i in range(0, len(paths), size))
    in_flight: deque = deque()
    rest = None
    with _pool(min(jobs, len(paths)), stop) as pool:
        while batches or in_flight:
            try:
                # A few batches per worker in flight: enough to keep them busy, few to wait for on a stop.
                while batches and not stop.requested and len(in_flight) < jobs * 2:
                    in_flight.append((batches[0], pool.submit(_pool_batch, batches[0], options, write)))
                    batches.popleft()
                if not in_flight:
                    return
                results = in_flight[0][1].result()
            except BrokenProcessPool:  # on a result, or on submitting to a pool already broken
                rest = [*(p for b, _ in in_flight for p in b), *(p for b in batches for p in b)]
                break
            in_flight.popleft()
            yield from results
    if rest is not None:
        yield from _one_at_a_time(rest, options, write, stop)


def _one_at_a_time(paths: list[str], options: Options, write: bool,
                   stop: interrupts.StopRequest) -> Iterator[FileResult]:
    """After a worker died: each file alone in a worker, replaced when it dies, so blame is exact."""
    from concurrent.futures.process import BrokenProcessPool

    pool = None
    try:
        for path in paths:
            if stop.requested:
                return
            pool = pool or _pool(1, stop)
            try:
                yield from pool.submit(_pool_batch, [path], options, write).result()
            except BrokenProcessPool:
                pool.shutdown(wait=True)
                pool = None
                yield FileResult(path, error=Finding(1, Severity.ERROR, "engine", WORKER_DIED, code=rules.INTERNAL))
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _pool(workers: int, stop: interrupts.StopRequest):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, initializer=interrupts.init_worker,
                               initargs=(stop.event, os.getpid()))


def _pool_batch(paths: list[str], options: Options, write: bool) -> list[FileResult]:
    """In a worker: the files of one batch, up to a stop request."""
    results = []
    for path in paths:
        if interrupts.worker_should_stop():
            break
        with interrupts.working():
            results.append(process_file(path, options, write))
    return results


def _worth_parsing(path: str, max_size: int) -> bool:
    try:
        if os.stat(path).st_size > max_size:
            return True  # not read whole here; process_file decides
        with open(path, "rb") as handle:
            return may_hold_estimator(handle.read())
    except OSError:
        return True  # let process_file report it
