"""Notebooks: migrate the code cells of a `.ipynb` file as one program, change nothing else.

How it works (the approach nbQA takes, reimplemented here):
1. Read the file with nbformat to prove it is a notebook, and with a small JSON scanner that
   records where each code cell's `source` value sits in the text.
2. Mask IPython syntax (`%magic`, `!shell`, `obj?`, `x = !cmd`) with unique names that are valid
   Python, skip cells whose cell magic makes the body something else (`%%writefile`, `%%bash`),
   and skip, with a finding, cells that still do not parse or nest too deeply to analyse.
3. Join the remaining cells with unique separator statements, migrate the program once (an
   estimator built in one cell and submitted in another is one program), split it back, restore
   the masked lines, and map findings to `cell N` and the line inside that cell.
4. Write by splicing: only the `source` values of changed cells are replaced in the original text,
   in the style each one had (a string, or a list of lines laid out like the original list). Every
   other byte (outputs, images, metadata, indent, key order, trailing newline) stays as it was. The
   result is re-read and compared with the input, all but the new sources; any difference, and the
   notebook is left untouched and the failure reported.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import io
import json
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Callable

from estimig import rules
from estimig.nesting import MESSAGE as NESTING_MESSAGE, too_deep
from estimig.result import Finding, Result, Severity

CONCERN = "notebook"

# Cell magics whose body is ordinary notebook Python, run in the user namespace; every other cell
# magic (%%writefile, %%bash, %%html, %%timeit's private scope...) makes the body something else.
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "capture"})

Migrate = Callable[[str], Result]


def is_notebook_path(path: str) -> bool:
    return str(path).lower().endswith(".ipynb")


@dataclass
class NotebookResult:
    text: str
    findings: list[Finding] = field(default_factory=list)
    migrated: int = 0
    left: int = 0
    assumed: int = 0
    cell_diffs: list[str] = field(default_factory=list)
    suppressed: int = 0
    files: tuple[tuple[str, str], ...] = ()  # written next to the notebook (Result.files)

    def as_result(self) -> Result:
        return Result(self.text, tuple(self.findings), self.migrated, self.left, self.assumed,
                      suppressed=self.suppressed, files=self.files)


# --- a JSON scanner that remembers where each value is --------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


class _Node:
    __slots__ = ("start", "end", "kind", "items", "value")

    def __init__(self, start, end, kind, items=None, value=None):
        self.start, self.end, self.kind, self.items, self.value = start, end, kind, items, value


def _scan(text: str, i: int) -> _Node:
    i = _WS.match(text, i).end()
    if i >= len(text):
        raise ValueError("unexpected end of JSON")
    ch = text[i]
    if ch == '"':
        value, end = scanstring(text, i + 1, True)
        return _Node(i, end, "str", value=value)
    if ch == "{" or ch == "[":
        is_obj = ch == "{"
        items: dict | list = {} if is_obj else []
        j = _WS.match(text, i + 1).end()
        close = "}" if is_obj else "]"
        if text[j : j + 1] == close:
            return _Node(i, j + 1, "obj" if is_obj else "list", items)
        while True:
            if is_obj:
                j = _WS.match(text, j).end()
                if text[j : j + 1] != '"':
                    raise ValueError(f"expected a key at {j}")
                key, j = scanstring(text, j + 1, True)
                j = _WS.match(text, j).end()
                if text[j : j + 1] != ":":
                    raise ValueError(f"expected ':' at {j}")
                node = _scan(text, j + 1)
                items[key] = node
            else:
                node = _scan(text, j)
                items.append(node)
            j = _WS.match(text, node.end).end()
            if text[j : j + 1] == ",":
                j += 1
                continue
            if text[j : j + 1] == close:
                return _Node(i, j + 1, "obj" if is_obj else "list", items)
            raise ValueError(f"expected ',' or '{close}' at {j}")
    m = _SCALAR.match(text, i)
    if not m:
        raise ValueError(f"unexpected character at {i}")
    return _Node(i, m.end(), "scalar", value=json.loads(m.group()))


def _parse(text: str) -> _Node:
    root = _scan(text, 0)
    if _WS.match(text, root.end).end() != len(text):
        raise ValueError("extra data after the JSON value")
    return root


# --- reading the notebook ---------------------------------------------------------------------------


@dataclass
class _Cell:
    index: int  # 1-based among code cells
    node: _Node  # the cell object
    source_node: _Node  # its source (v4) or input (v3) value
    source: str
    language: str | None


def _text_of(node: _Node) -> str:
    if node.kind == "str":
        return node.value
    if node.kind == "list" and all(n.kind == "str" for n in node.items):
        return "".join(n.value for n in node.items)
    raise ValueError("a cell source that is neither a string nor a list of strings")


def _str_at(node: _Node | None, *keys: str) -> str | None:
    for key in keys:
        if node is None or node.kind != "obj":
            return None
        node = node.items.get(key)
    return node.value if node is not None and node.kind == "str" else None


def _code_cells(root: _Node) -> tuple[list[_Cell], str | None]:
    """The code cells in order, and the notebook's language where it says one."""
    if root.kind != "obj" or not isinstance(getattr(root.items.get("nbformat"), "value", None), int):
        raise ValueError("not a notebook (no nbformat version)")
    meta = root.items.get("metadata")
    language = _str_at(meta, "language_info", "name") or _str_at(meta, "kernelspec", "language")
    if "cells" in root.items:  # nbformat 4
        cell_lists, key = [root.items["cells"]], "source"
    elif "worksheets" in root.items:  # nbformat 2 and 3
        cell_lists, key = [ws.items.get("cells") for ws in root.items["worksheets"].items], "input"
        language = language or _str_at(meta, "language")
    else:
        raise ValueError("not a notebook (no cells)")
    cells = []
    for cell_list in cell_lists:
        if cell_list is None or cell_list.kind != "list":
            raise ValueError("not a notebook (cells is not a list)")
        for node in cell_list.items:
            if node.kind != "obj" or _str_at(node, "cell_type") != "code":
                continue
            src = node.items.get(key)
            if src is None:
                continue
            cells.append(_Cell(len(cells) + 1, node, src, _text_of(src), _str_at(node, "language")))
    return cells, language


