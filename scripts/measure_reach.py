#!/usr/bin/env python3
"""Measure estimig's reach on a directory of real .py and .ipynb files (a held-out set).

For every file: count the estimator constructions (estimig.facts.collect on the module; for a
notebook on the one program its code cells are joined into), migrate it, and sort each
construction into

  migrated   the call is gone from the output (turned into a ScriptRunConfig);
  left       the call is still there and a finding names it ("... left as it was: ...") or a
             file-level error (parse error, internal error) explains why nothing was done;
  silent     the call is still there and nothing says why. This must be zero.

Then: a second run on each output must change nothing (fixed point), and where something was
migrated the oracle runs the original and the migrated program against the offline stand-ins
(each in its own subprocess, with a timeout) and compares what they submit: PASS, DIFF, or
could-not-run with a one-line reason; PASS-prefix when the jobs submitted before the program stops
offline (stand-in gaps after the submit) are equal. Could-not-run (including "submits nothing") is never
a pass.

    python3 scripts/measure_reach.py /tmp/heldout [--json reach.json] [--no-oracle] [--top 25] [--target v2]

The held-out files are measurement data only: keep them outside the repository.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import libcst as cst

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from estimig import engine  # noqa: E402
from estimig.actions import aml_run_functions  # noqa: E402
from estimig.facts import collect  # noqa: E402
from estimig.notebooks import migrate_notebook  # noqa: E402
from estimig.result import Severity  # noqa: E402

LEFT_MARK = "left as it was"
# The options every file is migrated with (--assume sets the named assumptions).
OPTIONS = None
ASSUMED_IN_WORKER: list[str] = []
ORACLE_TIMEOUT_S = 60
PRIVATE_REGISTRY = "viennaprivate"
# The engine's options (--environment); None: the defaults.
OPTIONS = None


def _migrate(code: str, path: str):
    return engine.migrate_source(code, path=path, options=OPTIONS)


# --- records ------------------------------------------------------------------------------------


@dataclass
class Call:
    where: str  # file:line, or file:cell C:line for notebooks
    kind: str
    status: str  # migrated | left | silent
    reason: str = ""  # the finding message for left calls
    snippet: str = ""
    # For left calls: each (concern, reason) that blocked it, as estimig.engine.decide gives them.
    blocked: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FileReport:
    path: str
    kind: str  # py | ipynb
    error: str = ""  # the file could not be read or parsed at all
    calls: list[Call] = field(default_factory=list)
    migrated: int = 0  # as the engine counts them
    left: int = 0
    assumed: int = 0  # of the migrated, those migrated on named assumptions
    changed: bool = False
    fixed_point: str = "n/a"  # ok | FAIL: ... | n/a
    oracle: str = "n/a"  # PASS | DIFF | could-not-run | n/a
    oracle_detail: str = ""
    findings: list[str] = field(default_factory=list)  # every finding, "where: [concern] message"


# --- helpers ------------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _snippet(module: cst.Module, node: cst.CSTNode) -> str:
    return _one_line(module.code_for_node(node), 160)


def _call_text(module: cst.Module, node: cst.CSTNode) -> str:
    return re.sub(r"\s+", "", module.code_for_node(node))


def normalise_reason(message: str) -> str:
    """Cut names and values out of a finding message so similar reasons group together."""
    text = message
    text = re.sub(r"^\w+\(\.\.\.\) left as it was: ", "", text)
    text = re.sub(r"`[^`]*`", "`X`", text)
    text = re.sub(r"'[^']*'", "'X'", text)
    text = re.sub(r'"[^"]*"', '"X"', text)
    text = re.sub(r"\(line \d+\)", "(line N)", text)
    text = re.sub(r"\bline \d+\b", "line N", text)
    text = re.sub(r"\bcell \d+\b", "cell N", text)
    text = re.sub(r"\b\d+(\.\d+)?\b", "N", text)
    # Names the engine puts before '(' or after 'the name' etc.: keep the shape, drop the name.
    text = re.sub(r"\b[A-Za-z_][\w.]*\(\)", "f()", text)
    return _one_line(text, 240)


_TEXTUAL_CALL = re.compile(r"(?<![\w.])(?:[\w.]+\.)?(Estimator|PyTorch|TensorFlow|SKLearn|Chainer)\s*\(")


def textual_calls(source: str) -> list[tuple[int, str, str]]:
    """(line, kind, snippet) of what looks like an estimator construction, for code that does not
    parse (so facts.collect cannot see it); only where azureml.train is imported."""
    if "azureml.train" not in source:
        return []
    found = []
    for n, line in enumerate(source.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith(("#", "from ", "import ", "class ", "def ")):
            continue
        for m in _TEXTUAL_CALL.finditer(line):
            found.append((n, m.group(1), _one_line(stripped, 160)))
    return found


# --- notebooks: the joined program and cell positions --------------------------------------------


def _notebook_cells(text: str):
    """(index, source) for each code cell, indexed as estimig.notebooks indexes them."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = nbformat.reads(text.lstrip("\ufeff"), as_version=4)
    return [(i, c.source) for i, c in enumerate((c for c in nb.cells if c.cell_type == "code"), 1)]


