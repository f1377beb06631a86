"""Guards: what the program has already tested about a command-line option where it is read.

An option with no default is None unless given, so `args.out` proves nothing by itself. Real submit
scripts test it first: `if not args.out: sys.exit("--out is required")` before the estimator, or
the estimator (or the read) inside `if args.epochs:`. Where such a test holds, the option is
truthy (a non-empty str, a non-zero number) or, after `is None` / `is not None`, not None.

Only what is certain counts:
- the test reads the same namespace the read does (the same one definition of `args` reaches
  both), and the namespace's options are never rebound (values.py checks that before asking);
- an enclosing `if` holds in its body and its negation in its `else` (an `elif` is the `else`);
- an exit guard is an `if` with no `else`, a previous statement of the block of the call or of one
  of the call's enclosing statements, whose body ends in `raise`, `sys.exit()`, `exit()`, `quit()`,
  `os._exit()`, `parser.error()` (argparse exits) or, in the call's own function, `return`. A
  handler that catches the exit encloses both the guard and the call, so the call is skipped too;
- tests: the option itself, `not`, `and` (each side holds when it is true), `or` (each side's
  negation holds when it is false), `is None` and `is not None`. Anything else proves nothing.
"""

from __future__ import annotations

import libcst as cst

TRUTHY, NOT_NONE = "truthy", "not None"
_EXITS = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "os._exit"})


def narrowing(facts, read: cst.Attribute, at: cst.CSTNode) -> str | None:
    """TRUTHY or NOT_NONE where the program's tests prove it of `read` (`args.x`) at `at` (the
    estimator call), else None."""
    known: set[str] = set()
    for node in (read, at):
        known |= _enclosing_tests(facts, read, node)
    known |= _exit_guards(facts, read, at)
    return TRUTHY if TRUTHY in known else NOT_NONE if NOT_NONE in known else None


def _enclosing_tests(facts, read: cst.Attribute, node: cst.CSTNode) -> set[str]:
    known: set[str] = set()
    child, parent = node, facts.parent(node)
    while parent is not None:
        if isinstance(parent, cst.If):
            if child is parent.body:
                known |= _proves(facts, parent.test, True, read)
            elif child is parent.orelse:
                known |= _proves(facts, parent.test, False, read)
        child, parent = parent, facts.parent(parent)
    return known


def _exit_guards(facts, read: cst.Attribute, at: cst.CSTNode) -> set[str]:
    known: set[str] = set()
    same_function = True
    child, parent = at, facts.parent(at)
    while parent is not None:
        if isinstance(parent, (cst.Module, cst.IndentedBlock)) and child in parent.body:
            for statement in parent.body[:parent.body.index(child)]:
                if isinstance(statement, cst.If) and statement.orelse is None \
                        and _ends(facts, statement.body, same_function):
                    known |= _proves(facts, statement.test, False, read)
        if isinstance(parent, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            same_function = False
        child, parent = parent, facts.parent(parent)
    return known


def _ends(facts, body: cst.BaseSuite, may_return: bool) -> bool:
    """Whether the block's last statement ends the path: the call after it is not reached."""
    last = body.body[-1] if body.body else None  # `if not x: exit(1)` on one line holds small statements
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    if isinstance(last, cst.Raise) or (may_return and isinstance(last, cst.Return)):
        return True
    if not (isinstance(last, cst.Expr) and isinstance(last.value, cst.Call)):
        return False
    func = last.value.func
    if facts.qualified_names(func) & _EXITS:
        return True
    if isinstance(func, cst.Attribute) and func.attr.value == "error" and isinstance(func.value, cst.Name):
        parser = facts.definition(func.value, content=False)
        return not isinstance(parser, str) and isinstance(parser.value, cst.Call) \
            and "argparse.ArgumentParser" in facts.qualified_names(parser.value.func)
    return False


def _proves(facts, test: cst.BaseExpression, holds: bool, read: cst.Attribute) -> set[str]:
    """What `test` being `holds` (True or False) proves of the option `read`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _proves(facts, test.expression, not holds, read)
    if isinstance(test, cst.BooleanOperation):
        if isinstance(test.operator, cst.And) == holds:  # `a and b` true, `a or b` false: each side
            return _proves(facts, test.left, holds, read) | _proves(facts, test.right, holds, read)
        return set()
    if _same_option(facts, test, read):
        return {TRUTHY} if holds else set()
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and _same_option(facts, test.left, read):
        target = test.comparisons[0]
        is_not = isinstance(target.operator, cst.IsNot)
        if (is_not or isinstance(target.operator, cst.Is)) and isinstance(target.comparator, cst.Name) \
                and target.comparator.value == "None" and is_not == holds:
            return {NOT_NONE}
    return set()


def _same_option(facts, expr: cst.BaseExpression, read: cst.Attribute) -> bool:
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
            and expr.attr.value == read.attr.value and expr.value.value == read.value.value):
        return False
    tested, used = facts.reaching(expr.value), facts.reaching(read.value)
    if not tested or not used:
        return False
    # One binding reaches both (its state may differ: what the program did with it in between).
    roots = {d.root for d in tested} | {d.root for d in used}
    return len(roots) == 1