# --- masking IPython syntax --------------------------------------------------------------------------

_MAGIC_START = re.compile(r"\s*(?:%|!|\?)")
_HELP_END = re.compile(r"\s*[A-Za-z_][\w.]*(?:\(\))?\?{1,2}\s*$")
_ASSIGN_MAGIC = re.compile(r"\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*(?:%|!)")
_CELL_MAGIC = re.compile(r"%%([A-Za-z_]\w*)")


def _at_statement_start(lines: list[str]) -> bool:
    """Whether the next line would start a new logical line (not inside a string or brackets)."""
    if not lines:
        return True
    try:
        for _ in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            pass
    except tokenize.TokenError:
        return False
    except (IndentationError, SyntaxError):
        return True
    return True


def _is_magic(line: str) -> bool:
    return bool(_MAGIC_START.match(line) or _HELP_END.match(line) or _ASSIGN_MAGIC.match(line))


@dataclass
class _Masked:
    code: str
    restore: dict[str, str]  # token -> the original lines it stands for
    skip_reason: str | None = None


def _mask(source: str, token: Callable[[], str]) -> _Masked:
    lines = source.splitlines(keepends=True)
    first = next((ln for ln in lines if ln.strip()), "")
    cell_magic = _CELL_MAGIC.match(first.lstrip())
    if cell_magic and cell_magic.group(1) not in PYTHON_BODY_CELL_MAGICS:
        return _Masked(source, {}, f"%%{cell_magic.group(1)} cell: its body is not notebook Python")
    out: list[str] = []
    restore: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_magic(line) and not line.lstrip().startswith("#") and _at_statement_start(out):
            # A magic continues over lines that end with a backslash.
            j = i
            while lines[j].rstrip("\r\n").endswith("\\") and j + 1 < len(lines):
                j += 1
            original = "".join(lines[i : j + 1])
            name = token()
            indent = line[: len(line) - len(line.lstrip())]
            ending = original[len(original.rstrip("\r\n")) :]
            out.append(f"{indent}{name}{ending}")
            restore[name] = original
            i = j + 1
            continue
        out.append(line)
        i += 1
    return _Masked("".join(out), restore)


def _unmask(code: str, restore: dict[str, str]) -> str | None:
    """Put the masked lines back; None when a masked line did not come back exactly once."""
    if not restore:
        return code
    out = []
    seen = set()
    for line in code.splitlines(keepends=True):
        name = line.strip()
        if name in restore:
            if name in seen:
                return None
            seen.add(name)
            original = restore[name]
            ending = line[len(line.rstrip("\r\n")) :]
            # The last line of a cell has no newline; keep that as the migrated code has it.
            out.append(original.rstrip("\r\n") + ending if not ending else original)
        else:
            out.append(line)
    return "".join(out) if seen == set(restore) else None


# --- writing -------------------------------------------------------------------------------------------