def oracle_program(text: str) -> str:
    """The notebook as a script the oracle can run: IPython lines become `pass`, shell-only and
    unparseable cells dropped (as tests/test_notebooks.py does)."""
    from estimig.notebooks import _mask

    chunks = []
    for _, source in _notebook_cells(text):
        masked = _mask(source, lambda: "pass")
        if masked.skip_reason:
            continue
        try:
            compile(masked.code, "cell", "exec")
        except (SyntaxError, ValueError):
            continue
        chunks.append(masked.code + "\n")
    return "".join(chunks)


_SEP = re.compile(r"^__estimig\w*?cell_(\d+)__\s*$")


def _program_locator(program: str, nb_findings, text: str):
    """Map a line of the joined program to (cell index, line in cell)."""
    cells = [i for i, _ in _notebook_cells(text)]
    excluded = {f.cell for f in nb_findings if f.cell is not None and f.concern != "core"
                and (f.message.startswith("skipped:") or f.message.startswith("cell does not parse"))}
    program_cells = [i for i in cells if i not in excluded]
    starts = [1]
    for n, line in enumerate(program.splitlines(), 1):
        if _SEP.match(line):
            starts.append(n + 1)

    def locate(line: int) -> tuple[int | None, int]:
        k = max((k for k, s in enumerate(starts) if s <= line), default=0)
        cell = program_cells[k] if k < len(program_cells) else None
        return cell, line - starts[k] + 1

    return locate


# --- one file -----------------------------------------------------------------------------------


def _classify(report: FileReport, label, module: cst.Module, result, out_module: cst.Module | None):
    """Sort each construction of `module` into migrated / left / silent."""
    facts = collect(module)
    left_lines: dict[int, list[str]] = collections.defaultdict(list)
    file_errors = [f for f in result.findings if f.severity is Severity.ERROR]
    for f in result.findings:
        if LEFT_MARK in f.message:
            left_lines[f.line].append(f.message)
    remaining: collections.Counter[str] = collections.Counter()
    if out_module is not None:
        for call in collect(out_module).calls:
            remaining[_call_text(out_module, call.node)] += 1
    for call in facts.calls:
        where = label(call.line)
        snippet = _snippet(module, call.node)
        text = _call_text(module, call.node)
        messages = left_lines.get(call.line)
        if messages:
            try:
                blocked = [tuple(b)[:2] for b in engine.decide(call, OPTIONS or engine.default_options()).plan.blocked]
            except Exception as exc:  # the reasons are a report detail; never lose the count
                blocked = [("?", f"could not recompute the reasons: {_one_line(repr(exc))}")]
            report.calls.append(Call(where, call.kind, "left", messages[0], snippet, blocked))
            remaining[text] -= 1
        elif remaining[text] > 0:
            remaining[text] -= 1
            if file_errors:
                report.calls.append(Call(where, call.kind, "left", file_errors[0].message, snippet))
            else:
                report.calls.append(Call(where, call.kind, "silent", "", snippet))
        else:
            report.calls.append(Call(where, call.kind, "migrated", "", snippet))


