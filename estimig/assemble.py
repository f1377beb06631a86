"""Apply merged plans to a module in one pass, keeping the user's layout and comments.

Kept arguments keep their own nodes (value, comments, commas); new arguments borrow the call's
own separator so a one-line call stays on one line and an exploded call stays exploded; nothing is
reformatted. Calls that cannot be migrated get a short `# estimig:` comment above their statement;
the comments estimig wrote before on the statements it decides again are removed first
(estimig.comments), so a comment never outlives its reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from estimig.analysis import children, walk
from estimig.comments import is_owned, without_owned
from estimig.facts import EstimatorCall, ModuleFacts
from estimig.plan import SCRIPT_RUN_CONFIG_ORDER, MergedPlan


@dataclass
class CallDecision:
    call: EstimatorCall
    plan: MergedPlan
    # The comment written above the call's statement: why a call was left as it was, or (issue 14)
    # the `# estimig: assumes ...` line of a call migrated on an assumption. None: no comment.
    comment: str | None = None
    left: bool = False  # the call stays an Estimator
    suppressed: bool = False  # left by a `# estimig: ignore` comment: no finding, no comment
    # What the migrated call becomes, and its parameters' order (the target's: codemods/__init__.py).
    callee: str = "ScriptRunConfig"
    order: tuple[str, ...] = SCRIPT_RUN_CONFIG_ORDER


def assemble(facts: ModuleFacts, decisions: list[CallDecision], extra_comments: dict[int, str] | None = None,
             owned_lines: set[int] = frozenset()) -> cst.Module:
    """The module with `decisions` applied; `extra_comments` go above the statements at those lines,
    and estimig's own old comments are removed from the statements at `owned_lines`."""
    migrated = [d for d in decisions if not d.left]
    needed: set[tuple[str, str]] = set().union(*(d.plan.imports for d in migrated)) if migrated else set()
    needed -= _imported_names(facts.module, _first_statement(facts, migrated))
    # New imports join a `from M import ...` line of the leading import block when there is one;
    # otherwise they go where the estimator class was imported (in a notebook: that cell, not the
    # first one); failing both, after the leading import block.
    joined = _leading_imports_from(facts.module)
    anchor = _estimator_import(facts, migrated)
    transformer = _Assembler(facts, decisions, extra_comments or {}, owned_lines)
    for item in sorted(needed):
        if item[0] in joined:
            transformer.join.setdefault(id(joined[item[0]]), []).append(item[1])
    rest = {item for item in needed if item[0] not in joined}
    if rest and anchor is not None:
        transformer.after_anchor = (id(anchor), _import_statements(rest))
    elif rest:
        transformer.at_top = _import_statements(rest)
    transformer.limit_to_changes()
    module = facts.module.visit(transformer)
    removable, paths = _unused_after(module, _import_candidates(facts, transformer.removed_funcs))
    return module.visit(_RemoveAliases(removable, paths)) if removable else module


def render(facts: ModuleFacts, module: cst.Module, source: str) -> str:
    """The new module's code: the source text of every top-level statement the assembler left as
    it was, and generated code only for the statements it changed or added (a whole-module code
    generation costs as much as the parse). `source` is the text `facts.module` was parsed from."""
    old = facts.module
    if (module.header is not old.header or module.footer is not old.footer or not old.body
            or module.has_trailing_newline != old.has_trailing_newline or module.encoding != old.encoding
            or module.default_newline != old.default_newline or module.default_indent != old.default_indent):
        return module.code
    if not old.has_trailing_newline and (not module.body or module.body[-1] is not old.body[-1]):
        return module.code  # LibCST drops the last newline of such a file: only the whole module knows where
    first, last = facts.statement_text(old.body[0]), facts.statement_text(old.body[-1])
    pieces = [source[:first[0]]]
    for statement in module.body:
        span = facts.statement_text(statement)
        pieces.append(source[span[0]:span[1]] if span is not None else module.code_for_node(statement))
    pieces.append(source[last[1]:])
    return "".join(pieces)


