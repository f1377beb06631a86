"""Reading and writing source files without losing a byte the user did not ask to change.

Python files are decoded the way Python itself does (PEP 263 cookie, UTF-8 BOM) and newlines are
left as they are (no universal-newline translation), so CRLF files stay CRLF. Writes go to a
temporary file in the same folder and are renamed over the original, keeping its mode.
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


def write_atomic(path: str, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file, whole."""
    import tempfile

    # Through a symlink, replace the file it points to; renaming over the link would replace the link.
    path = os.path.realpath(path)
    folder = os.path.dirname(path)
    mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
    fd, temporary = tempfile.mkstemp(prefix=".estimig-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