def measure_py(path: Path, rel: str) -> FileReport:
    report = FileReport(rel, "py")
    try:
        code = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.error = f"unreadable: {type(exc).__name__}: {_one_line(exc)}"
        return report
    try:
        module = cst.parse_module(code)
    except Exception as exc:
        report.error = f"does not parse: {_one_line(str(exc).strip().splitlines()[0] if str(exc).strip() else exc)}"
        result = _migrate(code, path=str(path))
        report.findings = [f"{rel}:{f.line}: [{f.concern}] {f.message}" for f in result.findings]
        reason = result.findings[0].message if result.findings else ""
        for line, kind, snippet in textual_calls(code):
            report.calls.append(Call(f"{rel}:{line}", kind, "left" if reason else "silent",
                                     reason, snippet + "  [textual count: the file does not parse]"))
        return report
    result = _migrate(code, path=str(path))
    report.migrated, report.left, report.assumed = result.migrated, result.left, result.assumed
    report.changed = result.code != code
    report.findings = [f"{rel}:{f.line}: [{f.concern}] {f.message}" for f in result.findings]
    try:
        out_module = cst.parse_module(result.code)
    except Exception:
        out_module = None
        report.fixed_point = "FAIL: the migrated code does not parse"
    _classify(report, lambda line: f"{rel}:{line}", module, result, out_module)
    if out_module is not None:
        again = _migrate(result.code, path=str(path))
        report.fixed_point = "ok" if again.code == result.code else "FAIL: a second run changes the file"
    report._before, report._after = code, result.code  # type: ignore[attr-defined]
    report._actions = sorted(aml_run_functions(str(path))) or _handoffs(module, result)  # type: ignore[attr-defined]
    return report


def _handoffs(module, result) -> list[str]:
    """Without a workflow that calls them: the top-level functions (one parameter, the workspace) that
    return an estimator migrated on estimator-handoff, which the harness runs as that assumption
    models their unseen caller, the way an aml-run step does: called, and the result submitted."""
    from estimig.assumptions import HANDOFF

    lines = {f.line for f in result.findings if HANDOFF in (f.assumptions or ())}
    if not lines or module is None:
        return []
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(cst.metadata.PositionProvider)
    return [node.name.value for node in wrapper.module.body if isinstance(node, cst.FunctionDef)
            and len(node.params.params) == 1
            and any(positions[node].start.line <= line <= positions[node].end.line for line in lines)]


def measure_ipynb(path: Path, rel: str) -> FileReport:
    report = FileReport(rel, "ipynb")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.error = f"unreadable: {type(exc).__name__}: {_one_line(exc)}"
        return report
    captured: dict = {}

    def migrate(program: str):
        result = _migrate(program, path=str(path))
        captured["program"], captured["result"] = program, result
        return result

    nb = migrate_notebook(text, migrate, path=str(path))
    report.migrated, report.left, report.assumed = nb.migrated, nb.left, nb.assumed
    report.changed = nb.text != text
    report.findings = [f"{f.location(rel)}: [{f.concern}] {f.message}" for f in nb.findings]
    errors = [f for f in nb.findings if f.severity is Severity.ERROR]
    if "program" not in captured:
        if errors:
            report.error = _one_line(errors[0].message)
        # No program: no code cell parsed (or none at all); count constructions cell by cell.
        try:
            cells = _notebook_cells(text)
        except Exception:
            cells = []
        for index, source in cells:
            try:
                module = cst.parse_module(source)
            except Exception:
                _unparsed_cells(report, rel, text, nb.findings, only=index)
                continue
            for call in collect(module).calls:
                reason = errors[0].message if errors else ""
                report.calls.append(Call(f"{rel}:cell {index}:{call.line}", call.kind,
                                         "left" if reason else "silent", reason, _snippet(module, call.node)))
        return report
    program, result = captured["program"], captured["result"]
    try:
        module = cst.parse_module(program)
    except Exception as exc:
        report.error = f"joined program does not parse: {_one_line(exc)}"
        return report
    try:
        out_module = cst.parse_module(result.code)
    except Exception:
        out_module = None
    locate = _program_locator(program, nb.findings, text)

    def label(line: int) -> str:
        cell, in_cell = locate(line)
        return f"{rel}:cell {cell}:{in_cell}" if cell is not None else f"{rel}:program line {line}"

    _classify(report, label, module, result, out_module)
    _unparsed_cells(report, rel, text, nb.findings)
    if errors and nb.text == text and result.code != program:
        # The engine migrated, but the notebook writer refused: nothing was actually migrated.
        for call in report.calls:
            if call.status == "migrated":
                call.status, call.reason = "left", errors[0].message
    again = migrate_notebook(nb.text, lambda code: _migrate(code, path=str(path)), path=str(path))
    report.fixed_point = "ok" if again.text == nb.text else "FAIL: a second run changes the notebook"
    report._before, report._after = text, nb.text  # type: ignore[attr-defined]
    return report