def _first_statement(facts: ModuleFacts, migrated: list[CallDecision]) -> int:
    """The index in the module's body of the first top-level statement that holds a migrated call."""
    first = len(facts.module.body)
    index = {id(statement): i for i, statement in enumerate(facts.module.body)}
    for decision in migrated:
        node: cst.CSTNode | None = decision.call.node
        while node is not None and id(node) not in index:
            node = facts.parent(node)
        if node is not None:
            first = min(first, index[id(node)])
    return first


def _imported_names(module: cst.Module, before: int) -> set[tuple[str, str]]:
    """(module, name) pairs already imported by a plain module-level `from module import name` that
    runs before the statement at index `before` (an import further down, in a later notebook
    cell, binds the name too late for the migrated code)."""
    found = set()
    for statement in module.body[:before]:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
                        and not isinstance(small.names, cst.ImportStar):
                    dotted = _code(small.module)
                    found.update((dotted, alias.name.value) for alias in small.names
                                 if alias.asname is None and isinstance(alias.name, cst.Name))
    return found


def _import_candidates(facts: ModuleFacts, removed_funcs: list[cst.CSTNode]) -> set[tuple[str, str, str | None]]:
    """Import aliases whose every reference was the name of a call that is now gone:
    (module or dotted import, imported name, asname); an Import has '' as its module."""
    roots = set()
    for func in removed_funcs:
        while isinstance(func, cst.Attribute):
            func = func.value
        if isinstance(func, cst.Name):
            roots.add(func)
    root_ids = {id(root) for root in roots}
    candidates = set()
    for root in roots:
        scope = facts.scope_of(root)
        if scope is None:
            continue
        for assignment in scope[root.value]:
            node = getattr(assignment, "node", None)
            if not isinstance(node, (cst.Import, cst.ImportFrom)):
                continue
            if any(id(reference) not in root_ids for reference in assignment.references):
                continue
            if assignment.name in facts.analysis.string_references:
                continue  # still named by a string annotation
            candidates.update(key for key in _alias_keys(node) if _bound_name(key) == root.value)
    return candidates


def _unused_after(module: cst.Module, candidates: set[tuple[str, str, str | None]]) -> tuple[set, set[int]]:
    """The candidates whose bound name the new module no longer uses outside imports (a cheap walk:
    the new code includes statements the concerns wrote, which no analysis has seen), and the ids
    of the import statements that bind them with their ancestors: the only nodes the removal visits."""
    if not candidates:
        return set(), set()
    used: set[str] = set()
    imports: list[cst.Import | cst.ImportFrom] = []
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is cst.Import or kind is cst.ImportFrom:
            imports.append(node)
            continue
        if kind is cst.Name:
            used.add(node.value)
        for child in children(node):
            if type(child) in _IMPORT_PATH:
                parents[child] = node
            stack.append(child)
    removable = {c for c in candidates if _bound_name(c) not in used}
    paths: set[int] = set()
    for node in imports:
        if any(key in removable for key in _alias_keys(node)):
            while node is not None and id(node) not in paths:
                paths.add(id(node))
                node = parents.get(node)
    return removable, paths


def _bound_name(key: tuple[str, str, str | None]) -> str:
    """The name an alias binds: its asname, or the first part of `import a.b`."""
    return key[2] or key[1].split(".")[0]


def _alias_keys(node: cst.Import | cst.ImportFrom) -> list[tuple[str, str, str | None]]:
    """(module, imported name, asname) of each alias, as `_import_candidates` names them."""
    if isinstance(node.names, cst.ImportStar):
        return []
    if isinstance(node, cst.ImportFrom):
        if node.module is None:
            return []
        module = _code(node.module)
    else:
        module = ""
    return [(module, _code(alias.name), _code(alias.asname.name) if alias.asname else None) for alias in node.names]


# The nodes that can lead from the module down to an import statement.
_IMPORT_PATH = frozenset({
    cst.SimpleStatementLine, cst.IndentedBlock, cst.SimpleStatementSuite, cst.If, cst.Else, cst.For,
    cst.While, cst.Try, cst.TryStar, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.With,
    cst.FunctionDef, cst.ClassDef, cst.Match, cst.MatchCase, cst.Import, cst.ImportFrom,
})


