"""What a value in an estimator call is, as far as can be proven from the source.

The estimator treats `script_params` values by their runtime type: `''` and `None` are dropped,
lists and tuples are flattened, DataReferences and datastores become `$AZUREML_DATAREFERENCE_...`
strings, datasets become dataset inputs. A migration is only correct when the type is known, so
every concern that reads a value asks here, and nothing is guessed: what cannot be proven is
`UNKNOWN`, and the concern leaves the call alone.
"""

from __future__ import annotations

import ast
import enum
import operator
from dataclasses import dataclass
from typing import Any

import libcst as cst

from estimig import sdk_types
from estimig.facts import EstimatorCall
from estimig.flow import NUMBER_LOOP, ONLY_A_PART
from estimig.guards import TRUTHY, narrowing


class Kind(enum.Enum):
    LITERAL = "literal"  # a Python literal; `value` holds it
    SCALAR = "scalar"  # provably a str/int/float/bool at run time, may be '' (f-strings, str(x), arithmetic)
    DATASET = "dataset"  # a DatasetConsumptionConfig (dataset.as_mount(), .as_named_input(...), ...)
    DATA_REFERENCE = "data_reference"  # a DataReference (datastore.path(...).as_mount(), DataReference(...))
    DATASTORE = "datastore"  # a datastore object passed directly
    # A FileDataset / TabularDataset itself (Dataset.get_by_name(...), Dataset.File.from_files(...)):
    # not a consumption config, so neither an Estimator nor a ScriptRunConfig accepts it as an input.
    DATASET_OBJECT = "dataset_object"
    DATA_PATH = "data_path"  # an azureml.data.datapath.DataPath (what resume_from takes)
    COMPUTE = "compute"  # a ComputeTarget / AmlCompute object
    OTHER_COMPUTE = "other_compute"  # a compute target that is not AmlCompute (RemoteCompute, ...)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Value:
    kind: Kind
    node: cst.BaseExpression
    value: Any = None  # the literal, for LITERAL
    # The expression that defines it, after following simple assignments (for data kinds).
    origin: cst.BaseExpression | None = None
    # For SCALAR: provably never '' (a number, a bool, or a string with a non-empty literal part).
    nonempty: bool = False
    # For UNKNOWN: the kind its shape names when what it is built on cannot be seen (`x.as_mount()`
    # is a dataset consumption if x is a dataset); only a named assumption turns this into its kind.
    shape: Kind | None = None


_SCALAR_CALLS = frozenset({"str", "int", "float", "bool", "len", "round", "abs"})
_SCALAR_METHODS = frozenset({"format", "join", "lower", "upper", "strip", "replace"})

# Data and compute values come from one table of what the SDK returns (estimig/sdk_types.py).


def literal(node: cst.BaseExpression) -> tuple[bool, Any]:
    """(True, value) when the node is a plain Python literal (numbers, strings, None, booleans,
    and lists/tuples/sets/dicts of those); (False, None) otherwise. Same answer as
    `ast.literal_eval` of the node's code; the common shapes are read off the tree directly."""
    kind = type(node)
    if kind is cst.Name:
        return (True, _NAMED_CONSTANTS[node.value]) if node.value in _NAMED_CONSTANTS else (False, None)
    try:
        if kind in _ATOMS:
            return True, ast.literal_eval(node.value)
        if kind in _SEQUENCES:
            items = []
            for element in node.elements:
                ok, value = literal(element.value) if type(element) is cst.Element else (False, None)
                if not ok:
                    return False, None
                items.append(value)
            return True, _SEQUENCES[kind](items)
        if kind is cst.Dict:
            pairs = []
            for element in node.elements:
                if type(element) is not cst.DictElement:
                    return False, None
                (key_ok, key), (value_ok, value) = literal(element.key), literal(element.value)
                if not (key_ok and value_ok):
                    return False, None
                pairs.append((key, value))
            return True, dict(pairs)
        if kind is cst.Call and isinstance(node.func, cst.Name) and node.func.value == "set" and not node.args:
            return True, set()  # the one call ast.literal_eval accepts
        if kind not in _OPERATIONS or (kind is cst.ConcatenatedString and not _is_plain_concat(node)):
            return False, None  # calls, names, attributes, f-strings, ...: never literals
        source = cst.Module(body=[]).code_for_node(node)
        return True, ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


_NAMED_CONSTANTS = {"None": None, "True": True, "False": False}
_ATOMS = frozenset({cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary})
_SEQUENCES = {cst.List: list, cst.Tuple: tuple, cst.Set: set}
# `-1`, `1+2j`, `'a' 'b'`: ast.literal_eval decides from the code.
_OPERATIONS = frozenset({cst.UnaryOperation, cst.BinaryOperation, cst.ConcatenatedString})


def _is_plain_concat(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.ConcatenatedString):
        return _is_plain_concat(node.left) and _is_plain_concat(node.right)
    return isinstance(node, cst.SimpleString)


