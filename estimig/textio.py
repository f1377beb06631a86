"""Reading and writing source files without losing a byte the user did not ask to change.

Python files are decoded the way Python itself does (PEP 263 cookie, UTF-8 BOM) and newlines are
left as they are (no universal-newline translation), so CRLF files stay CRLF. Writes go to a
temporary file in the same folder and are renamed over the original, keeping its identity, and
only when the file still holds what was read (`write_atomic`).
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from dataclasses import dataclass


class UnreadableFile(Exception):
    """The file cannot be decoded; the message says why in one line."""


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    bom: bool


def read_source(path: str) -> SourceText:
    with open(path, "rb") as handle:
        data = handle.read()
    return decode(data, python=path.endswith(".py") or path == "-")


def decode(data: bytes, python: bool = True) -> SourceText:
    bom = data.startswith(codecs.BOM_UTF8)
    encoding = "utf-8"
    if python:
        import tokenize  # only for files that pass the pre-filter

        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            raise UnreadableFile(f"unknown source encoding ({exc})") from None
    body = data[len(codecs.BOM_UTF8):] if bom else data
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    try:
        return SourceText(body.decode(encoding), encoding, bom)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(f"cannot decode as {encoding}: {exc}") from None


def encode(source: SourceText, text: str) -> bytes:
    data = text.encode(source.encoding)
    return codecs.BOM_UTF8 + data if source.bom else data


class WriteRefused(Exception):
    """The file is not rewritten, for a reason the user can act on; the message is one line."""


def write_atomic(path: str, data: bytes, expected: bytes | None = None) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file, whole.

    `expected` is what was read: when the file no longer holds it (edited or deleted while estimig
    ran), nothing is written and a deleted file is never recreated. The file keeps its identity:
    mode, owner and group go onto the temporary file before the rename; a file with several hard
    links, or one whose owner this process cannot give to a new file, is overwritten in place (a
    full copy is written aside first and restores it should the overwrite fail). A file without
    any write bit is not rewritten, even by root, who ignores modes.
    """
    from estimig.interrupts import deferred

    # Through a symlink, replace the file it points to; renaming over the link would replace the link.
    path = os.path.realpath(path)
    status = _unchanged_status(path, expected)
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WriteRefused(f"read-only (mode {stat.S_IMODE(status.st_mode):04o}); not rewritten")
    # Ctrl-C and SIGTERM wait for the few milliseconds of a write: no temporary file is left behind.
    with deferred():
        if status.st_nlink > 1 or not _can_give_owner(status):
            _overwrite_in_place(path, data, status)
        else:
            _replace(path, data, status)


def _unchanged_status(path: str, expected: bytes | None) -> os.stat_result:
    try:
        status = os.stat(path)
        if expected is not None:
            with open(path, "rb") as handle:
                current = handle.read()
            if current != expected:
                raise WriteRefused("changed on disk while estimig ran; not rewritten (run again)")
    except FileNotFoundError:
        raise WriteRefused("deleted while estimig ran; not recreated") from None
    return status


def _still(path: str, status: os.stat_result) -> None:
    """The file is what `_unchanged_status` checked (the last moment before it is replaced)."""
    try:
        now = os.stat(path)
    except FileNotFoundError:
        raise WriteRefused("deleted while estimig ran; not recreated") from None
    if (now.st_size, now.st_mtime_ns, now.st_ino) != (status.st_size, status.st_mtime_ns, status.st_ino):
        raise WriteRefused("changed on disk while estimig ran; not rewritten (run again)")


def _can_give_owner(status: os.stat_result) -> bool:
    if not hasattr(os, "geteuid"):
        return True
    return os.geteuid() == 0 or (status.st_uid == os.geteuid() and status.st_gid in os.getgroups() + [os.getegid()])


def _replace(path: str, data: bytes, status: os.stat_result) -> None:
    temporary = _write_aside(path, data, ".tmp", status)
    try:
        _still(path, status)
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


def _overwrite_in_place(path: str, data: bytes, status: os.stat_result) -> None:
    with open(path, "rb") as handle:
        old = handle.read()
    backup = _write_aside(path, old, ".bak")
    try:
        _still(path, status)
        _overwrite(path, data)
    except OSError as exc:
        try:
            _overwrite(path, old)
        except OSError:
            raise WriteRefused(f"the overwrite failed ({exc.strerror}); the original is in {backup}") from None
        _remove(backup)
        raise
    except BaseException:
        _remove(backup)
        raise
    _remove(backup)


def _write_aside(path: str, data: bytes, suffix: str, status: os.stat_result | None = None) -> str:
    """`data` in a new file next to `path`, on disk; with `status`, that file's mode and owner."""
    import tempfile

    fd, aside = tempfile.mkstemp(prefix=".estimig-", suffix=suffix, dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            if status is not None:
                if hasattr(os, "fchown"):
                    os.fchown(handle.fileno(), status.st_uid, status.st_gid)
                os.chmod(aside, stat.S_IMODE(status.st_mode))
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _remove(aside)
        raise
    return aside


def _overwrite(path: str, data: bytes) -> None:
    with open(path, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.unlink(path)