class _RemoveAliases(cst.CSTTransformer):
    def __init__(self, aliases: set[tuple[str, str, str | None]], paths: set[int]):
        super().__init__()
        self.aliases = aliases
        self.paths = paths

    def on_visit(self, node) -> bool:
        # Only the statements that hold a removed alias change; the rest keep their identity.
        return id(node) in self.paths

    def leave_Import(self, original_node, updated_node):
        return self._keep(original_node, updated_node)

    def leave_ImportFrom(self, original_node, updated_node):
        return self._keep(original_node, updated_node)

    def _keep(self, original, node):
        if id(original) not in self.paths:
            return node
        keys = _alias_keys(node)
        names = [alias for alias, key in zip(node.names, keys) if key not in self.aliases]
        if len(names) == len(node.names):
            return node
        if not names:
            return cst.RemoveFromParent()
        names[-1] = names[-1].with_changes(comma=node.names[-1].comma)
        return node.with_changes(names=names)


def _code(node: cst.CSTNode) -> str:
    """An import's dotted module or alias name (`a.b`), without generating code for it."""
    return get_full_name_for_node(node) or cst.Module(body=[]).code_for_node(node)


def _estimator_import(facts: ModuleFacts, migrated: list[CallDecision]) -> cst.SimpleStatementLine | None:
    """The module-level statement that imports the first migrated call's estimator class."""
    for decision in migrated:
        root = decision.call.node.func
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            continue
        scope = facts.scope_of(root)
        if scope is None:
            continue
        for assignment in scope[root.value]:
            node = getattr(assignment, "node", None)
            if isinstance(node, (cst.Import, cst.ImportFrom)) and facts.scope_of(node).is_module:
                statement = facts.parent(node)
                if isinstance(statement, cst.SimpleStatementLine):
                    return statement
    return None