def classify(call: EstimatorCall, node: cst.BaseExpression, _depth: int = 0) -> Value:
    ok, value = literal(node)
    if ok:
        return Value(Kind.LITERAL, node, value=value)
    if _depth > 8:
        return Value(Kind.UNKNOWN, node)
    if isinstance(node, cst.Name):
        return _classify_name(call, node, _depth)
    if isinstance(node, (cst.FormattedString, cst.ConcatenatedString, cst.BinaryOperation)):
        folded = _folded_string(call, node, _depth)
        if folded is not None:
            return Value(Kind.LITERAL, node, value=folded)
    if isinstance(node, (cst.BinaryOperation, cst.UnaryOperation)):
        number = _folded_number(call, node, _depth)
        if number is not None:
            return Value(Kind.LITERAL, node, value=number)
    if isinstance(node, (cst.FormattedString, cst.ConcatenatedString)):
        return Value(Kind.SCALAR, node, nonempty=_has_text(node))
    if isinstance(node, cst.BinaryOperation) or isinstance(node, cst.UnaryOperation):
        if _starts_with_text(call, node, _depth):
            # `"data/" + name`: str.__add__ gives a str that starts with the text, or raises (the
            # call was never reached), whatever `name` is.
            return Value(Kind.SCALAR, node, nonempty=True)
        if not _numeric_or_string_arith(call, node, _depth):
            return Value(Kind.UNKNOWN, node)
        return Value(Kind.SCALAR, node, nonempty=_nonempty_concat(call, node, _depth) or _numeric(call, node, _depth))
    if isinstance(node, (cst.Comparison, cst.BooleanOperation)):
        return Value(Kind.UNKNOWN, node)
    if isinstance(node, cst.Call):
        return _classify_call(call, node, _depth)
    if isinstance(node, cst.Subscript):
        kind = _subscript_kind(call, node)
        if kind is not None:
            return Value(kind, node, origin=node)
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        declared = command_line_option(call, node)
        if declared is not None:
            return Value(Kind.SCALAR, node, nonempty=declared[1])
    return Value(Kind.UNKNOWN, node)


def command_line_option(call: EstimatorCall, node: cst.Attribute) -> tuple[type, bool] | None:
    """(type, never '') of `args.x` when `args = parser.parse_args()` (unchanged since) and the
    file's parser declares x with `type=int|float|str` (or no type: str) and a number or str default
    (or `required=True`, or no default under `argument_default=argparse.SUPPRESS`), or as a
    store_true/store_false flag (bool): argparse then never gives None. With no default (None), a
    test the program made first proves it (estimig/guards.py: `if not args.x: sys.exit(...)`).
    None otherwise."""
    parse = _parsed_namespace(call, node.value)
    if parse is None:
        return None
    parser = call.module.definition(parse.func.value, content=False)
    if isinstance(parser, str) or not isinstance(parser.value, cst.Call) \
            or "argparse.ArgumentParser" not in call.module.qualified_names(parser.value.func) \
            or any(a.keyword is not None and a.keyword.value == "parents" for a in parser.value.args):
        return None  # a parent parser's options are declared elsewhere
    absent = _absent_option(call, parser.value)
    found = []
    for read in parser.root.reads:  # add_argument, parse_args and the reporting methods declare nothing else
        method = call.module.parent(read)
        if not (isinstance(method, cst.Attribute) and method.attr.value in _PARSER_METHODS):
            return None
        declared = _declared(call, read, node.attr.value, absent)
        if declared is not _NOT_IT:
            found.append(declared)
    if len(found) != 1 or found[0] is None:
        return None
    chosen = found[0]
    if isinstance(chosen, _MaybeNone):
        tested = narrowing(call.module, node, call.node)
        if tested is None:
            return None
        return chosen.type, tested == TRUTHY or chosen.type in (int, float)
    return chosen, chosen in (int, float, bool)


_PARSER_METHODS = frozenset({"add_argument", "parse_args", "error", "print_help", "print_usage", "exit"})


@dataclass(frozen=True)
class _MaybeNone:
    """An option of this type that is None unless given (no default)."""
    type: type


def _parsed_namespace(call: EstimatorCall, name: cst.Name) -> cst.Call | None:
    """The `parser.parse_args()` call whose Namespace `name` holds at this call, its options never
    rebound since (no `args.x = ...`, never handed to a call or another name; reading an option
    into a name is fine, a str or number cannot be changed in place): bound to it here, or a
    parameter every call of whose function passes a name bound to it (`main(args)`)."""
    found = call.definition(name, content=False)
    if isinstance(found, str):
        passed = call.module.values(name)
        defs = call.module.reaching(name) or ()
        if isinstance(passed, str) or len(passed) != 1 or not isinstance(passed[0], (cst.Name, cst.Call)) \
                or not all(isinstance(d.node, cst.Param) and _options_unchanged(d) for d in defs):
            return None
        if isinstance(passed[0], cst.Call):
            parse = passed[0]  # `main(parser.parse_args())`: the Namespace is the parameter's alone
            return parse if isinstance(parse.func, cst.Attribute) and parse.func.attr.value == "parse_args" \
                and isinstance(parse.func.value, cst.Name) else None
        found = call.module.definition(passed[0], content=False)
        if isinstance(found, str):
            return None
    parse = found.value
    if not _options_unchanged(found) or not (
            isinstance(parse, cst.Call) and isinstance(parse.func, cst.Attribute)
            and parse.func.attr.value == "parse_args" and isinstance(parse.func.value, cst.Name)):
        return None
    return parse


