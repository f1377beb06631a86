"""datasets: script_params={'--data': ds.as_mount()}, inputs=[ds.as_named_input('x')] -> arguments=['--data', ds.as_mount()], run_config.data.

An Estimator turns every DatasetConsumptionConfig of `script_params` and `inputs` into an input of
its run configuration (`_get_data_inputs`, `_get_data_configuration`: `data[dcc.name] = dcc`, the
inputs first, then script_params, a later one winning on a name clash) and puts
`DatasetConsumptionConfig:<name>` in the arguments. A ScriptRunConfig does the same at submit time
for a DatasetConsumptionConfig found in `arguments` (`_update_args_and_io`), so, as Microsoft's
guide shows, a dataset argument is passed as it is. An `inputs` item that is not an argument is
written to `run_config.data` after the constructor, under its input name.

Left alone, with the reason: an `inputs` that is not a list literal (or a name whose one reaching
definition is one, literal appends folded: docs/facts.md), an item whose kind cannot be proven, a Dataset passed without a consumption
mode (it fails at submit either way, and the fix is the user's choice), and an `inputs` dataset
whose input name might clash with a dataset argument's (at submit a ScriptRunConfig keeps the input
already in `run_config.data`, while the estimator kept the argument's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from estimig.assumptions import DATASET, as_dataset, hint
from estimig.facts import EstimatorCall
from estimig.plan import CallPlan
from estimig.values import Kind, Value, classify, folded_elements, literal

NAME = "datasets"
SUMMARY = "DatasetConsumptionConfig values in script_params and inputs -> arguments and run_config.data"


class Unprovable(Exception):
    pass


def render_argument(call: EstimatorCall, value: Value) -> str:
    """A dataset argument goes into `arguments` unchanged (the guide: `arguments=['--data-folder',
    mnist_ds.as_mount()]`); the ScriptRunConfig registers it as an input when it is submitted."""
    return call.code(value.node)


@dataclass(frozen=True)
class Item:
    """One element of `inputs`."""

    node: cst.BaseExpression
    value: Value


def plan(call: EstimatorCall, options) -> CallPlan:
    try:
        items = inputs_items(call) if call.has("inputs") else []
        used: set[str] = set()
        items = [Item(item.node, as_dataset(item.value, options, used)) for item in items]
        _check_input_names(call, items, options)
        before, after = _data_statements(call, items, options)
    except Unprovable as exc:
        return CallPlan(NAME, blocked=str(exc))
    if (before or after) and (call.target is None or call.statement is None):
        return CallPlan(NAME, blocked="inputs must be set on run_config after the call, but the estimator is not "
                        "assigned to a simple name: assign it (est = Estimator(...)) and run estimig again")
    handles = frozenset({"inputs"}) if call.has("inputs") else frozenset()
    return CallPlan(NAME, handles=handles, before=tuple(before), after=tuple(after), assumes=frozenset(used))


def _check_input_names(call: EstimatorCall, items: list[Item], options) -> None:
    """Two dataset inputs of one name: the estimator keeps the later one (inputs first, then
    script_params), a ScriptRunConfig at submit the one already in `run_config.data`, or the first
    argument. They agree only when no dataset argument shares its name with another dataset, so
    that is required, unless both are the same object (the same simple name)."""
    arguments = script_params_datasets(call, options)
    others = arguments + [item.value for item in items if item.value.kind is Kind.DATASET]
    for i, argument in enumerate(arguments):
        for other in others[i + 1:]:
            same = _same_object_key(call, argument)
            if same is not None and same == _same_object_key(call, other):
                continue
            if not _distinct(call, argument, other):
                raise Unprovable(f"the datasets {call.code(argument.node)} and {call.code(other.node)} may have the "
                                 "same input name, and a ScriptRunConfig would keep the other one than the estimator "
                                 "did; give each a different name with as_named_input('...') and run estimig again")


def inputs_items(call: EstimatorCall) -> list[Item]:
    """The elements of `inputs`, when the list is provable: a list or tuple literal in the call, or
    a name whose one reaching definition is one, with literal appends and extends folded. Raises Unprovable."""
    arg = call.kwargs["inputs"]
    node = arg.value
    shown = call.code(node)
    if isinstance(node, cst.Name):
        if literal(node)[0]:  # None
            return []
        found = call.definition(node)
        if isinstance(found, str):
            raise Unprovable(f"inputs={shown}: estimig cannot prove what the list holds ({found}); migrate the "
                             "inputs by hand")
        elements = folded_elements(found) if found.changes else None
        if found.changes and elements is None:
            raise Unprovable(f"inputs={shown}: the list is changed before this call in a way estimig cannot fold")
        node = found.value if elements is None else cst.List(elements)
    ok, value = literal(node)
    if ok and not value:  # [], (), None
        return []
    if not isinstance(node, (cst.List, cst.Tuple)):
        raise Unprovable(f"inputs={shown} is not a list literal; estimig cannot prove what it holds")
    items = []
    for element in node.elements:
        if isinstance(element, cst.StarredElement):
            raise Unprovable(f"inputs unpacks *{call.code(element.value)}; estimig cannot prove what it holds")
        items.append(Item(element.value, classify(call, element.value)))
    return items


def input_name(call: EstimatorCall, value: Value) -> str | None:
    """The input name a DatasetConsumptionConfig provably has (`as_named_input('x')`,
    `DatasetConsumptionConfig('x', ...)`), or None: a generated name (`input__` and 8 hex digits,
    random, or from the registered dataset's id) or one only known at run time."""
    node = _name_node(call, value)
    if node is None:
        return None
    ok, name = literal(node)
    return name if ok and isinstance(name, str) and name else None


def _name_node(call: EstimatorCall, value: Value) -> cst.BaseExpression | None:
    """The string literal that names a DatasetConsumptionConfig, or None."""
    for node in _consumption_chain(call, value):
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "as_named_input":
            return _literal_argument(node, 0, "name")
        if isinstance(func, cst.Attribute) and func.attr.value in _MODES:
            continue
        if classify(call, node).kind is Kind.DATASET:  # DatasetConsumptionConfig(name, dataset, ...)
            return _literal_argument(node, 0, "name")
        return None
    return None


_MODES = ("as_mount", "as_download", "as_hdfs")


def _consumption_chain(call: EstimatorCall, value: Value):
    """The expressions a consumption config is built from, outermost first (`ds.as_named_input('x')
    .as_mount()`, then `ds.as_named_input('x')`, then `ds`), following simple names; it stops at a
    name whose value cannot be proven, after yielding None for it."""
    node = value.origin if value.origin is not None else value.node
    for _ in range(16):
        if isinstance(node, cst.Name):
            node = call.resolve(node)
            if node is None:
                yield None
                return
            continue
        yield node
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in ("as_named_input", *_MODES)):
            return
        node = node.func.value