def _unparsed_cells(report: FileReport, rel: str, text: str, findings, only: int | None = None) -> None:
    """Constructions in cells the notebook reader could not parse (they are not in the program)."""
    broken = {f.cell: f.message for f in findings if f.cell is not None and f.message.startswith("cell does not parse")}
    for index, source in _notebook_cells(text):
        if index not in broken or (only is not None and index != only):
            continue
        for line, kind, snippet in textual_calls(source):
            report.calls.append(Call(f"{rel}:cell {index}:{line}", kind, "left", broken[index],
                                     snippet + "  [textual count: the cell does not parse]"))


# --- the oracle, in a subprocess ----------------------------------------------------------------


class _DropPrints(cst.CSTTransformer):
    """`print(...)` statements become `pass`: they submit nothing, and the offline stand-ins do not
    answer every property public code prints (`ws.location`, `compute.get_status().serialize()`)."""

    def leave_Expr(self, original, updated):
        value = updated.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "print":
            return cst.Pass()
        return updated


def oracle_source(code: str, drop_prints: bool) -> str:
    if not drop_prints:
        return code
    try:
        return cst.parse_module(code).visit(_DropPrints()).code
    except Exception:
        return code


def _failure(exc: BaseException, filename: str) -> str:
    """One line: the exception and the line of the program that raised it."""
    import traceback

    cause = exc.__cause__ or exc
    frames = [f for f in traceback.extract_tb(cause.__traceback__) if f.filename == filename]
    where = f" at line {frames[-1].lineno}" if frames else ""
    return f"{_one_line(cause if exc.__cause__ else exc)} ({type(cause).__name__}{where})"


def _failing_line(exc: BaseException, filename: str, code: str) -> str:
    import traceback

    cause = exc.__cause__ or exc
    frames = [f for f in traceback.extract_tb(cause.__traceback__) if f.filename == filename]
    if not frames:
        return ""
    lines = code.splitlines()
    n = frames[-1].lineno or 0
    return f": `{_one_line(lines[n - 1], 100)}`" if 0 < n <= len(lines) else ""


_SIBLING = re.compile(r"^(?:\./)?[\w][\w.\-/]*\.(?:py|ipynb|ya?ml|json|txt|csv|sh|cfg|r|R)$")


def sibling_files(code: str) -> list[str]:
    """Relative file names the program mentions (`'pytorch_train.py'`, `'./dummy_train.py'`): the
    files next to a public notebook that the held-out set does not carry."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SIBLING.match(node.value):
            if ".." not in node.value.split("/"):
                names.add(node.value)
    return sorted(names)


def _execute_prefix(code: str, filename: str, workdir: str, patch=None):
    """estimig.oracle.execute, except that a program that stops part way (the stand-ins do not
    answer everything public code asks after submitting) still yields what it submitted up to there,
    with the error. Exceptions other than the program's own failure propagate."""
    import contextlib

    from estimig.assumptions import resolve
    from estimig.offline import offline_sdk
    from estimig.oracle import _ASSUMED, ExecutionFailed, _offline_pipelines, _run, normalize, serialize, submitted_configs

    _ASSUMED.set(resolve(ASSUMED_IN_WORKER))
    with offline_sdk() as session, _offline_pipelines(), (patch() if patch else contextlib.nullcontext()):
        error = None
        try:
            _run(code, filename, workdir, session)
        except ExecutionFailed as exc:
            error = exc
        return [normalize(serialize(config)) for config in submitted_configs(session)], error


