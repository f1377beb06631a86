"""Ctrl-C and SIGTERM: stop handing out work, never leave a file half written.

The main process turns SIGINT and SIGTERM into a request to stop (`StopRequest`): the runner
hands out no more files, the files in flight finish, and the CLI prints what was done and exits
128 + the signal number (130 for Ctrl-C, 143 for SIGTERM). A second signal stops at once (a
KeyboardInterrupt), which atomic writes survive too. Worker processes ignore Ctrl-C (the terminal
sends it to the whole process group; the main process decides), and die with their parent: a
SIGTERM, or the parent's death, abandons the file in flight (its temporary file is removed) and
ends the worker, so no pool outlives a killed estimig.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set by the first SIGINT/SIGTERM; `signal_number` says which."""

    def __init__(self) -> None:
        self.signal_number: int | None = None
        # Shared with worker processes so they stop between the files of a batch.
        self.event = None

    @property
    def requested(self) -> bool:
        return self.signal_number is not None

    def request(self, signum: int) -> None:
        self.signal_number = signum
        if self.event is not None:
            self.event.set()

    @property
    def exit_code(self) -> int:
        return 128 + (self.signal_number or signal.SIGINT)


@contextlib.contextmanager
def catch_signals() -> Iterator[StopRequest]:
    """Within the block, SIGINT/SIGTERM request a stop; a second one interrupts at once."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread
        return

    def handler(signum, frame):
        if stop.requested:
            raise KeyboardInterrupt
        stop.request(signum)

    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends: for the few writes that must not be cut short."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# --- worker processes --------------------------------------------------------------------------

_worker_event = None
_busy = False


class _Abandon(BaseException):
    """Raised in a worker by SIGTERM while it works on a file; unwinds (removing temporary files)."""


def init_worker(event, parent_pid: int) -> None:
    """Pool initializer: ignore Ctrl-C, end on SIGTERM, get SIGTERM when the parent dies."""
    global _worker_event
    _worker_event = event
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)
    _die_with_parent(parent_pid)


def _worker_sigterm(signum, frame):
    if _busy:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up short
        raise _Abandon
    os._exit(128 + signum)


def _die_with_parent(parent_pid: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(128 + signal.SIGTERM)


def worker_should_stop() -> bool:
    return _worker_event is not None and _worker_event.is_set()


@contextlib.contextmanager
def working() -> Iterator[None]:
    """In a worker: while in the block, SIGTERM abandons the work and then ends the process."""
    global _busy
    _busy = True
    try:
        yield
    except _Abandon:
        os._exit(128 + signal.SIGTERM)
    finally:
        _busy = False
