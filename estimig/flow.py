"""Reaching definitions: which assignments of a name reach a read, the way the program runs.

A scope's statements (a module, a notebook's cells joined in order, a function body) are run
forward once over abstract states, `name -> the definitions that may reach here`:

- `x = value` replaces x's definitions; `if`/`try`/`match` branches join; loops run to a fixed
  point (a variable bound by `for x in [literal, ...]` reaches with one definition per element);
  `return`/`raise` end a path; an `except` starts from every state its `try` body passed through;
- changes that keep a value provable are folded onto the definition, in order: `d[k] = v`,
  `del d[k]`, `d.update({...})`, `lst.append(v)`, `lst.extend([...])`, `lst += [...]`,
  `obj.attr = v`; a change inside a loop is not folded (its count is unknown);
- anything else that may change an object (passing it to a function, calling an unknown method,
  another name bound to it, a nested function touching it, `global` rebinding) makes the content
  of the reaching definitions unknown from that point on, with the reason; the type of the value
  is unaffected (Python objects do not change class).

Reads from nested scopes (a function using a module name) are not placed in the order; for them
ModuleFacts keeps the flow-insensitive rule. Only scopes that are asked about are run.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

import libcst as cst

from estimig.analysis import Analysis, Scope, all_params, children

# Calls that read an argument without keeping or changing it.
_READING_CALLS = frozenset({"print", "len", "str", "repr", "int", "float", "bool", "isinstance", "type", "id",
                            "hash", "format", "sorted", "display", "any", "all", "sum", "min", "max"})
# Methods that only read their receiver (dict, list, str and SDK objects alike).
_READING_METHODS = frozenset({"get", "keys", "values", "items", "copy", "index", "count", "format", "join",
                              "startswith", "endswith", "lower", "upper", "strip", "split", "replace",
                              "wait_for_completion", "get_status", "get_details", "serialize", "to_pandas_dataframe",
                              "as_named_input", "as_mount", "as_download", "as_hdfs", "path", "register",
                              "get_default_datastore", "get_portal_url", "get_metrics", "display", "__str__",
                              "download", "to_path", "take", "skip", "take_sample", "random_split", "describe",
                              "get_profile", "to_csv_files", "to_parquet_files", "keep_columns", "drop_columns",
                              "filter", "get_file_url", "list", "get_version", "get_run", "get_env"})
# Folded changes: statement `name.<method>(...)`.
_FOLDED_METHODS = frozenset({"update", "append", "extend"})
# Estimator keywords whose value the estimator changes in place (it inserts azureml-defaults into
# pip_packages, its own pins into conda_packages); every other keyword is only read.
ESTIMATOR_CHANGES = frozenset({"pip_packages", "conda_packages"})
# ScriptRunConfig arguments it only reads: it stores the compute target's name, not the object, and
# strings; the others (environment, arguments, run_config, ...) it keeps, so later code may change them.
_SCRIPT_RUN_CONFIG_READS = frozenset({"compute_target", "source_directory", "script"})
_SAFE_PARENTS = frozenset({cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.ComparisonTarget,
                           cst.BooleanOperation, cst.FormattedStringExpression, cst.If, cst.While, cst.Assert,
                           cst.Index, cst.Slice, cst.IfExp, cst.Del})


@dataclass(frozen=True)
class Change:
    """One folded change: op is setitem, delitem, update, append, extend, iadd or setattr."""

    op: str
    node: cst.CSTNode  # the statement (or call) that makes it
    key: cst.BaseExpression | str | None = None  # setitem/delitem key expression; setattr: the attribute
    value: cst.BaseExpression | None = None  # the value, element, dict or list literal
    keywords: tuple[cst.Arg, ...] = ()  # d.update(k=v)


class Definition:
    """One way a name may be bound at a read: `value` (None when bound by anything but `name = value`,
    `how` says by what), then `changes` folded in order; `unknown` is why the content cannot be
    proven (None when it can). `root` is the binding a changed definition started from."""

    __slots__ = ("name", "node", "value", "how", "changes", "unknown", "root", "reads", "loop", "known")

    def __init__(self, name: str, node: cst.CSTNode | None, value: cst.BaseExpression | None, how: str | None = None,
                 changes: tuple[Change, ...] = (), unknown: str | None = None, root: "Definition | None" = None):
        self.name, self.node, self.value, self.how = name, node, value, how
        self.changes, self.unknown = changes, unknown
        self.root = root or self
        self.reads: dict[cst.CSTNode, None] = {}  # reads it reaches (on the root only)
        self.loop: cst.CSTNode | None = None  # the innermost loop the binding is made in
        # The values a call it is bound to has here, when they are fixed (`re.match` of constants).
        self.known: tuple | None = None

    def changed(self, change: Change | None, unknown: str | None) -> "Definition":
        return Definition(self.name, self.node, self.value, self.how,
                          self.changes + ((change,) if change is not None else ()),
                          self.unknown or unknown, self.root)

    def __repr__(self) -> str:
        value = "?" if self.value is None else type(self.value).__name__
        return f"Definition({self.name}={value}, changes={len(self.changes)}, unknown={self.unknown!r})"


State = dict  # name -> frozenset[Definition]; None is a path that ended (return, raise)


def _join(states: Iterable[State | None]) -> State | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    if len(live) == 1:
        return dict(live[0])
    joined: State = {}
    for state in live:
        for name, defs in state.items():
            joined[name] = joined[name] | defs if name in joined else defs
    # A name missing on one path may be unbound there: that is one more (empty) possibility.
    for name in joined:
        if any(name not in state for state in live):
            joined[name] = joined[name] | {_UNBOUND}
    return joined


_UNBOUND = Definition("", None, None, how="not bound on every path to here")


class ScopeFlow:
    """The reaching definitions of every read made directly in one scope."""

    def __init__(self, analysis: Analysis, scope: Scope, points: frozenset[int] = frozenset()):
        self.analysis, self.scope = analysis, scope
        self.parents = analysis.parents
        self.reaching: dict[cst.CSTNode, frozenset[Definition]] = {}
        # Full states at the calls asked about (estimator constructions), by id of the Call.
        self.states_at: dict[int, State] = {}
        self._points = points
        self._memo: dict[tuple, Definition] = {}
        self._loops: list[cst.CSTNode] = []
        self._breaks: list[list[State]] = []
        self._tries: list[list[State]] = []
        self._dead = 0  # inside branches a fixed test never takes
        self._blocked = self._names_changed_elsewhere()
        # Names bound in this scope (a read of any other name is a free or builtin one: not placed).
        self._tracked = {name for name in scope.bindings if name not in scope.declared}
        state: State = {}
        if isinstance(scope.node, cst.FunctionDef):
            for param in all_params(scope.node.params):
                self._define(param.name.value, param, None, state, f"a parameter of {scope.node.name.value}()")
        body = scope.node.body
        self.final = self._block(body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else body,
                                 state)

    def definition_at(self, target: cst.Name) -> Definition | None:
        """The definition an assignment target made (None if the run never reached it)."""
        for key in (("def", id(target), None, target.value),):
            if key in self._memo:
                return self._memo[key]
        return None

    # -- names other scopes may change -------------------------------------------------------
    def _names_changed_elsewhere(self) -> dict[str, str]:
        """Names of this scope that a nested scope may rebind or change: their content is never
        provable here (the nested code may run at any call)."""
        blocked: dict[str, str] = {}
        scopes = self.analysis.scopes
        for name, bindings in self.scope.bindings.items():
            for binding in bindings:
                node = binding.node
                where = scopes.get(node.name if isinstance(node, (cst.FunctionDef, cst.ClassDef)) else node) \
                    if node is not None else None
                if isinstance(node, cst.Name) and where is not None and where is not self.scope:
                    blocked[name] = f"{name} is also assigned inside a function (global {name})"
                for reference in binding.references:
                    if scopes.get(reference) is not self.scope and isinstance(reference, cst.Name) \
                            and self._may_change(reference):
                        blocked.setdefault(name, f"{name} is used inside a function that may change it")
        return blocked

    def _may_change(self, read: cst.Name) -> bool:
        parent = self.parents.get(read)
        if isinstance(parent, cst.Attribute) and parent.value is read:
            grand = self.parents.get(parent)
            return not (isinstance(grand, cst.Call) and grand.func is parent and parent.attr.value in _READING_METHODS) \
                and not isinstance(grand, (cst.Arg, cst.BinaryOperation, cst.Comparison, cst.FormattedStringExpression))
        if isinstance(parent, cst.Subscript):
            return isinstance(self.parents.get(parent), (cst.AssignTarget, cst.Del, cst.AugAssign))
        if isinstance(parent, cst.Arg):
            call = self.parents.get(parent)
            return not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in _READING_CALLS)
        return False

    # -- statements ---------------------------------------------------------------------------
    def _block(self, statements, state: State | None) -> State | None:
        for statement in statements:
            if state is None:
                return None
            state = self._statement(statement, state)
            if state is not None and not self._dead:
                for collected in self._tries:
                    collected.append(dict(state))
        return state

    def _suite(self, node, state: State | None) -> State | None:
        if node is None:
            return state
        body = node.body
        if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            body = body.body
        return self._block(body, state)

    def _statement(self, node: cst.CSTNode, state: State) -> State | None:
        kind = type(node)
        if kind is cst.SimpleStatementLine:
            for small in node.body:
                if state is None:
                    return None
                state = self._small(small, state)
            return state
        if kind is cst.If:
            self._expr(node.test, state)
            # A test whose value is fixed here (`if VERBOSE:` after `VERBOSE = True`) runs one branch
            # only; the other is still walked, so its reads know their definitions, but it never runs:
            # it reads or changes nothing, and its end does not join.
            truth = self._truth(node.test, state)
            self._dead += truth is False
            then = self._suite(node, dict(state))
            self._dead += (truth is True) - (truth is False)
            if isinstance(node.orelse, cst.If):
                other = self._statement(node.orelse, dict(state))
            else:
                other = self._suite(node.orelse, dict(state))
            self._dead -= truth is True
            return _join([then] if truth is True else [other] if truth is False else [then, other])
        if kind is cst.For or kind is cst.While:
            return self._loop(node, state)
        if kind is cst.Try or kind is cst.TryStar:
            return self._try(node, state)
        if kind is cst.With:
            for item in node.items:
                self._expr(item.item, state)
                if item.asname is not None:
                    self._assign(item.asname.name, None, state, item, "bound by a with statement")
            return self._suite(node, state)
        if kind is cst.FunctionDef or kind is cst.ClassDef:
            for decorator in node.decorators:
                self._expr(decorator.decorator, state)
            if kind is cst.ClassDef:
                for arg in (*node.bases, *node.keywords):
                    self._expr(arg.value, state)
            else:
                for param in all_params(node.params):
                    if param.default is not None:
                        self._expr(param.default, state)
            self._define(node.name.value, node, None, state, "a function" if kind is cst.FunctionDef else "a class")
            return state
        if kind is cst.Match:
            self._expr(node.subject, state)
            ends = [dict(state)]
            for case in node.cases:
                branch = dict(state)
                for sub in names_in(case.pattern):
                    if self.analysis.scopes.get(sub) is self.scope and sub not in self.analysis.referents:
                        self._define(sub.value, sub, None, branch, "a match capture")
                if case.guard is not None:
                    self._expr(case.guard, branch)
                ends.append(self._suite(case, branch))
            return _join(ends)
        # Anything else: read what it reads, and forget what it may bind.
        self._expr(node, state)
        return state

    def _small(self, node: cst.CSTNode, state: State) -> State | None:
        kind = type(node)
        if kind is cst.Assign:
            self._expr(node.value, state)
            value = node.value
            for target in node.targets:
                self._assign(target.target, value if len(node.targets) == 1 else None, state, node)
            return state
        if kind is cst.AnnAssign:
            if node.value is not None:
                self._expr(node.value, state)
                self._assign(node.target, node.value, state, node)
            return state
        if kind is cst.AugAssign:
            self._expr(node.value, state)
            target = node.target
            if isinstance(target, cst.Name) and self._own(target):
                self._read(target, state, safe=True)
                self._change(target.value, Change("iadd", node, value=node.value), state, node)
            else:
                self._assign(target, None, state, node)
            return state
        if kind is cst.Expr:
            value = node.value
            if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                    and isinstance(value.func.value, cst.Name) and self._own(value.func.value)
                    and value.func.attr.value in _FOLDED_METHODS):
                self._method_change(value, state, node)
                return state
            self._expr(value, state)
            return state
        if kind is cst.Del:
            self._delete(node.target, state, node)
            return state
        if kind is cst.Return or kind is cst.Raise:
            self._expr(node, state)
            return None
        if kind is cst.Break:
            if self._breaks:
                self._breaks[-1].append(dict(state))
            return None
        if kind is cst.Continue:
            if self._breaks:
                self._breaks[-1].append(dict(state))  # joins the loop head: treated like leaving the body
            return None
        if kind is cst.Import or kind is cst.ImportFrom:
            if isinstance(node.names, cst.ImportStar):
                # The SDK modules' public names (estimig/data/star_imports.json) that it binds.
                for bound, bindings in self.scope.bindings.items():
                    if any(b.node is node for b in bindings):
                        self._define(bound, node, None, state, "imported")
            else:
                for alias in node.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    name = _dotted(bound)
                    if name:
                        self._define(name.split(".")[0] if alias.asname is None else name, node, None, state, "imported")
            return state
        if kind is cst.Global or kind is cst.Nonlocal:
            return state
        self._expr(node, state)
        return state

    def _loop(self, node, state: State) -> State | None:
        is_for = type(node) is cst.For
        if is_for:
            self._expr(node.iter, state)
        else:
            self._expr(node.test, state)
        entry = dict(state)
        self._loops.append(node)
        self._breaks.append([])
        head: State = dict(state)
        ends: list[State | None] = []
        for _ in range(8):  # definitions are memoised, and each change is folded once: the states stop growing
            body_state = dict(head)
            if is_for:
                self._bind_loop_target(node, body_state)
            end = self._suite(node, body_state)
            ends = [end, *self._breaks[-1]]
            new_head = _join([entry, *ends])
            if new_head == head:
                break
            head = new_head
        breaks = self._breaks.pop()
        self._loops.pop()
        if not is_for:
            self._expr(node.test, head)
        after = self._suite(node.orelse, dict(head)) if node.orelse is not None else head
        return _join([after, *breaks])

    def _bind_loop_target(self, node: cst.For, state: State) -> None:
        target = node.target
        elements = node.iter.elements if isinstance(node.iter, (cst.List, cst.Tuple)) else None
        if isinstance(target, cst.Name) and self._own(target) and elements is not None \
                and all(isinstance(e, cst.Element) for e in elements) and elements:
            defs = frozenset(self._definition(target.value, target, e.value, None, key=i)
                             for i, e in enumerate(elements))
            state[target.value] = defs
            return
        numbers = isinstance(target, cst.Name) and self._numbers(node.iter, state)
        self._assign(target, None, state, node, how=NUMBER_LOOP if numbers else "a for-loop variable")

    def _numbers(self, node: cst.BaseExpression, state: State) -> bool:
        """Whether iterating over `node` gives numbers: `range(...)`, a numpy range (`np.linspace(...)`),
        or a name every reaching definition binds to one (an array's dtype never becomes str)."""
        if isinstance(node, cst.Call):
            return bool(self.analysis.qualified_names(node.func) & _NUMBER_SEQUENCES)
        if isinstance(node, cst.Name) and node.value not in self._blocked:
            defs = state.get(node.value)
            return bool(defs) and all(isinstance(d.value, cst.Call) and self._numbers(d.value, state)
                                      and all(c.op == "setitem" for c in d.changes) for d in defs)
        return False

    def _try(self, node, state: State) -> State | None:
        self._tries.append([dict(state)])
        end = self._suite(node, state)
        seen = self._tries.pop()
        handler_entry = _join(seen)
        ends = [self._suite(node.orelse, end) if node.orelse is not None else end]
        for handler in node.handlers:
            branch = dict(handler_entry) if handler_entry is not None else {}
            if handler.type is not None:
                self._expr(handler.type, branch)
            if handler.name is not None:
                self._assign(handler.name.name, None, branch, handler, "the exception caught")
            ends.append(self._suite(handler, branch))
        if node.finalbody is not None:
            joined = _join(ends)
            return self._suite(node.finalbody, joined if joined is not None else handler_entry)
        return _join(ends)

    # -- tests whose value is fixed ----------------------------------------------------------------
    def _truth(self, test: cst.BaseExpression, state: State) -> bool | None:
        """Whether a test is true, false, or either (None) on every path to here."""
        kind = type(test)
        if kind is cst.UnaryOperation and isinstance(test.operator, cst.Not):
            truth = self._truth(test.expression, state)
            return None if truth is None else not truth
        if kind is cst.BooleanOperation:
            left, right = self._truth(test.left, state), self._truth(test.right, state)
            stop = isinstance(test.operator, cst.Or)  # the value that decides `or` (True) or `and` (False)
            if stop in (left, right):
                return stop
            return None if None in (left, right) else not stop
        values = self._values(test, state)
        truths = {bool(value) for value in values} if values is not None else set()
        return truths.pop() if len(truths) == 1 else None

    def _values(self, node: cst.BaseExpression, state: State) -> list | None:
        """Every value an expression may have here, when each is a literal: a literal, a name whose
        reaching definitions are all unchanged immutable literals, or a comparison of those."""
        if type(node) is cst.Name and node.value not in ("True", "False", "None"):
            defs = state.get(node.value)
            if not defs or node.value in self._blocked or self.analysis.scopes.get(node) is not self.scope:
                return None
            values = []
            for definition in defs:
                if definition.known is not None and not definition.changes:
                    values.extend(definition.known)
                    continue
                value = _constant(definition.value) if _immutable(definition) else _NO_VALUE
                if value is _NO_VALUE:
                    return None
                values.append(value)
            return values
        if _may_match(node) and self.analysis.qualified_names(node.func) & _MATCHES and len(node.args) == 2 \
                and all(arg.keyword is None and not arg.star for arg in node.args):
            # `re.match(PATTERN, IMAGE)` on constants: the same answer at run time.
            patterns, texts = (self._values(arg.value, state) for arg in node.args)
            if patterns is None or texts is None or not all(isinstance(v, str) for v in (*patterns, *texts)) \
                    or any(len(t) > 500 or _NESTED_QUANTIFIER.search(p) for p in patterns for t in texts):
                return None  # a pattern that may backtrack for ever is not run at analysis time
            try:
                return [_MATCHES_BY_NAME[name](p, t) for name in self.analysis.qualified_names(node.func) & _MATCHES
                        for p in patterns for t in texts]
            except re.error:
                return None
        if type(node) is cst.Comparison and len(node.comparisons) == 1:
            target = node.comparisons[0]
            operator = _COMPARE.get(type(target.operator))
            left, right = self._values(node.left, state), self._values(target.comparator, state)
            if operator is None or left is None or right is None:
                return None
            if isinstance(target.operator, (cst.Is, cst.IsNot)) and not all(
                    v is None or isinstance(v, bool) for v in right):
                return None  # identity of other values is the interpreter's business
            try:
                return [operator(a, b) for a in left for b in right]
            except TypeError:
                return None
        value = _constant(node) if _immutable_expr(node) else _NO_VALUE
        return None if value is _NO_VALUE else [value]

    # -- bindings and changes -----------------------------------------------------------------
    def _own(self, name: cst.Name) -> bool:
        return self.analysis.scopes.get(name) is self.scope and self.scope.declared.get(name.value) is None

    def _definition(self, name: str, node, value, how, key=None) -> Definition:
        memo_key = ("def", id(node), key, name)
        found = self._memo.get(memo_key)
        if found is None:
            found = self._memo[memo_key] = Definition(name, node, value, how,
                                                      unknown=self._blocked.get(name))
            found.loop = self._loops[-1] if self._loops else None
        return found

    def _define(self, name: str, node, value, state: State, how: str | None = None) -> None:
        state[name] = frozenset({self._definition(name, node, value, how)})

    def _assign(self, target, value, state: State, statement, how: str | None = None) -> None:
        if isinstance(target, cst.Name):
            if self._own(target):
                known = self._values(value, state) if _may_match(value) and not self._loops else None
                self._define(target.value, target, value, state, how if value is None else None)
                if known is not None:
                    next(iter(state[target.value])).known = tuple(known)
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            pairs = len(elements) == len(target.elements) if elements is not None else False
            for i, element in enumerate(target.elements):
                inner = element.value
                if isinstance(element, cst.StarredElement) or not pairs or not isinstance(elements[i], cst.Element):
                    self._assign(inner, None, state, statement, how or "unpacked from a sequence")
                else:
                    self._assign(inner, elements[i].value, state, statement)
            return
        if isinstance(target, cst.StarredElement):
            self._assign(target.value, None, state, statement, "unpacked from a sequence")
            return
        # d[k] = v, obj.attr = v: a change of the name the target starts from.
        base = target.value if isinstance(target, (cst.Subscript, cst.Attribute)) else None
        if isinstance(target, cst.Subscript):
            for element in target.slice:
                self._expr(element, state)
        if isinstance(base, cst.Name) and self._own(base):
            self._read(base, state, safe=True)
            if isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                change = Change("setitem", statement, key=target.slice[0].slice.value, value=value)
            elif isinstance(target, cst.Attribute):
                change = Change("setattr", statement, key=target.attr.value, value=value)
            else:
                change = None
            self._change(base.value, change if value is not None else None, state, statement,
                         None if change is not None and value is not None else f"{base.value} is changed by a statement estimig cannot fold")
        elif base is not None:
            self._expr(base, state)
            root = _root(base)
            if root is not None and self._own(root):
                self._change(root.value, None, state, statement, f"{root.value} has a nested part changed")
        else:
            self._expr(target, state)

    def _delete(self, target, state: State, statement) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._delete(element.value, state, statement)
            return
        if isinstance(target, cst.Name):
            if self._own(target):
                state[target.value] = frozenset({_UNBOUND})
            return
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and self._own(target.value):
            for element in target.slice:
                self._expr(element, state)
            self._read(target.value, state, safe=True)
            key = target.slice[0].slice.value if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index) else None
            self._change(target.value.value, Change("delitem", statement, key=key) if key is not None else None, state,
                         statement, None if key is not None else f"{target.value.value} has a slice deleted")
            return
        self._expr(target, state)

    def _method_change(self, call: cst.Call, state: State, statement) -> None:
        receiver = call.func.value
        method = call.func.attr.value
        for arg in call.args:
            self._expr(arg.value, state)
        self._read(receiver, state, safe=True)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keywords = tuple(a for a in call.args if a.keyword is not None)
        starred = any(a.star for a in call.args)
        change = None
        if not starred:
            if method == "update" and len(positional) <= 1:
                change = Change("update", statement, value=positional[0].value if positional else None, keywords=keywords)
            elif method in ("append", "extend") and len(positional) == 1 and not keywords:
                change = Change(method, statement, value=positional[0].value)
        self._change(receiver.value, change, state, statement,
                     None if change is not None else f"{receiver.value}.{method}(...) changes it in a way estimig cannot fold")

    def _change(self, name: str, change: Change | None, state: State, node, unknown: str | None = None) -> None:
        defs = state.get(name)
        if not defs:
            return
        changed = []
        asked, reason = change, unknown
        for definition in defs:
            if definition is _UNBOUND:
                changed.append(definition)
                continue
            change, unknown = asked, reason
            if self._loops and change is not None and (definition.root.loop is not self._loops[-1]
                                                       or any(c.node is change.node for c in definition.changes)):
                # Folded only on an object the same pass of the loop made: one made before the loop,
                # or one kept from an earlier pass, is changed an unknown number of times.
                change, unknown = None, f"{name} is changed inside a loop"
            if change is None and (definition.unknown is not None or _immutable(definition)):
                changed.append(definition)  # nothing more to lose: already unknown, or it cannot change
                continue
            key = ("change", id(definition), id(node), unknown is None)
            derived = self._memo.get(key)
            if derived is None:
                derived = self._memo[key] = definition.changed(change, unknown)
            changed.append(derived)
        state[name] = frozenset(changed)

    # -- expressions --------------------------------------------------------------------------
    def _expr(self, node: cst.CSTNode | None, state: State) -> None:
        """Record what every read of this scope inside `node` reaches, and what the reads let escape."""
        if node is None:
            return
        stack = [node]
        scopes, points, referents = self.analysis.scopes, self._points, self.analysis.referents
        bindings = self._tracked
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind is cst.Name:
                if scopes.get(current) is self.scope and current.value in bindings and current in referents:
                    self._read(current, state)
                continue
            if kind is cst.NamedExpr:
                self._expr(current.value, state)
                self._assign(current.target, current.value, state, current)
                continue
            if kind is cst.Call and id(current) in points:
                # Arguments are evaluated before the call runs; the state is the one the call sees.
                for child in children(current):
                    self._expr(child, state)
                self.states_at[id(current)] = dict(state)
                continue
            if kind is cst.Lambda or kind is cst.FunctionDef or kind is cst.ClassDef:
                continue
            stack.extend(reversed(list(children(current))))

    def _read(self, name: cst.Name, state: State, safe: bool = False) -> None:
        defs = state.get(name.value)
        if defs is None:
            defs = frozenset({_UNBOUND})
        self.reaching[name] = defs
        if self._dead:
            return
        for definition in defs:
            definition.root.reads[name] = None
        if not safe:
            reason = self._escape(name)
            if reason is not None:
                self._change(name.value, None, state, name, reason)

    def _escape(self, name: cst.Name) -> str | None:
        """Why the object a read hands on may be changed after it (None: the read only reads).
        A part taken from it (`x.attr`, `x[k]`) or a literal built around it is followed up to where
        it ends: a tracked name, a reading call or operator, or somewhere it may be changed.
        (Types are compared directly: isinstance on LibCST's classes goes through ABCMeta.)"""
        parents = self.parents
        node: cst.CSTNode = name
        parent = parents.get(node)
        kind = type(parent)
        while True:
            if kind is cst.Attribute and parent.value is node:
                grand = parents.get(parent)
                if type(grand) is cst.Call and grand.func is parent:
                    method = parent.attr.value
                    return None if method in _READING_METHODS else f"{_dotted(parent) or name.value}(...) may change {name.value}"
            elif not ((kind is cst.Subscript and parent.value is node) or kind in _LITERAL_PARTS):
                break
            node, parent = parent, parents.get(parent)
            kind = type(parent)
        if (kind is cst.Assign or kind is cst.AnnAssign) and parent.value is node and node is not name:
            # `n = {..: x}` keeps x inside a tracked name, whose changes are followed; `n = x.attr`
            # or `n = x[k]` hands on a part that n may change.
            if type(node) in _LITERALS:
                return None
            if _attributes_taken(name, parents):
                return f"another name refers to the attributes of {name.value}"  # which it may rebind
            return f"{PART_TAKEN} {name.value}"
        if kind is cst.Arg:
            call = parents.get(parent)
            if type(call) is cst.Call:
                func = call.func
                if type(func) is cst.Name and func.value in _READING_CALLS:
                    return None
                if id(call) in self._points:
                    keyword = parent.keyword.value if parent.keyword is not None else "source_directory"
                    return f"the estimator changes {name.value} in place" if keyword in ESTIMATOR_CHANGES else None
                if (_dotted(func) or "").split(".")[-1] == "ScriptRunConfig" and parent.keyword is not None \
                        and parent.keyword.value in _SCRIPT_RUN_CONFIG_READS:
                    # A migrated call (a second run): it keeps only the target's name and the paths.
                    return None
                if node is not name and not _attributes_taken(name, parents):
                    # `f(x.attr)`: f may change that part, but cannot rebind x's attributes
                    return f"{PART_PASSED} {name.value} is passed to {_dotted(func) or 'a call'}(...), which may change it"
                return f"{name.value} is passed to {_dotted(func) or 'a call'}(...), which may change it"
        if kind in _SAFE_PARENTS or kind is cst.Expr:
            return None
        if kind is cst.For and parent.iter is node:
            return None
        return f"another name refers to the same object as {name.value}"