def _world_stand_ins() -> None:
    """What public notebooks reach for before they submit, answered the same way for the original
    and the migrated program (so a comparison stays fair): downloads write empty files, web pages
    are empty, a module that is not installed (matplotlib, a helper next to the original) is a
    do-anything stand-in, and registering or creating a workspace or environment stays offline."""
    import importlib.machinery
    import types
    import urllib.request
    from unittest import mock

    def retrieve(url, filename=None, *args, **kwargs):
        filename = filename or os.path.basename(url) or "download"
        os.makedirs(os.path.dirname(filename) or ".", exist_ok=True)
        open(filename, "wb").close()
        return filename, {}

    urllib.request.urlretrieve = retrieve

    class _Anything(mock.MagicMock):
        pass

    class _Missing:  # a meta path finder and its loader
        def find_spec(self, name, path=None, target=None):
            # Last on sys.meta_path: reached only when nothing installed has the module; and only for
            # the program's own imports (libraries probe optional modules and must see them missing).
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
                frame = frame.f_back
            if frame is None or frame.f_code.co_filename not in ("before.py", "after.py"):
                return None
            return importlib.machinery.ModuleSpec(name, self, is_package=True)

        def create_module(self, spec):
            module = _Anything(name=spec.name)
            module.__path__, module.__spec__, module.__name__ = [], spec, spec.name
            return module

        def exec_module(self, module):
            pass

    sys.meta_path.append(_Missing())
    try:
        import requests

        requests.get = lambda *a, **k: types.SimpleNamespace(text="", content=b"", status_code=200, json=lambda: {})
    except ImportError:
        pass
    from azureml.core import Environment, Workspace

    Environment.register = lambda self, *a, **k: self
    Workspace.create = staticmethod(lambda *a, **k: Workspace.from_config())
    Workspace._get_or_create = staticmethod(lambda *a, **k: Workspace.from_config())


def _oracle_worker() -> None:
    """Read {before, after} from stdin, print {status, detail} as JSON on stdout."""
    job = json.loads(sys.stdin.read())
    from estimig.oracle import compare, reruns

    ASSUMED_IN_WORKER[:] = job.get("assume", [])

    _world_stand_ins()  # azureml.widgets is estimig.offline's own stand-in

    status, detail = "could-not-run", ""
    with tempfile.TemporaryDirectory(prefix="estimig-reach-") as workdir:
        os.makedirs(os.path.join(workdir, "src"), exist_ok=True)
        with open(os.path.join(workdir, "src", "train.py"), "w") as f:
            f.write("print('train')\n")
        for name in sibling_files(job["before"]):  # empty stand-ins for the files beside the original
            target = os.path.join(workdir, name)
            if not os.path.exists(target):
                os.makedirs(os.path.dirname(target) or workdir, exist_ok=True)
                open(target, "w").close()
        if job.get("target") == "v2":
            status, detail = _oracle_v2(job, workdir)
            sys.stdout.write("\n" + json.dumps({"status": status, "detail": detail}))
            return
        try:
            before, before_error = _execute_prefix(job["before"], "before.py", workdir)
        except BaseException as exc:  # noqa: BLE001 - any failure of public code is "could not run"
            detail = f"original: {_failure(exc, 'before.py')}{_failing_line(exc, 'before.py', job['before'])}"
        else:
            try:
                after, after_error = _execute_prefix(job["after"], "after.py", workdir)
            except BaseException as exc:  # noqa: BLE001
                detail = f"migrated: {_failure(exc, 'after.py')}{_failing_line(exc, 'after.py', job['after'])}"
            else:
                stopped = ""
                if before_error is not None:
                    stopped = (f"the original stops: {_failure(before_error, 'before.py')}"
                               f"{_failing_line(before_error, 'before.py', job['before'])}")
                if after_error is not None and before_error is None:
                    detail = (f"only the migrated program fails: {_failure(after_error, 'after.py')}"
                              f"{_failing_line(after_error, 'after.py', job['after'])}")
                    status = "DIFF"
                elif not before and job.get("actions"):
                    status, detail = _oracle_as_aml_run(job, workdir)
                elif not before:
                    detail = "the original submits and constructs nothing" + (f" before it stops ({stopped})" if stopped else
                                                                               " when run as a program")
                else:
                    differences = compare(before, after)
                    if differences and len(before) == len(after):  # the rerun normalizations (oracle.check)
                        alternatives = [_execute_prefix(job["before"], "before.py", workdir, patch)[0]
                                        for patch in reruns()]
                        differences = compare(before, after, *alternatives)
                    if differences:
                        status, detail = "DIFF", " | ".join(differences[:6])
                        if stopped:
                            detail += f" [jobs before the stop; {stopped}]"
                    elif stopped:
                        status, detail = "PASS-prefix", f"{len(before)} job(s) equal before the stop; {stopped}"
                    else:
                        status, detail = "PASS", f"{len(before)} job(s) equal"
    sys.stdout.write("\n" + json.dumps({"status": status, "detail": detail}))