def _options_unchanged(definition) -> bool:
    return not definition.changes and (definition.unknown is None or definition.unknown.startswith(ONLY_A_PART))


_NOT_IT = object()
_RAISES, _NONE, _OTHER = "raises", "none", "other"


def _absent_option(call: EstimatorCall, parser: cst.Call) -> str:
    """What `args.x` is for an option given no default and not on the command line: None (argparse's
    default), or, under `ArgumentParser(argument_default=argparse.SUPPRESS)`, no attribute at all, so
    reading it raises AttributeError where the original read it, and so does the migrated program,
    which reads it there or after; any other argument_default is a value estimig does not follow."""
    given = next((a.value for a in parser.args if a.keyword is not None and a.keyword.value == "argument_default"),
                 None)
    if given is None or literal(given) == (True, None):
        return _NONE
    return _RAISES if call.module.qualified_names(given) == {"argparse.SUPPRESS"} else _OTHER


def _declared(call: EstimatorCall, read: cst.CSTNode, dest: str, absent: str = _NONE):
    """What `parser.add_argument(...)` at this read declares for `dest`: the type of its value
    whenever the option can be read, None when it declares dest without a provable type, _NOT_IT
    when it declares something else."""
    facts = call.module
    attribute = facts.parent(read)
    add = facts.parent(attribute)
    if not (isinstance(attribute, cst.Attribute) and attribute.attr.value == "add_argument" and isinstance(add, cst.Call)):
        return _NOT_IT
    flags = [literal(a.value)[1] for a in add.args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in add.args if a.keyword is not None}
    if any(a.star for a in add.args) or not all(isinstance(f, str) for f in flags):
        return None
    named = literal(keywords["dest"])[1] if "dest" in keywords else None
    long = next((f for f in flags if f.startswith("--")), flags[0] if flags else "")
    if (named or long.lstrip("-").replace("-", "_")) != dest:
        return _NOT_IT
    if absent == _OTHER and "default" not in keywords:
        return None  # the parser's own argument_default, which estimig does not follow
    action = literal(keywords["action"])[1] if "action" in keywords else None
    if action in ("store_true", "store_false") and set(keywords) <= {"action", "help", "dest"}:
        return bool
    kind = keywords.get("type")
    if kind is None:
        chosen = str  # argparse hands an option without type= the text it was given
    else:
        chosen = {"int": int, "float": float, "str": str}.get(kind.value) if isinstance(kind, cst.Name) else None
    if action is not None or chosen is None \
            or (kind is not None and facts.qualified_names(kind) != {f"builtins.{kind.value}"}) \
            or any(k not in ("type", "default", "required", "help", "dest", "metavar", "choices") for k in keywords):
        return None
    required = literal(keywords["required"])[1] if "required" in keywords else False
    if required is True:
        return chosen
    if "default" not in keywords:
        return chosen if absent == _RAISES else _MaybeNone(chosen)
    given = classify(call, keywords["default"])  # a constant the file binds (`default=DEFAULT_DIR`) too
    if given.kind is Kind.LITERAL and given.value is None:
        return _MaybeNone(chosen)
    if given.kind is not Kind.LITERAL or type(given.value) not in (int, float, str):
        return None
    # argparse passes a str default through type= (`type=int, default="4"` is 4, or the parse
    # fails) and keeps any other as it is: a number default of a number option is a number, and
    # `type=str, default=9` is 9 or the text given (a scalar that may be '', as any str option).
    return chosen



def _classify_name(call: EstimatorCall, node: cst.Name, depth: int) -> Value:
    """A name is what its one reaching definition is, with folded changes applied; a name that
    may hold one of several literals (branches, `for x in [...]`) is a scalar when each is one."""
    found = call.definition(node, content=False)
    if isinstance(found, str):
        defs = call.module.reaching(node)
        if defs and all(d.how == NUMBER_LOOP and not d.changes for d in defs):
            return Value(Kind.SCALAR, node, nonempty=True)
        foreign = call.module.imported(node)
        if not isinstance(foreign, str):
            return _classify_imported(call, node, *foreign, depth)
        return _alternatives(call, node, depth)
    if found.changes:
        ok, value = fold(found)
        return Value(Kind.LITERAL, node, value=value) if ok else Value(Kind.UNKNOWN, node)
    inner = classify(call, found.value, depth + 1)
    # A name bound to a literal stays a name in the output (it may be reused), but its value is
    # known; data kinds keep where they came from.
    return Value(inner.kind, node, value=inner.value, origin=inner.origin or found.value, nonempty=inner.nonempty)