def _attributes_taken(name: cst.Name, parents) -> bool:
    """`x.__dict__`: the part read is x's attributes themselves."""
    parent = parents.get(name)
    return type(parent) is cst.Attribute and parent.attr.value == "__dict__"


# Why content is unknown when only a part was read into another name (`n = x.attr`) or handed to a
# call (`f(x.attr)`): that part may change in place, but x's attributes cannot be rebound through it
# (estimig.values reads argparse options so).
PART_TAKEN = "another name refers to a part of"
PART_PASSED = "a part of"
ONLY_A_PART = (PART_TAKEN, PART_PASSED)  # the reasons (prefixes) that leave x's attributes bound as they were
_LITERALS = frozenset({cst.List, cst.Tuple, cst.Set, cst.Dict})
# A literal's parts: what is read inside them stays inside the literal (`**d` and `*xs` copy).
_LITERAL_PARTS = _LITERALS | {cst.Element, cst.DictElement, cst.StarredDictElement, cst.StarredElement}


_IMMUTABLE = (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.ConcatenatedString, cst.FormattedString)


def _immutable(definition: Definition) -> bool:
    """Whether the bound value is a str, number, bool, None or tuple of those, which nothing can change."""
    return not definition.changes and _immutable_expr(definition.value)


def _immutable_expr(node) -> bool:
    if isinstance(node, _IMMUTABLE):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.UnaryOperation):
        return _immutable_expr(node.expression)
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and _immutable_expr(e.value) for e in node.elements)
    return False