def _leading_imports_from(module: cst.Module) -> dict[str, cst.ImportFrom]:
    """The first `from M import ...` of each module M in the module's leading import block."""
    found: dict[str, cst.ImportFrom] = {}
    for index, statement in enumerate(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            break
        small = statement.body[0]
        if index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
            continue  # the module docstring
        if not isinstance(small, (cst.Import, cst.ImportFrom)):
            break
        if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
                and not isinstance(small.names, cst.ImportStar) and _code(small.module) != "__future__":
            found.setdefault(_code(small.module), small)
    return found


def _leading_block_end(module: cst.Module) -> int:
    """Index in module.body just after the docstring, `__future__` and leading imports."""
    end = 0
    for index, statement in enumerate(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            break
        small = statement.body[0]
        docstring = index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)
        if not docstring and not isinstance(small, (cst.Import, cst.ImportFrom)):
            break
        end = index + 1
    return end


def _import_statements(imports: set[tuple[str, str]]) -> list[cst.SimpleStatementLine]:
    by_module: dict[str, list[str]] = {}
    for module_name, name in sorted(imports):
        by_module.setdefault(module_name, []).append(name)
    return [_import_line(f"from {module_name} import {', '.join(names)}\n") for module_name, names in by_module.items()]


@functools.lru_cache(maxsize=256)
def _import_line(code: str) -> cst.SimpleStatementLine:
    # The same few import lines go into most migrated files; nodes are immutable, so one parse serves all.
    return cst.parse_statement(code)


class _Assembler(cst.CSTTransformer):
    def __init__(self, facts: ModuleFacts, decisions: list[CallDecision],
                 extra_comments: dict[int, str] | None = None, owned_lines: set[int] = frozenset()):
        super().__init__()
        self.facts = facts
        self.migrated = {id(d.call.node): d for d in decisions if not d.left}
        self.edits = {id(old): new for d in decisions if not d.left for old, new in d.plan.edits}
        # Statement id -> (before, after, comment) to apply when leaving that statement.
        self.statements: dict[int, list[CallDecision]] = {}
        for decision in decisions:
            statement = decision.call.statement or enclosing_statement(facts, decision.call.node)
            if statement is not None:
                self.statements.setdefault(id(statement), []).append(decision)
        # Comments by line (estimator classes used as values, subclasses): on the innermost
        # statement that holds the line.
        self.extra: dict[int, list[str]] = {}
        for line in sorted({*(extra_comments or {}), *owned_lines}):
            statement = statement_at_line(facts, line)
            if statement is not None:
                texts = self.extra.setdefault(id(statement), [])
                if line in (extra_comments or {}):
                    texts.append(extra_comments[line])
        self.imports: set[tuple[str, str]] = set()
        self.removed_funcs: list[cst.CSTNode] = []
        # Where new imports go (see `assemble`): names joined to an existing `from M import`,
        # statements after the estimator's own import, or statements after the leading block.
        self.join: dict[int, list[str]] = {}
        self.after_anchor: tuple[int, list[cst.SimpleStatementLine]] | None = None
        self.at_top: list[cst.SimpleStatementLine] = []
        self.paths: set[int] | None = None

    def limit_to_changes(self) -> None:
        """Visit only the nodes that change and their ancestors: the rest of the tree is kept as the
        same objects, and a transform of the whole tree would cost more than the analysis."""
        facts = self.facts
        targets = [d.call.node for d in self.migrated.values()]
        targets += [old for d in self.migrated.values() for old, _ in d.plan.edits]
        targets += [d.call.statement or enclosing_statement(facts, d.call.node)
                    for statements in self.statements.values() for d in statements]
        by_id = {id(node): node for node in facts.analysis.parents}
        targets += [by_id[key] for key in (*self.extra, *self.join) if key in by_id]
        if self.after_anchor is not None and self.after_anchor[0] in by_id:
            targets.append(by_id[self.after_anchor[0]])
        paths = {id(facts.module)}
        for node in targets:
            while node is not None and id(node) not in paths:
                paths.add(id(node))
                node = facts.parent(node)
        self.paths = paths

    def on_visit(self, node) -> bool:
        return self.paths is None or id(node) in self.paths

    def on_leave(self, original_node, updated_node):
        updated = super().on_leave(original_node, updated_node)
        if id(original_node) in self.edits:
            new = self.edits[id(original_node)]
            if isinstance(original_node, cst.Call):
                # A call replaced elsewhere (EstimatorStep -> PythonScriptStep): its old name's import
                # goes when nothing else uses it.
                self.removed_funcs.append(original_node.func)
            # An edit is a new node, or a function of the updated node so edits inside it survive.
            return new(updated) if callable(new) else new
        if isinstance(original_node, cst.Call) and id(original_node) in self.migrated:
            return self._migrate_call(self.migrated[id(original_node)], updated)
        if id(original_node) in self.statements or id(original_node) in self.extra:
            return self._statement(self.statements.get(id(original_node), []), updated,
                                   self.extra.get(id(original_node), []))
        if self.after_anchor is not None and id(original_node) == self.after_anchor[0]:
            return cst.FlattenSentinel([updated, *self.after_anchor[1]])
        if id(original_node) in self.join:
            names = list(updated.names)
            last = names[-1]
            names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            names += [cst.ImportAlias(name=cst.Name(name)) for name in self.join[id(original_node)]]
            names[-1] = names[-1].with_changes(comma=last.comma)
            return updated.with_changes(names=names)
        if isinstance(updated, cst.Module) and self.at_top:
            end = _leading_block_end(updated)
            return updated.with_changes(body=[*updated.body[:end], *self.at_top, *updated.body[end:]])
        return updated

    def _migrate_call(self, decision: CallDecision, updated: cst.Call) -> cst.Call:
        call, plan = decision.call, decision.plan
        self.imports |= plan.imports
        self.removed_funcs.append(call.node.func)
        # Kept arguments come from the updated tree so edits inside their values survive.
        updated_by_keyword = {}
        original_args = list(call.node.args)
        for original, new in zip(original_args, updated.args):
            for name, arg in call.kwargs.items():
                if arg is original:
                    updated_by_keyword[name] = new
        ordered = sorted(plan.arguments.values(), key=lambda a: decision.order.index(a.name))
        template = _separator(updated)
        args: list[cst.Arg] = []
        for new in ordered:
            if new.from_kwarg is not None:
                arg = updated_by_keyword[new.from_kwarg]
                if arg.keyword is not None and arg.keyword.value != new.name:
                    arg = arg.with_changes(keyword=cst.Name(new.name))
            else:
                arg = cst.Arg(keyword=cst.Name(new.name), value=cst.parse_expression(new.code),
                              equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                    whitespace_after=cst.SimpleWhitespace("")))
            args.append(arg)
        last_comma = updated.args[-1].comma if updated.args else cst.MaybeSentinel.DEFAULT
        for i, arg in enumerate(args):
            if i == len(args) - 1:
                args[i] = arg.with_changes(comma=last_comma)
            elif not isinstance(arg.comma, cst.Comma) or _is_last_original(arg, updated):
                args[i] = arg.with_changes(comma=template)
        args = _realign(args, call, len(decision.callee) - len(call.code(call.node.func)))
        return updated.with_changes(func=cst.Name(decision.callee), args=args)

    def _statement(self, decisions: list[CallDecision], updated: cst.BaseStatement, extra: list[str] = ()):
        before: list[str] = []
        after: list[str] = []
        comments: list[str] = list(extra)
        for decision in decisions:
            if decision.comment is not None:
                comments.append(decision.comment)
            if not decision.left:
                before.extend(decision.plan.before)
                after.extend(decision.plan.after)
        updated = _with_comments(updated, comments)
        if not before and not after:
            return updated
        leading = updated.leading_lines
        new_before = [cst.parse_statement(code + "\n") for code in before]
        new_after = [cst.parse_statement(code + "\n") for code in after]
        if new_before:
            # Comments that sat above the estimator stay above the whole migrated block.
            new_before[0] = new_before[0].with_changes(leading_lines=leading)
            updated = updated.with_changes(leading_lines=())
        return cst.FlattenSentinel([*new_before, updated, *new_after])


