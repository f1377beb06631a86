"""One walk over a module: parents, scopes, bindings and references.

LibCST's metadata providers (parents, scopes, qualified names) cost about 20 times a parse of the
same file (docs/performance.md); estimig asks only a few questions of a module, so it answers them
from this single walk instead. The semantics follow Python's scoping rules as LibCST's ScopeProvider
models them, and tests/test_analysis.py compares both on every fixture and on real-world files:

- a function, lambda, class body and comprehension each make a scope; a name bound anywhere in a
  function is local to all of it; class scopes are invisible to the scopes nested in them;
- order counts only within one scope: a read sees the bindings of its own scope made before it (in
  source order, loops not followed) and, when there are none, the enclosing scope's; a read from a
  nested scope sees every binding;
- `global` / `nonlocal` send bindings and lookups to the module / enclosing scope;
- `import a.b.c` binds `a`, `a.b` and `a.b.c`, so `a.b.c.X` resolves through the longest bound prefix;
- names nobody binds resolve to builtins when Python has them, else to nothing.

Two deliberate differences, both where LibCST has no binding to offer:

- a `match` capture (`case P() as x`, `case [*rest]`) binds its name, as in Python; LibCST reads it
  as a use of a name nobody bound. A rebinding estimig cannot see through is one more reason to
  leave a value alone, never a reason to guess;
- a star import of an SDK module (`from azureml.train.estimator import *`) binds that module's
  public names, read from estimig/data/star_imports.json (generated from the installed SDK by
  scripts/generate_public_names.py), each as `from M import name` would; LibCST binds nothing for a
  star import. A star import of any other module (not in the table, relative, not azureml) binds
  nothing here either, but is recorded in `Analysis.unseen_stars`, so that a name that resolves to
  nothing, or a module-level name such a star import comes after and may rebind, is explained by it
  (`Analysis.unseen_star`) instead of passed over in silence.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import json
import re
from importlib import resources
from typing import Iterator, Mapping

import libcst as cst
from libcst.helpers import get_full_name_for_node

LOAD, STORE, DEL = 0, 1, 2

# Fields that only hold whitespace, punctuation and comments: never a name, never a statement.
_FORMATTING_FIELDS = frozenset({
    "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "leading_lines", "lines_after_decorators",
    "header", "footer", "trailing_whitespace", "comma", "semicolon", "equal", "dot", "relative", "colon",
    "first_line", "empty_lines", "last_line", "newline", "operator", "asynchronous", "star_tok",
})
# Where a node's dataclass fields are not in source order, the order LibCST visits them in (order
# matters: a read sees the bindings made before it). tests/test_analysis.py checks this table
# against LibCST's own visiting code.
SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.Arg: ("keyword", "value"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.SimpleStatementSuite: ("body",),
    cst.Slice: ("lower", "upper", "step"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.TypeAlias: ("name", "type_parameters", "value"),
}
_STRUCTURAL_FIELDS: dict[type, tuple[str, ...]] = {}


def _structural_fields(cls: type) -> tuple[str, ...]:
    fields = _STRUCTURAL_FIELDS.get(cls)
    if fields is None:
        fields = SOURCE_ORDER.get(cls) or tuple(
            f.name for f in dataclasses.fields(cls)
            if f.name not in _FORMATTING_FIELDS and not f.name.startswith("whitespace"))
        _STRUCTURAL_FIELDS[cls] = fields
    return fields


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The node's structural children (no whitespace or punctuation), much cheaper than `.children`."""
    for name in _STRUCTURAL_FIELDS.get(type(node)) or _structural_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif type(value) is tuple or type(value) is list:
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every structural node below `node`, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


def root_name(node: cst.CSTNode) -> cst.Name | None:
    """The name an expression's dotted name starts from (`a` in `a.b(c).d[0]`), as
    get_full_name_for_node reads it; None when it starts from anything else (a string, ...)."""
    while not isinstance(node, cst.Name):
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Subscript):
            node = node.value
        else:
            return None
    return node