def _oracle_as_aml_run(job: dict, workdir: str) -> tuple[str, str]:
    """A run-configuration script that builds nothing as a program: run both as the repository's
    aml-run step runs them (estimig/actions.py), each function's result submitted."""
    from estimig.oracle import compare, execute

    found, jobs = [], 0
    for action in job["actions"]:
        try:
            before = execute(job["before"], "before.py", workdir, action=action)
            after = execute(job["after"], "after.py", workdir, action=action)
        except Exception as exc:  # noqa: BLE001 - any failure of public code is "could not run"
            return "could-not-run", f"run by the aml-run action ({action}()): {_one_line(str(exc))}"
        jobs += len(before)
        found += [f"{action}(): {d}" for d in compare(before, after)]
    if found:
        return "DIFF", " | ".join(found[:6])
    return "PASS", f"{jobs} job(s) equal, each of {', '.join(job['actions'])}() called with the workspace and its result submitted, as an aml-run step (or the caller estimator-handoff assumes) does"


def _oracle_v2(job: dict, workdir: str) -> tuple[str, str]:
    """--target v2: the v2 oracle's own check (the v1 original's job essences against the v2
    program's); a program that stops before it submits could not run (no prefix comparison)."""
    from estimig.oracle import ExecutionFailed
    from estimig.oracle_v2 import check

    mixed = False
    try:
        try:
            differences = check(job["before"], job["after"], workdir, require_jobs=True, assume=job.get("assume", []))
        except ExecutionFailed as exc:
            if "through SDK v1" not in str(exc):
                raise
            # Some calls were left as they were: each job, v1 or v2, against the original's in order.
            mixed = True
            differences = check(job["before"], job["after"], workdir, require_jobs=True, assume=job.get("assume", []),
                                mixed=True)
    except Exception as exc:  # noqa: BLE001 - any failure of public code (ExecutionFailed too) is "could not run"
        return "could-not-run", _one_line(str(exc))
    if differences:
        return "DIFF", " | ".join(differences[:6])
    return "PASS", "job essences equal" + (" (the calls left as they were still submit through v1)" if mixed else "")


def run_oracle(before: str, after: str, drop_prints: bool = True, actions=()) -> tuple[str, str]:
    before, after = oracle_source(before, drop_prints), oracle_source(after, drop_prints)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--_oracle-worker"],
                              input=json.dumps({"before": before, "after": after, "assume": sorted(OPTIONS.assume) if OPTIONS else [],
                                                "target": OPTIONS.target if OPTIONS else "v1", "actions": list(actions)}), capture_output=True,
                              text=True, timeout=ORACLE_TIMEOUT_S, env=env, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return "could-not-run", f"timed out after {ORACLE_TIMEOUT_S}s"
    last = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    try:
        answer = json.loads(last[0])
        return answer["status"], answer["detail"]
    except Exception:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return "could-not-run", f"oracle worker failed (rc {proc.returncode}): {_one_line(tail)}"


def oracle_for(report: FileReport, use_oracle: bool, drop_prints: bool = True) -> None:
    if not use_oracle or not any(c.status == "migrated" for c in report.calls) or not report.changed:
        return
    before, after = report._before, report._after  # type: ignore[attr-defined]
    if report.kind == "ipynb":
        try:
            before, after = oracle_program(before), oracle_program(after)
        except Exception as exc:
            report.oracle, report.oracle_detail = "could-not-run", f"notebook program: {_one_line(exc)}"
            return
    report.oracle, report.oracle_detail = run_oracle(before, after, drop_prints, getattr(report, "_actions", ()))