def _realign(args: list[cst.Arg], call: EstimatorCall, delta: int) -> list[cst.Arg]:
    """Continuation lines aligned under the opening parenthesis move with the new, longer name."""
    paren_column = call.column + len(call.code(call.node.func)) + 1
    if delta == 0:
        return args
    # Inside a block, LibCST stores continuation whitespace after the block's own indentation.
    statement = enclosing_statement(call.module, call.node)
    block_indent = call.module.column_of(statement) if statement is not None else 0
    realigned = []
    for arg in args:
        comma = arg.comma
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
            ws = comma.whitespace_after
            base = block_indent if ws.indent else 0
            if base + len(ws.last_line.value) == paren_column:
                ws = ws.with_changes(last_line=cst.SimpleWhitespace(" " * (paren_column + delta - base)))
                arg = arg.with_changes(comma=comma.with_changes(whitespace_after=ws))
        realigned.append(arg)
    return realigned


def _is_last_original(arg: cst.Arg, updated: cst.Call) -> bool:
    return bool(updated.args) and arg is updated.args[-1]


def _separator(call: cst.Call) -> cst.Comma:
    """The comma-and-whitespace the call already uses between arguments, comments removed."""
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma):
            return _without_comment(arg.comma)
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=_without_comment_ws(call.whitespace_before_args))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _without_comment(comma: cst.Comma) -> cst.Comma:
    return comma.with_changes(whitespace_after=_without_comment_ws(comma.whitespace_after))


def _without_comment_ws(ws):
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    return ws


def _with_comments(statement: cst.BaseStatement, comments: list[str]) -> cst.BaseStatement:
    """The statement with estimig's own comments above it replaced by `comments` (its user's kept)."""
    lines = list(statement.leading_lines)
    kept = without_owned(lines)
    wanted = list(dict.fromkeys(comments))
    owned = [line.comment.value for line in lines if line.comment is not None and is_owned(line.comment.value)]
    tail = [line.comment.value if line.comment else None for line in lines[len(lines) - len(wanted):]] if wanted else []
    if owned == wanted == tail:
        return statement  # already carries exactly these comments, right above it: a second run changes nothing
    return statement.with_changes(leading_lines=[*kept, *(cst.EmptyLine(comment=cst.Comment(text)) for text in wanted)])


def enclosing_statement(facts: ModuleFacts, node: cst.CSTNode):
    current = node
    while current is not None and not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        current = facts.parent(current)
    return current


def statement_at_line(facts: ModuleFacts, line: int):
    """The innermost statement whose lines include `line` (None when there is none)."""
    found = None
    for node in walk(facts.module):
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            position = facts.span(node)
            if position.start.line <= line <= position.end.line:
                if found is None or position.start.line >= facts.line_of(found):
                    found = node
    return found