class Binding:
    """One way a scope binds a name: an assignment target, import, def, class, parameter, ...

    `node` is the Name target, the Import/ImportFrom statement, the FunctionDef/ClassDef, or the
    Param; None for a builtin. `references` are the nodes that read the name and resolve here: a
    Name, or for a dotted import (`import a.b`) the Attribute `a.b` that uses it."""

    __slots__ = ("name", "scope", "node", "index", "_references")

    def __init__(self, name: str, scope: "Scope | None", node: cst.CSTNode | None, index: int = -1):
        self.name, self.scope, self.node, self.index = name, scope, node, index
        self._references: dict[cst.CSTNode, None] = {}

    @property
    def references(self) -> list[cst.CSTNode]:
        return list(self._references)

    def qualified_names(self, full_name: str) -> set[str]:
        if self.node is None:
            return {f"builtins.{self.name}"}
        if isinstance(self.node, (cst.Import, cst.ImportFrom)):
            return _import_qualified_names(self.node, full_name)
        prefix = self.scope.prefix
        return {f"{prefix}.{full_name}" if prefix else full_name}

    def __repr__(self) -> str:
        return f"Binding({self.name!r}, {type(self.node).__name__})"


class Scope:
    __slots__ = ("kind", "parent", "node", "prefix", "bindings", "declared", "count")

    def __init__(self, kind: str, parent: "Scope | None", node: cst.CSTNode, name: str | None = None):
        self.kind, self.parent, self.node = kind, parent, node
        self.bindings: dict[str, list[Binding]] = {}
        # `global x` -> module scope, `nonlocal x` -> the nearest enclosing function that binds x.
        self.declared: dict[str, str] = {}
        # Bindings and reads are numbered in source order within their scope (see the module doc).
        self.count = 0
        parent_prefix = parent.prefix if parent is not None else ""
        if kind == "function":
            own = ".".join(filter(None, (name, "<locals>")))
        elif kind == "class":
            own = name or ""
        elif kind == "comprehension":
            own = "<comprehension>"
        else:
            own = ""
        self.prefix = ".".join(filter(None, (parent_prefix, own)))

    @property
    def is_module(self) -> bool:
        return self.kind == "module"

    def module_scope(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def _visible_parent(self) -> "Scope | None":
        parent = self.parent
        while parent is not None and parent.kind == "class":
            parent = parent.parent
        return parent

    def binding_scope(self, name: str) -> "Scope":
        """The scope a binding of `name` made here belongs to."""
        declared = self.declared.get(name)
        if declared == "global":
            return self.module_scope()
        if declared == "nonlocal":
            parent = self._visible_parent()
            return parent.binding_scope(name) if parent is not None else self.module_scope()
        return self

    def lookup(self, name: str) -> list[Binding]:
        """Every binding a reference to `name` from this scope may see (builtins last)."""
        scope: Scope | None = self
        while scope is not None:
            declared = scope.declared.get(name)
            if declared == "global":
                scope = scope.module_scope()
            elif declared == "nonlocal":
                scope = scope._visible_parent()
                continue
            found = scope.bindings.get(name)
            if found:
                return found
            scope = scope._visible_parent()
        return _builtin(name)

    __getitem__ = lookup

    def __repr__(self) -> str:
        return f"Scope({self.kind}, {self.prefix!r})"


_BUILTINS: dict[str, list[Binding]] = {}


def _builtin(name: str) -> list[Binding]:
    if "." in name or not hasattr(builtins, name):
        return []
    found = _BUILTINS.get(name)
    if found is None:
        found = _BUILTINS[name] = [Binding(name, None, None)]
    return found


@functools.lru_cache(maxsize=None)
def star_imports() -> Mapping[str, Mapping]:
    """The SDK modules whose star import estimig can see into: module -> {"names": {name: qualified
    name}, "may_bind": [submodules]} (estimig/data/star_imports.json)."""
    text = resources.files("estimig").joinpath("data/star_imports.json").read_text(encoding="utf-8")
    return json.loads(text)["modules"]


def _star_module(node: cst.ImportFrom) -> str:
    """The module a star import reads from, as written (`.x` for a relative one)."""
    module = get_full_name_for_node(node.module) or "" if node.module is not None else ""
    return "." * len(node.relative) + module


def _import_qualified_names(node: cst.Import | cst.ImportFrom, full_name: str) -> set[str]:
    """`from a.b import c as d` + `d.e` -> `a.b.c.e`; `import a.b` + `a.b.c` -> `a.b.c`;
    `from azureml.train.estimator import *` + `Estimator` -> `azureml.train.estimator.Estimator`."""
    module = ""
    if isinstance(node, cst.ImportFrom):
        module = get_full_name_for_node(node.module) or "" if node.module is not None else ""
        if node.relative:
            module = "." * len(node.relative) + module
    if isinstance(node.names, cst.ImportStar):
        first, dot, rest = full_name.partition(".")
        real = star_imports().get(module, {}).get("names", {}).get(first) if not node.relative else None
        return {f"{real}{dot}{rest}"} if real else set()
    found = set()
    for alias in node.names:
        real = get_full_name_for_node(alias.name)
        if not real:
            continue
        parts = real.split(".")
        for size in range(len(parts), 0, -1):  # the longest imported prefix that full_name uses
            imported = ".".join(parts[:size])
            bound = imported
            if module.endswith("."):
                imported = f"{module}{imported}"
            elif module:
                imported = f"{module}.{imported}"
            if alias.asname is not None:
                bound = get_full_name_for_node(alias.asname.name) or bound
            if full_name == bound or full_name.startswith(bound + "."):
                rest = full_name[len(bound) + 1:]
                found.add(f"{imported}.{rest}" if rest else imported)
                break
    return found


def _dotted_import_names(alias: cst.ImportAlias) -> list[str]:
    if alias.asname is not None:
        return [get_full_name_for_node(alias.asname.name) or ""]
    full = get_full_name_for_node(alias.name) or ""
    parts = full.split(".")
    return [".".join(parts[:size]) for size in range(len(parts), 0, -1)]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Analysis:
    """Parents, scopes and bindings of one module, from one walk."""

    def __init__(self, module: cst.Module):
        self.module = module
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        # Scope of every Name that is read or bound, and of every Import/ImportFrom.
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.all_scopes: list[Scope] = []
        # Names read by a string annotation (`x: "Estimator"`): they keep an import alive.
        self.string_references: set[str] = set()
        # What each read (a Name, or the Attribute of a dotted import) may refer to.
        self.referents: dict[cst.CSTNode, list[Binding]] = {}
        # In source order, for the collector: every Call and ClassDef, and every Name or Attribute
        # that is an expression (not an attribute's name, keyword, import alias or definition).
        self.calls_and_classes: list[cst.CSTNode] = []
        self.expressions: list[cst.CSTNode] = []
        # Module-level star imports whose names estimig cannot see: (module as written, the names it
        # may bind or None for any name, its place among the module scope's bindings). A module in
        # the star import table binds its names instead; one that may also bind submodules (a
        # package without __all__) is listed here with them.
        self.unseen_stars: list[tuple[str, frozenset[str] | None, int]] = []
        self._reads: list[tuple[cst.Name, Scope, int]] = []
        self._dotted = False
        root = self._new_scope("module", None, module)
        self._walk_children(module, root)
        self._resolve_reads()

    # -- queries ------------------------------------------------------------------------------
    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """What an expression names, through the imports in scope: `dnn.PyTorch` with `import
        azureml.train.dnn as dnn` gives {"azureml.train.dnn.PyTorch"}; a local gives "f.<locals>.x"."""
        full = get_full_name_for_node(node)
        root = root_name(node)
        if not full or root is None:
            return set()
        scope = self.scopes.get(root)
        if scope is None:
            return set()
        referents = self.referents.get(node)
        if referents is not None:
            return {name for binding in referents for name in binding.qualified_names(binding.name)}
        prefix: str | None = full
        bindings: list[Binding] = []
        while prefix:
            bindings = scope.lookup(prefix)
            if bindings:
                break
            cut = prefix.rfind(".")
            prefix = prefix[:cut] if cut != -1 else None
        for binding in bindings:
            if binding.node is node:
                return binding.qualified_names(full)
        found: set[str] = set()
        for binding in bindings:
            found |= binding.qualified_names(full)
        return found

    def unseen_star(self, node: cst.CSTNode) -> str | None:
        """The module of a star import estimig cannot see into that may decide what an expression's
        first name is: it resolves to nothing (no binding, no builtin) and such a star import may
        bind it, or it resolves to module-level bindings and such a star import made after one of
        them may rebind it. None when no such star import is in the module."""
        root = root_name(node)
        if root is None or not self.unseen_stars:
            return None
        stars = [(module, index) for module, names, index in self.unseen_stars
                 if names is None or root.value in names]
        if not stars:
            return None
        if not self.qualified_names(node):
            return stars[0][0]
        scope = self.scopes.get(root)
        bindings = scope.lookup(root.value) if scope is not None else []
        if bindings and all(b.scope is not None and b.scope.is_module for b in bindings):
            for module, index in stars:
                if any(index > b.index for b in bindings):
                    return module
        return None

    # -- the walk -----------------------------------------------------------------------------
    def _new_scope(self, kind: str, parent: Scope | None, node: cst.CSTNode, name: str | None = None) -> Scope:
        scope = Scope(kind, parent, node, name)
        self.all_scopes.append(scope)
        return scope

    def _bind(self, scope: Scope, name: str, node: cst.CSTNode) -> None:
        target = scope.binding_scope(name) if scope.declared else scope
        target.bindings.setdefault(name, []).append(Binding(name, target, node, target.count))

    def _walk_children(self, node: cst.CSTNode, scope: Scope, context: int = LOAD) -> None:
        parents = self.parents
        for child in children(node):
            parents[child] = node
            self._walk(child, scope, context)

    def _walk(self, node: cst.CSTNode, scope: Scope, context: int = LOAD) -> None:
        kind = type(node)
        if kind is cst.Name:
            self.expressions.append(node)
            self.scopes[node] = scope
            if context == STORE:
                self._bind(scope, node.value, node)
            else:
                self._reads.append((node, scope, scope.count))
            return
        if kind is cst.Call or kind is cst.ClassDef:
            self.calls_and_classes.append(node)
        elif kind is cst.Attribute:
            self.expressions.append(node)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, node, scope, context)
        elif kind in _PASS_CONTEXT:
            self._walk_children(node, scope, context)
        else:
            self._walk_children(node, scope)
        if kind in _BINDING_NODES:
            scope.count += 1

    def _child(self, parent: cst.CSTNode, child: cst.CSTNode | None, scope: Scope, context: int = LOAD) -> None:
        if child is not None and isinstance(child, cst.CSTNode):
            self.parents[child] = parent
            self._walk(child, scope, context)

    def _children_of(self, parent: cst.CSTNode, nodes, scope: Scope, context: int = LOAD) -> None:
        for child in nodes:
            self._child(parent, child, scope, context)

    def _only_parents(self, node: cst.CSTNode) -> None:
        """Record parents below a node whose names are neither read nor bound (import aliases, ...)."""
        for child in children(node):
            self.parents[child] = node
            self._only_parents(child)

    # -- resolution ---------------------------------------------------------------------------
    def _resolve_reads(self) -> None:
        parents = self.parents
        for name, scope, index in self._reads:
            reference: cst.CSTNode = name
            key = name.value
            if self._dotted:
                # `import a.b` + `a.b.c`: the reference is to the binding `a.b`, by the Attribute `a.b`.
                chain = [name]
                parent = parents.get(name)
                while isinstance(parent, cst.Attribute) and parent.value is chain[-1]:
                    chain.append(parent)
                    parent = parents.get(parent)
                for attribute in reversed(chain[1:]):
                    dotted = get_full_name_for_node(attribute)
                    if dotted and scope.lookup(dotted):
                        reference, key = attribute, dotted
                        break
            visible = scope.lookup(key)
            referents = [b for b in visible if b.scope is not scope or b.index < index]
            if not referents and visible and scope.parent is not None:
                referents = scope.parent.lookup(key)
            elif not referents and visible:
                referents = _builtin(key)
            self.referents[reference] = referents
            for binding in visible:
                _attach(binding, reference, scope, index)
        self._reads = []


