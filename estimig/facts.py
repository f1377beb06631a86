"""Facts: find every estimator construction in a module and record what is known about it.

One analysis walk per module (parents, scopes, qualified names: estimig/analysis.py) and, when a
line is needed, one counting code generation (estimig/positions.py); the concerns read these frozen
records and never walk the tree again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import libcst as cst
from libcst.helpers import get_full_name_for_node

from estimig.analysis import Analysis, Scope, children
from estimig.flow import Definition, ScopeFlow, names_in
from estimig.positions import Position, Positions, Span

# Every public and private path the SDK exposes each estimator class under.
ESTIMATOR_CLASSES: Mapping[str, str] = {
    "azureml.train.estimator.Estimator": "Estimator",
    "azureml.train.estimator._estimator.Estimator": "Estimator",
    "azureml.train.dnn.PyTorch": "PyTorch",
    "azureml.train.dnn._pytorch.PyTorch": "PyTorch",
    "azureml.train.dnn.TensorFlow": "TensorFlow",
    "azureml.train.dnn._tensorflow.TensorFlow": "TensorFlow",
    "azureml.train.dnn.Chainer": "Chainer",
    "azureml.train.dnn._chainer.Chainer": "Chainer",
    "azureml.train.sklearn.SKLearn": "SKLearn",
}
_ATOMS = frozenset({cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary})
_CONTAINERS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)
FRAMEWORK_KINDS = frozenset({"PyTorch", "TensorFlow", "Chainer", "SKLearn"})



@dataclass(frozen=True)
class Use:
    """A later reference to the name an estimator is assigned to."""

    node: cst.Name
    kind: str  # "submit", "keyword", "attribute", "other"
    line: int
    description: str
    # For kind == "keyword": the enclosing call's qualified name(s) and the keyword.
    call_names: frozenset[str] = frozenset()
    keyword: str | None = None
    call: cst.Call | None = None
    # For kind == "attribute": the dotted attribute chain after the name, e.g. ("run_config", "target").
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class EstimatorCall:
    node: cst.Call
    kind: str
    qualified_name: str
    line: int
    column: int
    # Keyword arguments by name; a positional source_directory is recorded under its name too.
    kwargs: Mapping[str, cst.Arg]
    # Why the call's shape itself cannot be migrated (*args, **kwargs, too many positionals), or None.
    shape_problem: str | None
    # The simple name the call is assigned to (`est = Estimator(...)`), or None.
    target: str | None
    # The statement line that holds the call, when the call is that statement's whole value.
    statement: cst.SimpleStatementLine | None
    uses: tuple[Use, ...]
    module: "ModuleFacts" = field(repr=False)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for(node)

    def value_code(self, kwarg: str) -> str:
        return self.module.code_for(self.kwargs[kwarg].value)

    def has(self, kwarg: str) -> bool:
        return kwarg in self.kwargs

    def resolve(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The value a name holds at this call, when one plain `name = value` reaches it unchanged."""
        found = self.module.definition(expr, at=self.node)
        return found.value if isinstance(found, Definition) and not found.changes else None

    def definition(self, expr: cst.BaseExpression, content: bool = True) -> "Definition | str":
        """The one definition of a name that reaches this call with provable content (changes folded
        in `changes`), or why there is none."""
        return self.module.definition(expr, at=self.node, content=content)

    def values(self, expr: cst.BaseExpression, where_bound: bool = False) -> "list[cst.BaseExpression] | str":
        """Every value a name may be bound to at this call (for questions of type, which later
        changes cannot affect), or why they cannot all be seen. `where_bound`: on the paths where
        it is bound, for a migration that reads the name where the original did (on a path where it
        is not, both raise NameError there)."""
        return self.module.values(expr, where_bound)

    def elsewhere(self, facts: "ModuleFacts") -> "EstimatorCall":
        """This call seen from a helper module's facts: values defined there are classified there
        (their names are that module's, read at its end)."""
        return dataclasses.replace(self, module=facts, node=facts.module)

    def fresh_name(self, suffix: str, taken: set[str] | None = None) -> str:
        """An unused name like `est_env`; with `taken`, also unlike the names already handed out for
        this call (and the new one is added to it)."""
        base = f"{self.target or 'run'}_{suffix}"
        name, n = self.module.fresh_name(base), 2
        while taken is not None and name in taken:
            name, n = self.module.fresh_name(f"{base}{n}"), n + 1
        if taken is not None:
            taken.add(name)
        return name


