"""data_references: script_params={'--data': store.path('x').as_mount()}, inputs=[ref], source_directory_data_store=, resume_from= -> arguments=['--data', str(ref)] and run_config.data_references.

The estimator (`_get_arguments`, `_get_data_inputs`, `_get_data_configuration` in
azureml/train/_estimator_helper.py) writes `str(ref)` (`$AZUREML_DATAREFERENCE_<name>`) for each
DataReference argument and `str(datastore._get_data_reference())` for a datastore, and collects the
references of `inputs`, then of `script_params` (the same object once), then
`source_directory_data_store`, into `data_references[ref.data_reference_name] = ref.to_config()`;
the datastore's name also goes to `run_config.source_directory_data_store`. The migration follows
Microsoft's guide: `str(ref)` in `arguments` and, after the constructor,
`src.run_config.data_references = {ref.data_reference_name: ref.to_config(), ...}` in the same
order. A datastore's reference is `DataReference(datastore=store)` (which is what the datastore
builds for itself); its name is the datastore's name.

`datastore.path('x')` names its reference with a random id each time it runs, so an expression
that both the argument and the wiring need is bound to a new name once, before the call; a simple
name the user already bound is reused as it is.

`resume_from=` (a DataPath) is passed to the ScriptRunConfig, which adds `--resume-from` and the
`MODEL_LOCATION` reference exactly as the estimator did; the references written after the
constructor are then merged into it with `.update(...)` so that it stays.

A datastore passed directly is assumed to be a blob or file-share datastore: those are the ones the
estimator turns into a reference (any other kind is rejected in `inputs` and passed on unconverted in
`script_params`, which no working job does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from estimig.facts import EstimatorCall
from estimig.plan import CallPlan, NewArg
from estimig.values import Kind, Value, classify
from estimig.codemods.datasets import mapping, suffix_for

NAME = "data_references"
SUMMARY = ("DataReference / datastore values in script_params and inputs, source_directory_data_store, "
           "resume_from -> str(ref) in arguments and run_config.data_references")
IMPORT = ("azureml.data.data_reference", "DataReference")


class Unprovable(Exception):
    pass


@dataclass(frozen=True)
class Reference:
    """How one DataReference (or datastore) is written in the migrated code."""

    argument: str  # the expression for `arguments`: str(...)
    key: str  # the data_references key expression
    config: str  # the to_config() expression
    before: str | None = None  # a binding statement, when the value is an inline expression
    needs_import: bool = False
    identity: str | None = None  # equal for provably the same object (a simple name)


def render_argument(call: EstimatorCall, value: Value) -> str:
    for node, reference in _collected(call):
        if node is value.node:
            return reference.argument
    return _reference(call, value, _suffix_for(call, value.node), set()).argument


def plan(call: EstimatorCall, options) -> CallPlan:
    try:
        references = _references(call)
        sdds = _source_directory_data_store(call)
    except Unprovable as exc:
        return CallPlan(NAME, blocked=str(exc))
    handles = {name for name in ("source_directory_data_store", "resume_from") if call.has(name)}
    arguments = (NewArg("resume_from", from_kwarg="resume_from"),) if call.has("resume_from") else ()
    if call.has("resume_from") and _script_params_has_key(call, "--resume-from"):
        return CallPlan(NAME, blocked="script_params has '--resume-from' and resume_from= is set: the estimator "
                        "replaces that value, a ScriptRunConfig would pass the key twice; remove one and run estimig again")
    if sdds is not None:
        references.append(sdds)
    if not references:
        return CallPlan(NAME, handles=frozenset(handles), arguments=arguments)
    if call.target is None or call.statement is None:
        return CallPlan(NAME, blocked="the data references must be set on run_config after the call, but the estimator "
                        "is not assigned to a simple name: assign it (est = Estimator(...)) and run estimig again")
    entries = mapping(list(dict.fromkeys(f"{r.key}: {r.config}" for r in references)))
    target = call.target
    why = "# The data references the estimator registered on its run configuration itself.\n"
    if call.has("resume_from"):
        # ScriptRunConfig(resume_from=...) already put MODEL_LOCATION in data_references.
        after = [f"{why}{target}.run_config.data_references.update({entries})"]
    else:
        after = [f"{why}{target}.run_config.data_references = {entries}"]
    if sdds is not None:
        after.append(f"# The estimator's source_directory_data_store.\n"
                     f"{target}.run_config.source_directory_data_store = {_datastore_name(call)}")
    before = tuple(dict.fromkeys(r.before for r in references if r.before))
    imports = frozenset({IMPORT}) if any(r.needs_import for r in references) else frozenset()
    return CallPlan(NAME, handles=frozenset(handles), arguments=arguments, before=before, after=tuple(after),
                    imports=imports)


def _references(call: EstimatorCall) -> list[Reference]:
    """The references the estimator collects, in its order: inputs, then script_params (the same
    object once)."""
    found: list[Reference] = []
    seen: set[str] = set()
    for _, reference in _collected(call):
        if reference.identity is not None:
            if reference.identity in seen:
                continue
            seen.add(reference.identity)
        found.append(reference)
    return found


def _collected(call: EstimatorCall) -> list[tuple[cst.BaseExpression, Reference]]:
    """Every DataReference or datastore value of inputs and script_params, with how it is written;
    deterministic, so render_argument and plan agree on the names they bind."""
    found: list[tuple[cst.BaseExpression, Reference]] = []
    taken: set[str] = set()

    def add(node: cst.BaseExpression, reference: Reference) -> None:
        found.append((node, reference))

    if call.has("inputs"):
        from estimig.codemods.datasets import Unprovable as InputsUnprovable, inputs_items

        try:
            items = inputs_items(call)
        except InputsUnprovable:
            items = []  # the datasets concern blocks the call
        for index, item in enumerate(items):
            if item.value.kind in (Kind.DATA_REFERENCE, Kind.DATASTORE):
                add(item.node, _reference(call, item.value, suffix_for(call, item.node, "input"), taken))
    for _, node in _script_params(call):
        value = classify(call, node)
        if value.kind in (Kind.DATA_REFERENCE, Kind.DATASTORE):
            add(node, _reference(call, value, _suffix_for(call, node), taken))
    return found


def _script_params(call: EstimatorCall):
    from estimig.codemods.arguments import shared_items

    return shared_items(call)  # [] where the arguments concern blocks the call


def _script_params_has_key(call: EstimatorCall, key: str) -> bool:
    return any(classify(call, k).value == key for k, _ in _script_params(call))


def _suffix_for(call: EstimatorCall, node: cst.BaseExpression) -> str:
    """A name for an inline value, from its script_params key: '--data-folder' -> 'data_folder'."""
    for key, value in _script_params(call):
        if value is node:
            text = classify(call, key).value
            if isinstance(text, str):
                suffix = re.sub(r"\W+", "_", text).strip("_").lower()
                if suffix and not suffix[0].isdigit():
                    return suffix
    return "data_ref"


def _reference(call: EstimatorCall, value: Value, suffix: str, taken: set[str]) -> Reference:
    code = call.code(value.node)
    simple = isinstance(value.node, cst.Name)
    if value.kind is Kind.DATASTORE:
        if simple:
            ref = f"DataReference(datastore={code})"
            return Reference(argument=f"str({ref})", key=f"{code}.name", config=f"{ref}.to_config()",
                             needs_import=True, identity=code)
        bound = call.fresh_name(suffix, taken)
        return Reference(argument=f"str({bound})", key=f"{bound}.data_reference_name", config=f"{bound}.to_config()",
                         before=f"{bound} = DataReference(datastore={code})", needs_import=True)
    if simple:
        return Reference(argument=f"str({code})", key=f"{code}.data_reference_name", config=f"{code}.to_config()",
                         identity=code)
    # An inline expression: evaluated once, so the argument and the wiring name the same reference.
    bound = call.fresh_name(suffix, taken)
    return Reference(argument=f"str({bound})", key=f"{bound}.data_reference_name", config=f"{bound}.to_config()",
                     before=f"{bound} = {code}")


def _source_directory_data_store(call: EstimatorCall) -> Reference | None:
    if not call.has("source_directory_data_store"):
        return None
    node = call.kwargs["source_directory_data_store"].value
    value = classify(call, node)
    if value.kind is Kind.LITERAL and value.value is None:
        return None
    if value.kind is not Kind.DATASTORE or not isinstance(node, cst.Name):
        raise Unprovable(f"source_directory_data_store={call.code(node)}: estimig cannot prove it is a datastore "
                         "bound to a simple name (store = ws.get_default_datastore() or Datastore.get(ws, '...')); "
                         "bind it to a name, or migrate by hand")
    code = call.code(node)
    return Reference(argument="", key=f"{code}.name", config=f"DataReference(datastore={code}).to_config()",
                     needs_import=True, identity=code)


def _datastore_name(call: EstimatorCall) -> str:
    return f"{call.value_code('source_directory_data_store')}.name"