def _attach(binding: Binding, reference: cst.CSTNode, scope: Scope, index: int) -> None:
    """A read belongs to a binding made before it in its own scope, or to any binding of an
    enclosing scope; a read before every binding of its scope goes to the enclosing scope's."""
    if binding.node is None:
        return
    if binding.scope is not scope or binding.index < index:
        binding._references[reference] = None
    elif binding.scope.parent is not None:
        for shadowed in binding.scope.parent.lookup(binding.name):
            _attach(shadowed, reference, scope, index)


# -- per node type ------------------------------------------------------------------------------
# Nodes that pass a store / del context on to their elements: `a, (b, *c) = ...`.
_PASS_CONTEXT = frozenset({cst.Tuple, cst.List, cst.Element, cst.StarredElement})
# Nodes after which a scope's later reads see the bindings they made (LibCST's list).
_BINDING_NODES = frozenset({
    cst.AnnAssign, cst.AsName, cst.Assign, cst.AugAssign, cst.ClassDef, cst.CompFor, cst.FunctionDef,
    cst.Global, cst.Import, cst.ImportFrom, cst.NamedExpr, cst.Nonlocal, cst.WithItem, cst.TypeVar,
    cst.TypeAlias, cst.TypeVarTuple, cst.ParamSpec,
})