def _classify_imported(call: EstimatorCall, node: cst.Name, facts, definitions, depth: int) -> Value:
    """A name imported from a helper module: what it is there, at that module's end (every
    definition that reaches it must agree). Only its kind and literal value carry over: the
    helper's own names mean nothing in this file."""
    found = []
    for definition in definitions:
        if definition.changes or definition.unknown:
            ok, value = fold(definition) if not definition.unknown else (False, None)
            inner = Value(Kind.LITERAL, node, value=value) if ok else Value(Kind.UNKNOWN, node)
            if definition.unknown and isinstance(definition.value, (cst.Call, cst.Attribute, cst.Subscript)):
                inner = classify(call.elsewhere(facts), definition.value, depth + 1)
                inner = inner if inner.kind in _OBJECT_KINDS else Value(Kind.UNKNOWN, node)
        else:
            inner = classify(call.elsewhere(facts), definition.value, depth + 1)
        found.append(inner)
    kinds = {v.kind for v in found}
    if len(found) == 1 and (found[0].kind in (Kind.LITERAL, Kind.SCALAR) or found[0].kind in _OBJECT_KINDS):
        return Value(found[0].kind, node, value=found[0].value, nonempty=found[0].nonempty)
    if len(kinds) == 1 and kinds <= {Kind.COMPUTE, Kind.OTHER_COMPUTE, Kind.DATASTORE}:
        return Value(kinds.pop(), node)
    return Value(Kind.UNKNOWN, node)


def imported_items(call: EstimatorCall, node: cst.Name) -> list[tuple[cst.BaseExpression, cst.BaseExpression]] | str:
    """The items of a dict imported from a helper module, when every key and value is a literal
    (literal code means the same in any file); else why not."""
    foreign = call.module.imported(node, content=True)
    if isinstance(foreign, str):
        return foreign
    _, definitions = foreign
    if len(definitions) != 1 or definitions[0].unknown:
        return f"{node.value} is imported from a helper module, where it may hold one of several values"
    definition = definitions[0]
    items = folded_items(definition)
    if items is None and not definition.changes and isinstance(definition.value, cst.Dict):
        items = [(e.key, e.value) for e in definition.value.elements if isinstance(e, cst.DictElement)]
        if len(items) != len(definition.value.elements):
            items = None
    if items is None or not all(literal(k)[0] and literal(v)[0] for k, v in items):
        return f"{node.value} is imported from a helper module, where it is not a dict of literals"
    return items


def _alternatives(call: EstimatorCall, node: cst.Name, depth: int) -> Value:
    """A name that may hold one of several values (branches, `for x in [...]`, a parameter bound
    by several calls): a literal when all are the same literal, a scalar when all are scalars, a
    compute target when all are; anything else is unknown."""
    values = call.module.values(node)
    defs = call.module.reaching(node) or ()
    if isinstance(values, str) or not values or any(d.changes or (d.unknown and d.value is not None) for d in defs):
        return Value(Kind.UNKNOWN, node)
    if len(values) == 1 and not any(isinstance(d.node, cst.Param) for d in defs):
        return Value(Kind.UNKNOWN, node)  # one definition that `definition` already refused
    kinds = [classify(call, v, depth + 1) for v in values]
    if all(k.kind is Kind.LITERAL and type(k.value) in (str, int, float, bool) for k in kinds):
        if len({(type(k.value), k.value) for k in kinds}) == 1:
            return Value(Kind.LITERAL, node, value=kinds[0].value)
        return Value(Kind.SCALAR, node, nonempty=all(k.value != "" for k in kinds))
    if all(k.kind is Kind.LITERAL and type(k.value) in (str, int, float, bool) or k.kind is Kind.SCALAR for k in kinds):
        return Value(Kind.SCALAR, node, nonempty=all(k.value != "" if k.kind is Kind.LITERAL else k.nonempty for k in kinds))
    if len({k.kind for k in kinds}) == 1 and kinds[0].kind in (Kind.COMPUTE, Kind.OTHER_COMPUTE):
        return Value(kinds[0].kind, node)
    return Value(Kind.UNKNOWN, node)


def why(call: EstimatorCall, node: cst.BaseExpression) -> str | None:
    """For a name whose value is unknown: the one fact estimig lacked (it is a parameter of a
    function used as a value, bound on several paths, changed by a call, ...)."""
    if not isinstance(node, cst.Name):
        return None
    found = call.definition(node, content=False)
    if isinstance(found, str):
        defs = call.module.reaching(node)
        if defs and all(d.how == NUMBER_LOOP and not d.changes for d in defs):
            return Value(Kind.SCALAR, node, nonempty=True)
        foreign = call.module.imported(node)
        if isinstance(foreign, str) and "is not imported" not in foreign:
            return foreign
        values = call.module.values(node)
        return values if isinstance(values, str) else found
    return None


def fold(definition) -> tuple[bool, Any]:
    """(True, value) when the definition's value is a literal and every folded change is one too:
    the value the object holds after them; (False, None) otherwise."""
    ok, value = literal(definition.value)
    if not ok:
        return False, None
    for change in definition.changes:
        ok, value = _apply(change, value)
        if not ok:
            return False, None
    return True, value