# --- the whole directory ------------------------------------------------------------------------


def measure(root: Path, use_oracle: bool = True, drop_prints: bool = True) -> list[FileReport]:
    reports = []
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".py", ".ipynb"))
    for path in files:
        rel = str(path.relative_to(root))
        try:
            report = measure_ipynb(path, rel) if path.suffix.lower() == ".ipynb" else measure_py(path, rel)
        except Exception as exc:  # the measurement must never crash on one file
            report = FileReport(rel, path.suffix.lstrip(".").lower(), error=f"measurement failed: {_one_line(repr(exc))}")
        try:
            oracle_for(report, use_oracle, drop_prints)
        except Exception as exc:
            report.oracle, report.oracle_detail = "could-not-run", f"measurement failed: {_one_line(repr(exc))}"
        reports.append(report)
    return reports


def summarise(reports: list[FileReport]) -> dict:
    calls = [c for r in reports for c in r.calls]
    by_status = collections.Counter(c.status for c in calls)
    reasons: dict[str, dict] = {}
    for c in calls:
        if c.status != "left":
            continue
        parts = [f"[{concern}] {reason}" for concern, reason in dict.fromkeys(c.blocked)] or [c.reason]
        for part in parts:
            key = normalise_reason(part)
            entry = reasons.setdefault(key, {"reason": key, "count": 0, "example": c.where,
                                             "example_message": _one_line(part, 300), "snippet": c.snippet})
            entry["count"] += 1
    left_calls = collections.Counter(normalise_reason(c.reason) for c in calls if c.status == "left")
    oracle = collections.Counter(r.oracle for r in reports)
    total = len(calls)
    return {
        "files": len(reports),
        "py_files": sum(r.kind == "py" for r in reports),
        "ipynb_files": sum(r.kind == "ipynb" for r in reports),
        "files_with_constructions": sum(bool(r.calls) for r in reports),
        "files_not_readable_or_parseable": [f"{r.path}: {r.error}" for r in reports if r.error],
        "constructions": total,
        "migrated": by_status["migrated"],
        "migrated_pct": round(100.0 * by_status["migrated"] / total, 1) if total else 0.0,
        "left": by_status["left"],
        "silent": by_status["silent"],
        "silent_calls": [f"{c.where}: {c.kind}: {c.snippet}" for c in calls if c.status == "silent"],
        "engine_counts": {"migrated": sum(r.migrated for r in reports), "left": sum(r.left for r in reports),
                          "assumed": sum(r.assumed for r in reports)},
        "files_fully_migrated": sum(bool(r.calls) and all(c.status == "migrated" for c in r.calls) for r in reports),
        "fixed_point_failures": [f"{r.path}: {r.fixed_point}" for r in reports if r.fixed_point.startswith("FAIL")],
        "oracle": {k: oracle.get(k, 0) for k in ("PASS", "PASS-prefix", "DIFF", "could-not-run")},
        "oracle_diffs": [f"{r.path}: {r.oracle_detail}" for r in reports if r.oracle == "DIFF"],
        "oracle_could_not_run": [f"{r.path}: {r.oracle_detail}" for r in reports if r.oracle == "could-not-run"],
        "oracle_pass": [f"{r.path}: {r.oracle_detail}" for r in reports if r.oracle == "PASS"],
        "oracle_pass_prefix": [f"{r.path}: {r.oracle_detail}" for r in reports if r.oracle == "PASS-prefix"],
        "outputs_naming_a_private_registry": [r.path for r in reports if PRIVATE_REGISTRY in getattr(r, "_after", "")
                                              and PRIVATE_REGISTRY not in getattr(r, "_before", "")],
        "refusal_reasons": sorted(reasons.values(), key=lambda e: (-e["count"], e["reason"])),
        "left_calls_by_whole_message": left_calls.most_common(),
    }