def _assign(self: Analysis, node: cst.Assign, scope: Scope, context: int) -> None:
    for target in node.targets:
        self.parents[target] = node
        self._child(target, target.target, scope, STORE)
    self._child(node, node.value, scope)


def _ann_assign(self: Analysis, node: cst.AnnAssign, scope: Scope, context: int) -> None:
    self._child(node, node.target, scope, STORE)
    self._child(node, node.annotation, scope)
    self._child(node, node.value, scope)


def _aug_assign(self: Analysis, node: cst.AugAssign, scope: Scope, context: int) -> None:
    self._child(node, node.target, scope, STORE)
    self._child(node, node.value, scope)


def _named_expr(self: Analysis, node: cst.NamedExpr, scope: Scope, context: int) -> None:
    self._child(node, node.target, scope, STORE)
    self._child(node, node.value, scope)


def _for(self: Analysis, node: cst.For, scope: Scope, context: int) -> None:
    self._child(node, node.target, scope, STORE)
    scope.count += 1
    self._child(node, node.iter, scope)
    self._child(node, node.body, scope)
    self._child(node, node.orelse, scope)


def _as_name(self: Analysis, node: cst.AsName, scope: Scope, context: int) -> None:
    self._child(node, node.name, scope, STORE)


def _del(self: Analysis, node: cst.Del, scope: Scope, context: int) -> None:
    self._child(node, node.target, scope, DEL)