def _render_source(text: str, node: _Node, new: str, ascii_only: bool) -> str:
    """The JSON for `new` in the layout the original source value had."""
    if node.kind == "str":
        return json.dumps(new, ensure_ascii=ascii_only)
    parts = [json.dumps(line, ensure_ascii=ascii_only) for line in new.splitlines(keepends=True)]
    if node.items:
        first, last = node.items[0], node.items[-1]
        open_ws = text[node.start + 1 : first.start]
        close_ws = text[last.end : node.end - 1]
        # Between items: whatever the original list had after its first comma, or after `[`.
        sep = "," + (text[first.end + 1 : node.items[1].start] if len(node.items) > 1 else open_ws)
    else:
        # An empty list: lay the items out one level deeper than the line the list is on.
        line_start = text.rfind("\n", 0, node.start) + 1
        if "\n" not in text.strip():  # a minified file stays minified
            open_ws = close_ws = ""
        else:
            key_indent = re.match(r"[ \t]*", text[line_start:]).group()
            newline = "\r\n" if "\r\n" in text else "\n"
            open_ws, close_ws = newline + key_indent + (_indent_unit(text) or " "), newline + key_indent
        sep = "," + open_ws
    if not parts:
        return "[]"
    return "[" + open_ws + sep.join(parts) + close_ws + "]"


def _indent_unit(text: str) -> str:
    m = re.search(r"\{\r?\n([ \t]+)\"", text)
    return m.group(1) if m else ""


def _ascii_only(text: str) -> bool:
    # nbformat writes non-ASCII characters as they are; a file that escapes them keeps doing so.
    return bool(re.search(r"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})", text))


def _without_sources(text: str, cells: list[_Cell]) -> object:
    """The whole notebook as data with the code cells' sources blanked, for the safety check."""
    data = json.loads(text)
    cell_lists = [data["cells"]] if "cells" in data else [ws.get("cells", []) for ws in data["worksheets"]]
    key = "source" if "cells" in data else "input"
    for cell_list in cell_lists:
        for cell in cell_list:
            if isinstance(cell, dict) and cell.get("cell_type") == "code" and key in cell:
                cell[key] = None
    return data


# --- the migration -------------------------------------------------------------------------------------


def _error(message: str, line: int = 1, code: str = rules.NOTEBOOK_UNREADABLE) -> Finding:
    return Finding(line, Severity.ERROR, CONCERN, message, code=code)


def _unique(text: str, stem: str) -> str:
    nonce = 0
    while f"{stem}{nonce}_" in text:
        nonce += 1
    return f"{stem}{nonce}_"