def print_summary(summary: dict, reports: list[FileReport], top: int, out=sys.stdout) -> None:
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"files: {summary['files']} ({summary['py_files']} .py, {summary['ipynb_files']} .ipynb); "
      f"with estimator constructions: {summary['files_with_constructions']}")
    p(f"not readable / not parseable: {len(summary['files_not_readable_or_parseable'])}")
    for line in summary["files_not_readable_or_parseable"]:
        p(f"  {line}")
    p(f"constructions: {summary['constructions']}")
    p(f"  migrated: {summary['migrated']} ({summary['migrated_pct']}%)")
    p(f"  left with a finding: {summary['left']}")
    p(f"  SILENT (no migration, no finding): {summary['silent']}")
    for line in summary["silent_calls"]:
        p(f"    {line}")
    p(f"  (engine's own counts: migrated {summary['engine_counts']['migrated']}, of them on assumptions "
      f"{summary['engine_counts']['assumed']}, left {summary['engine_counts']['left']})")
    p(f"files fully migrated: {summary['files_fully_migrated']}")
    p(f"outputs naming a private registry ({PRIVATE_REGISTRY}) the original did not: "
      f"{len(summary['outputs_naming_a_private_registry'])}")
    for line in summary["outputs_naming_a_private_registry"]:
        p(f"  {line}")
    p(f"fixed-point failures: {len(summary['fixed_point_failures'])}")
    for line in summary["fixed_point_failures"]:
        p(f"  {line}")
    o = summary["oracle"]
    p(f"oracle (files with a migration): PASS {o['PASS']}, PASS-prefix {o['PASS-prefix']} (equal up to where the "
      f"program stops offline), DIFF {o['DIFF']}, could-not-run {o['could-not-run']}")
    for key, title in (("oracle_diffs", "DIFF"), ("oracle_could_not_run", "could-not-run"), ("oracle_pass", "PASS"),
                       ("oracle_pass_prefix", "PASS-prefix")):
        for line in summary[key]:
            p(f"  {title}: {line}")
    p("")
    p(f"refusal reasons ([concern] reason, each blocking reason of a left call counted once), top {top}:")
    for i, entry in enumerate(summary["refusal_reasons"][:top], 1):
        p(f"{i:3}. {entry['count']:4}  {entry['reason']}")
        p(f"           e.g. {entry['example']}: {entry['example_message']}")
        p(f"           call: {entry['snippet']}")
    p("")
    p("per file: constructions migrated/left/silent, fixed point, oracle")
    for r in reports:
        counts = collections.Counter(c.status for c in r.calls)
        p(f"  {r.path}: {len(r.calls)} -> {counts['migrated']}/{counts['left']}/{counts['silent']}; "
          f"fixed point {r.fixed_point}; oracle {r.oracle}{(' (' + _one_line(r.oracle_detail, 120) + ')') if r.oracle_detail else ''}"
          f"{('; ERROR ' + r.error) if r.error else ''}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_oracle-worker"]:
        _oracle_worker()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--json", type=Path, help="write the numbers (and every call) to this file")
    parser.add_argument("--no-oracle", action="store_true", help="skip the oracle runs")
    parser.add_argument("--keep-prints", action="store_true",
                        help="run the oracle on the programs as they are (by default print(...) statements "
                             "become `pass` on both sides, as the stand-ins do not answer everything printed)")
    parser.add_argument("--top", type=int, default=25, help="how many refusal reasons to print")
    parser.add_argument("--environment", default="explicit", choices=("explicit", "cached-image", "curated"),
                        help="the engine's --environment (cached-image: the environments of before the full build)")
    parser.add_argument("--assume", action="append", default=[], metavar="NAME",
                        help="migrate with this named assumption (repeatable, or 'all'), as estimig --assume")
    parser.add_argument("--target", default="v1", choices=("v1", "v2"),
                        help="as estimig --target (v2: the v2 oracle checks each migrated file)")
    args = parser.parse_args(argv)
    global OPTIONS
    from estimig.options import Options

    OPTIONS = Options.create(environment=args.environment, assume=args.assume, target=args.target)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a directory")
    started = time.monotonic()
    reports = measure(args.directory, use_oracle=not args.no_oracle, drop_prints=not args.keep_prints)
    summary = summarise(reports)
    summary["seconds"] = round(time.monotonic() - started, 1)
    print_summary(summary, reports, args.top)
    if args.json:
        data = dict(summary, reports=[{k: v for k, v in asdict(r).items()} for r in reports])
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if summary["silent"] or summary["fixed_point_failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