def _attribute(self: Analysis, node: cst.Attribute, scope: Scope, context: int) -> None:
    self._child(node, node.value, scope)  # `a.b = 1` reads a; `b` is not a variable
    self.parents[node.attr] = node


def _arg(self: Analysis, node: cst.Arg, scope: Scope, context: int) -> None:
    self._child(node, node.value, scope)
    if node.keyword is not None:
        self.parents[node.keyword] = node


def _import(self: Analysis, node: cst.Import | cst.ImportFrom, scope: Scope, context: int) -> None:
    self._only_parents(node)
    self.scopes[node] = scope
    if isinstance(node.names, cst.ImportStar):
        module = _star_module(node)
        known = star_imports().get(module) if not node.relative else None
        if known is None:
            self.unseen_stars.append((module, None, scope.count))
            return
        for name in known["names"]:
            self._bind(scope, name, node)
        if known.get("may_bind"):
            self.unseen_stars.append((module, frozenset(known["may_bind"]), scope.count))
        return
    for alias in node.names:
        for name in _dotted_import_names(alias):
            if "." in name:
                self._dotted = True
            self._bind(scope, name, node)


def _global(self: Analysis, node: cst.Global | cst.Nonlocal, scope: Scope, context: int) -> None:
    self._only_parents(node)
    if not scope.is_module:
        declared = "global" if isinstance(node, cst.Global) else "nonlocal"
        for item in node.names:
            scope.declared[item.name.value] = declared


def _parameters(self: Analysis, params: cst.Parameters, outer: Scope, inner: Scope) -> None:
    """Defaults and annotations belong to the enclosing scope; the names to the function."""
    for param in all_params(params):
        self.parents[param] = params
        self.parents[param.name] = param
        self.scopes[param.name] = inner
        self._bind(inner, param.name.value, param)
        self._child(param, param.default, outer)
        self._child(param, param.annotation, outer)
    if isinstance(params.star_arg, cst.ParamStar):
        self.parents[params.star_arg] = params
    inner.count += 1


