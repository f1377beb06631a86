"""arguments: script_params={'--lr': 0.1, '--flag': ''} -> arguments=['--lr', 0.1, '--flag'].

The SDK flattens the dict key then value, in order, flattens list and tuple values, then drops
every item that is `None` or `''` (keys included) and keeps `0` and `False`. Each value's type must
be known for that to be reproduced in the source, so values are classified by `estimig.values`:
literals are expanded here; a scalar only known at run time that may be `''` (`args.name`,
`f"{x}"`) is kept where it is not (`*[v for v in [args.name] if v != ""]`); data values are
rendered by the `datasets` / `data_references` concerns' rules; anything of unknown type leaves
the call alone.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from estimig.assumptions import DATASET, LAST_WINS, SCALARS, as_dataset, hint
from estimig.facts import EstimatorCall
from estimig.plan import CallPlan, NewArg, finding
from estimig.result import Severity
from estimig.values import Kind, Value, classify, folded_items, imported_items, literal, visible_entries, why

NAME = "arguments"
SUMMARY = "script_params dict -> arguments list, with the estimator's flattening and empty-value rules"




class Unprovable(Exception):
    def __init__(self, message: str, assumption: str | None = None):
        # assumption: the named assumption that would lift this refusal, named in the message.
        super().__init__(f"{message}; {hint(assumption)}" if assumption else message)
        self.assumption = assumption


class ChangedOnSomePaths(Unprovable):
    """script_params is one dict changed on some paths to the call only: `paths` holds its (key,
    value) items on each, all provable. The arguments concerns of both targets render that from the
    dict at run time (`keys_by_path`, `read_by_path`); the others take the items every path shares."""

    def __init__(self, message: str, paths: list[list[tuple[cst.BaseExpression, cst.BaseExpression]]]):
        super().__init__(message)
        self.paths = paths


def plan(call: EstimatorCall, options) -> CallPlan:
    if not call.has("script_params"):
        return CallPlan(NAME)
    used: set[str] = set()
    try:
        maybe_empty: list[str] = []  # values kept only where they are not '' (`_render_value`)
        try:
            items = script_params_items(call)
        except ChangedOnSomePaths as exc:
            items = exc
        except Unprovable as exc:
            if not options.assumes(SCALARS) or _visibly_not_a_dict(call):
                raise Unprovable(str(exc), None if _visibly_not_a_dict(call) else SCALARS) from None
            return _flattened_at_run_time(call, options)
        if isinstance(items, ChangedOnSomePaths):
            try:
                rendered = _rendered_by_path(call, items, options, used, maybe_empty)
            except Unprovable:
                if options.assumes(SCALARS):
                    return _flattened_at_run_time(call, options)
                raise
            kept, edits = rendered, ()
        else:
            rendered = [part for key, value in items
                        for part in _render_pair(call, key, value, options, used, maybe_empty)]
            kept = _without_sampled(call, rendered, options, used)
            edits = _hyperdrive_copies(call, rendered) if kept is _SPLIT else ()
    except Unprovable as exc:
        return CallPlan(NAME, blocked=str(exc))
    findings = ()
    if kept is _SPLIT:
        kept = rendered
        findings = (finding(call.line, NAME, "HyperDrive gets a ScriptRunConfig of its own, without the "
                            "script_params it samples, as HyperDriveConfig(estimator=) sent them; the estimator's "
                            "other uses keep them", Severity.INFO),)
    if kept != rendered:
        dropped = ", ".join(k for k in rendered[::2] if k not in kept[::2])
        findings = (finding(call.line, NAME, f"script_params {dropped} dropped: HyperDrive samples "
                            f"{'it' if ', ' not in dropped else 'them'}, and HyperDriveConfig(estimator=) sent the "
                            "child runs only the sampled value", Severity.INFO),)
    if maybe_empty:
        findings = (*findings, finding(call.line, NAME, f"{', '.join(maybe_empty)} may be '' at run time, which the "
                                       "estimator left out of the arguments: the migrated arguments leave "
                                       f"{'it' if len(maybe_empty) == 1 else 'them'} out then too", Severity.INFO))
    code = "[" + ", ".join(kept) + "]"
    return CallPlan(NAME, handles=frozenset({"script_params"}), arguments=(NewArg("arguments", code=code),),
                    findings=findings, assumes=frozenset(used), edits=tuple(edits),
                    imports=frozenset({("azureml.core", "ScriptRunConfig")}) if edits else frozenset())


def _visibly_not_a_dict(call: EstimatorCall) -> bool:
    """script_params is something estimig sees is no dict (a string literal, say): nothing to assume."""
    value = classify(call, call.kwargs["script_params"].value)
    return value.kind is Kind.LITERAL and not isinstance(value.value, dict)


def _flattened_at_run_time(call: EstimatorCall, options) -> CallPlan:
    """script_params whose content cannot be seen, on the assumption that every key and value is a
    non-empty scalar: then the SDK's flattening is just key, value, key, value, ... in dict order,
    which the migrated code does on the same dict object when the ScriptRunConfig is built."""
    used = {SCALARS}
    contradiction = _contradiction(call, empty_allowed=True)
    if contradiction is not None:
        return CallPlan(NAME, blocked=f"script_params may hold {call.code(contradiction)}, which the estimator "
                        "does not pass as it is (lists are spread, data rewritten), so the content estimig cannot "
                        "see cannot be assumed to be plain scalars; migrate by hand")
    sampling = _sampling(call)
    if sampling is not None and (isinstance(sampling, str) or sampling[0]):
        if not options.assumes(LAST_WINS):
            return CallPlan(NAME, blocked="script_params, which estimig cannot see, go to HyperDriveConfig(estimator=), "
                            f"which drops the ones it samples; {hint(LAST_WINS)}")
        used.add(LAST_WINS)
    source = call.code(call.kwargs["script_params"].value)
    code = f"[part for pair in {source}.items() for part in pair]"
    if _contradiction(call) is not None:
        # A visible '' or None (`"--register": ""`, a bare flag): the SDK flattened the dict, then
        # dropped every '' and None item (`list_remove_empty_items`); so does the migrated list.
        code = f'[part for pair in {source}.items() for part in pair if part not in ("", None)]'
        if _sampling(call) is not None:
            return CallPlan(NAME, blocked="script_params, which estimig cannot see, holds '' or None beside "
                            "HyperDrive's sampling, which pairs the arguments by position")
    return CallPlan(NAME, handles=frozenset({"script_params"}), arguments=(NewArg("arguments", code=code),),
                    assumes=frozenset(used))


def shared_items(call: EstimatorCall) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """The script_params items every path holds with the same value (`script_params_items(shared=True)`),
    for the concerns that look for data in them; [] when there is no dict or it cannot be seen: the
    arguments concern decides the call then."""
    if not call.has("script_params"):
        return []
    try:
        return script_params_items(call, shared=True)
    except Unprovable:
        return []


def unseen_entries_are_scalars(call: EstimatorCall) -> bool:
    """Whether nothing visible contradicts scalar-script-params for a script_params dict whose content
    cannot be seen: no entry estimig can see is a list, None, '', data or other non-scalar."""
    return _contradiction(call) is None


def _contradiction(call: EstimatorCall, empty_allowed: bool = False) -> cst.BaseExpression | None:
    """The first visible entry that is no non-empty scalar (`empty_allowed`: '' and None pass)."""
    for entry in visible_entries(call, call.kwargs["script_params"].value):
        value = classify(call, entry)
        empty = value.kind is Kind.LITERAL and value.value in (None, "")
        if empty and empty_allowed:
            continue
        if (value.kind not in (Kind.LITERAL, Kind.SCALAR, Kind.UNKNOWN) or value.shape is not None
                or (value.kind is Kind.LITERAL and (empty or not isinstance(value.value, (str, int, float, bool))))):
            return entry
    return None


def _sampling(call: EstimatorCall):
    from estimig.codemods.uses import hyperdrive_sampling

    return hyperdrive_sampling(call)


def script_params_items(call: EstimatorCall, shared: bool = False) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """The (key, value) expressions of script_params, in order, when the dict is provable: a dict
    literal in the call, or a name whose one reaching definition is a dict literal, with the changes
    made to it before the call folded in (estimig/flow.py). A dict changed on some paths only raises
    ChangedOnSomePaths, or with `shared`, gives the items every path holds with the same value
    expression (the data the estimator registers whatever the path)."""
    node = call.kwargs["script_params"].value
    shown = call.code(node)
    if isinstance(node, cst.Name):
        found = call.definition(node)
        paths = _items_by_path(call, node) if isinstance(found, str) else None
        if paths is not None and shared:
            return [(key, value) for key, value in paths[0]
                    if all(any(v is value for _, v in path) for path in paths[1:])]
        if paths is not None:
            raise ChangedOnSomePaths(f"script_params={shown}: estimig cannot prove what the dict holds ({found})",
                                     paths)
        if isinstance(found, str):
            items = imported_items(call, node)
            if not isinstance(items, str):
                return _checked(call, items)
            reason = items if "is not imported" not in items else found
            raise Unprovable(f"script_params={shown}: estimig cannot prove what the dict holds ({reason})")
        items = folded_items(found)
        if items is None and not found.changes:
            node = found.value
        elif items is None:
            raise Unprovable(f"script_params={shown}: the dict is changed before this call in a way estimig "
                             "cannot fold (a key or value that is not a literal expression)")
        else:
            return _checked(call, items)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict" and not node.args:
        return []
    if not isinstance(node, cst.Dict):
        raise Unprovable(f"script_params={shown} is not a dict literal")
    items = []
    for element in node.elements:
        if isinstance(element, cst.StarredDictElement):
            items = _merged(call, items, _unpacked(call, element.value))
            continue
        items.append((element.key, element.value))
    if any(isinstance(e, cst.StarredDictElement) for e in node.elements):
        return _merged(call, [], items)
    return _checked(call, items)


def _items_by_path(call: EstimatorCall, node: cst.Name):
    """script_params' items on each path to the call, when it is one dict literal changed on some
    paths only, every change folded; else None."""
    found = call.module.definitions_by_path(node, call.node)
    if isinstance(found, str):
        return None
    paths = [folded_items(definition) for definition in found]
    return [_checked(call, items) for items in paths] if all(items is not None for items in paths) else None


def _rendered_by_path(call: EstimatorCall, changed: ChangedOnSomePaths, options, used: set[str],
                      maybe_empty: list[str]) -> list[str]:
    """The arguments of a dict whose content depends on the path, built from the dict at run time
    the way the estimator flattened it: its keys in the one order every path agrees with; a key
    with the same value expression on every path as usual, any other read from the dict
    (`params["--epochs"]`) and kept only where the path put it there (`if "--epochs" in params`)."""
    name = call.code(call.kwargs["script_params"].value)
    if _sampling(call) is not None:
        raise Unprovable(f"{changed}: HyperDrive pairs the arguments by position, which a key present on some "
                         "paths only would shift", SCALARS)
    rendered: list[str] = []
    for key, entries, everywhere in keys_by_path(call, changed):
        key_code = call.code(entries[0][0])
        if written_as_usual(entries, everywhere):
            parts = _render_pair(call, entries[0][0], entries[0][1], options, used, maybe_empty)
        else:
            read, empty = read_by_path(call, name, key, entries)
            if empty:
                maybe_empty.append(read)
            none = any(literal(value) == (True, None) for _, value in entries)
            parts = [key_code, f'*[v for v in [{read}] if v not in ("", None)]' if none
                     else f'*[v for v in [{read}] if v != ""]' if empty else read]
        if everywhere:
            rendered += parts
        elif parts:
            rendered.append(f"*([{', '.join(parts)}] if {key_code} in {name} else [])")
    return rendered


def keys_by_path(call: EstimatorCall, changed: ChangedOnSomePaths) -> list[tuple[Any, list, bool]]:
    """Each key of a dict changed on some paths, in the one order every path agrees with: (its
    value, [(key node, value node) on each path that has it], whether every path has it)."""
    paths = [[(classify(call, key).value, key, value) for key, value in items] for items in changed.paths]
    order = _one_order([[key for key, _, _ in path] for path in paths])
    if order is None:
        raise Unprovable(f"script_params={call.code(call.kwargs['script_params'].value)}: the dict's keys come in "
                         "a different order on different paths, and the estimator passed them in the dict's order")
    found = []
    for key in order:
        entries = [(node, value) for path in paths for k, node, value in path if k == key]
        found.append((key, entries, len(entries) == len(paths)))
    return found


def written_as_usual(entries, everywhere: bool) -> bool:
    """A key of a dict changed on some paths whose value is written as in any dict: one expression
    on every path (the dict literal's own: data is registered as usual), or one literal wherever
    the key is (its code means the same anywhere)."""
    if everywhere and all(value is entries[0][1] for _, value in entries):
        return True
    found = [literal(value) for _, value in entries]
    first = found[0]
    return all(ok and type(v) is type(first[1]) and v == first[1] for ok, v in found)


def read_by_path(call: EstimatorCall, name: str, key, entries) -> tuple[str, bool]:
    """(`params["--epochs"]`, whether it may be '' or None) for a key whose value differs by path,
    read from the dict at run time: it must be a str, number, bool or None on every path."""
    key_code = call.code(entries[0][0])
    if not isinstance(key, str) or not key:
        raise Unprovable(f"script_params key {key_code} is not a non-empty string")
    values = [classify(call, value) for _, value in entries]
    for value in values:
        if not (value.kind is Kind.SCALAR or value.kind is Kind.LITERAL
                and (value.value is None or isinstance(value.value, (str, int, float, bool)))):
            # Only a value whose type cannot be seen may be assumed a scalar; a visible list cannot.
            unseen = value.kind is Kind.UNKNOWN and value.shape is None
            raise Unprovable(f"script_params[{key_code}] = {call.code(value.node)} on some paths to this call: its "
                             "value differs by path, so estimig reads it from the dict at run time, which it "
                             "does only for a str, number or bool (a list would be spread, data rewritten)",
                             SCALARS if unseen else None)
    empty = any(v.value in ("", None) if v.kind is Kind.LITERAL else not v.nonempty for v in values)
    return f"{name}[{key_code}]", empty


def _one_order(orders: list[list]) -> list | None:
    """One order of all keys that keeps each path's order (the first key free first), or None."""
    keys = list(dict.fromkeys(key for order in orders for key in order))
    before = {key: set() for key in keys}
    for order in orders:
        for index, key in enumerate(order):
            before[key].update(order[:index])
    placed: list = []
    while len(placed) < len(keys):
        ready = next((k for k in keys if k not in placed and before[k] <= set(placed)), None)
        if ready is None:
            return None
        placed.append(ready)
    return placed


def _unpacked(call: EstimatorCall, node: cst.BaseExpression):
    """The items `**base` adds to a dict literal, when base is a dict of literals (literal code
    means the same wherever it is written)."""
    shown = call.code(node)
    found = call.definition(node) if isinstance(node, cst.Name) else f"{shown} is not a name"
    if isinstance(found, str):
        raise Unprovable(f"script_params unpacks **{shown}, whose content estimig cannot prove ({found})")
    items = folded_items(found)
    if items is None and not found.changes and isinstance(found.value, cst.Dict):
        items = [(e.key, e.value) for e in found.value.elements if isinstance(e, cst.DictElement)]
        items = items if len(items) == len(found.value.elements) else None
    if items is None or not all(literal(k)[0] and literal(v)[0] for k, v in items):
        raise Unprovable(f"script_params unpacks **{shown}, which is not a dict of literals")
    return items


def _merged(call: EstimatorCall, first, second):
    """`{**a, **b, k: v}` as Python builds it: a key keeps its first place and takes its last value."""
    merged: dict = {}
    for key_node, value_node in [*first, *second]:
        key = classify(call, key_node)
        if key.kind is not Kind.LITERAL or not isinstance(key.value, (str, int, float, bool, type(None))):
            raise Unprovable(f"script_params key {call.code(key_node)} is not a literal")
        place = merged.get(key.value, (key_node, None))[0]
        merged[key.value] = (place, value_node)
    return list(merged.values())


def _checked(call: EstimatorCall, items):
    keys_seen = set()
    for key_node, _ in items:
        key = classify(call, key_node)
        if key.kind is not Kind.LITERAL or not isinstance(key.value, (str, int, float, bool, type(None))):
            raise Unprovable(f"script_params key {call.code(key_node)} is not a literal")
        if key.value in keys_seen:
            raise Unprovable(f"script_params repeats the key {call.code(key_node)}")
        keys_seen.add(key.value)
    return items


def _without_sampled(call: EstimatorCall, rendered: list[str], options, used: set[str]) -> list[str]:
    """The arguments HyperDriveConfig(estimator=) sent its child runs: when a fixed argument is
    also a sampled hyperparameter, `_remove_duplicate_arguments` pairs the list up
    (`dict(zip(args[::2], args[1::2]))`: a repeated key keeps its first place and last value, an odd
    last item is lost), drops the sampled keys and flattens the rest; run_config= keeps them all."""
    sampling = _sampling(call)
    if not isinstance(sampling, tuple):
        return rendered  # no HyperDrive, or the uses concern says why it cannot be proven
    names, exclusive = sampling
    key_codes = paired_keys(rendered)
    keys = [literal(cst.parse_expression(code)) for code in key_codes]
    odd = next((code for (ok, key), code in zip(keys, key_codes) if ok and not isinstance(key, str)), None)
    if odd is not None:
        # `param.lstrip("-")` on every item in a key's place: the original failed at submit.
        raise Unprovable(f"HyperDriveConfig(estimator=) reads every other argument as a name, and {odd} is not a "
                         "string, so the original fails when it is submitted; fix the arguments first")
    if not any(ok and _sampled(key, names) for ok, key in keys):
        return rendered  # nothing sampled twice: HyperDrive sends the arguments as they are
    shown = ", ".join(repr(k) for ok, k in keys if ok and _sampled(k, names))
    if not all(ok and isinstance(key, (str, int, float, bool)) for ok, key in keys):
        raise Unprovable(f"script_params {shown} also sampled by HyperDrive, which pairs the arguments up to drop "
                         "it, and an argument in a key's place is not a literal; migrate by hand")
    if not exclusive:
        return _SPLIT  # the estimator's other uses keep them: HyperDrive gets its own ScriptRunConfig
    return [rendered[i] for i in _sent_to_hyperdrive(rendered, names)]


# `_without_sampled`'s answer when HyperDrive and the estimator's other uses need different arguments.
_SPLIT = object()


def _sent_to_hyperdrive(rendered: list[str], names: set[str]) -> list[int]:
    """Positions in the arguments (their code) of what HyperDriveConfig(estimator=) sends."""
    return sent_positions([literal(cst.parse_expression(code))[1] for code in rendered], names)


def sent_positions(values: list, names: set[str]) -> list[int]:
    """Positions in the arguments (their values; the --target v2 `arguments` concern asks too) of
    what HyperDriveConfig(estimator=) sends: the list paired up (a repeated key keeps its first place
    and its last value, an odd last item is lost), without the sampled keys."""
    pairs: dict = {}
    for index in range(0, len(values) - 1, 2):
        key = values[index]
        first = pairs.get(key, (index, None))[0]
        pairs[key] = (first, index + 1)
    if not any(_sampled(key, names) for key in pairs):
        return list(range(len(values)))  # nothing paired is sampled: the arguments are sent as they are
    return [i for key, places in pairs.items() if not _sampled(key, names) for i in places]


def paired_keys(values: list) -> list:
    """The items HyperDriveConfig(estimator=) reads as names: every other one, but an odd last item
    has no value and is not paired (it is sent as it is unless a paired key is sampled)."""
    return values[:len(values) // 2 * 2:2]


def _sampled(key, names: set[str]) -> bool:
    return isinstance(key, str) and key.lstrip("-") in names


def _hyperdrive_copies(call: EstimatorCall, rendered: list[str]) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
    """`HyperDriveConfig(estimator=est)` where est is also submitted (or given to another
    HyperDrive): the ScriptRunConfig keeps every argument for those uses, and each HyperDrive gets
    `ScriptRunConfig(..., arguments=<est's without what it samples>, run_config=est.run_config)`,
    the same run configuration with the arguments HyperDriveConfig(estimator=) sent."""
    from estimig.codemods.uses import sampled_by_use

    found, _ = sampled_by_use(call)
    edits = []
    for use, names in found:
        sent = _sent_to_hyperdrive(rendered, names)
        if sent == list(range(len(rendered))):
            continue
        name = call.code(use.node)
        edits.append((use.node, cst.parse_expression(
            f"ScriptRunConfig(source_directory={name}.source_directory, script={name}.script, "
            f"arguments={_sent_code(name, rendered, sent)}, run_config={name}.run_config)")))
    return edits


def _sent_code(name: str, rendered: list[str], sent: list[int]) -> str:
    """The arguments at positions `sent`: written out when they are literals (they mean the same
    written again, and read best), else as slices of `name.arguments`, which re-evaluate nothing."""
    if all(literal(cst.parse_expression(rendered[i]))[0] for i in sent):
        return "[" + ", ".join(rendered[i] for i in sent) + "]"
    runs, start = [], None
    for position, index in enumerate(sent):
        start = index if start is None else start
        if position + 1 == len(sent) or sent[position + 1] != index + 1:
            stop = "" if index + 1 == len(rendered) else str(index + 1)
            runs.append(f"{name}.arguments[{start or ''}:{stop}]")
            start = None
    return " + ".join(runs) or "[]"


def _render_pair(call: EstimatorCall, key: cst.BaseExpression, value: cst.BaseExpression, options,
                 used: set[str], maybe_empty: list[str]) -> list[str]:
    key_value = classify(call, key)
    parts = [] if key_value.value in (None, "") else [call.code(key)]
    return parts + _render_value(call, key, classify(call, value), options, used, maybe_empty)


def _render_value(call: EstimatorCall, key: cst.BaseExpression, value: Value, options, used: set[str],
                  maybe_empty: list[str]) -> list[str]:
    shown = f"script_params[{call.code(key)}]"
    value = as_dataset(value, options, used)
    if value.kind is Kind.LITERAL:
        return _render_literal(call, value, shown)
    if value.kind is Kind.SCALAR and value.nonempty:
        return [call.code(value.node)]
    if value.kind is Kind.SCALAR and not isinstance(_sampling(call), tuple):
        # A str, int, float or bool that may be '': the estimator dropped it then (and only then),
        # so the value is kept where it is not, evaluated once, where the estimator evaluated it.
        # (HyperDrive pairs the arguments by position, which a dropped value would shift.)
        maybe_empty.append(call.code(value.node))
        return [f'*[v for v in [{call.code(value.node)}] if v != ""]']
    if value.kind is Kind.UNKNOWN and value.shape is Kind.DATASET:
        raise Unprovable(f"{shown} = {call.code(value.node)}: estimig cannot prove it is a dataset consumption "
                         "(it cannot see what it is built on)", DATASET)
    if value.kind in (Kind.SCALAR, Kind.UNKNOWN) and options.assumes(SCALARS):
        used.add(SCALARS)
        return [call.code(value.node)]
    if value.kind is Kind.SCALAR:
        raise Unprovable(f"{shown} = {call.code(value.node)} may be '' at run time, which the estimator drops; "
                         "make it a literal or prove it non-empty", SCALARS)
    if value.kind in (Kind.DATASET, Kind.DATA_REFERENCE, Kind.DATASTORE):
        concern = "datasets" if value.kind is Kind.DATASET else "data_references"
        renderer = getattr(options.concerns.get(concern), "render_argument", None)
        if renderer is None:
            raise Unprovable(f"{shown} is a {value.kind.value.replace('_', ' ')}, which needs the '{concern}' concern")
        return [renderer(call, value)]
    assumption = SCALARS if value.kind is Kind.UNKNOWN else None
    reason = why(call, value.node)
    if reason is not None:
        raise Unprovable(f"{shown} = {call.code(value.node)}: estimig cannot prove its type: {reason}", assumption)
    raise Unprovable(f"{shown} = {call.code(value.node)}: estimig cannot prove its type (a list would be "
                     "flattened, None or '' dropped, a DataReference rewritten)", assumption)


def _render_literal(call: EstimatorCall, value: Value, shown: str) -> list[str]:
    v = value.value
    if v is None or v == "":
        return []
    if isinstance(v, (list, tuple)):
        if not isinstance(value.node, (cst.List, cst.Tuple)):
            # A name bound to a list: spell out the items so the flattening is visible.
            return [repr(item) for item in _flatten(v, shown)]
        return [call.code(element.value) for element in value.node.elements
                if _keep(_only(element.value, shown))]
    if isinstance(v, (dict, set, frozenset)):
        raise Unprovable(f"{shown} is a {type(v).__name__}; the estimator would pass its keys one by one")
    return [call.code(value.node)]


def _flatten(items, shown):
    for item in items:
        _only_value(item, shown)
        if _keep(item):
            yield item


def _only(node: cst.BaseExpression, shown: str):
    ok, v = literal(node)
    if not ok:
        raise Unprovable(f"{shown} holds a non-literal item {cst.Module(body=[]).code_for_node(node)}")
    _only_value(v, shown)
    return v


def _only_value(v, shown):
    if isinstance(v, (list, tuple, dict, set, frozenset)):
        raise Unprovable(f"{shown} nests a collection, which the estimator turns into its str(); migrate by hand")


def _keep(v) -> bool:
    return v is not None and v != ""
