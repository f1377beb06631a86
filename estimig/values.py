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

from estimig.facts import EstimatorCall


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

# Data values. Each rule names the receiver's kind and the method, so a method that several SDK
# classes share (`as_mount` exists on datasets, consumption configs, DataReferences, datastores and
# pipeline outputs, with different results) is only trusted on a receiver whose kind is proven.
_DATASET_QUALIFIED = ("azureml.core.Dataset", "azureml.core.dataset.Dataset",
                      "azureml.data.dataset_factory.FileDatasetFactory",
                      "azureml.data.dataset_factory.TabularDatasetFactory")
_DATASET_FACTORIES = frozenset({"get_by_name", "get_by_id", "from_files", "from_delimited_files",
                                "from_parquet_files", "from_json_lines_files", "from_sql_query"})
# FileDataset / TabularDataset methods that return another dataset of the same kind.
_DATASET_TRANSFORMS = frozenset({"register", "take", "skip", "take_sample", "filter", "keep_columns",
                                 "drop_columns", "with_timestamp_columns", "time_before", "time_after",
                                 "time_between", "time_recent", "add_tags", "remove_tags"})
_DATASTORE_QUALIFIED = ("azureml.core.Datastore", "azureml.core.datastore.Datastore")
_DATASTORE_FACTORIES = frozenset({"get", "get_default"})
_CONSUMPTION_CONFIG_CLASS = "azureml.data.dataset_consumption_config.DatasetConsumptionConfig"
_DATA_REFERENCE_CLASSES = ("azureml.data.data_reference.DataReference",)
_DATA_PATH_CLASSES = ("azureml.data.datapath.DataPath",)
# receiver kind -> {method: result kind}
_METHODS = {
    Kind.DATASET_OBJECT: {**dict.fromkeys(_DATASET_TRANSFORMS, Kind.DATASET_OBJECT),
                          **dict.fromkeys(("as_named_input", "as_mount", "as_download", "as_hdfs"), Kind.DATASET)},
    Kind.DATASET: dict.fromkeys(("as_mount", "as_download", "as_hdfs"), Kind.DATASET),
    Kind.DATA_REFERENCE: dict.fromkeys(("path", "as_mount", "as_download", "as_upload"), Kind.DATA_REFERENCE),
    Kind.DATASTORE: dict.fromkeys(("path", "as_mount", "as_download", "as_upload"), Kind.DATA_REFERENCE),
}


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
        assigned = call.resolve(node)
        if isinstance(assigned, (cst.List, cst.Dict, cst.Set)):
            # A list can change after it is bound (append, item assignment): then its value at the
            # call is not the literal.
            binding = call.module.parent(assigned)
            target = binding.targets[0].target if isinstance(binding, cst.Assign) else None
            if not isinstance(target, cst.Name) or call.module.is_mutated(target):
                return Value(Kind.UNKNOWN, node)
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
    if isinstance(node, (cst.Comparison, cst.BooleanOperation)):
        return Value(Kind.UNKNOWN, node)
    if isinstance(node, cst.Call):
        return _classify_call(call, node, _depth)
    if isinstance(node, cst.Subscript):
        kind = _subscript_kind(call, node)
        if kind is not None:
            return Value(kind, node, origin=node)
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
    if isinstance(func, cst.Attribute) and func.attr.value in _SCALAR_METHODS and literal(func.value)[0]:
        return Value(Kind.SCALAR, node)
    data = _data_call_kind(call, node, depth)
    if data is not None:
        return Value(data, node, origin=node)
    return Value(Kind.UNKNOWN, node)


def _data_call_kind(call: EstimatorCall, node: cst.Call, depth: int) -> Kind | None:
    """The data kind a call provably returns, or None."""
    func = node.func
    qnames = call.module.qualified_names(func)
    if any(q == _CONSUMPTION_CONFIG_CLASS or q == "azureml.data.DatasetConsumptionConfig" for q in qnames):
        return Kind.DATASET
    if any(q.startswith(_DATA_REFERENCE_CLASSES) for q in qnames):
        return Kind.DATA_REFERENCE
    if any(q.startswith(_DATA_PATH_CLASSES) for q in qnames):
        return Kind.DATA_PATH
    if not isinstance(func, cst.Attribute):
        if any(q in _DATASTORE_QUALIFIED for q in qnames):  # Datastore(ws, name)
            return Kind.DATASTORE
        return None
    method = func.attr.value
    if method in _DATASET_FACTORIES and _qualified_startswith(call, func.value, _DATASET_QUALIFIED):
        return Kind.DATASET_OBJECT
    if method in _DATASTORE_FACTORIES and any(q in _DATASTORE_QUALIFIED for q in call.module.qualified_names(func.value)):
        return Kind.DATASTORE
    if method == "get_default_datastore":  # Workspace.get_default_datastore()
        return Kind.DATASTORE
    receiver = classify(call, func.value, depth + 1)
    return _METHODS.get(receiver.kind, {}).get(method)


def _subscript_kind(call: EstimatorCall, node: cst.Subscript) -> Kind | None:
    """`ws.datastores['name']` and `ws.datasets['name']`."""
    if isinstance(node.value, cst.Attribute) and len(node.slice) == 1:
        attr = node.value.attr.value
        if attr == "datastores":
            return Kind.DATASTORE
        if attr == "datasets":
            return Kind.DATASET_OBJECT
    return None


def _qualified_startswith(call: EstimatorCall, node: cst.CSTNode, prefixes: tuple[str, ...]) -> bool:
    return any(q.startswith(prefixes) for q in call.module.qualified_names(node))


def _shadowed(call: EstimatorCall, name: cst.Name) -> bool:
    return any(not q.startswith("builtins.") for q in call.module.qualified_names(name))