def all_params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def _define(self: Analysis, node: cst.FunctionDef | cst.ClassDef, scope: Scope) -> None:
    """`def f` / `class C`: the name is bound in the enclosing scope, to the whole definition."""
    self.parents[node.name] = node
    self.scopes[node.name] = scope
    self._bind(scope, node.name.value, node)


def _function(self: Analysis, node: cst.FunctionDef, scope: Scope, context: int) -> None:
    _define(self, node, scope)
    self._children_of(node, node.decorators, scope)
    self._child(node, node.returns, scope)
    self._child(node, node.type_parameters, scope)
    inner = self._new_scope("function", scope, node, node.name.value)
    self.parents[node.params] = node
    _parameters(self, node.params, scope, inner)
    self._child(node, node.body, inner)


def _lambda(self: Analysis, node: cst.Lambda, scope: Scope, context: int) -> None:
    inner = self._new_scope("function", scope, node)
    self.parents[node.params] = node
    _parameters(self, node.params, scope, inner)
    self._child(node, node.body, inner)


def _class(self: Analysis, node: cst.ClassDef, scope: Scope, context: int) -> None:
    _define(self, node, scope)
    self._children_of(node, node.decorators, scope)
    self._children_of(node, node.bases, scope)
    self._children_of(node, node.keywords, scope)
    self._child(node, node.type_parameters, scope)
    inner = self._new_scope("class", scope, node, node.name.value)
    self._child(node, node.body, inner)


def _comprehension(self: Analysis, node, scope: Scope, context: int) -> None:
    # The first iterable is evaluated outside the comprehension; everything else inside it.
    for_in = node.for_in
    self.parents[for_in] = node
    self._child(for_in, for_in.iter, scope)
    inner = self._new_scope("comprehension", scope, node)
    self._child(for_in, for_in.target, inner, STORE)
    inner.count += 1
    self._children_of(for_in, for_in.ifs, inner)
    self._child(for_in, for_in.inner_for_in, inner)  # a CompFor: walked like any node, in `inner`
    if isinstance(node, cst.DictComp):
        self._child(node, node.key, inner)
        self._child(node, node.value, inner)
    else:
        self._child(node, node.elt, inner)


def _comp_for(self: Analysis, node: cst.CompFor, scope: Scope, context: int) -> None:
    """A comprehension's second and later `for` clauses, inside its scope."""
    self._child(node, node.target, scope, STORE)
    self._child(node, node.iter, scope)
    self._children_of(node, node.ifs, scope)
    self._child(node, node.inner_for_in, scope)


def _match_capture(self: Analysis, node, scope: Scope, context: int) -> None:
    """`case P() as x`, `case [*rest]`, `case {**rest}`: the captured names are bindings."""
    captured = (getattr(node, "name", None), getattr(node, "rest", None))
    for child in children(node):
        self.parents[child] = node
        self._walk(child, scope, STORE if any(child is c for c in captured) else LOAD)


def _annotation(self: Analysis, node: cst.Annotation, scope: Scope, context: int) -> None:
    self._walk_children(node, scope)
    for string in _strings(node.annotation):
        value = string.evaluated_value if isinstance(string, cst.SimpleString) else None
        if isinstance(value, str):
            self.string_references.update(_IDENTIFIER.findall(value))


def _strings(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.SimpleString):
            yield current
        else:
            stack.extend(children(current))


_HANDLERS = {
    cst.Assign: _assign,
    cst.AnnAssign: _ann_assign,
    cst.AugAssign: _aug_assign,
    cst.NamedExpr: _named_expr,
    cst.For: _for,
    cst.AsName: _as_name,
    cst.Del: _del,
    cst.Attribute: _attribute,
    cst.Arg: _arg,
    cst.Import: _import,
    cst.ImportFrom: _import,
    cst.Global: _global,
    cst.Nonlocal: _global,
    cst.FunctionDef: _function,
    cst.Lambda: _lambda,
    cst.ClassDef: _class,
    cst.ListComp: _comprehension,
    cst.SetComp: _comprehension,
    cst.GeneratorExp: _comprehension,
    cst.DictComp: _comprehension,
    cst.CompFor: _comp_for,
    cst.MatchAs: _match_capture,
    cst.MatchStar: _match_capture,
    cst.MatchMapping: _match_capture,
    cst.Annotation: _annotation,
}
