"""estimig.analysis and estimig.positions answer what LibCST's metadata providers answer.

estimig replaced ParentNodeProvider, ScopeProvider, QualifiedNameProvider and PositionProvider
with one walk and one counting code generation (docs/performance.md). These tests compare both,
node by node, on every fixture, on real SDK modules, and on generated programs that mix every
scoping construct (nested functions and classes, comprehensions, global/nonlocal, imports,
rebinding before and after reads).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import os
import re
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import (MetadataWrapper, ParentNodeProvider, PositionProvider, QualifiedNameProvider,
                             ScopeProvider)
from libcst.metadata.base_provider import LazyValue

from estimig.analysis import SOURCE_ORDER, Analysis, _structural_fields, root_name
from estimig.positions import Positions
from estimig.values import literal

REPO = Path(__file__).resolve().parent.parent
FIXTURES = sorted(str(p) for p in (REPO / "fixtures").glob("*/*/*.py"))
EXAMPLES = int(os.environ.get("ESTIMIG_PROPERTY_EXAMPLES", "60"))


def _sdk_modules() -> list[str]:
    """A few real modules of the SDK estimig migrates from: large, with every construct in use."""
    found = []
    for module in ("azureml.train.estimator._estimator", "azureml.train.dnn._pytorch", "azureml.train._estimator_helper",
                   "azureml.core.script_run_config", "azureml.train.hyperdrive.runconfig"):
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            found.append(spec.origin)
    return found


def differences(code: str) -> list[str]:
    """Every point where estimig's answers differ from LibCST's, as readable lines."""
    module = cst.parse_module(code)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    metadata = wrapper.resolve_many((PositionProvider, ParentNodeProvider, ScopeProvider, QualifiedNameProvider))
    analysis, positions = Analysis(module), Positions(module)
    found = []

    def say(what, node, theirs, ours):
        found.append(f"{what} of {type(node).__name__} {module.code_for_node(node)[:40]!r}: libcst {theirs}, estimig {ours}")

    for node, span in metadata[PositionProvider].items():
        if isinstance(node, (cst.Name, cst.Call, cst.Attribute, cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            ours = positions.span(node) if node in positions else None
            theirs = (span.start.line, span.start.column)
            if ours is None or (ours.start.line, ours.start.column) != theirs:
                say("start", node, theirs, ours and (ours.start.line, ours.start.column))
            elif isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and ours.end.line != span.end.line:
                say("end line", node, span.end.line, ours.end.line)
    for node, parent in metadata[ParentNodeProvider].items():
        if isinstance(node, (cst.BaseExpression, cst.BaseStatement, cst.BaseSmallStatement, cst.Arg, cst.AssignTarget)):
            if analysis.parents.get(node) is not parent:
                say("parent", node, type(parent).__name__, type(analysis.parents.get(node)).__name__)
    for node, value in metadata[QualifiedNameProvider].items():
        if isinstance(node, (cst.Name, cst.Attribute, cst.Call)):
            root = root_name(node)
            if root is None or root not in analysis.scopes:
                continue  # names estimig never asks about: attribute names, keywords, import aliases
            theirs = {q.name for q in (value() if isinstance(value, LazyValue) else value)}
            ours = analysis.qualified_names(node)
            if theirs != ours and not (not theirs and _star_bound(analysis, root)):
                say("qualified names", node, sorted(theirs), sorted(ours))
    ours_refs = {}
    for scope in analysis.all_scopes:
        for bindings in scope.bindings.values():
            for binding in bindings:
                if isinstance(binding.node, cst.Name):
                    ours_refs[binding.node] = {id(r) for r in binding.references if isinstance(r, cst.Name)}
    for scope in {s for s in metadata[ScopeProvider].values() if s is not None}:
        for assignment in scope.assignments:
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Name):
                theirs = {id(r.node) for r in assignment.references if isinstance(r.node, cst.Name)}
                if ours_refs.get(node) != theirs:
                    say("references", node, len(theirs), len(ours_refs.get(node, ())))
    return found


def _star_bound(analysis: Analysis, root: cst.Name) -> bool:
    """The second deliberate difference (estimig.analysis docstring): a name bound only by a star
    import of an SDK module has the qualified name the star import table gives it; LibCST has none."""
    bindings = analysis.scopes[root].lookup(root.value)
    return bool(bindings) and all(isinstance(b.node, cst.ImportFrom) and isinstance(b.node.names, cst.ImportStar)
                                  for b in bindings)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: os.path.relpath(p, REPO / "fixtures"))
def test_fixture_answers_match_libcst(path):
    assert differences(Path(path).read_text(encoding="utf-8")) == []


def test_sdk_module_answers_match_libcst():
    modules = _sdk_modules()
    assert modules, "azureml-train-core is a test dependency"
    for path in modules:
        assert differences(Path(path).read_text(encoding="utf-8")) == [], path


# -- generated programs ----------------------------------------------------------------------
NAMES = st.sampled_from(["a", "b", "est", "Estimator", "dnn"])
IMPORTS = st.sampled_from([
    "from azureml.train.estimator import Estimator",
    "from azureml.train.estimator import Estimator as {n}",
    "import azureml.train.dnn as {n}",
    "import azureml.train.estimator",
    "import azureml",
    "from azureml.train import dnn",
])


@st.composite
def expressions(draw, depth: int = 0) -> str:
    n = draw(NAMES)
    options = [
        n,
        f"{n}.x",
        f"{n}({draw(NAMES)})",
        f"azureml.train.estimator.Estimator({n})",
        f"dnn.PyTorch({n})",
        f"[{n} for {draw(NAMES)} in {draw(NAMES)} if {draw(NAMES)}]",
        f"{{{n}: {draw(NAMES)} for {n} in {draw(NAMES)}}}",
        f"(lambda {n}: {draw(NAMES)})",
        f"({n} := {draw(NAMES)})",
        f"{n}[{draw(NAMES)}]",
    ]
    if depth < 2:
        options.append(f"{n}({draw(expressions(depth + 1))}, k={draw(expressions(depth + 1))})")
    return draw(st.sampled_from(options))


@st.composite
def blocks(draw, indent: str = "", depth: int = 0, in_function: bool = False) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        n = draw(NAMES)
        kinds = ["assign", "expr", "import", "augassign", "for", "del", "with", "try", "attr"]
        if depth < 3:
            kinds += ["def", "class"]
        if in_function:
            kinds += ["global", "nonlocal"]
        kind = draw(st.sampled_from(kinds))
        if kind == "assign":
            lines.append(f"{indent}{n} = {draw(expressions())}")
        elif kind == "expr":
            lines.append(f"{indent}{draw(expressions())}")
        elif kind == "import":
            lines.append(indent + draw(IMPORTS).format(n=n))
        elif kind == "augassign":
            lines.append(f"{indent}{n} += {draw(expressions())}")
        elif kind == "attr":
            lines.append(f"{indent}{n}.x = {draw(expressions())}")
        elif kind == "del":
            lines.append(f"{indent}del {n}")
        elif kind == "for":
            lines.append(f"{indent}for {n}, {draw(NAMES)} in {draw(expressions())}:")
            lines += draw(blocks(indent + "    ", depth + 1, in_function))
        elif kind == "with":
            lines.append(f"{indent}with {draw(expressions())} as {n}:")
            lines += draw(blocks(indent + "    ", depth + 1, in_function))
        elif kind == "try":
            lines.append(f"{indent}try:")
            lines += draw(blocks(indent + "    ", depth + 1, in_function))
            lines.append(f"{indent}except {draw(NAMES)} as {n}:")
            lines += draw(blocks(indent + "    ", depth + 1, in_function))
        elif kind in ("global", "nonlocal"):
            lines.append(f"{indent}{kind} {n}")
        elif kind == "def":
            lines.append(f"{indent}@{draw(NAMES)}")
            lines.append(f"{indent}def {n}({draw(NAMES)}x, *, k={draw(NAMES)}) -> {draw(NAMES)}:")
            lines += draw(blocks(indent + "    ", depth + 1, True))
        else:
            lines.append(f"{indent}class {n}({draw(NAMES)}):")
            lines += draw(blocks(indent + "    ", depth + 1))
    return lines


@settings(max_examples=EXAMPLES, deadline=None)
@given(blocks())
def test_generated_programs_match_libcst(lines):
    code = "\n".join(lines) + "\n"
    try:
        cst.parse_module(code)
    except cst.ParserSyntaxError:
        return  # the generator may write a shape the grammar rejects; there is nothing to compare
    assert differences(code) == [], code


# -- the tables the walk relies on -------------------------------------------------------------
def test_source_order_table_follows_libcst():
    """A node's children are walked in the order LibCST visits them (its source order): the walk
    uses dataclass field order except where SOURCE_ORDER says otherwise."""
    wrong = []
    for cls in vars(cst).values():
        if not (inspect.isclass(cls) and issubclass(cls, cst.CSTNode) and dataclasses.is_dataclass(cls)) \
                or inspect.isabstract(cls):
            continue
        try:
            source = inspect.getsource(cls._visit_and_replace_children)
        except (OSError, TypeError):
            continue
        fields = _structural_fields(cls)
        visited = list(dict.fromkeys(f for f in re.findall(r'visit_\w+\(\s*self,\s*"(\w+)"', source) if f in fields))
        if visited != [f for f in fields if f in visited]:
            wrong.append(f"{cls.__name__}: LibCST visits {visited}, estimig walks {list(fields)}")
    assert wrong == [], "add these to estimig.analysis.SOURCE_ORDER"
    assert all(SOURCE_ORDER)


LITERALS = ["1", "-1", "1_000", "0x1F", "1.5", "1e3", "2j", "1+2j", "'a'", '"a" "b"', "b'x'", "r'\\n'", "'\\n'",
            "None", "True", "False", "x", "[1, 'a', None]", "(1,)", "()", "(1)", "[1, [2, (3, {4: 5})]]",
            "{1: 2, 1: 3}", "{1, 2, 1}", "{[1]: 2}", "{[1], 2}", "[1, *x]", "{**x}", "{}", "[]", "f'x'",
            "f'{x}'", "'a' f'{x}'", "set()", "set([1])", "-x", "1 + 2", "(1, x)", "{'a': f()}", "[1,]", "(\n  1,\n  2,\n)", "x.y", "len(x)", "-'a'", "[True, -0.5]"]


@pytest.mark.parametrize("code", LITERALS)
def test_literal_agrees_with_ast_literal_eval(code):
    try:
        expected = (True, ast.literal_eval(code))
    except (ValueError, SyntaxError, TypeError):
        expected = (False, None)
    assert literal(cst.parse_expression(code)) == expected


# -- output splicing ---------------------------------------------------------------------------
def _variants(code: str) -> list[str]:
    """The fixture as written, and shapes of file the splice must treat like LibCST does: no final
    newline, Windows line endings, comments above the first and below the last statement."""
    return [code, code.rstrip("\n"), code.replace("\n", "\r\n"), "# header\n\n" + code + "\n# footer\n",
            code.rstrip("\n") + "  # trailing comment"]


@pytest.mark.parametrize("path", [p for p in FIXTURES if p.endswith("before.py")],
                         ids=lambda p: os.path.relpath(p, REPO / "fixtures"))
def test_spliced_output_equals_generated_output(path):
    from estimig.assemble import assemble, render
    from estimig.engine import decide, default_options, stray_comments
    from estimig.facts import collect

    for code in _variants(Path(path).read_text(encoding="utf-8")):
        facts = collect(cst.parse_module(code))
        if not facts.calls and not facts.stray:
            continue
        module = assemble(facts, [decide(call, default_options()) for call in facts.calls], stray_comments(facts.stray))
        assert render(facts, module, code) == module.code


def test_match_captures_bind_names_as_in_python():
    """The one place estimig parts from LibCST on purpose (estimig.analysis docstring): a capture
    rebinds the name, so a value assigned before a `match` is no longer provably the one read after."""
    from estimig.facts import collect

    code = ("from azureml.train.estimator import Estimator\n"
            "args = {'--lr': 0.1}\n"
            "match cfg:\n"
            "    case {'args': args}:\n"
            "        pass\n"
            "est = Estimator('src', script_params=args)\n")
    module = cst.parse_module(code)
    analysis = Analysis(module)
    assert [type(b.node).__name__ for b in analysis.all_scopes[0].bindings["args"]] == ["Name", "Name"]
    call = collect(module).calls[0]
    assert call.resolve(call.kwargs["script_params"].value) is None


def test_star_imports_of_sdk_modules_bind_their_public_names():
    """The second deliberate difference (estimig.analysis docstring): LibCST binds nothing for a star
    import; estimig binds an SDK module's public names (estimig/data/star_imports.json), each as
    `from M import name` would, and binds nothing for any other module, but records it."""
    code = ("from azureml.train.estimator import *\n"
            "from helpers import *\n"
            "est = Estimator('src')\n"
            "other = Helper()\n")
    module = cst.parse_module(code)
    analysis = Analysis(module)
    calls = [n for n in analysis.calls_and_classes if isinstance(n, cst.Call)]
    assert [analysis.qualified_names(call.func) for call in calls] == [{"azureml.train.estimator.Estimator"}, set()]
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    names = wrapper.resolve(QualifiedNameProvider)
    assert [{q.name for q in (v() if isinstance(v, LazyValue) else v)} for v in (names[call.func] for call in calls)] \
        == [set(), set()]
    assert [analysis.unseen_star(call.func) for call in calls] == ["helpers", "helpers"]