# The `how` of a for-loop variable that iterates over numbers (ints or floats: never None or '').
NUMBER_LOOP = "a number a for loop draws from range() or a numpy range"
_NUMBER_SEQUENCES = frozenset({"builtins.range", "numpy.linspace", "numpy.arange", "numpy.logspace",
                               "numpy.geomspace"})
_MATCHES_BY_NAME = {"re.match": re.match, "re.search": re.search, "re.fullmatch": re.fullmatch}
_MATCHES = frozenset(_MATCHES_BY_NAME)
_MATCH_WORDS = frozenset(name.rpartition(".")[2] for name in _MATCHES)


def _may_match(node) -> bool:
    """A call spelled `match(...)`, `x.search(...)`, ...: worth asking its qualified name."""
    if type(node) is not cst.Call:
        return False
    func = node.func
    word = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else None
    return word in _MATCH_WORDS
# A quantified group that holds a quantifier, `(a+)+`: the shape of catastrophic backtracking.
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[*+?}][^()]*\)[*+{]")
_NO_VALUE = object()
_COMPARE = {cst.Equal: operator.eq, cst.NotEqual: operator.ne, cst.Is: operator.is_, cst.IsNot: operator.is_not,
            cst.In: lambda a, b: a in b, cst.NotIn: lambda a, b: a not in b, cst.LessThan: operator.lt,
            cst.GreaterThan: operator.gt, cst.LessThanEqual: operator.le, cst.GreaterThanEqual: operator.ge}


def _constant(node):
    """The value of an immutable literal (`_immutable_expr`), or _NO_VALUE (f-strings, say)."""
    try:
        return ast.literal_eval(cst.Module(body=[]).code_for_node(node).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NO_VALUE


def names_in(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Every Name below a node, nested scopes included."""
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Name:
            yield current
        else:
            stack.extend(children(current))


def _root(node: cst.CSTNode) -> cst.Name | None:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _dotted(node: cst.CSTNode) -> str | None:
    from libcst.helpers import get_full_name_for_node

    return get_full_name_for_node(node)