def _never_falls_through(block: cst.BaseSuite | None) -> bool:
    """Whether running `block` always ends in a return or a raise: its last statement is one, or an
    if/elif/else or try whose every way out is (a try's body counts with its else). Not a `with`:
    its context manager may swallow the exception that skipped the return."""
    body = block.body if isinstance(block, cst.IndentedBlock) else ()
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        return isinstance(last.body[-1], (cst.Return, cst.Raise))
    if isinstance(last, cst.If):
        rest = last.orelse
        if rest is None:
            return False
        rest_block = cst.IndentedBlock(body=[rest]) if isinstance(rest, cst.If) else rest.body
        return _never_falls_through(last.body) and _never_falls_through(rest_block)
    if isinstance(last, cst.Try):
        done = _never_falls_through(last.orelse.body if last.orelse else last.body)
        return done and all(_never_falls_through(handler.body) for handler in last.handlers)
    return False


@dataclass(eq=False)
class ModuleFacts:
    module: cst.Module
    # Where the module lives (helper modules next to it are followed: estimig/project.py).
    path: str | None = None
    calls: list[EstimatorCall] = field(default_factory=list)
    # Estimator class references that are not calls (the class passed around as a value), and
    # user subclasses of estimator classes: (line, message).
    stray: list[tuple[int, str]] = field(default_factory=list)

    # Ids of the estimator calls: the flow keeps the whole state at each (see `definition`).
    _points: frozenset[int] = frozenset()
    _flows: dict = field(default_factory=dict)

    # Both are computed on first use (engine cost, see docs/performance.md): a module that cannot
    # name an estimator class never pays for them.
    @cached_property
    def analysis(self) -> Analysis:
        return Analysis(self.module)

    @cached_property
    def _positions(self) -> Positions:
        return Positions(self.module)

    @cached_property
    def _taken(self) -> set[str]:
        return {name for scope in self.analysis.all_scopes for name in scope.bindings}

    # -- lookups the concerns use -------------------------------------------------------------
    def code_for(self, node: cst.CSTNode) -> str:
        if type(node) in _ATOMS and not node.lpar:  # most values: no code generation needed
            return node.value
        return self.module.code_for_node(node)

    def start(self, node: cst.CSTNode) -> Position:
        return self._positions.start(node)

    def span(self, node: cst.CSTNode) -> Span:
        return self._positions.span(node)

    def statement_text(self, statement: cst.CSTNode) -> tuple[int, int] | None:
        """Character offsets of a top-level statement's text in the source (None for new nodes)."""
        return self._positions.statement_text(statement)

    def line_of(self, node: cst.CSTNode) -> int:
        return self._positions.start(node).line

    def column_of(self, node: cst.CSTNode) -> int:
        return self._positions.start(node).column

    def scope_of(self, node: cst.CSTNode) -> Scope | None:
        """The scope a Name (read or bound) or an import statement is in."""
        return self.analysis.scopes.get(node)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        return self.analysis.qualified_names(node)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.analysis.parents.get(node)

    def fresh_name(self, wanted: str) -> str:
        """A name not bound anywhere in the module; deterministic so plans stay pure."""
        name, n = wanted, 2
        while name in self._taken:
            name, n = f"{wanted}{n}", n + 1
        return name

    # -- what a name holds where it is read (estimig/flow.py) ----------------------------------
    def flow(self, scope: Scope) -> ScopeFlow | None:
        """The reaching definitions of one scope's reads; None for scopes without statements."""
        found = self._flows.get(scope)
        if found is None and scope not in self._flows:
            has_body = isinstance(scope.node, (cst.Module, cst.FunctionDef, cst.ClassDef))
            found = self._flows[scope] = ScopeFlow(self.analysis, scope, self._points) if has_body else None
        return found

    def reaching(self, name: cst.Name) -> frozenset[Definition] | None:
        """The definitions that may reach a read, in the order the program runs; None when the read
        is not placed in an order (a free name read inside a function, a builtin)."""
        scope = self.scope_of(name)
        flow = self.flow(scope) if scope is not None else None
        return flow.reaching.get(name) if flow is not None else None

    def definition(self, expr: cst.BaseExpression, at: cst.CSTNode | None = None,
                   content: bool = True) -> Definition | str:
        """The one definition of a name, bound by `name = value`, whose content at `at` (an estimator
        call) is provable: no branch offers another, nothing it cannot fold changed it, and every name
        its value (and folded changes) read still means the same at `at`. Else why not.
        With content=False only the object matters, not what it holds (a dataset's or a compute
        target's kind): changes estimig cannot fold do not count, except on a literal container."""
        if not isinstance(expr, cst.Name):
            return f"{self.code_for(expr)} is not a name"
        shown = expr.value
        defs = self.reaching(expr)
        if defs is None:
            found = self._free_definition(expr)
            if isinstance(found, str) or found.unknown is None:
                return found
            return found.unknown if content or not isinstance(found.value, (cst.Call, cst.Attribute, cst.Subscript)) \
                else found
        if len(defs) != 1 and len({d.root for d in defs}) == 1:
            # One binding, changed on some paths only (in a loop, in a branch): the same object.
            # Sorted: definitions hash by identity, and the reason given must not depend on memory.
            changed = sorted((d for d in defs if d.unknown is not None), key=lambda d: d.unknown)
            defs = frozenset(changed[:1] or [max(defs, key=lambda d: len(d.changes))])
            if not changed:
                return f"{shown} is changed on some paths to this call and not on others"
        if len(defs) != 1:
            if any(d.node is None for d in defs) and len(defs) == 2:
                return f"{shown} is not bound on every path to this call"
            return f"{shown} may hold one of several values here (it is bound differently on different paths)"
        (found,) = defs
        if found.node is None:
            return f"{shown} is not bound before this call"
        if found.value is None:
            return f"{shown} is {found.how or 'not bound by a plain assignment'}"
        if found.unknown is not None and (content or isinstance(found.value, _CONTAINERS) or found.changes
                                          or not isinstance(found.value, (cst.Call, cst.Attribute, cst.Subscript))):
            return found.unknown
        if at is not None:
            moved = self._moved(found, expr, at)
            if moved is not None:
                return f"{moved} is rebound or changed between where {shown} is built and this call"
        return found

    def definitions_by_path(self, expr: cst.BaseExpression, at: cst.CSTNode) -> list[Definition] | str:
        """The states of one binding that reach `at` on different paths, each provable, when the
        binding is changed on some paths only (`if args.test: params["--epochs"] = 1`): in a fixed
        order (fewest changes first, then where the changes are written); else why not."""
        if not isinstance(expr, cst.Name):
            return f"{self.code_for(expr)} is not a name"
        defs = self.reaching(expr)
        if not defs or len(defs) < 2 or len({d.root for d in defs}) != 1:
            return f"{expr.value} is not one binding changed on some paths to this call"
        found = sorted(defs, key=lambda d: (len(d.changes), [self.line_of(c.node) for c in d.changes]))
        for definition in found:
            if definition.node is None or definition.value is None or definition.unknown is not None:
                return definition.unknown or f"{expr.value} is not bound by a plain assignment on every path"
            moved = self._moved(definition, expr, at)
            if moved is not None:
                return f"{moved} is rebound or changed between where {expr.value} is built and this call"
        return found

    def values(self, expr: cst.BaseExpression, where_bound: bool = False) -> list[cst.BaseExpression] | str:
        if not isinstance(expr, cst.Name):
            return [expr]
        defs = self.reaching(expr)
        if defs is None:
            found = self._free_definition(expr, for_type=True)
            return [found.value] if isinstance(found, Definition) else found
        if where_bound:
            defs = [d for d in defs if d.node is not None]
        if not defs or any(d.node is None for d in defs):
            return f"{expr.value} is not bound on every path to this call"
        found: list[cst.BaseExpression] = []
        for d in sorted(defs, key=lambda d: self.line_of(d.node)):
            if isinstance(d.node, cst.Param):
                arguments = self.arguments_for(d.node)
                if isinstance(arguments, str):
                    return arguments
                found.extend(arguments)
            elif d.value is None:
                return f"{expr.value} is {d.how or 'not bound by a plain assignment'}"
            else:
                found.append(d.value)
        return found

    def arguments_for(self, param: cst.Param) -> list[cst.BaseExpression] | str:
        """What a function parameter is bound to: the argument (or the default) of every call of the
        function, when the function is only ever called by its name in this file; else why not."""
        function = self.parent(self.parent(param))
        shown = param.name.value
        if not isinstance(function, cst.FunctionDef) or function.decorators or param.star:
            return f"{shown} is a parameter estimig cannot follow"
        scope = self.scope_of(function.name)
        bindings = scope.bindings.get(function.name.value, []) if scope is not None else []
        if scope is None or scope.kind == "class" or len(bindings) != 1:
            return f"{shown} is a parameter of {function.name.value}(), which estimig cannot follow to its calls"
        positional = [*function.params.posonly_params, *function.params.params]
        found = []
        for reference in bindings[0].references:
            call = self.parent(reference)
            if not (isinstance(call, cst.Call) and call.func is reference):
                return f"{shown} is a parameter of {function.name.value}(), which is used other than by calling it"
            if any(arg.star for arg in call.args):
                return f"{shown} is a parameter of {function.name.value}(), called with unpacked arguments"
            given = [a for a in call.args if a.keyword is None]
            by_name = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
            index = next((i for i, p in enumerate(positional) if p is param), None)
            if index is not None and index < len(given):
                found.append(given[index].value)
            elif shown in by_name:
                found.append(by_name[shown])
            elif param.default is not None:
                found.append(param.default)
            else:
                return f"{shown} is a parameter of {function.name.value}() that a call does not pass"
        if not found:
            return f"{shown} is a parameter of {function.name.value}(), which is never called in this file"
        return found

    def returned(self, func: cst.Name) -> list[cst.BaseExpression] | str:
        """Every value a call of the function this name binds may return: the function is defined
        once in this file (no decorators, no yield), every `return` in it has a value, and its body
        ends with one, so no path falls off the end (None); else why not. Nested functions and
        classes return their own values."""
        scope = self.scope_of(func)
        bindings = [b for b in scope.lookup(func.value) if b.node is not None] if scope is not None else []
        function = bindings[0].node if len(bindings) == 1 else None
        if not isinstance(function, cst.FunctionDef) or function.decorators or function.asynchronous:
            return f"{func.value}() is not one plain function defined in this file"
        if not _never_falls_through(function.body):
            return f"{func.value}() does not end with a return"
        found, stack = [], list(children(function.body))
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(node, (cst.Yield, cst.Await)):
                return f"{func.value}() is a generator or coroutine"
            if isinstance(node, cst.Return):
                if node.value is None:
                    return f"{func.value}() may return None"
                found.append(node.value)
            stack.extend(children(node))
        return found

    def returned_from(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        """The function that `return <node>` returns from, or None when node is not a returned value."""
        statement = self.parent(node)
        if not (isinstance(statement, cst.Return) and statement.value is node):
            return None
        function = self.parent(statement)
        while function is not None and not isinstance(function, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            function = self.parent(function)
        return function if isinstance(function, cst.FunctionDef) else None

    def submitted_by_callers(self, node: cst.CSTNode) -> str | None:
        """Who submits what `return <node>` returns, when every caller is known: the aml-run action
        (`submitted_by_action`), or the calls of a plain function in this file, each of which
        submits the result (`exp.submit(f())`, `x = f()` then only `exp.submit(x)`) or drops it,
        at least one submitting. None otherwise."""
        action = self.submitted_by_action(node)
        if action is not None:
            return action
        function = self.returned_from(node)
        fates = self._fates(function) if function is not None else None
        if not fates or None in fates or "submitted" not in fates:
            return None
        return f"every call of {function.name.value}() in this file submits what it returns"

    def submitted_by_action(self, node: cst.CSTNode) -> str | None:
        """Who submits what `return <node>` returns, when the repository says so (estimig/actions.py):
        the return is in a plain module-level function that an Azure/aml-run workflow step calls,
        and this file's own calls of it (if any) submit or drop the result. None otherwise."""
        function = self.returned_from(node)
        if function is None or not isinstance(self.parent(function), cst.Module):
            return None
        from estimig.actions import aml_run_functions

        workflow = aml_run_functions(self.path).get(function.name.value)
        fates = self._fates(function) if workflow is not None else None
        if fates is None or None in fates:
            return None
        return f"the Azure/aml-run action ({workflow}) submits what {function.name.value}() returns"

    def result_used_here(self, function: cst.FunctionDef) -> bool:
        """Whether this file does anything with the function but call it and submit or drop the result."""
        fates = self._fates(function)
        return fates is None or None in fates

    def _fates(self, function: cst.FunctionDef) -> list[str | None] | None:
        """What each call of a plain function, defined once, does with its result: "submitted"
        (`<x>.submit(f())`, or `x = f()` read only by such submits), "dropped" (an expression
        statement), None (anything else). None when the function is decorated, async, rebound,
        or referred to other than by calling it."""
        scope = self.scope_of(function.name)
        bindings = scope.bindings.get(function.name.value, []) if scope is not None else []
        if function.decorators or function.asynchronous or len(bindings) != 1:
            return None
        fates: list[str | None] = []
        for reference in bindings[0].references:
            call = self.parent(reference)
            if not (isinstance(call, cst.Call) and call.func is reference):
                return None
            holder = self.parent(call)
            if isinstance(holder, cst.Expr):
                fates.append("dropped")
                continue
            target = holder.targets[0].target if isinstance(holder, cst.Assign) and len(holder.targets) == 1 else None
            reads = self.accesses(target) if isinstance(target, cst.Name) else []
            submitted = self._is_submitted(call) or (reads and all(self._is_submitted(read) for read in reads))
            fates.append("submitted" if submitted else None)
        return fates

    def _is_submitted(self, node: cst.CSTNode) -> bool:
        """Whether `node` is what `<x>.submit(node)` or `<x>.submit(config=node)` submits."""
        arg = self.parent(node)
        call = self.parent(arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "submit"):
            return False
        return (arg.keyword is None and call.args[0] is arg) or (arg.keyword is not None and arg.keyword.value == "config")

    def skipped_by_action(self, function: cst.FunctionDef) -> str | None:
        """Why the aml-run step that names this module-level function never calls it (it finds the
        YAML definition it tries first, and submits that), or None."""
        from estimig.actions import aml_run_steps_for

        if not isinstance(self.parent(function), cst.Module):
            return None
        workflow, first = aml_run_steps_for(self.path).get(function.name.value, (None, None))
        if first is None:
            return None
        return (f"the Azure/aml-run step of {workflow} never calls {function.name.value}(): it finds {first} "
                "first and submits that")

    def imported(self, name: cst.Name, content: bool = False) -> "tuple[ModuleFacts, tuple[Definition, ...]] | str":
        """What an imported name holds, when `from helpers import name` loads a module next to this
        file (estimig/project.py): the definitions that module ends with (several after a branch),
        and its facts."""
        defs = self.reaching(name)
        if defs is None:
            scope = self.scope_of(name)
            bindings = [b for b in scope.lookup(name.value) if b.node is not None] if scope is not None else []
            nodes = [b.node for b in bindings]
        else:
            nodes = list({d.node: None for d in defs})
            changed = next((d for d in defs if d.changes or (content and d.unknown)), None)
            if changed is not None and len(nodes) == 1 and isinstance(nodes[0], cst.ImportFrom):
                return changed.unknown or f"{name.value} is changed in this file after it is imported"
        if len(nodes) != 1 or not isinstance(nodes[0], cst.ImportFrom):
            return f"{name.value} is not imported from a module by name"
        return self._exported_by(nodes[0], name.value, 0)

    def scripts_mentioning(self, source_directory: str, words: tuple[str, ...]) -> set[str] | None:
        """Which of `words` the job's scripts (the .py files of `source_directory`, next to this file)
        mention, or None when estimig cannot read them (estimig/project.py)."""
        from estimig import project

        return project.scripts_mentioning(self.path, source_directory, words)

    def _exported_by(self, statement: cst.ImportFrom, bound: str, depth: int) -> "tuple[ModuleFacts, tuple[Definition, ...]] | str":
        from estimig import project

        if isinstance(statement.names, cst.ImportStar) or depth > 4:
            return f"{bound} comes from a star import"
        alias = next((a for a in statement.names
                      if get_full_name_for_node(a.asname.name if a.asname is not None else a.name) == bound), None)
        module = get_full_name_for_node(statement.module) if statement.module is not None else ""
        path = project.module_file(self.path, module or "", len(statement.relative))
        foreign = project.facts_for(path) if path is not None else None
        shown = f"{bound} is imported from {'.' * len(statement.relative)}{module}"
        if alias is None or foreign is None:
            return f"{shown}, which estimig cannot read" if path is not None else \
                f"{shown}, which is not a module next to this file"
        real = get_full_name_for_node(alias.name) or bound
        final = foreign.flow(foreign.analysis.all_scopes[0]).final
        defs = final.get(real) if final is not None else None
        if not defs:
            return f"{shown}, where it is not bound at module level"
        if len(defs) == 1 and isinstance(next(iter(defs)).node, cst.ImportFrom):
            return foreign._exported_by(next(iter(defs)).node, real, depth + 1)
        for found in defs:
            if found.value is None:
                return f"{shown}, where it is {found.how or 'not bound by a plain assignment'}"
        return foreign, tuple(sorted(defs, key=lambda d: foreign.line_of(d.value)))

    def same_binding_at(self, read: cst.Name, at: cst.CSTNode) -> bool:
        """Whether a read names the same binding(s) at `at` (an estimator call of its scope) as where it
        is read: nothing rebinds it on any path in between, so writing it again at `at` reads what the
        original read."""
        flow, state = self._state_at(read, at)
        before = flow.reaching.get(read) if state is not None else None
        if not before or any(d.node is None for d in before):
            return False
        return {d.root for d in state.get(read.value, frozenset())} == {d.root for d in before}

    def _state_at(self, read: cst.Name, at: cst.CSTNode):
        """(the flow of the read's scope, the full state at `at` in it); the state is None where `at`
        is not an estimator call of that scope."""
        scope = self.scope_of(read)
        flow = self.flow(scope) if scope is not None else None
        return flow, (flow.states_at.get(id(at)) if flow is not None else None)

    def _moved(self, found: Definition, read: cst.Name, at: cst.CSTNode) -> str | None:
        """A name read by the definition's value or changes that means something else at `at`."""
        flow, state = self._state_at(read, at)
        if state is None:
            # Read in another scope than the call (a function's caller): evaluated there, never
            # inlined at the call, so nothing can move in between.
            return None
        nodes = [found.value, *(c.value for c in found.changes if c.value is not None),
                 *(c.key for c in found.changes if isinstance(c.key, cst.CSTNode)),
                 *(k.value for c in found.changes for k in c.keywords)]
        for node in nodes:
            for name in names_in(node):
                before = flow.reaching.get(name)
                if before is None:
                    continue
                now = state.get(name.value, frozenset())
                # The same binding is the same object; a container's content must also be the same.
                if {d.root for d in now} != {d.root for d in before} or (
                        now != before and any(isinstance(d.value, _CONTAINERS) for d in before)):
                    return name.value
        return None

    def _free_definition(self, expr: cst.Name, for_type: bool = False) -> Definition | str:
        """A name read where no order is known (inside a function, of the module's name): only one
        plain `name = value` in its scope, never changed anywhere, is provable."""
        scope = self.scope_of(expr)
        if scope is None:
            return f"{expr.value} is not bound in this file"
        bindings = [b for b in scope.lookup(expr.value) if b.node is not None]
        if not bindings:
            return f"{expr.value} is not bound in this file"
        if len(bindings) != 1:
            return f"{expr.value} is assigned more than once in the scope this code reads it from"
        target = bindings[0].node
        assign = self.parent(target)
        statement = self.parent(assign) if isinstance(assign, cst.AssignTarget) else None
        if not (isinstance(statement, cst.Assign) and len(statement.targets) == 1 and statement.targets[0].target is target):
            return f"{expr.value} is not bound by a plain assignment"
        unknown = None if for_type or not self._touched(bindings[0].references) else \
            f"{expr.value} is changed or passed elsewhere, so its content here cannot be proven"
        return Definition(expr.value, target, statement.value, unknown=unknown)

    def _touched(self, references) -> bool:
        for access in references:
            parent = self.parent(access)
            if isinstance(parent, cst.Arg):
                return True
            if isinstance(parent, (cst.Subscript, cst.Attribute)):
                grand = self.parent(parent)
                if isinstance(parent, cst.Attribute) or isinstance(grand, (cst.AssignTarget, cst.Del, cst.AugAssign)):
                    return True
        return False

    def accesses(self, name: cst.Name) -> list[cst.Name]:
        """Every later read of the binding made by `name` (an assignment target): the reads it
        reaches in its own scope, in the order the program runs, and every read from a nested one."""
        scope = self.scope_of(name)
        if scope is None:
            return []
        found: dict[cst.CSTNode, None] = {}
        flow = self.flow(scope)
        root = flow.definition_at(name) if flow is not None else None
        for binding in scope.bindings.get(name.value, ()):
            if binding.node is name:
                for reference in binding.references:
                    if isinstance(reference, cst.Name) and (root is None or self.scope_of(reference) is not scope):
                        found[reference] = None
        if root is not None:
            found.update(dict.fromkeys(r for r in root.reads if r is not name))
        starts = self._positions.start
        return sorted(found, key=lambda n: (starts(n).line, starts(n).column))


def collect(module: cst.Module, path: str | None = None) -> ModuleFacts:
    facts = ModuleFacts(module=module, path=path)
    names = _class_names(module)
    if names is not None:
        _Collector(facts, names).visit_module()
    return facts


def _class_names(module: cst.Module) -> frozenset[str] | None:
    """The names an estimator class can be written with here: `Estimator`, ..., and the `as` name an
    import gave one (`from azureml.train.dnn import PyTorch as PT`); an expression whose last
    segment is none of these has no estimator qualified name, so only these are resolved.

    None when no import can bind a name whose qualified name is an estimator class (no absolute
    `import azureml...`, `from azureml import ...` or `from azureml.train... import ...`): then
    there is nothing to collect and the analysis is skipped. Only statements are walked."""
    from estimig.prefilter import CLASS_NAMES

    names = set(CLASS_NAMES)
    binds_azureml = False
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Import or kind is cst.ImportFrom:
            if kind is cst.Import:
                modules = [get_full_name_for_node(alias.name) or "" for alias in node.names]
                binds_azureml = binds_azureml or any(m == "azureml" or m.startswith("azureml.") for m in modules)
            elif not node.relative and node.module is not None:
                module_name = get_full_name_for_node(node.module) or ""
                binds_azureml = binds_azureml or module_name in ("azureml", "azureml.train") \
                    or module_name.startswith("azureml.train.")
            if isinstance(node.names, cst.ImportStar):
                binds_azureml = True  # may bind an estimator class, or hide one (Analysis.unseen_star)
            for alias in () if isinstance(node.names, cst.ImportStar) else node.names:
                if alias.asname is not None and (get_full_name_for_node(alias.name) or "").rsplit(".", 1)[-1] in CLASS_NAMES:
                    names.add(get_full_name_for_node(alias.asname.name) or "")
        elif kind not in _EXPRESSION_TYPES:
            stack.extend(children(node))
    return frozenset(names) if binds_azureml else None


# Concrete expression classes (a type lookup is far cheaper than isinstance on LibCST's abstract bases).
_EXPRESSION_TYPES = frozenset(
    cls for cls in vars(cst).values() if isinstance(cls, type) and issubclass(cls, cst.BaseExpression))


def _last_segment(node: cst.CSTNode) -> str | None:
    """`Estimator` for `Estimator`, `dnn.Estimator`, `Estimator()` (as get_full_name_for_node reads them)."""
    while True:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return node.attr.value
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Subscript):
            node = node.value
        else:
            return None


class _Collector:
    KINDS = frozenset(ESTIMATOR_CLASSES.values())

    def __init__(self, facts: ModuleFacts, names: frozenset[str]):
        self.facts = facts
        self.names = names
        # Estimator class references a star import may decide (see `_unseen`): why they are left.
        self.unseen: dict[cst.CSTNode, str] = {}

    def visit_module(self) -> None:
        facts = self.facts
        seen_calls: set[int] = set()
        analysis = facts.analysis
        found = []
        for node in analysis.calls_and_classes:
            if isinstance(node, cst.Call):
                kind_qname = self._estimator_name(node.func) or self._unseen(node.func)
                if kind_qname:
                    seen_calls.add(id(node.func))
                    found.append((node, kind_qname))
            elif isinstance(node, cst.ClassDef):
                for base in node.bases:
                    if self._estimator_name(base.value) or self._unseen(base.value):
                        facts.stray.append((facts.line_of(node), self.unseen.get(base.value) or (
                            f"class '{node.name.value}' subclasses an estimator class: "
                            "migrate the subclass by hand to build a ScriptRunConfig")))
        facts._points = frozenset(id(node) for node, _ in found)
        facts.calls.extend(self._record(node, *kind_qname) for node, kind_qname in found)
        for node in analysis.expressions:
            if id(node) not in seen_calls and _last_segment(node) in self.names:
                parent = facts.parent(node)
                if isinstance(parent, (cst.ImportAlias, cst.Attribute, cst.Import, cst.ImportFrom)):
                    continue
                if isinstance(parent, cst.Arg) and isinstance(facts.parent(parent), cst.ClassDef):
                    continue
                found = self._estimator_name(node) or self._unseen(node)
                if found:
                    facts.stray.append((facts.line_of(node), self.unseen.get(node) or (
                        f"the estimator class {found[0]} is used as a value: "
                        "estimig cannot see which arguments it is built with; migrate by hand")))

    def _estimator_name(self, func: cst.CSTNode) -> tuple[str, str] | None:
        if _last_segment(func) not in self.names:
            return None
        for qname in self.facts.qualified_names(func):
            if qname in ESTIMATOR_CLASSES:
                return self._unseen(func, ESTIMATOR_CLASSES[qname]) or (ESTIMATOR_CLASSES[qname], qname)
        return None

    def _unseen(self, func: cst.CSTNode, kind: str | None = None) -> tuple[str, str] | None:
        """An estimator class name that a star import estimig cannot see into may bind or rebind
        (`from utils import *` + `Estimator(...)`): recorded, with why it is left, in `unseen`."""
        kind = kind or _last_segment(func)
        if kind not in self.KINDS:
            return None
        module = self.facts.analysis.unseen_star(func)
        if module is None:
            return None
        shown = get_full_name_for_node(func) or kind
        if self.facts.qualified_names(func):
            self.unseen[func] = (f"{shown} may be rebound by `from {module} import *` after its import, which estimig "
                                 f"cannot see into; import {kind} by name after that star import")
        else:
            self.unseen[func] = (f"{shown} here may come from `from {module} import *`, which estimig cannot see "
                                 f"into; import {kind} by name")
        return kind, f"{module}.{shown}"

    def _record(self, node: cst.Call, kind: str, qname: str) -> EstimatorCall:
        facts = self.facts
        kwargs: dict[str, cst.Arg] = {}
        problem = None
        positional = 0
        for arg in node.args:
            if arg.star:
                problem = f"the call unpacks {arg.star}{facts.code_for(arg.value)}: estimig cannot see which arguments it passes"
            elif arg.keyword is None:
                positional += 1
                if positional == 1:
                    kwargs["source_directory"] = arg
                else:
                    problem = "the call passes more than one positional argument"
            else:
                kwargs[arg.keyword.value] = arg
        problem = self.unseen.get(node.func) or problem

        target = statement = None
        target_node = None
        parent = facts.parent(node)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            target_node = parent.targets[0].target
            target = target_node.value
            line = facts.parent(parent)
            if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
                statement = line
        uses = tuple(self._use(n) for n in facts.accesses(target_node)) if target_node is not None else ()
        pos = facts.start(node)
        return EstimatorCall(node=node, kind=kind, qualified_name=qname, line=pos.line, column=pos.column,
                             kwargs=kwargs, shape_problem=problem, target=target, statement=statement,
                             uses=uses, module=facts)

    def _use(self, name: cst.Name) -> Use:
        facts = self.facts
        line = facts.line_of(name)
        parent = facts.parent(name)
        if isinstance(parent, cst.Arg):
            call = facts.parent(parent)
            if isinstance(call, cst.Call):
                callee = facts.code_for(call.func)
                if (parent.keyword is None and len(call.args) >= 1 and call.args[0] is parent
                        and isinstance(call.func, cst.Attribute) and call.func.attr.value == "submit"):
                    return Use(name, "submit", line, f"{callee}({name.value})", call=call)
                keyword = parent.keyword.value if parent.keyword else None
                shown = f"{keyword}={name.value}" if keyword else name.value
                return Use(name, "keyword" if keyword else "positional", line, f"{callee}({shown})",
                           call_names=frozenset(facts.qualified_names(call.func)), keyword=keyword, call=call)
        if isinstance(parent, cst.Attribute) and parent.value is name:
            chain: list[str] = []
            node: cst.CSTNode = name
            while isinstance(facts.parent(node), cst.Attribute) and facts.parent(node).value is node:
                node = facts.parent(node)
                chain.append(node.attr.value)
            return Use(name, "attribute", line, f"{name.value}.{'.'.join(chain)}", attributes=tuple(chain))
        return Use(name, "other", line, f"'{name.value}'")