def visible_entries(call: EstimatorCall, node: cst.BaseExpression, _depth: int = 0) -> list[cst.BaseExpression]:
    """Every key and value expression a dict may hold that the source shows: those of the dict
    literals that may reach `node` and of the changes made to them on any path, whether or not they
    can be folded (an assumption about what cannot be seen must not cover what can)."""
    if _depth > 8:
        return []
    if isinstance(node, cst.Dict):
        found: list[cst.BaseExpression] = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                found += [element.key, element.value]
            else:
                found += visible_entries(call, element.value, _depth + 1)
        return found
    if not isinstance(node, cst.Name):
        return []
    found = []
    for definition in call.module.reaching(node) or ():
        if definition.value is not None:
            found += visible_entries(call, definition.value, _depth + 1)
        for change in definition.changes:
            if change.op == "setitem":
                found += [k for k in (change.key,) if isinstance(k, cst.BaseExpression)] + [change.value]
            elif change.op == "update" and change.value is not None:
                found += visible_entries(call, change.value, _depth + 1)
            found += [k.value for k in change.keywords]
    return [n for n in found if n is not None]


def folded_items(definition) -> list[tuple[cst.BaseExpression, cst.BaseExpression]] | None:
    """A dict definition's (key, value) expressions after its folded changes, in the order the dict
    holds them (a replaced key keeps its place, as in Python); None when a change or key is not literal."""
    if not isinstance(definition.value, cst.Dict):
        return None
    pairs: list[list] = []
    for element in definition.value.elements:
        if not isinstance(element, cst.DictElement):
            return None
        pairs.append([element.key, element.value])
    for change in definition.changes:
        new = []
        if change.op == "setitem":
            new = [(change.key, change.value)]
        elif change.op == "update":
            if change.value is not None:
                if not isinstance(change.value, cst.Dict) or not all(isinstance(e, cst.DictElement) for e in change.value.elements):
                    return None
                new = [(e.key, e.value) for e in change.value.elements]
            new += [(cst.SimpleString(repr(k.keyword.value)), k.value) for k in change.keywords]
        elif change.op != "delitem":
            return None
        keys = [literal(k) for k, _ in pairs]
        if not all(ok for ok, _ in keys):
            return None
        if change.op == "delitem":
            ok, key = literal(change.key)
            if not ok or key not in [k for _, k in keys]:
                return None  # a KeyError at run time: that code never reached the call
            del pairs[[k for _, k in keys].index(key)]
            continue
        for key_node, value_node in new:
            ok, key = literal(key_node)
            if not ok:
                return None
            current = [literal(k)[1] for k, _ in pairs]
            if key in current:
                pairs[current.index(key)][1] = value_node
            else:
                pairs.append([key_node, value_node])
    return [(k, v) for k, v in pairs]


def folded_elements(definition) -> list[cst.BaseElement] | None:
    """A list definition's element nodes after appends and extends by literals; None otherwise."""
    if not isinstance(definition.value, cst.List):
        return None
    elements = list(definition.value.elements)
    for change in definition.changes:
        if change.op == "append":
            elements.append(cst.Element(change.value))
        elif change.op in ("extend", "iadd") and isinstance(change.value, (cst.List, cst.Tuple)):
            elements.extend(change.value.elements)
        else:
            return None
    return elements


def folded_attributes(definition) -> dict[str, cst.BaseExpression] | None:
    """The attributes set on an object after it is built (`mpi.process_count_per_node = 2`), last
    one wins; None when a change is anything else."""
    attributes: dict[str, cst.BaseExpression] = {}
    for change in definition.changes:
        if change.op != "setattr":
            return None
        attributes[change.key] = change.value
    return attributes


def _apply(change, value) -> tuple[bool, Any]:
    ok, argument = literal(change.value) if change.value is not None else (True, None)
    if not ok:
        return False, None
    try:
        if change.op == "setitem" and isinstance(value, dict):
            ok, key = literal(change.key)
            if ok:
                value[key] = argument
                return True, value
        elif change.op == "delitem" and isinstance(value, (dict, list)):
            ok, key = literal(change.key)
            if ok:
                del value[key]
                return True, value
        elif change.op == "update" and isinstance(value, dict):
            keywords = [(k.keyword.value, literal(k.value)) for k in change.keywords]
            if all(ok for _, (ok, _) in keywords):
                value.update(argument or {}, **{k: v for k, (_, v) in keywords})
                return True, value
        elif change.op == "append" and isinstance(value, list):
            value.append(argument)
            return True, value
        elif change.op in ("extend", "iadd") and isinstance(value, list) and isinstance(argument, (list, tuple)):
            value.extend(argument)
            return True, value
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    return False, None


