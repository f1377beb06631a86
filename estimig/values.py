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
from dataclasses import dataclass
from typing import Any

import libcst as cst
import libcst.matchers as m

from estimig.facts import EstimatorCall


class Kind(enum.Enum):
    LITERAL = "literal"  # a Python literal; `value` holds it
    SCALAR = "scalar"  # provably a str/int/float/bool at run time, may be '' (f-strings, str(x), arithmetic)
    DATASET = "dataset"  # a DatasetConsumptionConfig (dataset.as_mount(), .as_named_input(...), ...)
    DATA_REFERENCE = "data_reference"  # a DataReference (datastore.path(...).as_mount(), DataReference(...))
    DATASTORE = "datastore"  # a datastore object passed directly
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Value:
    kind: Kind
    node: cst.BaseExpression
    value: Any = None  # the literal, for LITERAL
    # The expression that defines it, after following simple assignments (for data kinds).
    origin: cst.BaseExpression | None = None


_SCALAR_CALLS = frozenset({"str", "int", "float", "bool", "len", "round", "abs"})
_SCALAR_METHODS = frozenset({"format", "join", "lower", "upper", "strip", "replace"})
_MOUNT_METHODS = frozenset({"as_mount", "as_download", "as_upload"})
_DATASET_METHODS = frozenset({"as_named_input", "as_hdfs"})
_DATASET_QUALIFIED = ("azureml.core.Dataset", "azureml.core.dataset.Dataset", "azureml.data.")
_DATASTORE_QUALIFIED = ("azureml.core.Datastore", "azureml.core.datastore.Datastore")


def literal(node: cst.BaseExpression) -> tuple[bool, Any]:
    """(True, value) when the node is a plain Python literal (numbers, strings, None, booleans,
    and lists/tuples/dicts of those); (False, None) otherwise."""
    if isinstance(node, (cst.FormattedString, cst.ConcatenatedString)) and not _is_plain_concat(node):
        return False, None
    try:
        source = cst.Module(body=[]).code_for_node(node)
        return True, ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


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
        assigned = call.resolve(node)
        if assigned is not None:
            inner = classify(call, assigned, _depth + 1)
            # A name bound to a literal stays a name in the output (it may be reused), but its
            # value is known; data kinds keep where they came from.
            return Value(inner.kind, node, value=inner.value, origin=inner.origin or assigned)
        return Value(Kind.UNKNOWN, node)
    if isinstance(node, (cst.FormattedString, cst.ConcatenatedString)):
        return Value(Kind.SCALAR, node)
    if isinstance(node, cst.BinaryOperation) or isinstance(node, cst.UnaryOperation):
        return Value(Kind.SCALAR, node) if _numeric_or_string_arith(call, node, _depth) else Value(Kind.UNKNOWN, node)
    if isinstance(node, cst.Comparison) or m.matches(node, m.BooleanOperation()):
        return Value(Kind.UNKNOWN, node)
    if isinstance(node, cst.Call):
        return _classify_call(call, node, _depth)
    return Value(Kind.UNKNOWN, node)


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
        return Value(Kind.SCALAR, node)
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method in _SCALAR_METHODS and literal(func.value)[0]:
            return Value(Kind.SCALAR, node)
        if method in _MOUNT_METHODS or method in _DATASET_METHODS:
            receiver = classify(call, func.value, depth + 1)
            if receiver.kind in (Kind.DATASET, Kind.DATA_REFERENCE):
                return Value(receiver.kind, node, origin=node)
            if receiver.kind is Kind.DATASTORE and method in _MOUNT_METHODS:
                return Value(Kind.DATA_REFERENCE, node, origin=node)
            if _is_dataset_source(call, func.value, depth):
                return Value(Kind.DATASET, node, origin=node)
            return Value(Kind.UNKNOWN, node)
        if method == "path":
            receiver = classify(call, func.value, depth + 1)
            if receiver.kind is Kind.DATASTORE:
                # datastore.path(...) is a DataPath-like DataReference factory; as a value it is a
                # DataReference in mount mode.
                return Value(Kind.DATA_REFERENCE, node, origin=node)
        if method in ("get_default_datastore",) or _qualified_startswith(call, func, _DATASTORE_QUALIFIED):
            return Value(Kind.DATASTORE, node, origin=node)
        if _qualified_startswith(call, func, _DATASET_QUALIFIED):
            return Value(Kind.DATASET, node, origin=node)
    qnames = call.module.qualified_names(func)
    if any(q.startswith("azureml.data.data_reference.DataReference") for q in qnames):
        return Value(Kind.DATA_REFERENCE, node, origin=node)
    return Value(Kind.UNKNOWN, node)


def _is_dataset_source(call: EstimatorCall, node: cst.BaseExpression, depth: int) -> bool:
    resolved = call.resolve(node) if isinstance(node, cst.Name) else node
    if isinstance(resolved, cst.Call):
        func = resolved.func
        if _qualified_startswith(call, func, _DATASET_QUALIFIED):
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in ("from_files", "from_delimited_files",
                                                                      "from_parquet_files", "get_by_name", "get_by_id",
                                                                      "register", "from_json_lines_files"):
            return _is_dataset_source(call, func.value, depth + 1) or _qualified_startswith(call, func.value, _DATASET_QUALIFIED)
    if isinstance(resolved, cst.Attribute):
        return _qualified_startswith(call, resolved, _DATASET_QUALIFIED)
    return False


def _qualified_startswith(call: EstimatorCall, node: cst.CSTNode, prefixes: tuple[str, ...]) -> bool:
    return any(q.startswith(prefixes) for q in call.module.qualified_names(node))


def _shadowed(call: EstimatorCall, name: cst.Name) -> bool:
    return any(not q.startswith("builtins.") for q in call.module.qualified_names(name))