def migrate_notebook(text: str, migrate: Migrate, *, path: str = "notebook.ipynb") -> NotebookResult:
    """Migrate the code cells of notebook `text`; never raises for bad input, never loses bytes."""
    unchanged = NotebookResult(text)
    bom = 1 if text.startswith("\ufeff") else 0
    body = text[bom:]
    try:
        import nbformat

        with warnings.catch_warnings():  # nbformat warns about missing cell ids; not ours to fix
            warnings.simplefilter("ignore")
            nbformat.reads(body, as_version=nbformat.NO_CONVERT)
        root = _parse(body)
        cells, language = _code_cells(root)
    except Exception as exc:  # nbformat raises several unrelated types for a file that is not a notebook
        unchanged.findings.append(_error(f"not a readable notebook, left untouched: {_one_line(exc)}"))
        return unchanged
    if language and language.lower() not in ("python", "python3"):
        unchanged.findings.append(
            Finding(1, Severity.INFO, CONCERN, f"kernel language {language}, not Python: left untouched",
                    code=rules.NOTEBOOK_SKIPPED)
        )
        return unchanged

    stem = _unique(body, "__estimig")
    counter = iter(range(1 << 30))
    masks: dict[int, _Masked] = {}
    program_cells: list[_Cell] = []
    for cell in cells:
        if cell.language and cell.language.lower() != "python":
            continue
        masked = _mask(cell.source, lambda: f"{stem}magic_{next(counter)}__")
        if masked.skip_reason:
            unchanged.findings.append(Finding(1, Severity.INFO, CONCERN, f"skipped: {masked.skip_reason}", cell=cell.index,
                                                      code=rules.NOTEBOOK_SKIPPED))
            continue
        deep = too_deep(masked.code)  # before compile(), and before LibCST could crash on it
        if deep is not None:
            unchanged.findings.append(Finding(deep, Severity.WARNING, CONCERN, f"cell {NESTING_MESSAGE}", cell=cell.index,
                                                      code=rules.NOTEBOOK_CELL_TOO_DEEP))
            continue
        try:
            compile(masked.code, f"cell {cell.index}", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except RecursionError:
            unchanged.findings.append(Finding(1, Severity.WARNING, CONCERN, f"cell {NESTING_MESSAGE}", cell=cell.index,
                                                      code=rules.NOTEBOOK_CELL_TOO_DEEP))
            continue
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 1
            msg = getattr(exc, "msg", None) or str(exc)
            unchanged.findings.append(
                Finding(line, Severity.WARNING, CONCERN, f"cell does not parse, left as it was: {msg}", cell=cell.index,
                        code=rules.NOTEBOOK_UNPARSABLE)
            )
            continue
        masks[cell.index] = masked
        program_cells.append(cell)
    if not program_cells:
        return unchanged

    # Separators are statements, not comments: a rewrite may drop a comment attached to a node it
    # replaces, but never an unrelated statement.
    seps = [f"{stem}cell_{k}__" for k in range(len(program_cells))]
    chunks, starts, line_no = [], [], 1
    for k, cell in enumerate(program_cells):
        code = masks[cell.index].code
        if k:
            chunks.append(seps[k] + "\n")
            line_no += 1
        starts.append(line_no)
        code = code if code.endswith("\n") else code + "\n"
        chunks.append(code)
        line_no += code.count("\n")
    program = "".join(chunks)

    try:
        result = migrate(program)
    except Exception as exc:  # the engine promises not to raise; a notebook is still never half-written
        unchanged.findings.append(_error(f"migration failed, left untouched: {_one_line(exc)}", code=rules.INTERNAL))
        return unchanged

    def locate(f: Finding) -> Finding:
        k = max((k for k, s in enumerate(starts) if s <= f.line), default=0)
        cell = program_cells[k]
        ncell = max(1, cell.source.count("\n") + 1)
        return dataclasses.replace(f, line=min(max(1, f.line - starts[k] + 1), ncell), cell=cell.index)

    findings = sorted(
        list(unchanged.findings) + [locate(f) for f in result.findings], key=lambda f: (f.cell or 0, f.line, f.column)
    )
    out = NotebookResult(text, findings, result.migrated, result.left, result.assumed,
                         suppressed=result.suppressed)
    if result.code == program:
        return out

    # Split the migrated program back into cells; text before the first separator is cell 1.
    pieces = re.split(r"^(" + re.escape(stem) + r"cell_\d+__)[ \t]*\r?\n", result.code, flags=re.M)
    found = pieces[1::2]
    if found != seps[1:]:
        out.findings.append(_error("the cell boundaries did not survive the migration; notebook left untouched",
                                         code=rules.INTERNAL))
        out.text, out.migrated = text, 0
        return out
    new_sources: dict[int, str] = {}
    for cell, piece in zip(program_cells, pieces[0::2]):
        had_newline = masks[cell.index].code.endswith("\n")
        if not had_newline and piece.endswith("\n"):
            piece = piece[:-1]
        if piece.startswith(("\n", "\r\n")) and not masks[cell.index].code.startswith(("\n", "\r\n")):
            # The cell's first lines were removed (v2 leftovers) and left the blank line below them on top.
            piece = piece.lstrip("\r\n")
        restored = _unmask(piece, masks[cell.index].restore)
        if restored is None:
            out.findings.append(_error("an IPython line did not survive the migration; notebook left untouched",
                                             code=rules.INTERNAL))
            out.text, out.migrated = text, 0
            return out
        if restored != cell.source:
            new_sources[cell.index] = restored

    if not new_sources:
        return out
    ascii_only = _ascii_only(body)
    pieces_out, pos = [], 0
    for cell in cells:
        if cell.index in new_sources:
            node = cell.source_node
            pieces_out += [body[pos : node.start], _render_source(body, node, new_sources[cell.index], ascii_only)]
            pos = node.end
    new_body = "".join(pieces_out) + body[pos:]

    # Safety: the new file must read as the old one with only those sources changed.
    try:
        new_cells, _ = _code_cells(_parse(new_body))
        ok = _without_sources(new_body, new_cells) == _without_sources(body, cells) and all(
            c.source == new_sources.get(c.index, cells[c.index - 1].source) for c in new_cells
        )
    except Exception:
        ok = False
    if not ok:
        out.findings.append(_error("the rewritten notebook did not verify; notebook left untouched", code=rules.INTERNAL))
        out.text, out.migrated = text, 0
        return out

    out.text = text[:bom] + new_body
    out.files = result.files  # only with the new text: a notebook left untouched reads no new file
    for cell in cells:
        if cell.index in new_sources:
            name = f"{path}:cell {cell.index}"
            diff = difflib.unified_diff(
                cell.source.splitlines(), new_sources[cell.index].splitlines(), name, name, lineterm=""
            )
            out.cell_diffs.append("\n".join(diff) + "\n")
    return out


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def file_line(text: str, cell: int, line: int) -> int | None:
    """The line of the `.ipynb` file that holds line `line` of code cell `cell` (both 1-based).

    Code scanning and workflow annotations point at lines of the raw file; a list-style source has
    one JSON string per line, so the annotation lands on the code itself. None when unknown.
    """
    try:
        body = text[1:] if text.startswith("\ufeff") else text
        cells, _ = _code_cells(_parse(body))
        node = cells[cell - 1].source_node
    except Exception:
        return None
    if node.kind == "list" and 1 <= line <= len(node.items):
        offset = node.items[line - 1].start
    else:
        offset = node.start
    return body.count("\n", 0, offset) + 1