def _literal_argument(node: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            chosen = arg
            break
    else:
        if len(positional) <= position:
            return None
        chosen = positional[position]
    ok, value = literal(chosen.value)
    return chosen.value if ok and isinstance(value, str) and value else None


def script_params_datasets(call: EstimatorCall, options=None) -> list[Value]:
    """Dataset values of script_params, when the dict is provable ([] when it is not: the arguments
    concern blocks the call then)."""
    from estimig.codemods.arguments import shared_items

    values = [classify(call, node) for _, node in shared_items(call)]
    if options is not None:  # with the datasets the user assumes (dataset-consumption) counted too
        values = [as_dataset(v, options, set()) for v in values]
    return [v for v in values if v.kind is Kind.DATASET]


def _data_statements(call: EstimatorCall, items: list[Item], options) -> tuple[list[str], list[str]]:
    arguments = script_params_datasets(call, options)
    argument_names = [n for v in arguments if (n := _same_object_key(call, v)) is not None]
    entries: list[str] = []
    before: list[str] = []
    taken: set[str] = set()
    for index, item in enumerate(items):
        shown = f"inputs[{index}] = {call.code(item.node)}"
        kind = item.value.kind
        if kind in (Kind.DATA_REFERENCE, Kind.DATASTORE):
            if "data_references" not in options.concerns:
                raise Unprovable(f"{shown} is a {kind.value.replace('_', ' ')}, which needs the 'data_references' concern")
            continue  # the data_references concern writes run_config.data_references
        if kind is Kind.DATASET_OBJECT:
            raise Unprovable(f"{shown} is a dataset without a consumption mode, which the estimator rejects at submit; "
                             "pass ds.as_named_input('name') (or .as_mount() / .as_download()) and run estimig again")
        if kind is not Kind.DATASET and item.value.shape is Kind.DATASET:
            raise Unprovable(f"{shown}: estimig cannot prove it is a dataset consumption (it cannot see what it is "
                             f"built on); {hint(DATASET)}")
        if kind is not Kind.DATASET:
            raise Unprovable(f"{shown}: estimig cannot prove it is a dataset or a data reference; migrate the inputs "
                             "by hand")
        key = _same_object_key(call, item.value)
        if key is not None and key in argument_names:
            continue  # the same object is an argument: the ScriptRunConfig registers it at submit
        name = input_name(call, item.value)
        code = call.code(item.node)
        if isinstance(item.node, cst.Name):
            entries.append(f"{code}.name: {code}")
        elif name is not None:
            entries.append(f"{call.code(_name_node(call, item.value))}: {code}")
        else:
            # The generated name is random: bind the config once so its name and itself agree.
            bound = call.fresh_name(suffix_for(call, item.node, "input"), taken)
            before.append(f"{bound} = {code}")
            entries.append(f"{bound}.name: {bound}")
    if not entries:
        return before, []
    return before, [f"# The inputs the estimator put on its run configuration (ScriptRunConfig takes no inputs=).\n"
                    f"{call.target}.run_config.data = {mapping(entries)}"]


def mapping(entries: list[str]) -> str:
    """A dict display: on one line for one entry, one entry a line for several (as a person would)."""
    if len(entries) == 1:
        return "{" + entries[0] + "}"
    return "{\n" + "".join(f"    {entry},\n" for entry in entries) + "}"


def suffix_for(call: EstimatorCall, node: cst.BaseExpression, default: str) -> str:
    """A readable name for a value that must be bound: its datastore path's last part
    (`ds.path('coco/vocab')` -> 'vocab') or the name it is built from (`images.as_download()` ->
    'images')."""
    current = node
    while True:
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
            if current.func.attr.value == "path" and current.args:
                ok, path = literal(current.args[0].value)
                if ok and isinstance(path, str):
                    words = [w for w in re.split(r"[^0-9A-Za-z]+", path.strip("/").split("/")[-1]) if w]
                    if words and not words[0][0].isdigit():
                        return "_".join(words).lower()
            current = current.func.value
        elif isinstance(current, cst.Attribute):
            current = current.value
        else:
            break
    if isinstance(current, cst.Name) and current is not node:
        return current.value
    return default


def _same_object_key(call: EstimatorCall, value: Value) -> str | None:
    """A key equal for two values that are provably the same object: the same simple name."""
    return value.node.value if isinstance(value.node, cst.Name) else None


def _distinct(call: EstimatorCall, a: Value, b: Value) -> bool:
    """Whether two consumption configs provably have different input names."""
    name_a, name_b = input_name(call, a), input_name(call, b)
    if name_a is not None and name_b is not None:
        return name_a != name_b
    # A generated name starts with 'input__'; a literal name that does not cannot clash with it.
    known = name_a if name_a is not None else name_b
    if known is not None:
        return not known.startswith("input__")
    # Two generated names: random for an unsaved dataset, the first 8 digits of the id for a saved
    # one, so they clash when both consume the same dataset. Different dataset expressions are
    # taken to be different datasets (documented in docs/concerns.md).
    source_a, source_b = dataset_source(call, a), dataset_source(call, b)
    return source_a is not None and source_b is not None and source_a != source_b


def dataset_source(call: EstimatorCall, value: Value) -> str | None:
    """The code of the dataset a consumption config is made from, following simple names."""
    innermost = None
    for innermost in _consumption_chain(call, value):
        pass
    return call.code(innermost) if isinstance(innermost, (cst.Call, cst.Subscript)) else None