def _folded_string(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> str | None:
    """The one value of a string built from constants: `f"{NAME}.yaml"`, `"data/" + FILE`, implicit
    concatenations of those, where every name holds one literal here. None otherwise."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = _folded_string(call, node.left, depth), _folded_string(call, node.right, depth)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = (classify(call, side, depth + 1) for side in (node.left, node.right))
        if left.kind is Kind.LITERAL and right.kind is Kind.LITERAL \
                and isinstance(left.value, str) and isinstance(right.value, str):
            return left.value + right.value
        return None
    if not isinstance(node, cst.FormattedString) or "b" in node.prefix.lower():
        return None
    text = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            if any(c in part.value for c in "\\{}"):
                return None  # escapes and doubled braces: not worth reproducing Python's lexer for
            text.append(part.value)
            continue
        if part.format_spec is not None or part.conversion not in (None, "s", "r") or part.equal is not None:
            return None
        value = classify(call, part.expression, depth + 1)
        if value.kind is not Kind.LITERAL or type(value.value) not in (str, int, float, bool):
            return None
        text.append(repr(value.value) if part.conversion == "r" else str(value.value))
    return "".join(text)


def _has_text(node: cst.BaseExpression) -> bool:
    """An f-string or implicit concatenation with at least one non-empty literal part."""
    if isinstance(node, cst.ConcatenatedString):
        return _has_text(node.left) or _has_text(node.right)
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value not in ("", b"")
    if isinstance(node, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringText) and p.value for p in node.parts)
    return False


def _starts_with_text(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> bool:
    """`"lit" + x + ...`: a sum whose leftmost operand is a non-empty string literal."""
    while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        node = node.left
    if node is None or isinstance(node, cst.BinaryOperation):
        return False
    ok, value = literal(node)
    return ok and isinstance(value, str) and value != ""


def _nonempty_concat(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> bool:
    """`"--" + x`, `x + "/data"`: a string sum with a non-empty literal operand is never ''; a
    number is never ''."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return any(_nonempty_operand(call, side, depth) for side in (node.left, node.right)) \
            or _nonempty_concat(call, node.left, depth) or _nonempty_concat(call, node.right, depth)
    return False


# Arithmetic Python does the same way at migration time and at run time (`60 * 60 * 3`,
# `HOURS * 60`); `**` only with small exponents, so a fold never builds a huge number.
_ARITHMETIC = {cst.Add: operator.add, cst.Subtract: operator.sub, cst.Multiply: operator.mul,
               cst.Divide: operator.truediv, cst.FloorDivide: operator.floordiv, cst.Modulo: operator.mod,
               cst.Power: operator.pow}
_SIGNS = {cst.Minus: operator.neg, cst.Plus: operator.pos}


def _folded_number(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> int | float | None:
    """The int or float an arithmetic expression of number constants evaluates to, or None (not
    arithmetic of numbers, or it raises: `1 / 0` is left to run time)."""
    if isinstance(node, cst.UnaryOperation):
        sign = _SIGNS.get(type(node.operator))
        inner = _folded_number(call, node.expression, depth) if sign is not None else None
        return sign(inner) if inner is not None else None
    if isinstance(node, cst.BinaryOperation):
        operation = _ARITHMETIC.get(type(node.operator))
        if operation is None:
            return None
        left, right = _folded_number(call, node.left, depth), _folded_number(call, node.right, depth)
        if left is None or right is None or (operation is operator.pow and not abs(right) <= 64):
            return None
        try:
            result = operation(left, right)
        except (ArithmeticError, ValueError):
            return None
        return result if type(result) in (int, float) else None  # (-8) ** 0.5 is complex
    value = classify(call, node, depth + 1)
    return value.value if value.kind is Kind.LITERAL and type(value.value) in (int, float) else None


def _numeric(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> bool:
    """Arithmetic whose every operand is a number: never ''."""
    if isinstance(node, cst.UnaryOperation):
        return _numeric(call, node.expression, depth)
    if isinstance(node, cst.BinaryOperation):
        return _numeric(call, node.left, depth) and _numeric(call, node.right, depth)
    value = classify(call, node, depth + 1)
    if value.kind is Kind.LITERAL:
        return type(value.value) in (int, float)
    return value.kind is Kind.SCALAR and value.nonempty and isinstance(node, cst.Call) \
        and isinstance(node.func, cst.Name) and node.func.value in ("int", "float", "len", "round", "abs")


def _nonempty_operand(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> bool:
    value = classify(call, node, depth + 1)
    if value.kind is Kind.LITERAL:
        return isinstance(value.value, str) and value.value != ""
    return value.kind is Kind.SCALAR and value.nonempty


def _numeric_or_string_arith(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> bool:
    if isinstance(node, cst.UnaryOperation):
        return _numeric_or_string_arith(call, node.expression, depth + 1)
    if isinstance(node, cst.BinaryOperation):
        return _numeric_or_string_arith(call, node.left, depth + 1) and _numeric_or_string_arith(call, node.right, depth + 1)
    value = classify(call, node, depth + 1)
    if value.kind is Kind.SCALAR:
        return True
    return value.kind is Kind.LITERAL and isinstance(value.value, (int, float, str)) and not isinstance(value.value, bool)


def _classify_call(call: EstimatorCall, node: cst.Call, depth: int) -> Value:
    func = node.func
    if isinstance(func, cst.Name) and func.value in _SCALAR_CALLS and not _shadowed(call, func):
        return Value(Kind.SCALAR, node, nonempty=_nonempty_builtin(call, node, depth))
    if isinstance(func, cst.Attribute) and func.attr.value in _SCALAR_METHODS and literal(func.value)[0]:
        ok, text = literal(func.value)
        nonempty = func.attr.value == "format" and isinstance(text, str) and bool(text.replace("{}", ""))
        return Value(Kind.SCALAR, node, nonempty=nonempty)
    path = _path_call(call, node, depth)
    if path is not None:
        return path
    if _environment_text(call, node, depth):
        return Value(Kind.SCALAR, node, nonempty=False)  # a variable may be set to ''
    data = _data_call_kind(call, node, depth)
    if data is not None:
        return Value(data, node, origin=node)
    if isinstance(func, cst.Attribute) and func.attr.value in _CONSUMPTION_METHODS:
        return Value(Kind.UNKNOWN, node, shape=Kind.DATASET)
    if isinstance(func, cst.Name):
        returned = _returned_kind(call, func, depth)
        if returned is not None:
            return Value(returned, node, origin=node)
    return Value(Kind.UNKNOWN, node)


def rereadable(call: EstimatorCall, node: cst.BaseExpression, _depth: int = 0) -> bool:
    """Whether the expression gives the same value when written again a few statements away (the
    concerns move a value into a statement before the call): literals, names, attributes of names,
    `__file__`, and int(), str() and os.path calls or f-strings and sums of those. Nothing in it can
    change anything."""
    if _depth > 8:
        return False
    if literal(node)[0] or isinstance(node, cst.Name):
        return True
    if isinstance(node, cst.Attribute):
        return rereadable(call, node.value, _depth + 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return rereadable(call, node.left, _depth + 1) and rereadable(call, node.right, _depth + 1)
    if isinstance(node, cst.FormattedString):
        return all(rereadable(call, part.expression, _depth + 1) for part in node.parts
                   if isinstance(part, cst.FormattedStringExpression))
    if isinstance(node, cst.Call):
        names = call.module.qualified_names(node.func)
        return bool(names & (_PATH_CALLS | {"builtins.int", "builtins.str"})) and all(
            not a.star and a.keyword is None and rereadable(call, a.value, _depth + 1) for a in node.args)
    return False


def str_path(call: EstimatorCall, node: cst.BaseExpression) -> tuple[bool, bool] | None:
    """(never '', absolute) when the expression is provably a str path (`_path`: a str literal,
    `__file__`, an os.path call of those, a name holding one), else None."""
    return _path(call, node, 0)


_ENVIRONMENT_GETS = frozenset({"os.environ.get", "os.getenv"})


def _environment_text(call: EstimatorCall, node: cst.Call, depth: int) -> bool:
    """`os.environ.get("NAME", "default")` or `os.getenv("NAME", "default")`: always a str (os.environ
    holds only str) when the default is one; without a default it may be None."""
    if not call.module.qualified_names(node.func) & _ENVIRONMENT_GETS or len(node.args) != 2 \
            or any(a.star or a.keyword is not None for a in node.args):
        return False
    default = classify(call, node.args[1].value, depth + 1)
    return default.kind is Kind.LITERAL and isinstance(default.value, str)


def _returned_kind(call: EstimatorCall, func: cst.Name, depth: int) -> Kind | None:
    """The SDK object kind a call of a function of this file returns on every path
    (`def find_or_create(ws, name): try: target = ComputeTarget(ws, name) except ...: target =
    ComputeTarget.create(...); return target`), or None. Only kinds: what is an object's type
    does not depend on the arguments the function was called with."""
    returned = call.module.returned(func)
    if isinstance(returned, str) or not returned:
        return None
    kinds = {classify(call, value, depth + 1).kind for value in returned}
    return kinds.pop() if len(kinds) == 1 and kinds <= _OBJECT_KINDS else None


# os.path functions that return a str path when given one.
_PATH_MODULES = ("os.path", "posixpath", "ntpath")
_PATH_FUNCTIONS = frozenset(f"{module}.{name}" for module in _PATH_MODULES
                            for name in ("abspath", "realpath", "normpath", "dirname", "basename", "join"))
_PATH_CALLS = _PATH_FUNCTIONS | {"os.getcwd"}


def _path_call(call: EstimatorCall, node: cst.Call, depth: int) -> Value | None:
    """`os.path.abspath(x)`, `os.path.join(os.path.dirname(os.path.realpath(__file__)), "data")`,
    `os.getcwd()`: a str, never '' when `_path` proves so; None when it is not such a call of str paths."""
    names = call.module.qualified_names(node.func)
    if not names & _PATH_CALLS:
        return None
    found = _path(call, node, depth)
    return Value(Kind.SCALAR, node, nonempty=found[0]) if found is not None else None


def _path(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> tuple[bool, bool] | None:
    """(never '', absolute) for an expression that is provably a str path, else None: a str literal,
    `__file__`, a name holding one, an os.path call of them, or a scalar known only at run time (a str
    in a path; a number raises in os.path, in both programs alike). abspath, realpath and getcwd are
    absolute, so never ''; normpath('') is '.'; the dirname of an absolute path is absolute (dirname of
    'file' is ''); a join is never '' when a part is not, and absolute when a part is."""
    if depth > 8:
        return None
    if isinstance(node, cst.Name) and node.value == "__file__" and not _bound_here(call, node):
        return True, False
    if isinstance(node, cst.Name):  # `here = os.path.dirname(os.path.realpath(__file__))`
        # A str cannot be changed in place: only which value the name holds matters.
        found = call.definition(node, content=False)
        if not isinstance(found, str) and isinstance(found.value, cst.Call):
            held = _path(call, found.value, depth + 1)
            if held is not None:
                return held
    names = call.module.qualified_names(node.func) if isinstance(node, cst.Call) else set()
    function = next((n.rsplit(".", 1)[1] for n in names if n in _PATH_CALLS), None)
    if function is not None:
        if any(a.star or a.keyword for a in node.args):
            return None
        if function == "getcwd":
            return (True, True) if not node.args else None
        parts = [_path(call, a.value, depth + 1) for a in node.args]
        if not parts or None in parts:
            return None
        if function == "join":
            return any(nonempty for nonempty, _ in parts), any(absolute for _, absolute in parts)
        if len(parts) != 1:
            return None
        nonempty, absolute = parts[0]
        return {"abspath": (True, True), "realpath": (True, True), "normpath": (True, absolute),
                "dirname": (absolute, absolute), "basename": (False, False)}[function]
    value = classify(call, node, depth + 1)
    if value.kind is Kind.LITERAL:
        return (value.value != "", value.value.startswith("/")) if isinstance(value.value, str) else None
    return (value.nonempty, False) if value.kind is Kind.SCALAR else None


# Methods whose result is a DatasetConsumptionConfig when called on a dataset (or on one).
_CONSUMPTION_METHODS = frozenset({"as_mount", "as_download", "as_named_input"})


def _nonempty_builtin(call: EstimatorCall, node: cst.Call, depth: int) -> bool:
    """int(), float(), bool(), len(), round(), abs() are numbers; str() of an SDK data object or of
    a uuid is never ''."""
    name = node.func.value
    if name != "str":
        return True
    if len(node.args) != 1 or node.args[0].keyword or node.args[0].star:
        return False
    argument = node.args[0].value
    if isinstance(argument, cst.Call) and call.module.qualified_names(argument.func) & {"uuid.uuid4", "uuid.uuid1"}:
        return True
    inner = classify(call, argument, depth + 1)
    return inner.kind in (Kind.DATASET, Kind.DATA_REFERENCE, Kind.DATASTORE, Kind.DATASET_OBJECT, Kind.DATA_PATH) \
        or (inner.kind is Kind.SCALAR and inner.nonempty) \
        or (inner.kind is Kind.LITERAL and type(inner.value) in (int, float, bool, str) and inner.value != "")


def _data_call_kind(call: EstimatorCall, node: cst.Call, depth: int) -> Kind | None:
    """The data or compute kind a call provably returns (estimig/sdk_types.py), or None."""
    func = node.func
    found = sdk_types.class_result(call.module.qualified_names(func))
    if found is None and isinstance(func, cst.Attribute):
        method = func.attr.value
        holder = func.value
        if isinstance(holder, cst.Attribute) and method in sdk_types.ATTRIBUTE_METHODS.get(holder.attr.value, {}):
            found = sdk_types.ATTRIBUTE_METHODS[holder.attr.value][method]  # ws.datasets.get(...)
        else:
            receiver = classify(call, holder, depth + 1)
            found = sdk_types.method_result(receiver.kind.name if receiver.kind in _OBJECT_KINDS else None, method)
    return Kind[found] if found else None


def _subscript_kind(call: EstimatorCall, node: cst.Subscript) -> Kind | None:
    """`ws.datastores['name']`, `ws.datasets['name']`, `ws.compute_targets['name']`."""
    if isinstance(node.value, cst.Attribute) and len(node.slice) == 1:
        found = sdk_types.ITEMS.get(node.value.attr.value)
        return Kind[found] if found else None
    return None


_OBJECT_KINDS = frozenset({Kind.DATASET, Kind.DATA_REFERENCE, Kind.DATASTORE, Kind.DATASET_OBJECT, Kind.DATA_PATH,
                           Kind.COMPUTE, Kind.OTHER_COMPUTE})


def _bound_here(call: EstimatorCall, name: cst.Name) -> bool:
    """Whether the program binds the name itself in the read's scope or one around it (`__file__`
    is otherwise the path Python sets for the running file)."""
    scope = call.module.scope_of(name)
    while scope is not None:
        if name.value in scope.bindings:
            return True
        scope = scope.parent
    return False


def _shadowed(call: EstimatorCall, name: cst.Name) -> bool:
    return any(not q.startswith("builtins.") for q in call.module.qualified_names(name))
